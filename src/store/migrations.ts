/**
 * @module store/migrations
 * The schema, as numbered migrations per dialect. A migration is never edited once released; a change is
 * a new one. Index tables have the resource's `seq` first in their key so a resource's rows sit together.
 */

/** The tables that hold a resource's derived rows, keyed by its `seq`: rewritten on every new version. */
export const DERIVED_TABLES = ['idx_token', 'idx_string', 'idx_date', 'idx_reference', 'idx_number', 'compartment'] as const;

/** Every table with rows of a resource, derived ones first. */
export const RESOURCE_TABLES = [...DERIVED_TABLES, 'resource_history', 'resources'] as const;

export interface Migration {
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
}


const AUTH_TABLES = `
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, public_jwk TEXT NOT NULL, private_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL, retired_at BIGINT
  );
  CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY, name TEXT NOT NULL, client_type TEXT NOT NULL, secret_hash TEXT,
    redirect_uris TEXT NOT NULL, jwks TEXT, jwks_uri TEXT, scope TEXT NOT NULL, status TEXT NOT NULL,
    tokens_valid_after BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL
  );
  CREATE TABLE accounts (
    username TEXT PRIMARY KEY, person_id TEXT NOT NULL, display_name TEXT NOT NULL, patients TEXT NOT NULL,
    password_hash TEXT, failed_logins INTEGER NOT NULL DEFAULT 0, locked_until BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL, created_at BIGINT NOT NULL
  );
  CREATE TABLE auth_requests (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at BIGINT NOT NULL);
  CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, data TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT
  );
  CREATE TABLE grants (
    grant_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, username TEXT NOT NULL, patient_id TEXT NOT NULL,
    scope TEXT NOT NULL, created_at BIGINT NOT NULL, last_used_at BIGINT, revoked_at BIGINT
  );
  CREATE INDEX grants_username ON grants (username);
  CREATE INDEX grants_client ON grants (client_id);
  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, scope TEXT NOT NULL, created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL, rotated_at BIGINT
  );
  CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
  CREATE TABLE client_assertions (
    client_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (client_id, jti)
  );
  CREATE TABLE browser_sessions (
    id_hash TEXT PRIMARY KEY, username TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL
  );
`;

