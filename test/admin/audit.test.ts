/**
 * The audit trail (issue 4 point 5): the append-only store on each store kind, the BALP AuditEvent, the
 * group-committed durable trail, the FHIR hook on a real server (each interaction one row, failures too),
 * and `patient-access audit` (filters, formats, bad --since refused). Crash safety: audit-crash.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import {
  AuditInputError,
  AuditTrail,
  AuditTrailClosedError,
  auditEventOf,
  buildAuditEvent,
  classifyFhirRequest,
  registerFhirAudit,
  sanitizeQuery,
  type AuditInput,
} from '../../src/admin/audit.js';
import { AuditQueryError, AuditStore, type AuditRecord } from '../../src/store/audit.js';
import { loadSettings } from '../../src/config/index.js';
import { seedDemoAuth } from '../../src/demo/auth-seed.js';
import { seedDemoPractice } from '../../src/demo/seed.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { buildServerWithAuth, type BuiltServer } from '../../src/server.js';
import { openStore, SQLITE_FILE_NAME } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { SqlExecutor } from '../../src/store/types.js';
import { runAudit, parseSince } from '../../src/cli/audit.js';
import { UsageError } from '../../src/cli/main.js';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { DEMO_PASSWORD, freePort, obtainTokens, type AuthTestServer } from '../helpers/auth-server.js';

const DAVID = '428946492';
const ANNA = '428946523';

function rec(i: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: `0000000000${String(i).padStart(2, '0')}`,
    recorded: 1_700_000_000_000 + i * 1000,
    category: 'fhir',
    action: 'read',
    outcome: 'success',
    clientId: i % 2 ? 'app-a' : 'app-b',
    patientId: i % 3 ? 'p1' : 'p2',
    username: i % 2 ? 'david.smith' : null,
    source: '127.0.0.1',
    tokenJti: `jti-${i}`,
    query: null,
    resource: JSON.stringify({ resourceType: 'AuditEvent', id: `e${i}` }),
    ...over,
  };
}

const count = async (sql: SqlExecutor) => Number((await sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM audit_events'))[0].n);

// ---- the store ----------------------------------------------------------------------------------

for (const kind of storeKinds()) {
  describe(`AuditStore (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let audit: AuditStore;
    before(async () => {
      fx = await kind.create();
      audit = new AuditStore(fx.store.sql);
    });
    after(async () => fx?.cleanup());

    test('append writes a batch; query returns it in recorded, id order with every column', async () => {
      // Appended out of order on purpose: the order comes from recorded, then id.
      const records = Array.from({ length: 12 }, (_, i) => rec(i + 1));
      await audit.append([...records.slice(6), ...records.slice(0, 6)]);
      await audit.append([rec(13, { recorded: records[11].recorded, id: '000000000099' })]);
      const all = await audit.query();
      assert.deepEqual(all.map((r) => r.id), [...records.map((r) => r.id), '000000000099']);
      assert.deepEqual(all[0], records[0]);
      assert.equal(typeof all[0].recorded, 'number');
    });

    test('filters: patient, client, username, since, until, limit, afterId; iterate pages through all', async () => {
      assert.deepEqual((await audit.query({ patient: 'p2' })).map((r) => r.id), ['000000000003', '000000000006', '000000000009', '000000000012']);
      assert.ok((await audit.query({ client: 'app-a' })).every((r) => r.clientId === 'app-a'));
      assert.equal((await audit.query({ client: 'app-a', patient: 'p2' })).length, 2);
      assert.ok((await audit.query({ username: 'david.smith' })).every((r) => r.username === 'david.smith'));
      const t5 = 1_700_000_000_000 + 5000;
      assert.deepEqual((await audit.query({ since: t5, until: t5 + 2000 })).map((r) => r.id), ['000000000005', '000000000006']);
      assert.equal((await audit.query({ limit: 3 })).length, 3);
      assert.deepEqual((await audit.query({ afterId: '000000000011' })).map((r) => r.id), ['000000000012', '000000000099']);
      assert.deepEqual((await audit.query({ patient: 'nobody' })), []);
      const seen: string[] = [];
      for await (const r of audit.iterate({}, 5)) seen.push(r.id);
      assert.equal(seen.length, 13);
      assert.deepEqual(seen, (await audit.query()).map((r) => r.id));
      const lab: string[] = [];
      for await (const r of audit.iterate({ patient: 'p2' }, 1)) lab.push(r.id);
      assert.equal(lab.length, 4);
    });

    test('bad queries are refused with the problem named', async () => {
      for (const limit of [0, -1, 1.5, 1e9]) await assert.rejects(audit.query({ limit }), (e: Error) => e instanceof AuditQueryError && /limit/.test(e.message));
      await assert.rejects(audit.query({ since: Number.NaN }), /since/);
      await assert.rejects(audit.query({ afterId: 'no-such-event' }), /no-such-event/);
    });

    test('a batch is all or nothing: one bad record stores none of it', async () => {
      const before = await count(fx.store.sql);
      // A duplicate id fails at the database, after the first rows went in: the transaction rolls back.
      await assert.rejects(audit.append([rec(50, { id: 'dup-1' }), rec(51, { id: 'dup-2' }), rec(52, { id: 'dup-1' })]));
      await assert.rejects(audit.append([rec(53, { id: 'x-53' }), rec(54, { id: 'x-54', resource: '' })]), AuditQueryError);
      assert.equal(await count(fx.store.sql), before);
      await audit.append([]);
      assert.equal(await count(fx.store.sql), before);
    });

    test('append-only: the store has no way to change or remove an event', () => {
      const methods = Object.getOwnPropertyNames(AuditStore.prototype).filter((m) => m !== 'constructor').sort();
      assert.deepEqual(methods, ['append', 'ingest', 'iterate', 'query']);
    });

    test('a large batch (1234 rows) goes in one transaction', async () => {
      const before = await count(fx.store.sql);
      await audit.append(Array.from({ length: 1234 }, (_, i) => rec(100 + i, { id: `big-${String(i).padStart(5, '0')}`, recorded: 1_800_000_000_000 })));
      assert.equal(await count(fx.store.sql), before + 1234);
      const page = await audit.query({ since: 1_800_000_000_000, limit: 10_000 });
      assert.deepEqual(page.map((r) => r.id), Array.from({ length: 1234 }, (_, i) => `big-${String(i).padStart(5, '0')}`));
    });
  });
}

// ---- the AuditEvent -----------------------------------------------------------------------------

const codes = (ev: any, path: 'type' | 'subtype') => (path === 'type' ? [ev.type] : ev.subtype).map((c: any) => `${c.system}|${c.code}`);

describe('buildAuditEvent (BALP)', () => {
  const observer = 'http://127.0.0.1:8080/api/fhir/r4';

  test('a FHIR read: rest/read, R, patient and resource entities, client, user with jti, server, source address', () => {
    const ev: any = buildAuditEvent(
      { category: 'fhir', action: 'read', outcome: 'success', status: 200, clientId: 'demo-confidential-app', patientId: DAVID, personId: '4007449', tokenJti: 'jti-1', source: '10.0.0.7', resourceRef: `Observation/123` },
      { id: 'abc', recorded: Date.UTC(2025, 0, 2, 3, 4, 5), observer },
    );
    assert.equal(ev.resourceType, 'AuditEvent');
    assert.equal(ev.id, 'abc');
    assert.deepEqual(codes(ev, 'type'), ['http://terminology.hl7.org/CodeSystem/audit-event-type|rest']);
    assert.ok(codes(ev, 'subtype').includes('http://hl7.org/fhir/restful-interaction|read'));
    assert.equal(ev.action, 'R');
    assert.equal(ev.recorded, '2025-01-02T03:04:05.000Z');
    assert.equal(ev.outcome, '0');
    assert.deepEqual(ev.meta.profile, ['https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead']);
    const client = ev.agent.find((a: any) => a.who.identifier?.value === 'demo-confidential-app');
    assert.equal(client.requestor, false);
    assert.equal(client.type.coding[0].code, '110153');
    assert.deepEqual(client.network, { address: '10.0.0.7', type: '2' });
    const user = ev.agent.find((a: any) => a.requestor === true);
    assert.equal(user.who.reference, 'Person/4007449');
    assert.deepEqual(user.policy, ['jti-1']);
    assert.equal(user.type.coding[0].code, 'UserOauthAgent');
    const server = ev.agent.find((a: any) => a.type.coding[0].code === '110152');
    assert.equal(server.who.display, observer);
    assert.equal(ev.source.observer.display, observer);
    const patient = ev.entity.find((e: any) => e.role.code === '1');
    assert.equal(patient.what.reference, `Patient/${DAVID}`);
    assert.equal(patient.type.code, '1');
    assert.equal(ev.entity.find((e: any) => e.role.code === '4').what.reference, 'Observation/123');
  });

  test('a search: search-type, E, the query base64 in a Query entity; failures are 4 (minor) or 8 (serious)', () => {
    const q = 'Observation?category=laboratory&code=http://loinc.org|1234-5';
    const ev: any = buildAuditEvent({ category: 'fhir', action: 'search-type', outcome: 'success', patientId: DAVID, query: q, clientId: 'c' });
    assert.equal(ev.action, 'E');
    assert.ok(codes(ev, 'subtype').includes('http://hl7.org/fhir/restful-interaction|search-type'));
    const query = ev.entity.find((e: any) => e.role.code === '24');
    assert.equal(Buffer.from(query.query, 'base64').toString('utf8'), q); // a FHIR `code` parameter is kept
    assert.deepEqual(ev.meta.profile, ['https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery']);
    const denied: any = buildAuditEvent({ category: 'fhir', action: 'search-type', outcome: 'failure', status: 403, clientId: 'c' });
    assert.equal(denied.outcome, '4');
    assert.equal(denied.outcomeDesc, 'HTTP 403');
    assert.equal(denied.meta, undefined);
    assert.equal(buildAuditEvent({ category: 'fhir', action: 'read', outcome: 'failure', status: 500 }).outcome, '8');
    // Without a user the sender is the requestor, named by its address only.
    const anon: any = buildAuditEvent({ category: 'fhir', action: 'read', outcome: 'failure', status: 401, source: '10.1.1.1' });
    const sender = anon.agent.find((a: any) => a.requestor);
    assert.deepEqual(sender.network, { address: '10.1.1.1', type: '2' });
  });

  test('authorization and administration events: DICOM security types, our action code, the user', () => {
    const signIn: any = buildAuditEvent({ category: 'auth', action: 'sign-in-failed', outcome: 'failure', status: 401, username: 'david.smith', source: '1.2.3.4', clientId: 'app' });
    assert.deepEqual(codes(signIn, 'type'), ['http://dicom.nema.org/resources/ontology/DCM|110114']);
    assert.ok(codes(signIn, 'subtype').includes('http://dicom.nema.org/resources/ontology/DCM|110122'));
    assert.ok(codes(signIn, 'subtype').includes('urn:patient-access:audit-action|sign-in-failed'));
    assert.equal(signIn.outcome, '4');
    assert.equal(signIn.agent.find((a: any) => a.requestor).altId, 'david.smith');
    const token: any = buildAuditEvent({ category: 'auth', action: 'token', outcome: 'success', clientId: 'app', tokenJti: 'j', patientId: DAVID, personId: '4007449' });
    assert.ok(codes(token, 'subtype').includes('urn:ihe:event-type-code|ITI-71'));
    assert.equal(token.action, 'C');
    assert.equal(buildAuditEvent({ category: 'auth', action: 'revoke', outcome: 'success' }).action, 'D');
    const approve: any = buildAuditEvent({ category: 'admin', action: 'client-approve', outcome: 'success', clientId: 'new-app', username: 'admin' });
    assert.deepEqual(codes(approve, 'type'), ['http://dicom.nema.org/resources/ontology/DCM|110136']);
    assert.equal(approve.action, 'U');
    const account: any = buildAuditEvent({ category: 'admin', action: 'account-lock', outcome: 'success', username: 'anna.smith' });
    assert.deepEqual(codes(account, 'type'), ['http://dicom.nema.org/resources/ontology/DCM|110137']);
  });

  test('no secrets: token parameters leave the query, token-like text is redacted', () => {
    const jwt = 'eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const ev = JSON.stringify(
      buildAuditEvent({
        category: 'fhir',
        action: 'search-type',
        outcome: 'success',
        query: `Observation?access_token=${jwt}&category=vital-signs&client_secret=s3cret`,
        detail: `bad token ${jwt}`,
      }),
    );
    assert.ok(!ev.includes(jwt) && !ev.includes('s3cret') && !ev.includes(Buffer.from(jwt).toString('base64').slice(0, 20)));
    assert.equal(sanitizeQuery(`Observation?access_token=${jwt}&category=vital-signs`, 'fhir'), 'Observation?category=vital-signs');
    // Outside the FHIR API `code` and `state` are OAuth values and never kept.
    assert.equal(sanitizeQuery('code=abc&state=xyz&scope=openid', 'auth'), 'scope=openid');
    assert.equal(sanitizeQuery('Observation?code=1234-5', 'fhir'), 'Observation?code=1234-5');
    assert.equal(sanitizeQuery('Patient', 'fhir'), 'Patient');
  });
});

describe('classifyFhirRequest', () => {
  test('method and path give the restful interaction', () => {
    assert.deepEqual(classifyFhirRequest('GET', 'Patient/1', ''), { action: 'read', resourceRef: 'Patient/1' });
    assert.deepEqual(classifyFhirRequest('HEAD', 'Patient/1', ''), { action: 'read', resourceRef: 'Patient/1' });
    assert.deepEqual(classifyFhirRequest('GET', 'Patient/1/_history/2', ''), { action: 'vread', resourceRef: 'Patient/1/_history/2' });
    assert.deepEqual(classifyFhirRequest('GET', 'Observation', 'category=laboratory'), { action: 'search-type', query: 'Observation?category=laboratory' });
    assert.deepEqual(classifyFhirRequest('GET', 'Observation', ''), { action: 'search-type', query: 'Observation' });
    assert.deepEqual(classifyFhirRequest('POST', 'Observation/_search', '_count=5', 'category=laboratory'), { action: 'search-type', query: 'Observation?_count=5&category=laboratory' });
    assert.deepEqual(classifyFhirRequest('GET', 'Patient/1/$everything', ''), { action: 'operation', resourceRef: 'Patient/1', query: 'Patient/1/$everything' });
    assert.deepEqual(classifyFhirRequest('GET', 'Patient/1/%24everything', '_count=2'), { action: 'operation', resourceRef: 'Patient/1', query: 'Patient/1/$everything?_count=2' });
    assert.equal(classifyFhirRequest('DELETE', 'Patient/1', '').action, 'delete');
    assert.equal(classifyFhirRequest('POST', 'Patient', '').action, 'create');
    assert.equal(classifyFhirRequest('POST', '', '').action, 'batch');
    assert.equal(classifyFhirRequest('GET', 'a/b/c/d/e', '').action, 'unknown');
  });
});

// ---- the trail ----------------------------------------------------------------------------------

/** Counts transactions and can be told to fail them. */
function countingExecutor(inner: SqlExecutor) {
  const state = { transactions: 0, fail: false };
  const sql: SqlExecutor = {
    dialect: inner.dialect,
    all: (t, p) => inner.all(t, p),
    run: (t, p) => inner.run(t, p),
    transaction: async (fn) => {
      state.transactions++;
      if (state.fail) throw new Error('disk full');
      return inner.transaction(fn);
    },
  };
  return { sql, state };
}

