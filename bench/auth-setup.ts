/**
 * The bench's own authorization records, written by the orchestrator straight through `AuthStore` into the
 * SQLite file the `--auth` server child (bench/server.ts) serves from (WAL: the server sees each commit on
 * its next read): the bench account, and grants each carrying one authorization code or refresh token,
 * whose plaintexts are handed back. Written between load runs only.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hashToken } from '../src/auth/secrets.js';
import { DEMO_CLIENTS } from '../src/demo/auth-seed.js';
import { AuthStore } from '../src/store/auth.js';
import { SqliteStore } from '../src/store/sqlite/index.js';

/** The account every bench grant belongs to. */
export const BENCH_USERNAME = 'bench.user';
export const BENCH_PERSON_ID = 'bench-person';
export const BENCH_REDIRECT_URI = 'http://127.0.0.1/callback';
/** The grants' scope: openid (an id_token in every answer) and offline_access (a refresh token) included. */
export const BENCH_SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';

export interface MintedCode {
  code: string;
  verifier: string;
  patient: string;
}
export interface MintedRefreshToken {
  token: string;
  patient: string;
}


const BATCH = 2000;
const REFRESH_TTL_MS = 24 * 3600_000;

export class BenchAuthSetup {
  readonly #store: SqliteStore;

  constructor(dbFile: string) {
    this.#store = new SqliteStore(dbFile);
  }

  /** Clears earlier bench grants (with their codes and refresh tokens) and writes the bench account. */
  async account(patients: string[]): Promise<void> {
    await this.#store.sql.transaction(async (tx) => {
      const mine = 'SELECT grant_id FROM grants WHERE username = ?';
      await tx.run(`DELETE FROM auth_codes WHERE grant_id IN (${mine})`, [BENCH_USERNAME]);
      await tx.run(`DELETE FROM refresh_tokens WHERE grant_id IN (${mine})`, [BENCH_USERNAME]);
      await tx.run('DELETE FROM grants WHERE username = ?', [BENCH_USERNAME]);
    });
    await new AuthStore(this.#store.sql).putAccount({
      username: BENCH_USERNAME,
      personId: BENCH_PERSON_ID,
      displayName: 'Bench User',
      patients: [...patients],
      passwordHash: null,
      failedLogins: 0,
      lockedUntil: 0,
      status: 'active',
      createdAt: Date.now(),
    });
  }

  /** N grants (round-robin over `patients`), each with one code for the confidential demo client, valid `ttlMs`. */
  codes(n: number, patients: string[], ttlMs: number): Promise<MintedCode[]> {
    return this.#grants(n, patients, async (s, grantId, patient, t) => {
      const code = randomBytes(32).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
      const data = { clientId: DEMO_CLIENTS.confidential.clientId, redirectUri: BENCH_REDIRECT_URI, codeChallenge, nonce: randomUUID(), authTime: t };
      await s.putCode(hashToken(code), grantId, data, t + ttlMs);
      return { code, verifier, patient };
    });
  }

  /** N grants (round-robin over `patients`), each with one refresh token. */
  refreshTokens(n: number, patients: string[]): Promise<MintedRefreshToken[]> {
    return this.#grants(n, patients, async (s, grantId, patient, t) => {
      const token = randomBytes(32).toString('base64url');
      await s.putRefreshToken(hashToken(token), grantId, BENCH_SCOPE, t, t + REFRESH_TTL_MS);
      return { token, patient };
    });
  }

  async #grants<T>(n: number, patients: string[], each: (s: AuthStore, grantId: string, patient: string, now: number) => Promise<T>): Promise<T[]> {
    if (!patients.length) throw new Error('no patients given');
    const out: T[] = [];
    for (let start = 0; start < n; start += BATCH) {
      await this.#store.sql.transaction(async (tx) => {
        const s = new AuthStore(tx);
        const t = Date.now();
        for (let i = start; i < Math.min(n, start + BATCH); i++) {
          const patient = patients[i % patients.length];
          const grantId = randomBytes(16).toString('base64url');
          const clientId = DEMO_CLIENTS.confidential.clientId;
          await s.createGrant({ grantId, clientId, username: BENCH_USERNAME, patientId: patient, scope: BENCH_SCOPE, createdAt: t, lastUsedAt: null, revokedAt: null });
          out.push(await each(s, grantId, patient, t));
        }
      });
    }
    return out;
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