const ADMIN_TABLES = `
  CREATE TABLE registrations (
    reference TEXT PRIMARY KEY, status TEXT NOT NULL, contact_email TEXT NOT NULL, organization_name TEXT NOT NULL,
    organization_description TEXT NOT NULL, application_name TEXT NOT NULL, use_case TEXT NOT NULL,
    redirect_uris TEXT NOT NULL, client_type TEXT NOT NULL, jwks_uri TEXT, jwks TEXT,
    status_secret_hash TEXT NOT NULL, client_id TEXT, secret_sealed TEXT, decision_note TEXT,
    created_at BIGINT NOT NULL, decided_at BIGINT
  );
  CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT
  );
  CREATE TABLE audit_events (
    id TEXT PRIMARY KEY, recorded BIGINT NOT NULL, category TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,
    client_id TEXT, patient_id TEXT, username TEXT, source TEXT, token_jti TEXT, query TEXT, resource TEXT NOT NULL
  );
  CREATE INDEX audit_events_recorded ON audit_events (recorded);
  CREATE INDEX audit_events_patient ON audit_events (patient_id, recorded);
  CREATE INDEX audit_events_client ON audit_events (client_id, recorded);
  CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count INTEGER NOT NULL
  );
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'resources, history, compartments and search indexes',
    sqlite: `
      CREATE TABLE resources (
        seq INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        content TEXT NOT NULL,
        UNIQUE (type, id)
      );
      CREATE INDEX resources_type_seq ON resources (type, seq);
      CREATE TABLE resource_history (
        seq INTEGER NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated INTEGER NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (seq, version_id)
      ) WITHOUT ROWID;
      CREATE TABLE compartment (
        patient_id TEXT NOT NULL,
        type TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (patient_id, type, seq)
      ) WITHOUT ROWID;
      CREATE INDEX compartment_seq ON compartment (seq);
      CREATE TABLE idx_token (
        seq INTEGER NOT NULL, param TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, text TEXT,
        PRIMARY KEY (seq, param, code, system)
      ) WITHOUT ROWID;
      CREATE INDEX idx_token_code ON idx_token (param, code);
      CREATE TABLE idx_string (
        seq INTEGER NOT NULL, param TEXT NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL,
        PRIMARY KEY (seq, param, norm, exact)
      ) WITHOUT ROWID;
      CREATE INDEX idx_string_norm ON idx_string (param, norm);
      CREATE TABLE idx_date (
        seq INTEGER NOT NULL, param TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
        PRIMARY KEY (seq, param, lo, hi)
      ) WITHOUT ROWID;
      CREATE TABLE idx_reference (
        seq INTEGER NOT NULL, param TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
        PRIMARY KEY (seq, param, target_type, target_id)
      ) WITHOUT ROWID;
      CREATE INDEX idx_reference_target ON idx_reference (target_id, target_type, param);
      CREATE TABLE idx_number (
        seq INTEGER NOT NULL, param TEXT NOT NULL, value REAL NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL,
        PRIMARY KEY (seq, param, value, system, code)
      ) WITHOUT ROWID;
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
    postgres: `
      CREATE TABLE resources (
        seq BIGSERIAL PRIMARY KEY,
        type TEXT COLLATE "C" NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated BIGINT NOT NULL,
        content_hash TEXT NOT NULL,
        content TEXT NOT NULL,
        UNIQUE (type, id)
      );
      CREATE INDEX resources_type_seq ON resources (type, seq);
      CREATE TABLE resource_history (
        seq BIGINT NOT NULL,
        version_id INTEGER NOT NULL,
        last_updated BIGINT NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (seq, version_id)
      );
      CREATE TABLE compartment (
        patient_id TEXT COLLATE "C" NOT NULL,
        type TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (patient_id, type, seq)
      );
      CREATE INDEX compartment_seq ON compartment (seq);
      CREATE TABLE idx_token (
        seq BIGINT NOT NULL, param TEXT COLLATE "C" NOT NULL, system TEXT COLLATE "C" NOT NULL,
        code TEXT COLLATE "C" NOT NULL, text TEXT COLLATE "C",
        PRIMARY KEY (seq, param, code, system)
      );
      CREATE INDEX idx_token_code ON idx_token (param, code);
      CREATE TABLE idx_string (
        seq BIGINT NOT NULL, param TEXT COLLATE "C" NOT NULL, norm TEXT COLLATE "C" NOT NULL,
        exact TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (seq, param, norm, exact)
      );
      CREATE INDEX idx_string_norm ON idx_string (param, norm);
      CREATE TABLE idx_date (
        seq BIGINT NOT NULL, param TEXT COLLATE "C" NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL,
        PRIMARY KEY (seq, param, lo, hi)
      );
      CREATE TABLE idx_reference (
        seq BIGINT NOT NULL, param TEXT COLLATE "C" NOT NULL, target_type TEXT COLLATE "C" NOT NULL,
        target_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (seq, param, target_type, target_id)
      );
      CREATE INDEX idx_reference_target ON idx_reference (target_id, target_type, param);
      CREATE TABLE idx_number (
        seq BIGINT NOT NULL, param TEXT COLLATE "C" NOT NULL, value DOUBLE PRECISION NOT NULL,
        system TEXT COLLATE "C" NOT NULL, code TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (seq, param, value, system, code)
      );
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    id: 2,
    name: 'authorization server: keys, clients, accounts, codes, grants, refresh tokens, sessions',
    sqlite: AUTH_TABLES,
    postgres: AUTH_TABLES,
  },
  {
    id: 3,
    name: 'administration: registrations, password resets, audit trail, rate limits',
    sqlite: ADMIN_TABLES,
    postgres: ADMIN_TABLES,
  },
  {
    // Every token condition is an EXISTS probe on one resource's rows (`t.seq = r.seq`), which the primary
    // key (seq, param, code, system) answers as well; no query starts from a code. The index cost each
    // token row a second b-tree insert: about a sixth of an import's writes (4 of 24 µs a resource).
    id: 4,
    name: 'token rows: drop the (param, code) index no query uses',
    sqlite: 'DROP INDEX IF EXISTS idx_token_code;',
    postgres: 'DROP INDEX IF EXISTS idx_token_code;',
  },
];
