// Bad input over real HTTP, on every store: each gets a clean 4xx with an OperationOutcome that names
// the problem, never a 5xx, never a stack trace, never data it should not give, and changes nothing.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { importFiles } from '../../src/importer/index.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { patientAccess, systemAccess } from '../../src/fhir/access.js';
import { prepareWrite } from '../../src/fhir/prepare.js';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SAMPLE = fileURLToPath(new URL('../../../shared/fhir/samples/uscore_bundle_patient_85.json', import.meta.url));
const BULK = 1001;

interface Reply {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

const STACK_RE = /(\n\s+at\s|\bat\s+\S+\s+\(|\bat\s+[^\s]*\.(ts|js|mjs|cjs):\d+|[\/\\](src|node_modules)[\/\\]\S+\.(ts|js)|\b[A-Za-z]*Error:)/;

function assertClean(res: Reply, label: string) {
  assert.ok(res.status < 500, `${label}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.ok(!STACK_RE.test(res.text), `${label}: body looks like it carries a stack trace or internal error: ${res.text.slice(0, 500)}`);
}

/** A 4xx OperationOutcome whose diagnostics mention every one of `names` (case-insensitive). */
function assertOutcome(res: Reply, status: number | number[], names: string[], label: string) {
  assertClean(res, label);
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `${label}: expected ${statuses.join('/')}, got ${res.status}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/, `${label}: content-type`);
  assert.equal(res.body?.resourceType, 'OperationOutcome', `${label}: ${res.text.slice(0, 300)}`);
  assert.ok(Array.isArray(res.body.issue) && res.body.issue.length > 0, `${label}: has issues`);
  for (const i of res.body.issue) assert.ok(typeof i.diagnostics === 'string' && i.diagnostics.length > 0, `${label}: diagnostics`);
  const text = res.body.issue.map((i: any) => `${i.diagnostics} ${(i.expression ?? []).join(' ')}`).join('\n').toLowerCase();
  for (const n of names) assert.ok(text.includes(n.toLowerCase()), `${label}: the outcome should name '${n}': ${text.slice(0, 400)}`);
}

/** A searchset without any entry, or a 4xx OperationOutcome. */
function assertEmptyOrRefused(res: Reply, label: string) {
  assertClean(res, label);
  if (res.status === 200) {
    assert.equal(res.body.resourceType, 'Bundle', label);
    assert.equal((res.body.entry ?? []).length, 0, `${label}: returned data: ${res.text.slice(0, 300)}`);
  } else {
    assert.ok(res.status >= 400 && res.status < 500, `${label}: ${res.status}`);
    if (res.status !== 414 && res.status !== 431) assert.equal(res.body?.resourceType, 'OperationOutcome', label);
  }
}

for (const kind of storeKinds()) {
  describe(`bad input (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: TestServer;
    let counts: Record<string, number>;

    async function req(method: string, path: string, opts: { context?: string | null; headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<Reply> {
      const url = path.startsWith('http') ? path : `${server.fhirBase}/${path}`;
      const context = opts.context === undefined ? 'system' : opts.context;
      const res = await fetch(url, {
        method,
        headers: { ...(context ? { 'x-test-context': context } : {}), ...(opts.headers ?? {}) },
        body: opts.body as BodyInit | undefined,
      });
      const text = await res.text();
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, text, body, headers: res.headers };
    }
    const get = (path: string, opts: { context?: string | null; headers?: Record<string, string> } = {}) => req('GET', path, opts);
    const lenient = { headers: { prefer: 'handling=lenient' } };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    before(async () => {
      fx = await kind.create();
      const [report] = await importFiles(fx.store, defaultRegistry(), [SAMPLE]);
      assert.equal(report.rejected, false);
      // A patient with more Observations than the largest page.
      const bulk = Array.from({ length: BULK }, (_, i) =>
        prepareWrite(defaultRegistry(), {
          resourceType: 'Observation',
          id: `bulk-${i}`,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
          subject: { reference: 'Patient/bulk' },
          effectiveDateTime: '2020-01-01',
        }),
      );
      await fx.store.writeResources([prepareWrite(defaultRegistry(), { resourceType: 'Patient', id: 'bulk' }), ...bulk]);
      server = await startServer(fx.store, { system: systemAccess(), p85: patientAccess(['85']), nobody: patientAccess([]) });
      counts = await fx.store.countByType();
      assert.equal(counts.Observation, 66 + BULK);
    });
    afterEach(async () => {
      if (!fx) return;
      assert.deepEqual(await fx.store.countByType(), counts, 'row counts changed');
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    describe('search parameters', () => {
      test('an unknown parameter is refused by name, and ignored when lenient', async () => {
        assertOutcome(await get('Observation?patient=85&foo=bar'), 400, ['foo'], 'unknown');
        const strict = await get('Observation?patient=85&_count=100');
        const loose = await get('Observation?patient=85&foo=bar&_count=100', lenient);
        assert.equal(loose.status, 200, loose.text.slice(0, 300));
        assert.equal(loose.body.resourceType, 'Bundle');
        assert.deepEqual(
          loose.body.entry.map((e: any) => e.resource.id),
          strict.body.entry.map((e: any) => e.resource.id),
        );
        // A chained or dotted name is unknown too.
        assertOutcome(await get('Observation?subject.name=x'), 400, ['subject.name'], 'chain');
      });

      test('several unknown parameters are all named', async () => {
        assertOutcome(await get('Observation?foo=1&bar=2&baz:exact=3&patient=85'), 400, ['foo', 'bar', 'baz'], 'several');
      });

      for (const bad of ['2020-13-45', 'xx2020', 'garbage', '2020-02-30', 'ge', '20200101', '2020-01-01T25:00:00Z', 'ge2020,lt']) {
        test(`date=${bad} is refused naming date`, async () => {
          assertOutcome(await get(`Observation?patient=85&date=${encodeURIComponent(bad)}`), 400, ['date', bad.split(',').pop()!], bad);
        });
      }
      test('_lastUpdated=garbage is refused', async () => {
        assertOutcome(await get('Observation?_lastUpdated=garbage'), 400, ['_lastUpdated'], 'lastUpdated');
      });

      for (const bad of ['-1', 'abc', '100000', '1.5', '']) {
        test(`_count=${bad} is refused`, async () => {
          assertOutcome(await get(`Observation?patient=85&_count=${bad}`), 400, ['_count'], `_count=${bad}`);
        });
      }
      test('_count=100000 when lenient: 200, capped at 1000', async () => {
        const res = await get('Observation?patient=bulk&_count=100000', lenient);
        assert.equal(res.status, 200, res.text.slice(0, 300));
        assert.equal(res.body.entry.length, 1000);
        assert.ok(res.body.link.some((l: any) => l.relation === 'next'), 'a next link to the rest');
      });

      for (const bad of ['foo', 'code', '-status', 'date,foo', '', '--date']) {
        test(`_sort=${bad} is refused`, async () => {
          assertOutcome(await get(`Observation?patient=85&_sort=${encodeURIComponent(bad)}`), 400, ['_sort'], `_sort=${bad}`);
        });
      }

      for (const bad of ['Observation:foo', 'Patient:organization', 'garbage', 'Observation:patient:Practitioner', 'MedicationRequest:medication', '']) {
        test(`_include=${bad} is refused`, async () => {
          assertOutcome(await get(`Observation?patient=85&_include=${encodeURIComponent(bad)}`), 400, ['_include'], `_include=${bad}`);
        });
      }
      for (const bad of ['Foo:bar', 'Provenance:nope', 'Provenance:target:Patient', 'garbage']) {
        test(`_revinclude=${bad} is refused`, async () => {
          assertOutcome(await get(`Observation?patient=85&_revinclude=${encodeURIComponent(bad)}`), 400, ['_revinclude'], `_revinclude=${bad}`);
        });
      }
      for (const [name, value] of [
        ['_summary', 'text'],
        ['_total', 'maybe'],
        ['_id', 'a$b'],
        ['code:below', 'x'],
        ['category', ''],
        ['patient', 'Patient/'],
        ['patient:Foo', '85'],
        ['patient', 'a b'],
      ]) {
        test(`${name}=${value} is refused`, async () => {
          assertOutcome(await get(`Observation?${encodeURIComponent(name)}=${encodeURIComponent(value)}`), 400, [name.split(':')[0]], `${name}=${value}`);
        });
      }
    });

    describe('injection attempts', () => {
      const attempts: [string, string][] = [
        ['Patient', `name=${encodeURIComponent("' OR 1=1 --")}`],
        ['Patient', `name=${encodeURIComponent("%' OR '1'='1")}`],
        ['Patient', `name=${encodeURIComponent('%')}`],
        ['Patient', `name=${encodeURIComponent('_')}`],
        ['Patient', `name:contains=${encodeURIComponent('%')}`],
        ['Observation', `code=${encodeURIComponent("x'); DROP TABLE resources; --")}`],
        ['Observation', `code=${encodeURIComponent("x' OR '1'='1")}`],
        ['Observation', `code=%27%20or%20true`],
        ['Observation', `code=${encodeURIComponent("' or true or '")}`],
        ['Observation', `code=${encodeURIComponent("where(true)")}`],
        ['Observation', `code=${encodeURIComponent('%resource.id')}`],
        ['Observation', `_id=${encodeURIComponent('1 OR 1=1')}`],
        ['Observation', `_id=${encodeURIComponent("1' OR '1'='1")}`],
        ['Observation', `patient=${encodeURIComponent("85' OR '1'='1")}`],
        ['Observation', `patient=${encodeURIComponent('85 OR 1=1')}`],
        ['Observation', `category=${encodeURIComponent("x|y' OR 1=1; --")}`],
        ['Observation', `date=${encodeURIComponent("2020' OR 1=1 --")}`],
        ['Observation', `_sort=${encodeURIComponent('date; DROP TABLE resources')}`],
        ['Observation', `${encodeURIComponent("code' OR 1=1 --")}=x`],
        ['Observation', `_count=${encodeURIComponent('1; DROP TABLE resources')}`],
      ];
      for (const [type, q] of attempts) {
        test(`${type}?${decodeURIComponent(q)} returns nothing it should not`, async () => {
          assertEmptyOrRefused(await get(`${type}?${q}`), q);
          assertEmptyOrRefused(await get(`${type}?${q}`, { context: 'p85' }), `${q} (patient)`);
        });
      }
      test('the tables are still there and a normal search still works', async () => {
        const res = await get('Observation?patient=85&_summary=count');
        assert.equal(res.status, 200);
        assert.equal(res.body.total, 66);
      });
      test('a patient context cannot widen its compartment through parameters', async () => {
        for (const q of ['patient=bulk', 'patient=85,bulk', '_id=bulk-1', 'patient=Patient/bulk', `patient=${encodeURIComponent('85\' OR 1=1 --')}`]) {
          const res = await get(`Observation?${q}`, { context: 'p85' });
          assertClean(res, q);
          if (res.status === 200) {
            for (const e of res.body.entry ?? []) assert.ok(!String(e.resource.id).startsWith('bulk-'), `${q}: leaked ${e.resource.id}`);
          }
        }
        const none = await get('Observation?patient=85', { context: 'nobody' });
        assertEmptyOrRefused(none, 'empty compartment');
      });
    });

    describe('paging links', () => {
      async function nextLink(path: string, context = 'system'): Promise<URL> {
        const res = await get(path, { context });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        const next = res.body.link.find((l: any) => l.relation === 'next');
        assert.ok(next, 'a next link');
        return new URL(next.url);
      }
      test('the untouched next link works', async () => {
        const url = await nextLink('Observation?patient=85&_count=5');
        const res = await get(url.href);
        assert.equal(res.status, 200);
        assert.equal(res.body.entry.length, 5);
      });
      test('a cursor with one character changed is refused', async () => {
        const url = await nextLink('Observation?patient=85&_count=5');
        const cursor = url.searchParams.get('_cursor')!;
        const dot = cursor.indexOf('.');
        for (const at of [0, Math.floor(dot / 2), dot - 1, dot + 1, Math.floor((dot + cursor.length) / 2)]) {
          const c = cursor[at] === 'A' ? 'B' : 'A';
          const edited = new URL(url);
          edited.searchParams.set('_cursor', cursor.slice(0, at) + c + cursor.slice(at + 1));
          assertOutcome(await get(edited.href), 400, ['_cursor'], `edited at ${at}`);
        }
      });
      test('a cursor whose last character is changed is refused (no second spelling of a cursor)', async () => {
        // The signature is 16 bytes: its 22nd base64url character carries 2 bits and 4 unused ones.
        // Flipping an unused bit gives another string for the same bytes; it is still an edited link.
        const url = await nextLink('Observation?patient=85&_count=5');
        const cursor = url.searchParams.get('_cursor')!;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const last = alphabet.indexOf(cursor[cursor.length - 1]);
        const edited = new URL(url);
        edited.searchParams.set('_cursor', cursor.slice(0, -1) + alphabet[last ^ 1]);
        assertOutcome(await get(edited.href), 400, ['_cursor'], 'last character edited');
      });
      test('a forged cursor (payload re-encoded without the key) is refused', async () => {
        const url = await nextLink('Observation?patient=85&_count=5');
        const [payload, mac] = url.searchParams.get('_cursor')!.split('.');
        const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        decoded[1] = 0; // back to the start
        const forged = new URL(url);
        forged.searchParams.set('_cursor', `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`);
        assertOutcome(await get(forged.href), 400, ['_cursor'], 'forged');
        const garbage = new URL(url);
        garbage.searchParams.set('_cursor', `${Buffer.from('{"x":').toString('base64url')}.${mac}`);
        assertOutcome(await get(garbage.href), 400, ['_cursor'], 'garbage payload');
      });
      test('a cursor moved onto another search is refused', async () => {
        const url = await nextLink('Observation?patient=85&_count=5');
        const cursor = url.searchParams.get('_cursor')!;
        for (const other of [
          'Observation?patient=85&category=vital-signs&_count=5',
          'Observation?patient=85&_count=6',
          'Observation?patient=bulk&_count=5',
          'Encounter?patient=85&_count=5',
          'Observation?patient=85&_count=5&_sort=date',
          'Patient/85/$everything?_count=5',
        ]) {
          assertOutcome(await get(`${other}&_cursor=${encodeURIComponent(cursor)}`), 400, ['_cursor'], other);
        }
      });
      test('a truncated or empty cursor is refused', async () => {
        const url = await nextLink('Observation?patient=85&_count=5');
        const cursor = url.searchParams.get('_cursor')!;
        for (const c of [cursor.slice(0, cursor.length - 3), cursor.split('.')[0], cursor.split('.')[0] + '.', '.', 'x'.repeat(3000)]) {
          const edited = new URL(url);
          edited.searchParams.set('_cursor', c);
          assertOutcome(await get(edited.href), 400, ['_cursor'], `truncated to ${c.length}`);
        }
      });
      test('an $everything cursor edited is refused', async () => {
        const url = await nextLink('Patient/85/$everything?_count=5', 'p85');
        const cursor = url.searchParams.get('_cursor')!;
        const edited = new URL(url);
        edited.searchParams.set('_cursor', cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA'));
        assertOutcome(await get(edited.href, { context: 'p85' }), 400, ['_cursor'], 'everything');
        for (const q of ['_count=0', '_count=abc', '_count=5000', 'foo=bar', '_since=garbage']) {
          assertOutcome(await get(`Patient/85/$everything?${q}`, { context: 'p85' }), 400, [q.split('=')[0]], q);
        }
      });
    });

    describe('routes, methods and bodies', () => {
      test('an unknown resource type is 404', async () => {
        for (const path of ['Foo', 'Foo?x=1', 'Foo/1', 'observation', 'Observation1/1']) {
          assertOutcome(await get(path), 404, [path.split(/[/?]/)[0]], path);
        }
        assertOutcome(await req('POST', 'Foo/_search', { headers: form, body: 'a=b' }), 404, ['Foo'], 'POST Foo/_search');
      });

      for (const method of ['PUT', 'DELETE', 'POST', 'PATCH']) {
        test(`${method} /Observation/x is 405`, async () => {
          const body = method === 'DELETE' ? undefined : JSON.stringify({ resourceType: 'Observation', id: 'x', status: 'final', code: { text: 'x' } });
          const res = await req(method, 'Observation/x', { headers: body ? { 'content-type': 'application/fhir+json' } : {}, body });
          assertOutcome(res, 405, [method], `${method} Observation/x`);
        });
      }
      test('POST /Observation (create) and PUT /Observation are 405', async () => {
        const body = JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
        for (const method of ['POST', 'PUT']) {
          assertOutcome(await req(method, 'Observation', { headers: { 'content-type': 'application/fhir+json' }, body }), 405, [method], method);
        }
        assertOutcome(await req('POST', '', { headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [] }) }), 405, ['POST'], 'transaction');
      });

      test('POST _search with a JSON body is refused', async () => {
        const res = await req('POST', 'Observation/_search', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ patient: '85' }) });
        assertOutcome(res, [400, 415], ['x-www-form-urlencoded'], 'json body');
        const fhirJson = await req('POST', 'Observation/_search', { headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Parameters' }) });
        assertOutcome(fhirJson, [400, 415], ['x-www-form-urlencoded'], 'fhir+json body');
        const text = await req('POST', 'Observation/_search', { headers: { 'content-type': 'text/plain' }, body: 'patient=85' });
        assertOutcome(text, 415, ['content-type'], 'text/plain body');
      });

      test('POST _search with a body over the limit is 413', async () => {
        const big = 'patient=' + 'x'.repeat(16 * 1024 * 1024 + 10);
        let res: Reply | undefined;
        try {
          res = await req('POST', 'Observation/_search', { headers: form, body: big });
        } catch (err) {
          assert.fail(`the server dropped the connection instead of answering 413: ${(err as Error).message}`);
        }
        assertOutcome(res!, 413, ['larger'], 'oversized');
      });

      test('POST _search with a malformed form body is a 4xx naming the problem', async () => {
        const bad = await req('POST', 'Observation/_search', { headers: form, body: '%zz=1&patient=85' });
        assertOutcome(bad, 400, ['%zz'], 'malformed name');
        const badValue = await req('POST', 'Observation/_search', { headers: form, body: 'patient=85&date=%E0%A4%A' });
        assertOutcome(badValue, 400, ['date'], 'malformed value');
        const noEq = await req('POST', 'Observation/_search', { headers: form, body: '&&&=&patient' });
        assertClean(noEq, 'odd form');
        assert.ok(noEq.status >= 400 && noEq.status < 500, `odd form: ${noEq.status}`);
        const binary = await req('POST', 'Observation/_search', { headers: form, body: new Uint8Array([0xff, 0xfe, 0x00, 0x3d, 0x01]) });
        assertClean(binary, 'binary form');
        assert.ok(binary.status >= 400 && binary.status < 500, `binary form: ${binary.status}`);
      });

      test('a malformed JSON body is 400 (or 405 for the interaction) without internals', async () => {
        for (const path of ['Observation/_search', 'Observation', 'Observation/x', '']) {
          const res = await req('POST', path, { headers: { 'content-type': 'application/fhir+json' }, body: '{"resourceType": "Observation", ' });
          assertOutcome(res, [400, 405, 415], [], `malformed JSON to ${path}`);
        }
      });

      test('very long parameter values are a 4xx (or an empty result), never a 5xx', async () => {
        const long = 'a'.repeat(100 * 1024);
        for (const q of [`code=${long}`, `name=${long}`, `_id=${long}`, `date=${long}`, `patient=${long}`, `${long}=1`, `_cursor=${long}`]) {
          const type = q.startsWith('name') ? 'Patient' : 'Observation';
          assertEmptyOrRefused(await get(`${type}?${q}`), `GET ${q.slice(0, 12)}…`);
          assertEmptyOrRefused(await req('POST', `${type}/_search`, { headers: form, body: q }), `POST ${q.slice(0, 12)}…`);
        }
        assertEmptyOrRefused(await get(`Observation/${long}`), 'long id');
      });

      test('very long parameter values sent in the body get an OperationOutcome when refused', async () => {
        const long = 'a'.repeat(100 * 1024);
        for (const q of [`_id=${long}`, `date=${long}`, `${long}=1`, `_cursor=${long}`, `patient=Patient/${long}`]) {
          const res = await req('POST', 'Observation/_search', { headers: form, body: q });
          assertOutcome(res, 400, [], `POST ${q.slice(0, 12)}…`);
        }
      });

      test('a 10 KB value in the URL reaches the search and is answered normally', async () => {
        const long = 'a'.repeat(10 * 1024);
        assertEmptyOrRefused(await get(`Observation?code=${long}`), 'GET code=10KB');
        assertOutcome(await get(`Observation?_id=${long}`), 400, ['_id'], 'GET _id=10KB');
      });

      test('an id longer than the router accepts (300 characters) gets an OperationOutcome', async () => {
        assertOutcome(await get(`Observation/${'a'.repeat(300)}`), [404, 414], [], 'id of 300 characters');
      });

      test('a URL too long for the server is refused with an OperationOutcome (414/431)', async () => {
        const res = await get(`Observation?code=${'a'.repeat(100 * 1024)}`);
        assertOutcome(res, [414, 431], [], 'GET with a 100 KB query');
      });

      test('Accept: application/fhir+xml is 406', async () => {
        for (const path of ['Observation?patient=85', 'Patient/85', 'metadata', 'Patient/85/$everything']) {
          assertOutcome(await get(path, { headers: { accept: 'application/fhir+xml' } }), 406, ['xml'], path);
        }
        assertOutcome(await get('Observation?patient=85&_format=xml'), 406, ['xml'], '_format=xml');
        const ok = await get('Patient/85', { headers: { accept: 'application/fhir+json' } });
        assert.equal(ok.status, 200);
      });

      test('reads of unknown or invalid ids are 404', async () => {
        for (const path of [
          'Observation/does-not-exist',
          'Patient/86',
          `Observation/${'a'.repeat(65)}`,
          'Observation/a$b',
          'Observation/a%20b',
          'Observation/a_b',
          'Observation/%2E%2E%2Fetc%2Fpasswd',
          "Observation/1'%20OR%20'1'='1",
          'Observation/x/_history/abc',
          'Patient/85/_history/abc',
          'Patient/85/_history/2',
          'Patient/86/_history/1',
          'Patient/85/$nope',
          'Patient/86/$everything',
          'Observation/x/y/z/w',
        ]) {
          assertOutcome(await get(path), 404, [], path);
        }
        const ok = await get('Patient/85/_history/1');
        assert.equal(ok.status, 200);
        assert.equal(ok.body.meta.versionId, '1');
      });

      test('no access context is 401 with WWW-Authenticate: Bearer', async () => {
        for (const [method, path, body] of [
          ['GET', 'Observation?patient=85', undefined],
          ['GET', 'Patient/85', undefined],
          ['GET', 'Patient/85/_history/1', undefined],
          ['GET', 'Patient/85/$everything', undefined],
          ['POST', 'Observation/_search', 'patient=85'],
        ] as [string, string, string | undefined][]) {
          const res = await req(method, path, { context: null, headers: body ? form : {}, body });
          assertOutcome(res, 401, [], `${method} ${path}`);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, `${method} ${path}: WWW-Authenticate`);
          assert.ok(!res.text.includes('Bosco'), 'no data');
        }
        const unknown = await req('GET', 'Patient/85', { context: 'no-such-context' });
        assertOutcome(unknown, 401, [], 'unknown context');
      });

      test('the patient context gets 404, not 403, for another patient (never revealing it exists)', async () => {
        const other = await get('Observation/bulk-1', { context: 'p85' });
        const missing = await get('Observation/never-existed', { context: 'p85' });
        assertOutcome(other, 404, [], 'other patient');
        assertOutcome(missing, 404, [], 'missing');
        assert.equal(other.body.issue[0].code, missing.body.issue[0].code);
      });
    });

    test('row counts are unchanged after everything', async () => {
      assert.deepEqual(await fx.store.countByType(), counts);
    });
  });
}