const fhirInput = (i: number): AuditInput => ({ category: 'fhir', action: 'search-type', outcome: 'success', clientId: 'app', patientId: DAVID, query: `Observation?_id=n${i}` });

for (const kind of storeKinds()) {
  describe(`AuditTrail (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    before(async () => {
      fx = await kind.create();
    });
    after(async () => fx?.cleanup());

    test('group commit: 2000 concurrent records in a few transactions, all durable, in recording order', async () => {
      const { sql, state } = countingExecutor(fx.store.sql);
      const trail = new AuditTrail(sql, { observer: 'http://test' });
      const before = await count(fx.store.sql);
      await Promise.all(Array.from({ length: 2000 }, (_, i) => trail.record(fhirInput(i))));
      assert.ok(state.transactions <= 6, `${state.transactions} transactions`);
      assert.equal(trail.stats.records, 2000);
      assert.equal(await count(fx.store.sql), before + 2000);
      const rows = await new AuditStore(fx.store.sql).query({ since: 0, limit: 10_000 });
      const mine = rows.filter((r) => r.query?.startsWith('Observation?_id=n')).map((r) => r.query);
      assert.deepEqual(mine, Array.from({ length: 2000 }, (_, i) => `Observation?_id=n${i}`));
      // Each row carries its AuditEvent, whose id is the row's id.
      const ev = auditEventOf(rows[0]) as any;
      assert.equal(ev.id, rows[0].id);
      assert.equal(ev.resourceType, 'AuditEvent');
      await trail.close();
    });

    test('records arriving while a write is in flight go together in the next transaction', async () => {
      const { sql, state } = countingExecutor(fx.store.sql);
      const trail = new AuditTrail(sql);
      const first = trail.record(fhirInput(-1));
      await new Promise((r) => setImmediate(r)); // the first write has started
      const rest = Array.from({ length: 50 }, (_, i) => trail.record(fhirInput(-100 - i)));
      await Promise.all([first, ...rest]);
      assert.equal(state.transactions, 2);
      await trail.close();
    });

    test('a record is committed when record() resolves (seen by another connection)', async () => {
      const trail = new AuditTrail(fx.store.sql);
      await trail.record({ category: 'auth', action: 'sign-in', outcome: 'success', username: 'durable.check', source: '127.0.0.1' });
      if (fx.store instanceof SqliteStore) {
        const other = new SqliteStore((fx.store as SqliteStore).file);
        try {
          const rows = await new AuditStore(other.sql).query({ username: 'durable.check' });
          assert.equal(rows.length, 1);
        } finally {
          await other.close();
        }
      } else {
        assert.equal((await new AuditStore(fx.store.sql).query({ username: 'durable.check' })).length, 1);
      }
      await trail.close();
    });

    test('a failed write rejects every record of its batch; the trail keeps working afterwards', async () => {
      const { sql, state } = countingExecutor(fx.store.sql);
      const trail = new AuditTrail(sql);
      const before = await count(fx.store.sql);
      state.fail = true;
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => trail.record(fhirInput(1000 + i))));
      assert.ok(results.every((r) => r.status === 'rejected' && /disk full/.test(String(r.reason))));
      assert.equal(await count(fx.store.sql), before);
      state.fail = false;
      await trail.record(fhirInput(2000));
      assert.equal(await count(fx.store.sql), before + 1);
      await trail.close();
    });

    test('recordThen: each callback once, after the commit, with no argument; bad input gets the error at once', async () => {
      const trail = new AuditTrail(fx.store.sql);
      const before = await count(fx.store.sql);
      const calls: unknown[][] = [];
      try {
        const all = Array.from({ length: 3 }, (_, i) => new Promise<void>((resolve) => {
          trail.recordThen(fhirInput(3000 + i), (...args) => {
            calls.push(args);
            resolve();
          });
        }));
        assert.equal(calls.length, 0, 'no callback before the write');
        await Promise.all(all);
        await trail.flush();
        assert.deepEqual(calls, [[undefined], [undefined], [undefined]]);
        assert.equal(await count(fx.store.sql), before + 3);
        let got: unknown;
        trail.recordThen({ category: 'fhir', action: 'Read It', outcome: 'success' }, (err) => (got = err));
        assert.ok(got instanceof AuditInputError, 'called synchronously with the input error');
      } finally {
        await trail.close();
      }
      let closed: unknown;
      trail.recordThen(fhirInput(3100), (err) => (closed = err));
      assert.ok(closed instanceof AuditTrailClosedError);
    });

    test('bad input is refused with the field named and nothing written; a closed trail refuses records', async () => {
      const trail = new AuditTrail(fx.store.sql);
      const before = await count(fx.store.sql);
      const bad: [Partial<AuditInput>, RegExp][] = [
        [{ category: 'billing' as never, action: 'read', outcome: 'success' }, /category/],
        [{ category: 'fhir', action: 'Read It', outcome: 'success' }, /action/],
        [{ category: 'fhir', action: '', outcome: 'success' }, /action/],
        [{ category: 'fhir', action: 'read', outcome: 'ok' as never }, /outcome/],
        [{ category: 'fhir', action: 'read', outcome: 'failure', status: 42 }, /status/],
      ];
      for (const [input, re] of bad) await assert.rejects(trail.record(input as AuditInput), (e: Error) => e instanceof AuditInputError && re.test(e.message));
      await trail.flush();
      assert.equal(await count(fx.store.sql), before);
      await trail.close();
      await assert.rejects(trail.record(fhirInput(1)), AuditTrailClosedError);
    });

    test('recorded times never go backwards, even when the clock does', async () => {
      let t = 2_000_000_000_000;
      const trail = new AuditTrail(fx.store.sql, { now: () => (t -= 1000) });
      await Promise.all([trail.record({ ...fhirInput(0), clientId: 'clock' }), trail.record({ ...fhirInput(1), clientId: 'clock' })]);
      const rows = await new AuditStore(fx.store.sql).query({ client: 'clock' });
      assert.deepEqual(rows.map((r) => r.query), ['Observation?_id=n0', 'Observation?_id=n1']);
      assert.equal(rows[0].recorded, rows[1].recorded);
      await trail.close();
    });
  });
}

// ---- the FHIR hook on a real server -------------------------------------------------------------

interface AuditedServer extends AuthTestServer {
  trail: AuditTrail;
}

/** The whole server as server.ts will wire it: claims stashed by the resolver, the hook on the FHIR base. */
async function startAuditedServer(fx: StoreFixture): Promise<AuditedServer> {
  const port = await freePort();
  const settings = loadSettings({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'silent',
    DEMO_PASSWORD,
    RATE_LIMIT_API: '0',
    RATE_LIMIT_AUTH: '0',
  } as NodeJS.ProcessEnv);
  await seedDemoPractice(fx.store, defaultRegistry(), { production: false });
  await seedDemoAuth({ store: fx.store, password: DEMO_PASSWORD });
  // The server as `serve` builds it: claims stashed by the bearer resolver, the hook on the FHIR base.
  const built: BuiltServer = await buildServerWithAuth({ settings, store: fx.store, logger: false });
  const trail = built.audit;
  await built.app.listen({ port, host: '127.0.0.1' });
  return {
    ...built,
    trail,
    settings,
    baseUrl: settings.publicUrl,
    fhirBase: settings.fhirBaseUrl,
    issuer: settings.issuer,
    tokenUrl: `${settings.issuer}/protocol/openid-connect/token`,
    close: async () => {
      await built!.app.close();
      await trail.close();
    },
  };
}

const jwtClaims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

for (const kind of storeKinds()) {
  describe(`registerFhirAudit on a real server (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: AuditedServer;
    let audit: AuditStore;
    let david: { access_token: string; jti: string };
    let narrow: { access_token: string; jti: string };

    before(async () => {
      fx = await kind.create();
      server = await startAuditedServer(fx);
      audit = new AuditStore(fx.store.sql, { journal: fx.store.auditJournal() });
      const t = await obtainTokens(server, { patient: DAVID });
      david = { access_token: t.access_token, jti: jwtClaims(t.access_token).jti };
      const n = await obtainTokens(server, { patient: DAVID, scope: 'launch/patient patient/Patient.rs' });
      narrow = { access_token: n.access_token, jti: jwtClaims(n.access_token).jti };
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    /** Sends one request and returns the one audit row it left (asserting it left exactly one, or none). */
    const call = async (path: string, init: RequestInit & { token?: string } = {}, expectRows = 1) => {
      const before = await audit.query({ since: 0, limit: 10_000 });
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      const res = await fetch(`${server.fhirBase}${path}`, { ...init, headers });
      await res.arrayBuffer();
      const rows = await audit.query({ since: 0, limit: 10_000 });
      const added = rows.slice(before.length);
      assert.equal(added.length, expectRows, `${init.method ?? 'GET'} ${path} left ${added.length} rows`);
      return { status: res.status, row: added[0], event: added[0] ? (auditEventOf(added[0]) as any) : undefined };
    };

    test('a read: one row with client, jti, patient, source and outcome; the AuditEvent names the resource', async () => {
      const { status, row, event } = await call(`/Patient/${DAVID}`, { token: david.access_token });
      assert.equal(status, 200);
      assert.equal(row.category, 'fhir');
      assert.equal(row.action, 'read');
      assert.equal(row.outcome, 'success');
      assert.equal(row.clientId, 'demo-confidential-app');
      assert.equal(row.tokenJti, david.jti);
      assert.equal(row.patientId, DAVID);
      assert.equal(row.source, '127.0.0.1');
      assert.equal(row.query, null);
      assert.ok(event.entity.some((e: any) => e.what?.reference === `Patient/${DAVID}` && e.role.code === '4'));
      assert.ok(event.agent.some((a: any) => a.who?.reference === 'Person/4007449' && a.policy?.[0] === david.jti));
      assert.ok(!row.resource.includes(david.access_token));
    });

    test('vread, search (GET and POST _search) with the query, $everything', async () => {
      const v = await call(`/Patient/${DAVID}/_history/1`, { token: david.access_token });
      assert.equal(v.status, 200);
      assert.equal(v.row.action, 'vread');
      const s = await call('/Observation?category=laboratory&_count=5', { token: david.access_token });
      assert.equal(s.status, 200);
      assert.equal(s.row.action, 'search-type');
      assert.equal(s.row.query, 'Observation?category=laboratory&_count=5');
      assert.equal(Buffer.from(s.event.entity.find((e: any) => e.role.code === '24').query, 'base64').toString(), 'Observation?category=laboratory&_count=5');
      const p = await call('/Condition/_search', {
        method: 'POST',
        token: david.access_token,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'clinical-status=active',
      });
      assert.equal(p.status, 200);
      assert.equal(p.row.action, 'search-type');
      assert.equal(p.row.query, 'Condition?clinical-status=active');
      const e = await call(`/Patient/${DAVID}/$everything`, { token: david.access_token });
      assert.equal(e.status, 200);
      assert.equal(e.row.action, 'operation');
    });

    test('failures are recorded too: 401 without or with a bad token, 403 outside the scopes, 404 outside the compartment', async () => {
      const none = await call('/Observation');
      assert.equal(none.status, 401);
      assert.equal(none.row.outcome, 'failure');
      assert.equal(none.row.clientId, null);
      assert.equal(none.event.outcome, '4');
      const bad = await call('/Observation', { token: 'not.a.token' });
      assert.equal(bad.status, 401);
      assert.equal(bad.row.tokenJti, null);
      const forbidden = await call('/Observation?category=laboratory', { token: narrow.access_token });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.row.outcome, 'failure');
      assert.equal(forbidden.row.tokenJti, narrow.jti);
      assert.equal(forbidden.row.query, 'Observation?category=laboratory');
      const hidden = await call(`/Patient/${ANNA}`, { token: david.access_token });
      assert.equal(hidden.status, 404);
      assert.equal(hidden.row.outcome, 'failure');
      assert.equal(hidden.row.patientId, DAVID);
      assert.equal(hidden.event.outcomeDesc, 'HTTP 404');
      const notOffered = await call(`/Patient/${DAVID}`, { method: 'DELETE', token: david.access_token });
      assert.equal(notOffered.status, 405);
      assert.equal(notOffered.row.action, 'delete');
    });

    test('metadata, SMART discovery and CORS preflights leave no row; other paths are untouched', async () => {
      assert.equal((await call('/metadata', {}, 0)).status, 200);
      assert.equal((await call('/.well-known/smart-configuration', {}, 0)).status, 200);
      assert.equal((await call('/Patient', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } }, 0)).status, 204);
      const before = (await audit.query({ since: 0, limit: 10_000 })).length;
      assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
      assert.equal((await audit.query({ since: 0, limit: 10_000 })).length, before);
    });

    test('concurrent requests each leave exactly their own row', async () => {
      const before = (await audit.query({ since: 0, limit: 10_000 })).length;
      const n = 40;
      const statuses = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const res = await fetch(`${server.fhirBase}/Observation?_id=concurrent-${i}`, { headers: { authorization: `Bearer ${david.access_token}` } });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      assert.ok(statuses.every((s) => s === 200));
      const rows = (await audit.query({ since: 0, limit: 10_000 })).slice(before);
      assert.equal(rows.length, n);
      assert.deepEqual(new Set(rows.map((r) => r.query)), new Set(Array.from({ length: n }, (_, i) => `Observation?_id=concurrent-${i}`)));
    });
  });
}

