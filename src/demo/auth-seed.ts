/**
 * @module demo/auth-seed
 * The demo apps and logins of SPEC §6. The logins are made by `AccountsAdmin` — the code behind
 * `patient-access accounts` — so each gets its Person resource (fixed ids 4007449 / 4007450) with links
 * to its patients. Seeding again brings everything back to the demo state and leaves an unchanged Person
 * at its version. The demo practice must be written first (the accounts need their Patients).
 */
import { AccountsAdmin } from '../admin/accounts.js';
import { hashSecret } from '../auth/secrets.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { AuthStore, type ClientRecord } from '../store/auth.js';
import type { Store } from '../store/types.js';
import { SYS } from './practice/helpers.js';
import { DEMO_PATIENTS, DEMO_PERSONS } from './practice/index.js';

export const DEMO_CLIENTS = {
  confidential: { clientId: 'demo-confidential-app', secret: 'demo-confidential-secret', name: 'Demo Confidential App' },
  public: { clientId: 'demo-public-app', name: 'Demo Public App' },
} as const;

export const DEMO_ACCOUNTS = [
  { username: 'david.smith', personId: DEMO_PERSONS.david, displayName: 'David Smith', patients: [DEMO_PATIENTS.david, DEMO_PATIENTS.anna, DEMO_PATIENTS.alex] },
  { username: 'anna.smith', personId: DEMO_PERSONS.anna, displayName: 'Anna Smith', patients: [DEMO_PATIENTS.anna] },
] as const;

export const DEMO_REDIRECT_URIS = [
  'https://oauth.pstmn.io/v1/callback',
  'http://localhost:3000/callback',
  // Loopback redirects on any port (RFC 8252), for native apps and the reference client.
  'http://127.0.0.1/callback',
  'http://[::1]/callback',
];

/** Every patient scope this server grants. */
export const ALL_PATIENT_SCOPES = 'openid fhirUser profile launch/patient offline_access online_access patient/*.read patient/*.rs patient/*.r patient/*.s';

export interface DemoAuthOptions {
  store: Store;
  /** The demo logins' password (settings.demoPassword); at least 10 characters. */
  password: string;
  /** settings.publicUrl; only used for set-password links, which the demo logins do not need. */
  publicUrl?: string;
  authStore?: AuthStore;
  registry?: SearchParameterRegistry;
  now?: number;
}

/** Writes the demo apps and logins (and the logins' Person resources); safe to run again. */
export async function seedDemoAuth(o: DemoAuthOptions): Promise<void> {
  const now = o.now ?? Date.now();
  const authStore = o.authStore ?? new AuthStore(o.store.sql);
  await seedClients(authStore, now);
  const accounts = new AccountsAdmin({
    store: o.store,
    authStore,
    registry: o.registry,
    publicUrl: o.publicUrl ?? 'http://localhost:8080',
    // The practice's own login identifier system, as on the rest of the demo data.
    identifierSystem: SYS.login,
    now: () => now,
  });
  for (const a of DEMO_ACCOUNTS) {
    const [patient, ...dependents] = a.patients;
    await accounts.ensure({ username: a.username, patient, dependents, password: o.password, personId: a.personId, displayName: a.displayName });
  }
}


async function seedClients(authStore: AuthStore, now: number): Promise<void> {
  const base: Omit<ClientRecord, 'clientId' | 'name' | 'type' | 'secretHash'> = {
    redirectUris: DEMO_REDIRECT_URIS,
    jwks: null,
    jwksUri: null,
    scope: ALL_PATIENT_SCOPES,
    status: 'active',
    tokensValidAfter: 0,
    createdAt: now,
  };
  await authStore.putClient({
    ...base,
    clientId: DEMO_CLIENTS.confidential.clientId,
    name: DEMO_CLIENTS.confidential.name,
    type: 'confidential',
    secretHash: hashSecret(DEMO_CLIENTS.confidential.secret),
  });
  await authStore.putClient({ ...base, clientId: DEMO_CLIENTS.public.clientId, name: DEMO_CLIENTS.public.name, type: 'public', secretHash: null });
}
