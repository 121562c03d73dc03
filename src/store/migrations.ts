/**
 * @module store/migrations
 * The schema, as numbered migrations per dialect. A migration is never edited once released; a change is
 * a new one. Index tables have the resource's `seq` first in their key so a resource's rows sit together.
 */

export interface Migration {
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
}

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
];
