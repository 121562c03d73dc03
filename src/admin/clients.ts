/**
 * @module admin/clients
 * Client administration (SPEC §8 `clients …`, issue 4): approve or reject a developer registration,
 * disable / enable a client, rotate its secret, replace its redirect URIs, list and show. Plain
 * functions over the store, used by the CLI; every failure is an `AdminError` with a clear message.
 *
 * Cutting a client off at once: `disable` and `rotate-secret` set the client's `tokensValidAfter` to
 * now. The token verifier refuses access tokens whose `iat` (whole seconds) lies before it and the token
 * endpoint refuses refresh tokens created before it, so every token issued so far stops working within
 * the verifier's recheck interval (under a second) on every server process. Because `iat` has
 * whole-second precision, a token issued in the remainder of that same second is refused as well; a
 * launch a second later works.
 */
import { randomInt } from 'node:crypto';
import { generateSecret, hashSecret } from '../auth/secrets.js';
import { ALL_PATIENT_SCOPES } from '../demo/auth-seed.js';
import { AuthStore, type ClientRecord } from '../store/auth.js';
import {
  normalizeReference,
  registrationSealKey,
  RegistrationStore,
  seal,
  unseal,
  type RegistrationRecord,
  type RegistrationStatus,
} from '../store/registrations.js';
import type { Store } from '../store/types.js';
import { checkRedirectUris, ValidationError } from './registrations.js';

export type AdminErrorCode = 'ADMIN_ERR_NOT_FOUND' | 'ADMIN_ERR_STATE' | 'ADMIN_ERR_INVALID';

/** A refused administration action: unknown registration or client, or the wrong state for it. */
export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminOptions {
  now?: () => number;
}

const clock = (o?: AdminOptions) => (o?.now ?? Date.now)();

async function registrationOrThrow(regs: RegistrationStore, reference: string): Promise<RegistrationRecord> {
  const ref = normalizeReference(reference);
  const r = ref ? await regs.get(ref) : undefined;
  if (!r) throw new AdminError('ADMIN_ERR_NOT_FOUND', `No registration has the reference '${reference}' (references look like REG-7K3Q-9XPM)`);
  return r;
}

async function clientOrThrow(auth: AuthStore, clientId: string): Promise<ClientRecord> {
  const c = await auth.getClient(clientId);
  if (!c) throw new AdminError('ADMIN_ERR_NOT_FOUND', `No client has the id '${clientId}'`);
  return c;
}

const ID_ALPHABET = 'abcdefghjkmnpqrstvwxyz23456789';

