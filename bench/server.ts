/**
 * Child process: the real server under test, on 127.0.0.1, over an existing SQLite file. Two modes:
 *
 * - default: a bench-only access resolver, where the `x-bench-patient` header names the one patient whose
 *   records the request may see (no token cost: it measures the FHIR layer alone);
 * - `--auth`: the real server as deployed — `buildServerWithAuth` without `resolveAccess`, so the FHIR API
 *   takes `Authorization: Bearer` access tokens verified by the authorization server — with the demo apps
 *   seeded (`seedDemoAuth`) so the confidential demo client exists. The bench grants, codes and refresh
 *   tokens are written by the orchestrator into the same file (bench/auth-setup.ts), not here, so this
 *   process's RSS reflects serving only.
 *
 * Usage: bench/server.ts <db-file> [--auth]; reports `{ port }` over IPC when listening.
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { loadSettings } from '../src/config/index.js';
import { AccountError } from '../src/admin/accounts.js';
import { DEMO_CLIENTS, seedDemoAuth } from '../src/demo/auth-seed.js';
import { patientAccess } from '../src/fhir/access.js';
import { fhirError } from '../src/fhir/errors.js';
import { buildServer, buildServerWithAuth } from '../src/server.js';
import { AuthStore } from '../src/store/auth.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { exitWithParent, send } from './child.js';
import type { FastifyInstance } from 'fastify';

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { auth: { type: 'boolean', default: false } } });
const dbFile = positionals[0];
if (!dbFile) throw new Error('usage: server.ts <db-file> [--auth]');

// The public URL is part of every Bundle (and the tokens' audience), so pick the port first and build the app for it.
const port = await new Promise<number>((resolve, reject) => {
  const probe = createServer();
  probe.once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const p = (probe.address() as { port: number }).port;
    probe.close(() => resolve(p));
  });
});
const settings = loadSettings({ PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
const store = new SqliteStore(dbFile);
await store.migrate();

let app: FastifyInstance;
if (flags.auth) {
  const authStore = new AuthStore(store.sql);
  try {
    await seedDemoAuth({ store, authStore, password: settings.demoPassword, publicUrl: settings.publicUrl });
  } catch (err) {
    // The demo logins need the demo practice's Patients, which a generated population lacks; the demo
    // apps — all the bench needs — are written before them.
    if (!(err instanceof AccountError && err.code === 'ACCOUNTS_ERR_NOT_FOUND')) throw err;
  }
  const client = await authStore.getClient(DEMO_CLIENTS.confidential.clientId);
  if (client?.type !== 'confidential' || client.status !== 'active') throw new Error('seedDemoAuth did not write the confidential demo client');
  app = (await buildServerWithAuth({ settings, store, logger: false })).app;
} else {
  app = await buildServer({
    settings,
    store,
    logger: false,
    resolveAccess: async (request) => {
      const id = request.headers['x-bench-patient'];
      if (typeof id !== 'string' || !id) {
        throw fhirError('FHIR_ERR_UNAUTHORIZED', 'The x-bench-patient header is required', { headers: { 'www-authenticate': 'Bearer realm="bench"' } });
      }
      return patientAccess([id]);
    },
  });
}
exitWithParent(async () => {
  await app.close();
  await store.close();
});
await app.listen({ port, host: '127.0.0.1' });
send({ port });
