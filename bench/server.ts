/**
 * Child process: the real server under test, on 127.0.0.1, over an existing SQLite file.
 * Bench-only access resolver: the `x-bench-patient` header names the one patient whose records the
 * request may see (it stands in for token verification until the authorization server lands).
 * Usage: bench/server.ts <db-file>; reports `{ port }` over IPC when listening.
 */
import { createServer } from 'node:net';
import { loadSettings } from '../src/config/index.js';
import { patientAccess } from '../src/fhir/access.js';
import { fhirError } from '../src/fhir/errors.js';
import { buildServer } from '../src/server.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { exitWithParent, send } from './child.js';

const dbFile = process.argv[2];
if (!dbFile) throw new Error('usage: server.ts <db-file>');

// The public URL is part of every Bundle, so pick the port first and build the app for it.
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
const app = await buildServer({
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
exitWithParent(async () => {
  await app.close();
  await store.close();
});
await app.listen({ port, host: '127.0.0.1' });
send({ port });
