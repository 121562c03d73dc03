/**
 * @module store/registrations
 * Developer registrations (issue 4, SPEC §9): what a developer asked for, its decision, and the means to
 * show the developer its outcome — written over the dialect-neutral `SqlExecutor` like `store/auth`.
 *
 * A registration has two secrets:
 * - the **status secret** `S`, part of the status URL handed to the developer at submission. Only its
 *   hash (`hashSecret`) is stored; the status page compares in constant time.
 * - the **client secret** of an approved confidential client. Its hash lives in `oauth_clients` (that is
 *   what authenticates the client). A *sealed* copy is kept here for a short while, and why:
 *
 * Why a transient sealed copy of the client secret exists. The approving administrator sees the secret
 * once, but the developer — who needs it — is usually someone else, and mailing secrets around is what
 * this product replaces. So the developer's own status page (behind `S`) shows the secret once. Between
 * approval and that first view the secret must exist in a recoverable form somewhere every server
 * process can read, i.e. in the database. It is stored sealed with AES-256-GCM under a key derived (HKDF)
 * from a server secret (`registration-seal-key` in the settings table), bound to its registration's
 * reference as additional data, so it cannot be read from a dump of the registrations table alone, from
 * logs, or moved to another registration. The sealed value is deleted the moment the status page shows
 * it (an atomic read-and-clear, so two concurrent views cannot both get it), when it has not been
 * collected within `SEALED_SECRET_TTL_MS`, and when the client's secret is rotated. After that only the
 * hash remains, as for every other client.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { hashSecret, verifySecret } from '../auth/secrets.js';
import type { ClientType } from './auth.js';
import type { SqlExecutor, Store } from './types.js';

export type RegistrationStatus = 'pending' | 'approved' | 'rejected';
export const REGISTRATION_STATUSES: readonly RegistrationStatus[] = ['pending', 'approved', 'rejected'];

/** A sealed client secret not collected within this time is deleted (the admin can rotate a new one). */
export const SEALED_SECRET_TTL_MS = 7 * 24 * 3600_000;

/** What the developer submitted, validated (see admin/registrations). */
export interface RegistrationInput {
  contactEmail: string;
  organizationName: string;
  organizationDescription: string;
  applicationName: string;
  useCase: string;
  redirectUris: string[];
  clientType: ClientType;
  jwksUri: string | null;
  /** The JWKS as JSON text. */
  jwks: string | null;
}

export interface RegistrationRecord extends RegistrationInput {
  reference: string;
  status: RegistrationStatus;
  statusSecretHash: string;
  clientId: string | null;
  /** The sealed client secret, until the status page has shown it. */
  secretSealed: string | null;
  decisionNote: string | null;
  createdAt: number;
  decidedAt: number | null;
}

type Row = Record<string, any>;

function toRegistration(r: Row): RegistrationRecord {
  return {
    reference: r.reference,
    status: r.status,
    contactEmail: r.contact_email,
    organizationName: r.organization_name,
    organizationDescription: r.organization_description,
    applicationName: r.application_name,
    useCase: r.use_case,
    redirectUris: JSON.parse(r.redirect_uris),
    clientType: r.client_type,
    jwksUri: r.jwks_uri ?? null,
    jwks: r.jwks ?? null,
    statusSecretHash: r.status_secret_hash,
    clientId: r.client_id ?? null,
    secretSealed: r.secret_sealed ?? null,
    decisionNote: r.decision_note ?? null,
    createdAt: Number(r.created_at),
    decidedAt: r.decided_at === null || r.decided_at === undefined ? null : Number(r.decided_at),
  };
}

/** Unambiguous characters for references people read aloud and type: no 0/O, 1/I/L, U. */
const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERENCE_RE = /^REG-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/;

/** A new reference such as `REG-7K3Q-9XPM` (30^8 ≈ 6.6·10^11 values; uniqueness is enforced on insert). */
export function newReference(): string {
  const pick = () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  const part = () => Array.from({ length: 4 }, pick).join('');
  return `REG-${part()}-${part()}`;
}

/** A reference as typed by a person (any case, surrounding spaces), in canonical form; undefined when it cannot be one. */
export function normalizeReference(value: string): string | undefined {
  const v = String(value ?? '').trim().toUpperCase();
  return REFERENCE_RE.test(v) ? v : undefined;
}

/** A hash no status secret matches, checked for unknown references so they take as long as known ones. */
const DECOY_HASH = hashSecret(randomBytes(32).toString('base64url'));

export class RegistrationStore {
  constructor(private readonly sql: SqlExecutor) {}