describe('registerFhirAudit when the audit write fails', () => {
  test('the client gets a 500 OperationOutcome instead of the data', async () => {
    const fx = await storeKinds()[0].create();
    try {
      const { sql, state } = countingExecutor(fx.store.sql);
      state.fail = true;
      const trail = new AuditTrail(sql);
      const app = Fastify();
      registerFhirAudit(app, trail, '/fhir', () => ({ clientId: 'app', patient: '1' }));
      app.get('/fhir/Patient/:id', async (_req, reply) => reply.header('etag', 'W/"1"').send({ resourceType: 'Patient', id: '1', secret: 'data' }));
      app.get('/other', async () => ({ ok: true }));
      const res = await app.inject('/fhir/Patient/1');
      assert.equal(res.statusCode, 500);
      assert.equal(res.headers.etag, undefined);
      assert.equal(JSON.parse(res.body).resourceType, 'OperationOutcome');
      assert.ok(!res.body.includes('data'));
      // Outside the FHIR base nothing is audited, so nothing can fail.
      assert.equal((await app.inject('/other')).statusCode, 200);
      state.fail = false;
      assert.equal((await app.inject('/fhir/Patient/1')).statusCode, 200);
      assert.equal(await count(fx.store.sql), 1);
      await app.close();
    } finally {
      await fx.cleanup();
    }
  });
});