/** A client id from the app's name plus a random suffix, e.g. `my-health-app-7k3q9x`. */
export function clientIdFor(applicationName: string): string {
  const slug =
    applicationName
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32)
      .replace(/-+$/, '') || 'app';
  const suffix = Array.from({ length: 6 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
  return `${slug}-${suffix}`;
}

export interface Approval {
  clientId: string;
  /** The client secret, for confidential clients: shown to the admin once, never stored in clear. */
  secret?: string;
  registration: RegistrationRecord;
}

/**
 * Approves a pending registration: creates the client (every patient scope, status active) and records
 * the decision, in one transaction. A confidential client's secret is returned, stored as a hash, and
 * kept sealed for the developer's status page to show once (see store/registrations).
 */
export async function approveRegistration(store: Store, reference: string, o?: AdminOptions): Promise<Approval> {
  const now = clock(o);
  const key = await registrationSealKey(store);
  return store.sql.transaction(async (tx) => {
    const regs = new RegistrationStore(tx);
    const auth = new AuthStore(tx);
    const r = await registrationOrThrow(regs, reference);
    if (r.status !== 'pending') {
      throw new AdminError(
        'ADMIN_ERR_STATE',
        r.status === 'approved' ? `Registration ${r.reference} was already approved (client ${r.clientId})` : `Registration ${r.reference} was rejected; it cannot be approved`,
      );
    }
    let clientId = clientIdFor(r.applicationName);
    for (let i = 0; (await auth.getClient(clientId)) && i < 10; i++) clientId = clientIdFor(r.applicationName);
    if (await auth.getClient(clientId)) throw new Error('could not find a free client id');
    const secret = r.clientType === 'confidential' ? generateSecret() : undefined;
    await auth.putClient({
      clientId,
      name: r.applicationName,
      type: r.clientType,
      secretHash: secret ? hashSecret(secret) : null,
      redirectUris: r.redirectUris,
      jwks: r.clientType === 'asymmetric' ? r.jwks : null,
      jwksUri: r.clientType === 'asymmetric' ? r.jwksUri : null,
      scope: ALL_PATIENT_SCOPES,
      status: 'active',
      tokensValidAfter: 0,
      createdAt: now,
    });
    const sealed = secret ? seal(key, secret, r.reference) : null;
    if (!(await regs.approve(r.reference, clientId, sealed, now))) {
      throw new AdminError('ADMIN_ERR_STATE', `Registration ${r.reference} was decided by someone else meanwhile`);
    }
    return { clientId, ...(secret ? { secret } : {}), registration: { ...r, status: 'approved', clientId, secretSealed: sealed, decidedAt: now } };
  });
}

/** Rejects a pending registration with an optional note shown to the developer. */
export async function rejectRegistration(store: Store, reference: string, note?: string, o?: AdminOptions): Promise<RegistrationRecord> {
  const text = note?.trim() || null;
  if (text && text.length > 4000) throw new AdminError('ADMIN_ERR_INVALID', 'The note must be at most 4000 characters');
  const now = clock(o);
  return store.sql.transaction(async (tx) => {
    const regs = new RegistrationStore(tx);
    const r = await registrationOrThrow(regs, reference);
    if (r.status !== 'pending') throw new AdminError('ADMIN_ERR_STATE', `Registration ${r.reference} was already ${r.status}`);
    if (!(await regs.reject(r.reference, text, now))) throw new AdminError('ADMIN_ERR_STATE', `Registration ${r.reference} was decided by someone else meanwhile`);
    return { ...r, status: 'rejected', decisionNote: text, decidedAt: now };
  });
}

/** Disables a client: it cannot start launches or use the token endpoint, and its tokens stop working at once. */
export async function disableClient(store: Store, clientId: string, o?: AdminOptions): Promise<ClientRecord> {
  return store.sql.transaction(async (tx) => {
    const auth = new AuthStore(tx);
    const c = await clientOrThrow(auth, clientId);
    if (c.status === 'disabled') throw new AdminError('ADMIN_ERR_STATE', `Client ${clientId} is already disabled`);
    const next: ClientRecord = { ...c, status: 'disabled', tokensValidAfter: clock(o) };
    await auth.putClient(next);
    return next;
  });
}

/** Enables a disabled client. Tokens issued before it was disabled stay invalid; new launches work. */
export async function enableClient(store: Store, clientId: string): Promise<ClientRecord> {
  return store.sql.transaction(async (tx) => {
    const auth = new AuthStore(tx);
    const c = await clientOrThrow(auth, clientId);
    if (c.status === 'active') throw new AdminError('ADMIN_ERR_STATE', `Client ${clientId} is already enabled`);
    const next: ClientRecord = { ...c, status: 'active' };
    await auth.putClient(next);
    return next;
  });
}

/**
 * Gives a confidential client a new secret: the old one is refused from now on and every token issued
 * so far stops working. Returns the new secret (shown once; stored only as a hash).
 */
export async function rotateClientSecret(store: Store, clientId: string, o?: AdminOptions): Promise<{ clientId: string; secret: string }> {
  return store.sql.transaction(async (tx) => {
    const auth = new AuthStore(tx);
    const c = await clientOrThrow(auth, clientId);
    if (c.type !== 'confidential') {
      throw new AdminError(
        'ADMIN_ERR_STATE',
        `Client ${clientId} is a ${c.type} client and has no secret${c.type === 'asymmetric' ? ' (it authenticates with its own keys)' : ''}; only confidential clients' secrets can be rotated`,
      );
    }
    const secret = generateSecret();
    await auth.putClient({ ...c, secretHash: hashSecret(secret), tokensValidAfter: clock(o) });
    // A secret still waiting on the developer's status page is the old one: drop it.
    await new RegistrationStore(tx).dropSealedSecretOfClient(clientId);
    return { clientId, secret };
  });
}

/** Replaces a client's redirect URIs, validated like a registration's. */
export async function setClientRedirects(store: Store, clientId: string, uris: string[]): Promise<ClientRecord> {
  const checked = checkRedirectUris(uris);
  if (checked.errors.length) throw new ValidationError(checked.errors);
  return store.sql.transaction(async (tx) => {
    const auth = new AuthStore(tx);
    const c = await clientOrThrow(auth, clientId);
    const next: ClientRecord = { ...c, redirectUris: checked.uris };
    await auth.putClient(next);
    return next;
  });
}

export async function listClients(store: Store): Promise<ClientRecord[]> {
  return new AuthStore(store.sql).listClients();
}

export async function showClient(store: Store, clientId: string): Promise<{ client: ClientRecord; registration?: RegistrationRecord }> {
  const client = await clientOrThrow(new AuthStore(store.sql), clientId);
  const registration = await new RegistrationStore(store.sql).getByClientId(clientId);
  return { client, ...(registration ? { registration } : {}) };
}

export async function listRegistrations(store: Store, status?: RegistrationStatus): Promise<RegistrationRecord[]> {
  return new RegistrationStore(store.sql).list(status);
}

export async function showRegistration(store: Store, reference: string): Promise<RegistrationRecord> {
  return registrationOrThrow(new RegistrationStore(store.sql), reference);
}

/** A client as shown to administrators (`--json`): never the secret hash. */
export function clientView(c: ClientRecord): Record<string, unknown> {
  return {
    client_id: c.clientId,
    name: c.name,
    type: c.type,
    status: c.status,
    redirect_uris: c.redirectUris,
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    ...(c.jwks ? { jwks: JSON.parse(c.jwks) } : {}),
    scope: c.scope,
    has_secret: c.secretHash !== null,
    tokens_valid_after: c.tokensValidAfter ? new Date(c.tokensValidAfter).toISOString() : null,
    created_at: new Date(c.createdAt).toISOString(),
  };
}

/** A registration as shown to administrators (`--json`): never its secrets. */
export function registrationView(r: RegistrationRecord): Record<string, unknown> {
  return {
    reference: r.reference,
    status: r.status,
    contact_email: r.contactEmail,
    organization_name: r.organizationName,
    organization_description: r.organizationDescription,
    application_name: r.applicationName,
    use_case: r.useCase,
    redirect_uris: r.redirectUris,
    client_type: r.clientType,
    ...(r.jwksUri ? { jwks_uri: r.jwksUri } : {}),
    ...(r.jwks ? { jwks: JSON.parse(r.jwks) } : {}),
    client_id: r.clientId,
    note: r.decisionNote,
    submitted_at: new Date(r.createdAt).toISOString(),
    decided_at: r.decidedAt ? new Date(r.decidedAt).toISOString() : null,
  };
}

/** What the developer's status page shows; takes the sealed secret out (once) when there is one. */
export interface DeveloperStatus {
  registration: RegistrationRecord;
  /** The client secret, on the first view after approval only. */
  secret?: string;
  /** For approved confidential clients: whether the secret is shown now, was shown before, or expired uncollected. */
  secretState?: 'shown-now' | 'shown-before' | 'expired';
}

export async function developerStatus(store: Store, registration: RegistrationRecord, o?: AdminOptions): Promise<DeveloperStatus> {
  if (registration.status !== 'approved' || registration.clientType !== 'confidential') return { registration };
  const taken = await new RegistrationStore(store.sql).takeSealedSecret(registration.reference, clock(o));
  if (taken.expired) return { registration, secretState: 'expired' };
  if (!taken.sealed) return { registration, secretState: 'shown-before' };
  const secret = unseal(await registrationSealKey(store), taken.sealed, registration.reference);
  return { registration, secret, secretState: 'shown-now' };
}
