/**
 * @module admin/accounts
 * Patient accounts (SPEC §8 `accounts …`, issue 4 point 3): the login, the patients it may act for (its
 * own first, then dependents) and its `Person` resource — the account's `fhirUser` — whose `link`s name
 * exactly those patients. Every change that alters the patients rewrites the Person (a new version; the
 * same content leaves it unchanged), so the two never drift apart.
 *
 * Passwords are never taken as command-line arguments: they arrive from stdin or through a one-time
 * set-password link (`/account/set-password?token=…`) whose token is stored only as a hash, expires and
 * works once. Locking an account revokes every grant it gave, so its apps stop at once; resetting a
 * password keeps the apps connected (the patient disconnects them on `/account`).
 *
 * Bad input throws `AccountError` naming what is wrong, before anything is written.
 */
import { randomInt } from 'node:crypto';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { generateSecret, hashToken } from '../auth/secrets.js';
import { prepareWrite } from '../fhir/prepare.js';
import { defaultRegistry, type SearchParameterRegistry } from '../fhir/search/registry.js';
import { AuthStore, type AccountRecord } from '../store/auth.js';
import type { SqlExecutor, Store } from '../store/types.js';

export const SET_PASSWORD_PATH = '/account/set-password';
/** How long a one-time set-password link works. */
export const SET_PASSWORD_LINK_TTL_MS = 72 * 3600_000;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;
/** The assurance recorded on every `Person.link`: the practice verified who the account belongs to. */
export const LINK_ASSURANCE = 'level3';

const USERNAME = /^[a-z0-9._-]{3,64}$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Used links and expired ones are kept this long (for the record), then removed. */
const RESET_RETENTION_MS = 30 * 86400_000;

export type AccountErrorCode = 'ACCOUNTS_ERR_INVALID' | 'ACCOUNTS_ERR_NOT_FOUND' | 'ACCOUNTS_ERR_CONFLICT' | 'ACCOUNTS_ERR_WEAK_PASSWORD';

/** A refused account operation; `field` names the input at fault (username, patient, dependent, password…). */
export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export interface AccountsAdminDeps {
  store: Store;
  /** Defaults to an AuthStore over `store.sql`. */
  authStore?: AuthStore;
  /** Defaults to `defaultRegistry()`. */
  registry?: SearchParameterRegistry;
  /** The externally visible origin (settings.publicUrl): set-password links start with it. */
  publicUrl: string;
  /** The `system` of the Person's username identifier; defaults to `${publicUrl}/fhir/sid/username`. */
  identifierSystem?: string;
  now?: () => number;
  linkTtlMs?: number;
}

export interface CreateAccountInput {
  username: string;
  /** The account's own patient. */
  patient: string;
  /** Patients the account may also act for (children, people in its care). */
  dependents?: string[];
  /** Set at once (argon2id); without it the result carries a one-time set-password link. */
  password?: string;
  /** The Person id (the account's `fhirUser`); generated (numeric) when absent. */
  personId?: string;
  /** Defaults to the own patient's name. */
  displayName?: string;
}

/** An account as shown to administrators: never the password hash. */
export interface AccountView {
  username: string;
  personId: string;
  displayName: string;
  /** The account's own patient. */
  patient: string;
  dependents: string[];
  status: 'active' | 'locked';
  hasPassword: boolean;
  failedLogins: number;
  /** ISO time until which sign-in waits after failures, or null. */
  waitUntil: string | null;
  createdAt: string;
  /** Grants (connected apps) not revoked. */
  activeGrants: number;
}

export interface AccountDetails extends AccountView {
  person: { id: string; versionId: string; lastUpdated: string; links: string[] } | null;
  /** Expiry of the newest unused set-password link, if one is outstanding. */
  setPasswordLinkExpiresAt: string | null;
  grants: { grantId: string; clientId: string; patientId: string; scope: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }[];
}

export interface PersonVersion {
  id: string;
  versionId: string;
  outcome: 'created' | 'updated' | 'unchanged';
}

export interface SetPasswordLink {
  url: string;
  expiresAt: string;
}

