/** `patient-access serve`: what `npm start` runs. */
import { createHash, randomBytes } from 'node:crypto';
import { loadSettings, type Settings } from '../config/index.js';
import { DEMO_ACCOUNTS, DEMO_CLIENTS, seedDemoAuth } from '../demo/auth-seed.js';
import { hasDemoPractice, seedDemoPractice } from '../demo/seed.js';
import { defaultRegistry } from '../fhir/search/registry.js';
import { AuthStore } from '../store/auth.js';
import { buildServerWithAuth } from '../server.js';
import { openStore } from '../store/index.js';

export async function serve(base: Settings, port: string | undefined): Promise<number> {
  const settings = port === undefined ? base : loadSettings(process.env, { PORT: port });
  const store = await openStore(settings);
  const registry = defaultRegistry();
  const demo = !settings.production;
  if (demo && !(await hasDemoPractice(store))) {
    const counts = await seedDemoPractice(store, registry, { production: false });
    process.stdout.write(`Seeded the demo practice (${counts.created} resources).\n`);
  }
  const authStore = new AuthStore(store.sql);
  if (demo && !(await authStore.getClient(DEMO_CLIENTS.confidential.clientId))) {
    await seedDemoAuth({ store, authStore, registry, password: settings.demoPassword, publicUrl: settings.publicUrl });
    process.stdout.write('Seeded the demo apps and logins.\n');
  }
  const demoNote = demo ? `Demo: sign in as ${DEMO_ACCOUNTS.map((a) => a.username).join(' or ')} with the demo password.` : undefined;
  const { app } = await buildServerWithAuth({ settings, store, registry, demoNote });
  const stop = async () => {
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ port: settings.port, host: settings.host });
  const lines = [
    '',
    `Patient Access API${demo ? '  — DEMO MODE (not for production)' : ''}`,
    `  store            ${store.dialect === 'sqlite' ? settings.dataDir + '/patient-access.db' : 'PostgreSQL'}`,
    `  FHIR base        ${settings.fhirBaseUrl}`,
    `  SMART discovery  ${settings.fhirBaseUrl}/.well-known/smart-configuration`,
    `  OpenID issuer    ${settings.issuer}`,
    `  health           ${settings.publicUrl}/healthz, ${settings.publicUrl}/readyz`,
  ];
  if (demo) {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = new URL(`${settings.issuer}/protocol/openid-connect/auth`);
    const q = {
      response_type: 'code',
      client_id: DEMO_CLIENTS.confidential.clientId,
      redirect_uri: 'https://oauth.pstmn.io/v1/callback',
      scope: 'openid fhirUser launch/patient offline_access patient/*.read',
      state: randomBytes(8).toString('hex'),
      aud: settings.fhirBaseUrl,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(q)) authorize.searchParams.set(k, v);
    lines.push(
      '',
      '  Demo apps (redirect URIs: https://oauth.pstmn.io/v1/callback, http://localhost:3000/callback, http://127.0.0.1:{any port}/callback)',
      `    confidential   client_id ${DEMO_CLIENTS.confidential.clientId}   client_secret ${DEMO_CLIENTS.confidential.secret}`,
      `    public         client_id ${DEMO_CLIENTS.public.clientId}`,
      '  Demo logins (password from DEMO_PASSWORD; default Demo-Passw0rd!)',
      ...DEMO_ACCOUNTS.map((a) => `    ${a.username.padEnd(14)} Person/${a.personId}, reaches ${a.patients.join(', ')}`),
      '',
      '  Try it: open this authorize URL in a browser, sign in, pick a patient and allow:',
      `    ${authorize.toString()}`,
      '  then exchange the code from the address bar (PKCE verifier for this URL below):',
      `    curl -u ${DEMO_CLIENTS.confidential.clientId}:${DEMO_CLIENTS.confidential.secret} \\`,
      `      -d grant_type=authorization_code -d redirect_uri=https://oauth.pstmn.io/v1/callback \\`,
      `      -d code_verifier=${verifier} -d code=CODE ${settings.issuer}/protocol/openid-connect/token`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n');
  return new Promise<number>(() => undefined);
}