// ---- the CLI ------------------------------------------------------------------------------------

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('patient-access audit (runAudit)', () => {
  let dir: string;
  let settings: ReturnType<typeof loadSettings>;
  const run = async (values: Parameters<typeof runAudit>[1], s = settings) => {
    const out = sink();
    const err = sink();
    const status = await runAudit(s, values, { stdout: out.stream, stderr: err.stream });
    return { status, stdout: out.text(), stderr: err.text() };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-audit-cli-'));
    settings = loadSettings({ DATA_DIR: dir, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
    const store = await openStore(settings);
    let t = Date.UTC(2025, 0, 10, 12, 0, 0);
    const trail = new AuditTrail(store.sql, { now: () => t, observer: 'http://localhost:8080/api/fhir/r4' });
    await trail.record({ category: 'auth', action: 'sign-in', outcome: 'success', username: 'david.smith', personId: '4007449', source: '10.0.0.1', clientId: 'app-a' });
    t = Date.UTC(2025, 0, 11, 12, 0, 0);
    await trail.record({ category: 'fhir', action: 'search-type', outcome: 'success', clientId: 'app-a', patientId: DAVID, personId: '4007449', tokenJti: 'j1', source: '10.0.0.1', query: 'Observation?category=laboratory' });
    t = Date.UTC(2025, 0, 12, 12, 0, 0);
    await trail.record({ category: 'fhir', action: 'read', outcome: 'failure', status: 404, clientId: 'app-b', patientId: ANNA, tokenJti: 'j2', source: '10.0.0.2', resourceRef: 'Patient/428946492' });
    await trail.close();
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a table by default with time, action, outcome, client, patient, user, source, query', async () => {
    const { status, stdout } = await run({});
    assert.equal(status, 0);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /^TIME\s+ACTION\s+OUTCOME\s+CLIENT\s+PATIENT\s+USER\s+SOURCE\s+QUERY/);
    assert.equal(lines.length, 4);
    assert.match(lines[1], /2025-01-10T12:00:00\.000Z\s+sign-in\s+success\s+app-a\s+-\s+david\.smith\s+10\.0\.0\.1/);
    assert.match(lines[2], /search-type\s+success\s+app-a\s+428946492\s+Person\/4007449\s+10\.0\.0\.1\s+Observation\?category=laboratory/);
    assert.match(lines[3], /read\s+failure\s+app-b\s+428946523\s+-\s+10\.0\.0\.2\s+Patient\/428946492/);
  });

  test('filters: --patient (also Patient/ID), --client, --since (date or date-time)', async () => {
    assert.equal((await run({ patient: DAVID })).stdout.trim().split('\n').length, 2);
    assert.equal((await run({ patient: `Patient/${ANNA}` })).stdout.trim().split('\n').length, 2);
    const a = (await run({ client: 'app-a' })).stdout;
    assert.ok(a.includes('sign-in') && a.includes('search-type') && !a.includes('app-b'));
    assert.equal((await run({ since: '2025-01-11' })).stdout.trim().split('\n').length, 3);
    assert.equal((await run({ since: '2025-01-11T12:00:00.001Z' })).stdout.trim().split('\n').length, 2);
    assert.equal((await run({ since: '2025-01-12T13:00:00+02:00' })).stdout.trim().split('\n').length, 2);
    const none = await run({ since: '2030-01-01' });
    assert.equal(none.status, 0);
    assert.match(none.stdout, /No audit events match/);
  });

  test('--json prints an array of rows; --ndjson one AuditEvent per line (all matches)', async () => {
    const json = JSON.parse((await run({ json: true, client: 'app-a' })).stdout);
    assert.equal(json.length, 2);
    assert.deepEqual(Object.keys(json[1]).sort(), ['action', 'category', 'client', 'id', 'outcome', 'patient', 'query', 'recorded', 'resource', 'source', 'tokenJti', 'user'].sort());
    assert.equal(json[1].query, 'Observation?category=laboratory');
    assert.deepEqual(JSON.parse((await run({ json: true, patient: 'nobody' })).stdout), []);
    const lines = (await run({ ndjson: true })).stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    const events = lines.map((l) => JSON.parse(l));
    assert.ok(events.every((e) => e.resourceType === 'AuditEvent' && e.id && e.recorded));
    assert.equal(events[2].outcome, '4');
  });

  test('bad flags are refused naming the flag, before anything is opened or changed', async () => {
    const fresh = loadSettings({ DATA_DIR: join(dir, 'untouched'), LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
    for (const since of ['yesterday', '2025-13-01', '2025-02-30', '2025-01-01T25:00', '2025-01-01T10:00+25:00', '01/02/2025', '']) {
      await assert.rejects(run({ since }, fresh), (e: Error) => e instanceof UsageError && /--since/.test(e.message), since);
    }
    await assert.rejects(run({ json: true, ndjson: true }, fresh), (e: Error) => e instanceof UsageError && /--json/.test(e.message));
    await assert.rejects(run({ patient: '' }, fresh), (e: Error) => e instanceof UsageError && /--patient/.test(e.message));
    await assert.rejects(run({ client: 'x'.repeat(201) }, fresh), (e: Error) => e instanceof UsageError && /--client/.test(e.message));
    assert.equal(existsSync(join(dir, 'untouched', SQLITE_FILE_NAME)), false);
  });

  test('parseSince reads dates as UTC days and date-times with or without a zone', () => {
    assert.equal(parseSince('2025-01-31'), Date.UTC(2025, 0, 31));
    assert.equal(parseSince('2024-02-29'), Date.UTC(2024, 1, 29));
    assert.equal(parseSince('2025-01-31T08:30'), Date.UTC(2025, 0, 31, 8, 30));
    assert.equal(parseSince('2025-01-31T08:30:15.5Z'), Date.UTC(2025, 0, 31, 8, 30, 15, 500));
    assert.equal(parseSince('2025-01-31T08:30:00-05:00'), Date.UTC(2025, 0, 31, 13, 30));
    assert.throws(() => parseSince('2023-02-29'), /--since/);
  });
});