  /** Stores a new pending registration; returns its reference and the status secret (never stored). */
  async create(input: RegistrationInput, now = Date.now()): Promise<{ reference: string; statusSecret: string; record: RegistrationRecord }> {
    const statusSecret = randomBytes(32).toString('base64url');
    const statusSecretHash = hashSecret(statusSecret);
    for (let attempt = 0; ; attempt++) {
      const reference = newReference();
      const inserted = await this.sql.transaction(async (tx) => {
        const [taken] = await tx.all('SELECT 1 AS x FROM registrations WHERE reference = ?', [reference]);
        if (taken) return false;
        await tx.run(
          `INSERT INTO registrations (reference, status, contact_email, organization_name, organization_description, application_name,
             use_case, redirect_uris, client_type, jwks_uri, jwks, status_secret_hash, client_id, secret_sealed, decision_note, created_at, decided_at)
           VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, NULL)`,
          [
            reference,
            input.contactEmail,
            input.organizationName,
            input.organizationDescription,
            input.applicationName,
            input.useCase,
            JSON.stringify(input.redirectUris),
            input.clientType,
            input.jwksUri,
            input.jwks,
            statusSecretHash,
            now,
          ],
        );
        return true;
      });
      if (inserted) {
        const record: RegistrationRecord = {
          ...input,
          reference,
          status: 'pending',
          statusSecretHash,
          clientId: null,
          secretSealed: null,
          decisionNote: null,
          createdAt: now,
          decidedAt: null,
        };
        return { reference, statusSecret, record };
      }
      if (attempt >= 10) throw new Error('could not find a free registration reference');
    }
  }

  async get(reference: string): Promise<RegistrationRecord | undefined> {
    const [row] = await this.sql.all<Row>('SELECT * FROM registrations WHERE reference = ?', [reference]);
    return row ? toRegistration(row) : undefined;
  }

  /** The registration whose status secret is `secret`; undefined for a wrong secret or reference alike. */
  async getWithStatusSecret(reference: string, secret: string): Promise<RegistrationRecord | undefined> {
    const r = normalizeReference(reference) ? await this.get(normalizeReference(reference)!) : undefined;
    // Always one constant-time comparison, so an unknown reference takes as long as a wrong key.
    const ok = verifySecret(typeof secret === 'string' ? secret : '', r?.statusSecretHash ?? DECOY_HASH);
    return ok && r ? r : undefined;
  }

  /** Registrations, newest first; only those of `status` when given. */
  async list(status?: RegistrationStatus): Promise<RegistrationRecord[]> {
    const rows = status
      ? await this.sql.all<Row>('SELECT * FROM registrations WHERE status = ? ORDER BY created_at DESC, reference', [status])
      : await this.sql.all<Row>('SELECT * FROM registrations ORDER BY created_at DESC, reference');
    return rows.map(toRegistration);
  }

  /** The registration that issued `clientId`, if any. */
  async getByClientId(clientId: string): Promise<RegistrationRecord | undefined> {
    const [row] = await this.sql.all<Row>('SELECT * FROM registrations WHERE client_id = ?', [clientId]);
    return row ? toRegistration(row) : undefined;
  }

  /** Marks a pending registration approved; false when it is not pending (someone decided first). */
  async approve(reference: string, clientId: string, secretSealed: string | null, now = Date.now()): Promise<boolean> {
    const changed = await this.sql.run(
      `UPDATE registrations SET status = 'approved', client_id = ?, secret_sealed = ?, decision_note = NULL, decided_at = ?
       WHERE reference = ? AND status = 'pending'`,
      [clientId, secretSealed, now, reference],
    );
    return changed > 0;
  }

  /** Marks a pending registration rejected with a note for the developer; false when it is not pending. */
  async reject(reference: string, note: string | null, now = Date.now()): Promise<boolean> {
    const changed = await this.sql.run(
      `UPDATE registrations SET status = 'rejected', decision_note = ?, decided_at = ? WHERE reference = ? AND status = 'pending'`,
      [note, now, reference],
    );
    return changed > 0;
  }

  /**
   * Takes the sealed client secret out, once: of two concurrent calls only one gets it. A sealed secret
   * older than `SEALED_SECRET_TTL_MS` is deleted and reported as expired.
   */
  async takeSealedSecret(reference: string, now = Date.now()): Promise<{ sealed?: string; expired: boolean }> {
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.all<Row>('SELECT secret_sealed, decided_at FROM registrations WHERE reference = ?', [reference]);
      const sealed: string | null = row?.secret_sealed ?? null;
      if (!sealed) return { expired: false };
      const won = (await tx.run('UPDATE registrations SET secret_sealed = NULL WHERE reference = ? AND secret_sealed = ?', [reference, sealed])) > 0;
      if (!won) return { expired: false };
      if (now - Number(row!.decided_at ?? 0) > SEALED_SECRET_TTL_MS) return { expired: true };
      return { sealed, expired: false };
    });
  }

  /** Deletes any sealed secret of the registration that issued `clientId` (its secret was rotated). */
  async dropSealedSecretOfClient(clientId: string): Promise<void> {
    await this.sql.run('UPDATE registrations SET secret_sealed = NULL WHERE client_id = ?', [clientId]);
  }
}

// ---- sealing ----------------------------------------------------------------------------------

const SEAL_VERSION = 'v1';

/** The sealing key: HKDF-SHA256 of the server's `registration-seal-key` setting (made on first use). */
export async function registrationSealKey(store: Store): Promise<Buffer> {
  const master = Buffer.from(await store.initSetting('registration-seal-key', randomBytes(32).toString('base64')), 'base64');
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'patient-access registration client secret v1', 32));
}

/** AES-256-GCM of `plaintext`, bound to `context` (the reference): `v1.iv.tag.ciphertext`, base64url. */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [SEAL_VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** Opens a sealed value; throws when the key, the context or the value is wrong. */
export function unseal(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, ct] = sealed.split('.');
  if (version !== SEAL_VERSION || !iv || !tag || ct === undefined) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
