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
 * Both modes are the product as shipped: every FHIR request is written to the audit trail (group commit)
 * before its answer leaves. `--no-audit` builds the same server with `auditFhir: false` (a benchmarks-only
 * option), so the orchestrator can measure what the audit trail costs. Rate limits are off
 * (`RATE_LIMIT_API=0`, `RATE_LIMIT_AUTH=0`): the load comes from one address and would otherwise be
 * refused with 429.
 *
 * Usage: bench/server.ts <db-file> [--auth] [--no-audit]; reports `BenchServerReady` over IPC when
 * listening, then answers `{ op: 'audit-stats' }` calls with the audit trail's counters.
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { loadSettings } from '../src/config/index.js';
import { AccountError } from '../src/admin/accounts.js';
import { DEMO_CLIENTS, seedDemoAuth } from '../src/demo/auth-seed.js';
import { patientAccess, type AccessContext } from '../src/fhir/access.js';
import { fhirError } from '../src/fhir/errors.js';
import { buildServerWithAuth } from '../src/server.js';
import { AuthStore } from '../src/store/auth.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { stashAuditClaims, type AuditTrail } from '../src/admin/audit.js';
import { answerCalls, exitWithParent, send } from './child.js';
import type { FastifyInstance } from 'fastify';

export interface BenchServerReady {
  port: number;
  /** Whether FHIR requests are audited (false only with --no-audit). */
  auditFhir: boolean;
  /** The rate limits the server runs with (both 0: off). */
  rateLimits: { api: number; auth: number };
}
/** The audit trail's counters (`AuditTrail.stats`): every write and record since start, all moved into the table. */
export type AuditStats = AuditTrail['stats'];

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { auth: { type: 'boolean', default: false }, 'no-audit': { type: 'boolean', default: false } },
});
const dbFile = positionals[0];
if (!dbFile) throw new Error('usage: server.ts <db-file> [--auth] [--no-audit]');
const auditFhir = !flags['no-audit'];

// The public URL is part of every Bundle (and the tokens' audience), so pick the port first and build the app for it.
const port = await new Promise<number>((resolve, reject) => {
  const probe = createServer();
  probe.once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const p = (probe.address() as { port: number }).port;
    probe.close(() => resolve(p));
  });
});
const settings = loadSettings({
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  LOG_LEVEL: 'silent',
  // The whole load comes from 127.0.0.1 and one client: with limits on it would be answered 429.
  RATE_LIMIT_API: '0',
  RATE_LIMIT_AUTH: '0',
} as NodeJS.ProcessEnv);
if (settings.rateLimitApi !== 0 || settings.rateLimitAuth !== 0) {
  throw new Error(`rate limits must be off in the bench server, got api ${settings.rateLimitApi}, auth ${settings.rateLimitAuth}`);
}
const store = new SqliteStore(dbFile);
await store.migrate();

let app: FastifyInstance;
let audit: AuditTrail;
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
  ({ app, audit } = await buildServerWithAuth({ settings, store, logger: false, auditFhir }));
} else {
  const benchContexts = new Map<string, AccessContext>();
  ({ app, audit } = await buildServerWithAuth({
    settings,
    store,
    logger: false,
    auditFhir,
    resolveAccess: async (request) => {
      const id = request.headers['x-bench-patient'];
      if (typeof id !== 'string' || !id) {
        throw fhirError('FHIR_ERR_UNAUTHORIZED', 'The x-bench-patient header is required', { headers: { 'www-authenticate': 'Bearer realm="bench"' } });
      }
      // What the bearer resolver hands the audit hook, so the audited rows are the size real ones are.
      stashAuditClaims(request, { client_id: 'bench-header', jti: 'x-bench-patient', patient: id, sub: `Patient/${id}` });
      // One context per patient, as the bearer resolver keeps one per token.
      let ctx = benchContexts.get(id);
      if (!ctx) benchContexts.set(id, (ctx = patientAccess([id])));
      return ctx;
    },
  }));
}
answerCalls(async (m) => {
  if (m.op === 'audit-stats') {
    // Everything recorded so far is moved into the table first, so that work does not spill into the
    // next measured run (of this server or another).
    await audit.flush();
    await audit.store.journal?.settle();
    return { ...audit.stats } satisfies AuditStats;
  }
  throw new Error(`unknown call ${JSON.stringify(m)}`);
});
exitWithParent(async () => {
  await app.close();
  await store.close();
});
await app.listen({ port, host: '127.0.0.1' });
send({ port, auditFhir, rateLimits: { api: settings.rateLimitApi, auth: settings.rateLimitAuth } } satisfies BenchServerReady);
