/**
 * Crash safety of the audit trail: no acknowledged request goes unaudited. A real server runs in a child
 * process on a SQLite file (audit-crash-server.ts); the moment a response arrives the child is killed
 * with SIGKILL. Afterwards every request whose response arrived has its audit row in the file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditStore, type AuditRecord } from '../../src/store/audit.js';
import { seedDemoAuth } from '../../src/demo/auth-seed.js';
import { seedDemoPractice } from '../../src/demo/seed.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { SQLITE_FILE_NAME } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { DEMO_PASSWORD, freePort, obtainTokens, type AuthTestServer } from '../helpers/auth-server.js';

const SCRIPT = fileURLToPath(new URL('./audit-crash-server.ts', import.meta.url));
const DAVID = '428946492';

interface Child {
  process: ChildProcess;
  base: string;
  exited: Promise<void>;
}

/** Starts the server on a new port; `publicUrl` (the tokens' issuer and audience) stays that of the first start. */
async function startChild(dataDir: string, publicUrl?: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dataDir, String(port), ...(publicUrl ? [publicUrl] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '', NODE_ENV: 'test' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 60_000);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(`listening ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return { process: child, base: `http://127.0.0.1:${port}`, exited };
}

function serverLike(base: string): AuthTestServer {
  return {
    baseUrl: base,
    fhirBase: `${base}/api/fhir/r4`,
    issuer: `${base}/auth/realms/patient-access`,
    tokenUrl: `${base}/auth/realms/patient-access/protocol/openid-connect/token`,
  } as unknown as AuthTestServer;
}

interface Acknowledged {
  what: string;
  status: number;
  matches: (r: AuditRecord) => boolean;
}

describe('audit crash safety (SQLite, SIGKILL after each response)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-audit-crash-'));
    const store = new SqliteStore(join(dir, SQLITE_FILE_NAME));
    await store.migrate();
    await seedDemoPractice(store, defaultRegistry(), { production: false });
    await seedDemoAuth({ store, password: DEMO_PASSWORD });
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every request whose answer arrived has its audit row after the crash', { timeout: 240_000 }, async () => {
    const acknowledged: Acknowledged[] = [];
    let child = await startChild(dir);
    const publicUrl = child.base;
    const tokens = await obtainTokens(serverLike(child.base), { patient: DAVID });
    const bearer = { authorization: `Bearer ${tokens.access_token}` };

    /** Sends a request, kills the server the moment the response head arrives, notes the acknowledgement. */
    const once = async (path: string, init: RequestInit, matches: (r: AuditRecord) => boolean) => {
      const res = await fetch(`${child.base}/api/fhir/r4${path}`, init);
      child.process.kill('SIGKILL');
      acknowledged.push({ what: `${init.method ?? 'GET'} ${path}`, status: res.status, matches });
      await res.arrayBuffer().catch(() => undefined);
      await child.exited;
    };

    const rounds: [string, RequestInit, (r: AuditRecord) => boolean][] = [
      ['/Observation?_id=crash-search', { headers: bearer }, (r) => r.query === 'Observation?_id=crash-search' && r.outcome === 'success' && r.tokenJti !== null],
      ['/Condition/crash-missing', { headers: bearer }, (r) => r.action === 'read' && r.resource.includes('Condition/crash-missing') && r.outcome === 'failure'],
      [`/Patient/${DAVID}`, { headers: bearer }, (r) => r.action === 'read' && r.resource.includes(`"Patient/${DAVID}"`) && r.clientId === 'demo-confidential-app' && r.outcome === 'success'],
      ['/Observation?_id=crash-unauthenticated', {}, (r) => r.query === 'Observation?_id=crash-unauthenticated' && r.outcome === 'failure' && r.clientId === null],
      [
        '/Observation/_search',
        { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: '_id=crash-post' },
        (r) => r.query === 'Observation?_id=crash-post' && r.outcome === 'success',
      ],
    ];
    for (let i = 0; i < rounds.length; i++) {
      if (i > 0) child = await startChild(dir, publicUrl);
      await once(...rounds[i]);
    }

    // A burst: many requests in flight; the server dies as soon as the first answer arrives. Every answer
    // that arrived at all (some may have been on the wire already) must be audited.
    child = await startChild(dir, publicUrl);
    const burst = Array.from({ length: 40 }, (_, i) =>
      fetch(`${child.base}/api/fhir/r4/Observation?_id=burst-${i}`, { headers: bearer }).then((res) => {
        child.process.kill('SIGKILL');
        acknowledged.push({ what: `burst ${i}`, status: res.status, matches: (r) => r.query === `Observation?_id=burst-${i}` });
        return res.arrayBuffer().catch(() => undefined);
      }),
    );
    await Promise.allSettled(burst);
    await child.exited;

    assert.ok(acknowledged.length >= rounds.length + 1, `${acknowledged.length} acknowledged`);
    const store = new SqliteStore(join(dir, SQLITE_FILE_NAME));
    try {
      const rows = await new AuditStore(store.sql, { journal: store.auditJournal() }).query({ limit: 10_000 });
      const missing = acknowledged.filter((a) => !rows.some(a.matches));
      assert.deepEqual(missing.map((a) => `${a.what} → ${a.status}`), [], 'acknowledged but not audited');
      // The reads of the same patient: at least as many rows as acknowledged reads.
      assert.ok(rows.filter((r) => r.action === 'read' && r.resource.includes(`"Patient/${DAVID}"`)).length >= 1);
    } finally {
      await store.close();
    }
  });
});