export interface CreateResult {
  account: AccountView;
  person: PersonVersion;
  /** Present when no password was given. */
  setPasswordLink?: SetPasswordLink;
}

export interface ChangeResult {
  account: AccountView;
  person: PersonVersion;
  /** Grants revoked by the change (unlink revokes the grants for that patient). */
  revokedGrants: number;
}

export type SetPasswordOutcome = { ok: true } | { ok: false; reason: 'invalid' };

type Row = Record<string, any>;
type PatientJson = { name?: HumanName[]; telecom?: unknown[]; gender?: string; birthDate?: string; managingOrganization?: unknown };
type HumanName = { text?: string; given?: string[]; family?: string; use?: string; prefix?: string[]; suffix?: string[]; period?: unknown };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Why `password` cannot be used for `username`, or undefined when it can: at least 10 characters
 * (counted as Unicode code points), at most 1024, not blank, and not the username.
 */
export function passwordProblem(password: unknown, username: string): string | undefined {
  if (typeof password !== 'string' || password.length === 0) return 'A password is required';
  const length = Array.from(password).length;
  if (length < MIN_PASSWORD_LENGTH) return `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `The password is too long: use at most ${MAX_PASSWORD_LENGTH} characters`;
  if (!password.trim()) return 'The password cannot be only spaces';
  if (password.trim().toLowerCase() === username.toLowerCase()) return 'The password cannot be the username';
  return undefined;
}

function checkPassword(password: unknown, username: string): asserts password is string {
  const problem = passwordProblem(password, username);
  if (problem) throw new AccountError('ACCOUNTS_ERR_WEAK_PASSWORD', problem, 'password');
}

/** Refuses anything but a well-formed username: lowercase letters, digits, `.`, `_`, `-`, 3–64 characters. */
export function checkUsername(username: unknown): asserts username is string {
  if (typeof username !== 'string' || !username) throw new AccountError('ACCOUNTS_ERR_INVALID', 'A username is required', 'username');
  if (username.length < 3 || username.length > 64) {
    throw new AccountError('ACCOUNTS_ERR_INVALID', `The username '${printable(username)}' must be 3 to 64 characters long`, 'username');
  }
  if (!USERNAME.test(username)) {
    throw new AccountError(
      'ACCOUNTS_ERR_INVALID',
      `The username '${printable(username)}' may only contain lowercase letters, digits, '.', '_' and '-'`,
      'username',
    );
  }
}

function checkPatientId(id: unknown, field: string): asserts id is string {
  if (typeof id !== 'string' || !id) throw new AccountError('ACCOUNTS_ERR_INVALID', `A ${field} patient id is required`, field);
  if (!FHIR_ID.test(id)) {
    throw new AccountError('ACCOUNTS_ERR_INVALID', `'${printable(id)}' is not a valid Patient id (letters, digits, '-' and '.', up to 64)`, field);
  }
}

/** A value safe to echo in a message: control characters replaced, cut at 80 characters. */
function printable(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? clean.slice(0, 80) + '…' : clean;
}

function nameText(name: HumanName | undefined): string | undefined {
  if (!name) return undefined;
  const text = name.text?.trim() || [...(name.prefix ?? []), ...(name.given ?? []), name.family, ...(name.suffix ?? [])].filter(Boolean).join(' ').trim();
  return text || undefined;
}

function preferredName(p: PatientJson): HumanName | undefined {
  return p.name?.find((n) => n.use === 'official') ?? p.name?.find((n) => n.use === 'usual') ?? p.name?.[0];
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

export class AccountsAdmin {
  readonly store: Store;
  readonly authStore: AuthStore;
  readonly registry: SearchParameterRegistry;
  readonly publicUrl: string;
  readonly identifierSystem: string;
  private readonly now: () => number;
  private readonly linkTtlMs: number;
  private readonly sql: SqlExecutor;

  constructor(deps: AccountsAdminDeps) {
    this.store = deps.store;
    this.sql = deps.store.sql;
    this.authStore = deps.authStore ?? new AuthStore(deps.store.sql);
    this.registry = deps.registry ?? defaultRegistry();
    this.publicUrl = deps.publicUrl.replace(/\/+$/, '');
    this.identifierSystem = deps.identifierSystem ?? `${this.publicUrl}/fhir/sid/username`;
    this.now = deps.now ?? Date.now;
    this.linkTtlMs = deps.linkTtlMs ?? SET_PASSWORD_LINK_TTL_MS;
  }

  // ---- create -------------------------------------------------------------------------------------

  /**
   * Creates the account and its Person. Everything is checked first (username free and well-formed,
   * every patient an existing Patient, the password strong enough, the Person id free), so a refusal
   * leaves nothing behind.
   */
  async create(input: CreateAccountInput): Promise<CreateResult> {
    const spec = await this.checkSpec(input);
    if (await this.authStore.getAccount(spec.username)) {
      throw new AccountError('ACCOUNTS_ERR_CONFLICT', `The username '${spec.username}' is already taken`, 'username');
    }
    if (input.personId !== undefined) await this.checkPersonIdFree(spec.personId, spec.username);
    else spec.personId = await this.newPersonId();
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const t = this.now();
    const account: AccountRecord = {
      username: spec.username,
      personId: spec.personId,
      displayName: spec.displayName,
      patients: spec.patients,
      passwordHash,
      failedLogins: 0,
      lockedUntil: 0,
      status: 'active',
      createdAt: t,
    };
    try {
      // A plain INSERT: the primary key decides between two concurrent creates of one username.
      await this.sql.run(
        `INSERT INTO accounts (username, person_id, display_name, patients, password_hash, failed_logins, locked_until, status, created_at)
         VALUES (?, ?, ?, ?, ?, 0, 0, 'active', ?)`,
        [account.username, account.personId, account.displayName, JSON.stringify(account.patients), passwordHash, t],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new AccountError('ACCOUNTS_ERR_CONFLICT', `The username '${spec.username}' is already taken`, 'username');
      throw err;
    }
    let person: PersonVersion;
    try {
      person = await this.writePerson(account, spec.patientJson);
    } catch (err) {
      await this.sql.run('DELETE FROM accounts WHERE username = ?', [account.username]);
      throw err;
    }
    const setPasswordLink = passwordHash === null ? await this.issueLink(account.username) : undefined;
    return { account: await this.view(account), person, ...(setPasswordLink ? { setPasswordLink } : {}) };
  }

  /**
   * Creates the account, or brings an existing one back to exactly `input` (patients, Person id, display
   * name, password, unlocked): what `demo reset` needs. A password that already matches is not rehashed,
   * and an unchanged Person keeps its version.
   */
  async ensure(input: CreateAccountInput & { password: string }): Promise<ChangeResult> {
    const existing = await this.authStore.getAccount(String(input.username));
    if (!existing) {
      const { account, person } = await this.create(input);
      return { account, person, revokedGrants: 0 };
    }
    const spec = await this.checkSpec(input);
    if (input.personId !== undefined) await this.checkPersonIdFree(spec.personId, spec.username);
    else spec.personId = existing.personId;
    const passwordHash = (await verifyPassword(input.password, existing.passwordHash)) ? existing.passwordHash : await hashPassword(input.password);
    const account: AccountRecord = {
      ...existing,
      personId: spec.personId,
      displayName: spec.displayName,
      patients: spec.patients,
      passwordHash,
      failedLogins: 0,
      lockedUntil: 0,
      status: 'active',
    };
    await this.authStore.putAccount(account);
    const person = await this.writePerson(account, spec.patientJson);
    return { account: await this.view(account), person, revokedGrants: 0 };
  }

  // ---- link / unlink --------------------------------------------------------------------------------

  /** Lets the account act for one more patient; the Person gains the link (a new version). */
  async link(username: string, patientId: string): Promise<ChangeResult> {
    checkPatientId(patientId, 'patient');
    const account = await this.mustGet(username);
    if (account.patients.includes(patientId)) {
      throw new AccountError('ACCOUNTS_ERR_CONFLICT', `The account '${username}' is already linked to Patient/${patientId}`, 'patient');
    }
    const patientJson = await this.loadPatients([...account.patients, patientId], () => 'patient', new Set([patientId]));
    return this.changePatients(account, [...account.patients, patientId], patientJson, undefined);
  }

  /**
   * Stops the account acting for a dependent: the Person loses the link (a new version) and the grants
   * the account gave apps for that patient are revoked. The account's own patient cannot be unlinked.
   */
  async unlink(username: string, patientId: string): Promise<ChangeResult> {
    checkPatientId(patientId, 'patient');
    const account = await this.mustGet(username);
    if (!account.patients.includes(patientId)) {
      throw new AccountError('ACCOUNTS_ERR_NOT_FOUND', `The account '${username}' is not linked to Patient/${patientId}`, 'patient');
    }
    if (account.patients[0] === patientId) {
      throw new AccountError('ACCOUNTS_ERR_INVALID', `Patient/${patientId} is the account's own patient and cannot be unlinked`, 'patient');
    }
    const patients = account.patients.filter((p) => p !== patientId);
    const patientJson = await this.loadPatients(patients, () => 'patient', new Set());
    return this.changePatients(account, patients, patientJson, patientId);
  }

  private async changePatients(account: AccountRecord, patients: string[], patientJson: Map<string, PatientJson>, unlinked: string | undefined): Promise<ChangeResult> {
    // Conditional on the list read: of two concurrent changes, the later one is refused rather than lost.
    const changed = await this.sql.run('UPDATE accounts SET patients = ? WHERE username = ? AND patients = ?', [
      JSON.stringify(patients),
      account.username,
      JSON.stringify(account.patients),
    ]);
    if (!changed) throw new AccountError('ACCOUNTS_ERR_CONFLICT', `The account '${account.username}' changed while this ran; try again`);
    const updated = { ...account, patients };
    let person: PersonVersion;
    try {
      person = await this.writePerson(updated, patientJson);
    } catch (err) {
      await this.sql.run('UPDATE accounts SET patients = ? WHERE username = ?', [JSON.stringify(account.patients), account.username]);
      throw err;
    }
    let revokedGrants = 0;
    if (unlinked) {
      const t = this.now();
      for (const g of await this.authStore.listGrants(account.username)) {
        if (g.patientId === unlinked && g.revokedAt === null && (await this.authStore.revokeGrant(g.grantId, t))) revokedGrants++;
      }
    }
    return { account: await this.view(updated), person, revokedGrants };
  }

  // ---- passwords ------------------------------------------------------------------------------------

  /**
   * With `password`: sets it (argon2id), clears the failed-sign-in wait, ends the account's browser
   * sessions and voids outstanding set-password links. Without: voids earlier links and returns a new
   * one-time link; the current password keeps working until the new one is set. Apps stay connected
   * either way (an administrative lock is not lifted: use `unlock`).
   */
  async resetPassword(username: string, options: { password?: string } = {}): Promise<{ setPasswordLink?: SetPasswordLink }> {
    const account = await this.mustGet(username);
    if (options.password !== undefined) {
      checkPassword(options.password, account.username);
      const hash = await hashPassword(options.password);
      const t = this.now();
      await this.sql.transaction(async (tx) => {
        await tx.run('UPDATE accounts SET password_hash = ?, failed_logins = 0, locked_until = 0 WHERE username = ?', [hash, account.username]);
        await tx.run('UPDATE password_resets SET used_at = ? WHERE username = ? AND used_at IS NULL', [t, account.username]);
        await tx.run('DELETE FROM browser_sessions WHERE username = ?', [account.username]);
      });
      return {};
    }
    return { setPasswordLink: await this.issueLink(account.username) };
  }

  /** The username a set-password token can set the password of now, or undefined (unknown, used, replaced, expired). */
  async setPasswordTokenUser(token: unknown): Promise<string | undefined> {
    return (await this.tokenRow(token))?.username;
  }

  /**
   * Sets the password of the link's account and uses the link up. A token that is unknown, used,
   * replaced or expired answers `{ ok: false }`; a weak password throws `AccountError` (field
   * `password`) and leaves the link usable.
   */
  async setPasswordWithToken(token: unknown, password: unknown): Promise<SetPasswordOutcome> {
    const row = await this.tokenRow(token);
    if (!row) return { ok: false, reason: 'invalid' };
    checkPassword(password, row.username);
    const hash = await hashPassword(password);
    const t = this.now();
    const done = await this.sql.transaction(async (tx) => {
      const won = await tx.run('UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', [t, row.tokenHash, t]);
      if (!won) return false;
      const updated = await tx.run('UPDATE accounts SET password_hash = ?, failed_logins = 0, locked_until = 0 WHERE username = ?', [hash, row.username]);
      if (!updated) throw new AccountError('ACCOUNTS_ERR_NOT_FOUND', 'The account no longer exists');
      await tx.run('UPDATE password_resets SET used_at = ? WHERE username = ? AND used_at IS NULL', [t, row.username]);
      await tx.run('DELETE FROM browser_sessions WHERE username = ?', [row.username]);
      return true;
    });
    return done ? { ok: true } : { ok: false, reason: 'invalid' };
  }

  private async tokenRow(token: unknown): Promise<{ tokenHash: string; username: string } | undefined> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return undefined;
    const tokenHash = hashToken(token);
    const [row] = await this.sql.all<Row>('SELECT username FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', [tokenHash, this.now()]);
    if (!row) return undefined;
    if (!(await this.authStore.getAccount(row.username))) return undefined;
    return { tokenHash, username: row.username };
  }

  /** Voids the account's outstanding links and stores a new one (hashed); returns its URL. */
  private async issueLink(username: string): Promise<SetPasswordLink> {
    const token = generateSecret(32);
    const t = this.now();
    const expiresAt = t + this.linkTtlMs;
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM password_resets WHERE expires_at < ?', [t - RESET_RETENTION_MS]);
      await tx.run('UPDATE password_resets SET used_at = ? WHERE username = ? AND used_at IS NULL', [t, username]);
      await tx.run('INSERT INTO password_resets (token_hash, username, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)', [
        hashToken(token),
        username,
        t,
        expiresAt,
      ]);
    });
    return { url: `${this.publicUrl}${SET_PASSWORD_PATH}?token=${token}`, expiresAt: iso(expiresAt) };
  }

  // ---- lock / unlock --------------------------------------------------------------------------------

  /** Locks the account: sign-in is refused, its browser sessions end and every grant it gave is revoked. */
  async lock(username: string): Promise<{ account: AccountView; revokedGrants: number; wasLocked: boolean }> {
    const account = await this.mustGet(username);
    await this.sql.transaction(async (tx) => {
      await tx.run("UPDATE accounts SET status = 'locked' WHERE username = ?", [account.username]);
      await tx.run('DELETE FROM browser_sessions WHERE username = ?', [account.username]);
    });
    const t = this.now();
    let revokedGrants = 0;
    for (const g of await this.authStore.listGrants(account.username)) {
      if (g.revokedAt === null && (await this.authStore.revokeGrant(g.grantId, t))) revokedGrants++;
    }
    return { account: await this.view({ ...account, status: 'locked' }), revokedGrants, wasLocked: account.status === 'locked' };
  }

  /** Unlocks the account and clears its failed sign-ins. Revoked grants stay revoked: apps connect again. */
  async unlock(username: string): Promise<{ account: AccountView; wasLocked: boolean }> {
    const account = await this.mustGet(username);
    await this.sql.run("UPDATE accounts SET status = 'active', failed_logins = 0, locked_until = 0 WHERE username = ?", [account.username]);
    const wasLocked = account.status === 'locked' || account.lockedUntil > this.now();
    return { account: await this.view({ ...account, status: 'active', failedLogins: 0, lockedUntil: 0 }), wasLocked };
  }

  // ---- reading --------------------------------------------------------------------------------------

  async list(): Promise<AccountView[]> {
    const rows = await this.sql.all<Row>('SELECT username FROM accounts ORDER BY username');
    const counts = await this.grantCounts();
    const out: AccountView[] = [];
    for (const r of rows) {
      const a = await this.authStore.getAccount(r.username);
      if (a) out.push(this.toView(a, counts.get(a.username) ?? 0));
    }
    return out;
  }

  async show(username: string): Promise<AccountDetails> {
    const account = await this.mustGet(username);
    const grants = await this.authStore.listGrants(account.username);
    const stored = await this.store.readResource('Person', account.personId);
    const person = stored
      ? {
          id: stored.id,
          versionId: stored.versionId,
          lastUpdated: new Date(stored.lastUpdated).toISOString(),
          links: ((JSON.parse(stored.json) as { link?: { target?: { reference?: string } }[] }).link ?? []).map((l) => l.target?.reference ?? ''),
        }
      : null;
    const [link] = await this.sql.all<Row>(
      'SELECT expires_at FROM password_resets WHERE username = ? AND used_at IS NULL AND expires_at > ? ORDER BY expires_at DESC',
      [account.username, this.now()],
    );
    return {
      ...this.toView(account, grants.filter((g) => g.revokedAt === null).length),
      person,
      setPasswordLinkExpiresAt: link ? iso(Number(link.expires_at)) : null,
      grants: grants.map((g) => ({
        grantId: g.grantId,
        clientId: g.clientId,
        patientId: g.patientId,
        scope: g.scope,
        createdAt: iso(g.createdAt),
        lastUsedAt: g.lastUsedAt === null ? null : iso(g.lastUsedAt),
        revokedAt: g.revokedAt === null ? null : iso(g.revokedAt),
      })),
    };
  }

  private async view(a: AccountRecord): Promise<AccountView> {
    const fresh = (await this.authStore.getAccount(a.username)) ?? a;
    const grants = await this.authStore.listGrants(a.username);
    return this.toView(fresh, grants.filter((g) => g.revokedAt === null).length);
  }

  private toView(a: AccountRecord, activeGrants: number): AccountView {
    return {
      username: a.username,
      personId: a.personId,
      displayName: a.displayName,
      patient: a.patients[0] ?? '',
      dependents: a.patients.slice(1),
      status: a.status,
      hasPassword: a.passwordHash !== null,
      failedLogins: a.failedLogins,
      waitUntil: a.lockedUntil > this.now() ? iso(a.lockedUntil) : null,
      createdAt: iso(a.createdAt),
      activeGrants,
    };
  }

  private async grantCounts(): Promise<Map<string, number>> {
    const rows = await this.sql.all<Row>('SELECT username, COUNT(*) AS n FROM grants WHERE revoked_at IS NULL GROUP BY username');
    return new Map(rows.map((r) => [r.username as string, Number(r.n)]));
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private async mustGet(username: string): Promise<AccountRecord> {
    checkUsername(username);
    const account = await this.authStore.getAccount(username);
    if (!account) throw new AccountError('ACCOUNTS_ERR_NOT_FOUND', `No account has the username '${username}'`, 'username');
    return account;
  }

  /** Validates a create/ensure input and loads its patients; the Person id is checked by the caller. */
  private async checkSpec(input: CreateAccountInput): Promise<{
    username: string;
    patients: string[];
    patientJson: Map<string, PatientJson>;
    personId: string;
    displayName: string;
  }> {
    if (!input || typeof input !== 'object') throw new AccountError('ACCOUNTS_ERR_INVALID', 'No account details were given');
    checkUsername(input.username);
    checkPatientId(input.patient, 'patient');
    const dependents = input.dependents ?? [];
    if (!Array.isArray(dependents)) throw new AccountError('ACCOUNTS_ERR_INVALID', 'Dependents must be a list of Patient ids', 'dependent');
    const seen = new Set([input.patient]);
    for (const d of dependents) {
      checkPatientId(d, 'dependent');
      if (d === input.patient) throw new AccountError('ACCOUNTS_ERR_INVALID', `Patient/${d} is the account's own patient; it cannot also be a dependent`, 'dependent');
      if (seen.has(d)) throw new AccountError('ACCOUNTS_ERR_INVALID', `Patient/${d} is listed as a dependent more than once`, 'dependent');
      seen.add(d);
    }
    if (input.personId !== undefined && (typeof input.personId !== 'string' || !FHIR_ID.test(input.personId))) {
      throw new AccountError('ACCOUNTS_ERR_INVALID', `'${printable(String(input.personId))}' is not a valid Person id (letters, digits, '-' and '.', up to 64)`, 'personId');
    }
    if (input.displayName !== undefined) {
      if (typeof input.displayName !== 'string' || !input.displayName.trim() || input.displayName.length > 200 || /[\u0000-\u001f\u007f]/.test(input.displayName)) {
        throw new AccountError('ACCOUNTS_ERR_INVALID', 'The display name must be 1 to 200 printable characters', 'displayName');
      }
    }
    if (input.password !== undefined) checkPassword(input.password, input.username);
    const patients = [input.patient, ...dependents];
    const patientJson = await this.loadPatients(patients, (id) => (id === input.patient ? 'patient' : 'dependent'));
    const own = patientJson.get(input.patient)!;
    const displayName = input.displayName?.trim() ?? nameText(preferredName(own)) ?? input.username;
    return { username: input.username, patients, patientJson, personId: input.personId ?? '', displayName };
  }

  /**
   * Reads each Patient; one that does not exist is refused by name — except, when `mustExist` is given,
   * patients outside it (already linked ones: a Patient removed since must not block account upkeep).
   */
  private async loadPatients(ids: string[], fieldOf: (id: string) => string, mustExist?: Set<string>): Promise<Map<string, PatientJson>> {
    const out = new Map<string, PatientJson>();
    for (const id of ids) {
      const stored = await this.store.readResource('Patient', id);
      if (!stored) {
        if (mustExist && !mustExist.has(id)) {
          out.set(id, {});
          continue;
        }
        throw new AccountError('ACCOUNTS_ERR_NOT_FOUND', `Patient/${id} does not exist in the FHIR store`, fieldOf(id));
      }
      out.set(id, JSON.parse(stored.json) as PatientJson);
    }
    return out;
  }

  private async checkPersonIdFree(personId: string, username: string): Promise<void> {
    const rows = await this.sql.all<Row>('SELECT username FROM accounts WHERE person_id = ? AND username <> ?', [personId, username]);
    if (rows.length) throw new AccountError('ACCOUNTS_ERR_CONFLICT', `Person/${personId} already belongs to another account`, 'personId');
  }

  /** A fresh numeric Person id used by no account and no stored Person. */
  private async newPersonId(): Promise<string> {
    for (let i = 0; i < 20; i++) {
      const id = String(randomInt(10_000_000, 99_999_999_999));
      const taken = (await this.sql.all('SELECT 1 AS x FROM accounts WHERE person_id = ?', [id])).length > 0 || (await this.store.readResource('Person', id)) !== undefined;
      if (!taken) return id;
    }
    throw new Error('Could not find a free Person id');
  }

  /** The account's Person: who it is (from its own Patient) and a link to every patient it reaches. */
  buildPerson(account: AccountRecord, patientJson: Map<string, PatientJson>): Record<string, unknown> {
    const own = patientJson.get(account.patients[0]) ?? {};
    const ownName = preferredName(own);
    const person: Record<string, unknown> = {
      resourceType: 'Person',
      id: account.personId,
      identifier: [{ use: 'usual', system: this.identifierSystem, value: account.username }],
      active: true,
      name: ownName ? [ownName] : [{ text: account.displayName }],
    };
    if (own.telecom?.length) person.telecom = own.telecom;
    if (own.gender) person.gender = own.gender;
    if (own.birthDate) person.birthDate = own.birthDate;
    if (own.managingOrganization) person.managingOrganization = own.managingOrganization;
    person.link = account.patients.map((id) => {
      const display = nameText(preferredName(patientJson.get(id) ?? {}));
      return { target: display ? { reference: `Patient/${id}`, display } : { reference: `Patient/${id}` }, assurance: LINK_ASSURANCE };
    });
    return person;
  }

  private async writePerson(account: AccountRecord, patientJson: Map<string, PatientJson>): Promise<PersonVersion> {
    const [r] = await this.store.writeResources([prepareWrite(this.registry, this.buildPerson(account, patientJson))]);
    return { id: r.id, versionId: r.versionId, outcome: r.outcome };
  }
}
