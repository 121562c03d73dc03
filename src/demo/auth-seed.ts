/**
 * @module demo/auth-seed
 * The demo apps and logins of SPEC §6, written through the same records the administration commands use.
 */
import { hashPassword } from '../auth/passwords.js';
import { hashSecret } from '../auth/secrets.js';
import type { AuthStore, ClientRecord } from '../store/auth.js';
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

export async function seedDemoAuth(authStore: AuthStore, demoPassword: string, now = Date.now()): Promise<void> {
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
  const passwordHash = await hashPassword(demoPassword);
  for (const a of DEMO_ACCOUNTS) {
    await authStore.putAccount({
      username: a.username,
      personId: a.personId,
      displayName: a.displayName,
      patients: [...a.patients],
      passwordHash,
      failedLogins: 0,
      lockedUntil: 0,
      status: 'active',
      createdAt: now,
    });
  }
}
