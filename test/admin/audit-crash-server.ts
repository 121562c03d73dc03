/**
 * Test-only: the whole server on a SQLite file, with the FHIR audit hook registered the way the server
 * will register it, for the crash-safety test (which SIGKILLs this process the moment an answer arrives).
 * Usage: node --import tsx test/admin/audit-crash-server.ts DATA_DIR PORT [PUBLIC_URL] — prints `listening PORT`
 * when ready. Restarts keep one PUBLIC_URL (the tokens' issuer and audience) while listening on a new port.
 */
import { loadSettings } from '../../src/config/index.js';
import { buildServerWithAuth, type BuiltServer } from '../../src/server.js';
import { openStore } from '../../src/store/index.js';

const [dataDir, port, publicUrl] = process.argv.slice(2);
if (!dataDir || !port) {
  process.stderr.write('usage: audit-crash-server.ts DATA_DIR PORT [PUBLIC_URL]\n');
  process.exit(2);
}

const settings = loadSettings({
  PORT: port,
  PUBLIC_URL: publicUrl ?? `http://127.0.0.1:${port}`,
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  RATE_LIMIT_API: '0',
  RATE_LIMIT_AUTH: '0',
} as NodeJS.ProcessEnv);
const store = await openStore(settings);

// The server as `serve` builds it: the audit hook is part of it.
const built: BuiltServer = await buildServerWithAuth({ settings, store, logger: false });
await built.app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write(`listening ${port}\n`);
