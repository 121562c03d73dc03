/**
 * @module store/auth
 * The authorization server's records — signing keys, clients, accounts, pending authorization requests,
 * codes, grants, refresh tokens, client-assertion ids and browser sessions — written once over the
 * dialect-neutral `SqlExecutor`. Secrets arrive here already hashed; nothing here sees a raw token.
 */
import type { SqlExecutor } from './types.js';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: string;
  privateJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

export type ClientType = 'confidential' | 'public' | 'asymmetric';

export interface ClientRecord {
  clientId: string;
  name: string;
  type: ClientType;
  /** Hash of the client secret (confidential clients). */
  secretHash: string | null;
  redirectUris: string[];
  jwks: string | null;
  jwksUri: string | null;
  /** The scopes the client may be granted (space-separated). */
  scope: string;
  status: 'active' | 'disabled';
  /** Tokens issued to this client before this time (ms) are no longer valid (disable, secret rotation). */
  tokensValidAfter: number;
  createdAt: number;
}

export interface AccountRecord {
  username: string;
  personId: string;
  displayName: string;
  /** Patients the account may act for, its own first. */
  patients: string[];
  passwordHash: string | null;
  failedLogins: number;
  lockedUntil: number;
  status: 'active' | 'locked';
  createdAt: number;
}

export interface GrantRecord {
  grantId: string;
  clientId: string;
  username: string;
  patientId: string;
  scope: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CodeUse {
  /** The code's data, or undefined when no such code exists. */
  data?: Record<string, unknown>;
  grantId?: string;
  /** True when this call consumed it; false when it had been used before or has expired. */
  consumed: boolean;
  expired: boolean;
}

export interface RefreshUse {
  grantId?: string;
  scope?: string;
  /** When the refresh token was issued (ms). */
  createdAt?: number;
  /** True when this call rotated it; false when it had already been rotated (a replay). */
  rotated: boolean;
  expired: boolean;
}

type Row = Record<string, any>;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toClient(r: Row): ClientRecord {
  return {
    clientId: r.client_id,
    name: r.name,
    type: r.client_type,
    secretHash: r.secret_hash,
    redirectUris: JSON.parse(r.redirect_uris),
    jwks: r.jwks,
    jwksUri: r.jwks_uri,
    scope: r.scope,
    status: r.status,
    tokensValidAfter: Number(r.tokens_valid_after),
    createdAt: Number(r.created_at),
  };
}

function toAccount(r: Row): AccountRecord {
  return {
    username: r.username,
    personId: r.person_id,
    displayName: r.display_name,
    patients: JSON.parse(r.patients),
    passwordHash: r.password_hash,
    failedLogins: Number(r.failed_logins),
    lockedUntil: Number(r.locked_until),
    status: r.status,
    createdAt: Number(r.created_at),
  };
}

function toGrant(r: Row): GrantRecord {
  return {
    grantId: r.grant_id,
    clientId: r.client_id,
    username: r.username,
    patientId: r.patient_id,
    scope: r.scope,
    createdAt: Number(r.created_at),
    lastUsedAt: num(r.last_used_at),
    revokedAt: num(r.revoked_at),
  };
}

export class AuthStore {
  constructor(private readonly sql: SqlExecutor) {}

  // ---- signing keys ------------------------------------------------------------------------

  async listKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.sql.all('SELECT * FROM signing_keys ORDER BY created_at DESC, kid');
    return rows.map((r: Row) => ({
      kid: r.kid,
      alg: r.alg,
      publicJwk: r.public_jwk,
      privateJwk: r.private_jwk,
      createdAt: Number(r.created_at),
      retiredAt: num(r.retired_at),
    }));
  }

  /** Adds `key` and retires every older active key at `key.createdAt`, in one transaction. */
  async addKey(key: SigningKeyRecord): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL', [key.createdAt]);
      await tx.run(
        'INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)',
        [key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt],
      );
    });
  }

  /** Adds the first key unless another process did so first; returns whether this one was added. */
  async addFirstKey(key: SigningKeyRecord): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const existing = await tx.all('SELECT kid FROM signing_keys WHERE retired_at IS NULL');
      if (existing.length) return false;
      await tx.run(
        'INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)',
        [key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt],
      );
      return true;
    });
  }

  /** Removes keys retired before `before` (their tokens have all expired). */
  async pruneKeys(before: number): Promise<number> {
    return this.sql.run('DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?', [before]);
  }

  // ---- clients -----------------------------------------------------------------------------

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const [row] = await this.sql.all('SELECT * FROM oauth_clients WHERE client_id = ?', [clientId]);
    return row ? toClient(row as Row) : undefined;
  }

  async listClients(): Promise<ClientRecord[]> {
    return (await this.sql.all('SELECT * FROM oauth_clients ORDER BY client_id')).map((r) => toClient(r as Row));
  }

  async putClient(c: ClientRecord): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM oauth_clients WHERE client_id = ?', [c.clientId]);
      await tx.run(
        `INSERT INTO oauth_clients (client_id, name, client_type, secret_hash, redirect_uris, jwks, jwks_uri, scope, status, tokens_valid_after, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [c.clientId, c.name, c.type, c.secretHash, JSON.stringify(c.redirectUris), c.jwks, c.jwksUri, c.scope, c.status, c.tokensValidAfter, c.createdAt],
      );
    });
  }

  // ---- accounts ----------------------------------------------------------------------------

  async getAccount(username: string): Promise<AccountRecord | undefined> {
    const [row] = await this.sql.all('SELECT * FROM accounts WHERE username = ?', [username]);
    return row ? toAccount(row as Row) : undefined;
  }

  async putAccount(a: AccountRecord): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM accounts WHERE username = ?', [a.username]);
      await tx.run(
        `INSERT INTO accounts (username, person_id, display_name, patients, password_hash, failed_logins, locked_until, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [a.username, a.personId, a.displayName, JSON.stringify(a.patients), a.passwordHash, a.failedLogins, a.lockedUntil, a.status, a.createdAt],
      );
    });
  }

  /** Counts a failed sign-in and sets the wait computed from the new count; returns the new count. */
  async recordFailedLogin(username: string, lockFor: (failures: number) => number, now: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.all<Row>('SELECT failed_logins FROM accounts WHERE username = ?', [username]);
      if (!row) return 0;
      const failures = Number(row.failed_logins) + 1;
      const wait = lockFor(failures);
      await tx.run('UPDATE accounts SET failed_logins = ?, locked_until = ? WHERE username = ?', [failures, wait > 0 ? now + wait : 0, username]);
      return failures;
    });
  }

  async recordSuccessfulLogin(username: string): Promise<void> {
    await this.sql.run('UPDATE accounts SET failed_logins = 0, locked_until = 0 WHERE username = ?', [username]);
  }

  // ---- authorization requests (one browser's way through the screens) ----------------------

  async putAuthRequest(id: string, data: Record<string, unknown>, expiresAt: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM auth_requests WHERE id = ? OR expires_at < ?', [id, Date.now()]);
      await tx.run('INSERT INTO auth_requests (id, data, expires_at) VALUES (?, ?, ?)', [id, JSON.stringify(data), expiresAt]);
    });
  }

  async getAuthRequest(id: string, now: number): Promise<Record<string, unknown> | undefined> {
    const [row] = await this.sql.all<Row>('SELECT data FROM auth_requests WHERE id = ? AND expires_at >= ?', [id, now]);
    return row ? JSON.parse(row.data) : undefined;
  }

  async deleteAuthRequest(id: string): Promise<void> {
    await this.sql.run('DELETE FROM auth_requests WHERE id = ?', [id]);
  }

  // ---- grants, codes, refresh tokens ---------------------------------------------------------

  async createGrant(g: GrantRecord): Promise<void> {
    await this.sql.run(
      'INSERT INTO grants (grant_id, client_id, username, patient_id, scope, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [g.grantId, g.clientId, g.username, g.patientId, g.scope, g.createdAt, g.lastUsedAt, g.revokedAt],
    );
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const [row] = await this.sql.all('SELECT * FROM grants WHERE grant_id = ?', [grantId]);
    return row ? toGrant(row as Row) : undefined;
  }

  async listGrants(username: string): Promise<GrantRecord[]> {
    return (await this.sql.all('SELECT * FROM grants WHERE username = ? ORDER BY created_at DESC', [username])).map((r) => toGrant(r as Row));
  }

  /** Revokes a grant: its access and refresh tokens stop working. Returns false when already revoked. */
  async revokeGrant(grantId: string, now: number): Promise<boolean> {
    return (await this.sql.run('UPDATE grants SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL', [now, grantId])) > 0;
  }

  async touchGrant(grantId: string, now: number): Promise<void> {
    await this.sql.run('UPDATE grants SET last_used_at = ? WHERE grant_id = ?', [now, grantId]);
  }

  /** Revocation state of grants and their clients, for token verification. */
  async grantStatus(grantId: string): Promise<{ revoked: boolean; clientValidAfter: number; clientActive: boolean } | undefined> {
    const [row] = await this.sql.all<Row>(
      `SELECT g.revoked_at, c.tokens_valid_after, c.status FROM grants g LEFT JOIN oauth_clients c ON c.client_id = g.client_id WHERE g.grant_id = ?`,
      [grantId],
    );
    if (!row) return undefined;
    return {
      revoked: row.revoked_at !== null && row.revoked_at !== undefined,
      clientValidAfter: Number(row.tokens_valid_after ?? 0),
      clientActive: row.status === 'active',
    };
  }

  async putCode(codeHash: string, grantId: string, data: Record<string, unknown>, expiresAt: number): Promise<void> {
    await this.sql.run('INSERT INTO auth_codes (code_hash, grant_id, data, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)', [
      codeHash,
      grantId,
      JSON.stringify(data),
      expiresAt,
    ]);
  }

  /** Marks a code used, once: a second use reports `consumed: false` so the caller can revoke its grant. */
  async useCode(codeHash: string, now: number): Promise<CodeUse> {
    return this.sql.transaction(async (tx) => {
      // The conditional update is the single point of truth: of two concurrent uses, one wins.
      const won = (await tx.run('UPDATE auth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL', [now, codeHash])) > 0;
      const [row] = await tx.all<Row>('SELECT grant_id, data, expires_at FROM auth_codes WHERE code_hash = ?', [codeHash]);
      if (!row) return { consumed: false, expired: false };
      const base = { data: JSON.parse(row.data), grantId: row.grant_id as string };
      if (!won) return { ...base, consumed: false, expired: false };
      if (Number(row.expires_at) < now) return { ...base, consumed: false, expired: true };
      return { ...base, consumed: true, expired: false };
    });
  }

  async putRefreshToken(tokenHash: string, grantId: string, scope: string, now: number, expiresAt: number): Promise<void> {
    await this.sql.run(
      'INSERT INTO refresh_tokens (token_hash, grant_id, scope, created_at, expires_at, rotated_at) VALUES (?, ?, ?, ?, ?, NULL)',
      [tokenHash, grantId, scope, now, expiresAt],
    );
  }

  /** Retires a refresh token as it is exchanged for a new one; a second use reports `rotated: false`. */
  async useRefreshToken(tokenHash: string, now: number): Promise<RefreshUse> {
    return this.sql.transaction(async (tx) => {
      const won =
        (await tx.run('UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL AND expires_at >= ?', [now, tokenHash, now])) > 0;
      const [row] = await tx.all<Row>('SELECT grant_id, scope, created_at, expires_at FROM refresh_tokens WHERE token_hash = ?', [tokenHash]);
      if (!row) return { rotated: false, expired: false };
      const base = { grantId: row.grant_id as string, scope: row.scope as string, createdAt: Number(row.created_at) };
      if (won) return { ...base, rotated: true, expired: false };
      return { ...base, rotated: false, expired: Number(row.expires_at) < now };
    });
  }

  /** Finds the grant of a refresh token without using it (revocation, introspection). */
  async refreshTokenGrant(tokenHash: string): Promise<{ grantId: string; scope: string; expiresAt: number; rotated: boolean } | undefined> {
    const [row] = await this.sql.all<Row>('SELECT grant_id, scope, expires_at, rotated_at FROM refresh_tokens WHERE token_hash = ?', [tokenHash]);
    return row
      ? { grantId: row.grant_id, scope: row.scope, expiresAt: Number(row.expires_at), rotated: row.rotated_at !== null && row.rotated_at !== undefined }
      : undefined;
  }

  // ---- client assertions and browser sessions -------------------------------------------------

  /** Records a client assertion's `jti`; false when the client used it before (a replay). */
  async rememberAssertion(clientId: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM client_assertions WHERE expires_at < ?', [now]);
      const [seen] = await tx.all('SELECT 1 AS x FROM client_assertions WHERE client_id = ? AND jti = ?', [clientId, jti]);
      if (seen) return false;
      await tx.run('INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (?, ?, ?)', [clientId, jti, expiresAt]);
      return true;
    });
  }

  async putSession(idHash: string, username: string, now: number, expiresAt: number): Promise<void> {
    await this.sql.run('INSERT INTO browser_sessions (id_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)', [idHash, username, now, expiresAt]);
  }

  async getSession(idHash: string, now: number): Promise<string | undefined> {
    const [row] = await this.sql.all<Row>('SELECT username FROM browser_sessions WHERE id_hash = ? AND expires_at >= ?', [idHash, now]);
    return row?.username;
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.sql.run('DELETE FROM browser_sessions WHERE id_hash = ?', [idHash]);
  }
}
