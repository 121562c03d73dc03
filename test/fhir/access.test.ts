/**
 * The access context is part of every query: no path — read, vread, search (GET and POST), counts,
 * paging links, _include, _revinclude, $everything — reaches outside the context's patients, types
 * and granular filters. Runs over real HTTP on each store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { importFiles } from '../../src/importer/index.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { patientAccess, systemAccess, type TypeGrant } from '../../src/fhir/access.js';

const SAMPLES = fileURLToPath(new URL('../../../shared/fhir/samples/', import.meta.url));
const FILES = ['uscore_bundle_patient_85.json', 'uscore_bundle_patient_355.json'].map((f) => SAMPLES + f);

/** Ids of resources in the other patient's bundle, computed from the files (not from our index). */
function bundleResources(file: string): { resourceType: string; id: string; [k: string]: unknown }[] {
  const b = JSON.parse(readFileSync(file, 'utf8'));
  return b.entry.map((e: any) => {
    const id = e.request.method === 'PUT' ? e.request.url.split('/')[1] : e.fullUrl.replace('urn:uuid:', '');
    return { ...e.resource, id };
  });
}

const LAB = { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' };

for (const kind of storeKinds()) {
  describe(`access context (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: TestServer;
    const own = bundleResources(FILES[0]);
    const other = bundleResources(FILES[1]);
    const otherPatient = other.find((r) => r.resourceType === 'Patient')!.id;
    const ownPatient = own.find((r) => r.resourceType === 'Patient')!.id;
    const ownIds = new Set(own.map((r) => `${r.resourceType}/${r.id}`));
    const sharedTypes = new Set(['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'Medication', 'Endpoint']);

    before(async () => {
      fx = await kind.create();
      await importFiles(fx.store, defaultRegistry(), FILES);
      const limited = new Map<string, TypeGrant>([
        ['Patient', { read: true, search: true }],
        ['Condition', { read: true, search: true }],
        ['Observation', { read: true, search: true }],
      ]);
      const labsOnly = new Map<string, TypeGrant>([
        ['Observation', { read: true, search: true, filters: [{ kind: 'token', param: 'category', any: [LAB] }] }],
      ]);
      const readOnly = new Map<string, TypeGrant>([['*', { read: true, search: false }]]);
      server = await startServer(fx.store, {
        system: systemAccess(),
        own: patientAccess([ownPatient]),
        limited: patientAccess([ownPatient], limited),
        labs: patientAccess([ownPatient], labsOnly),
        readOnly: patientAccess([ownPatient], readOnly),
        person: patientAccess([ownPatient], undefined, [{ type: 'Person', id: 'p1' }]),
      });
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    const leaked = (body: any) =>
      (body.entry ?? [])
        .map((e: any) => `${e.resource.resourceType}/${e.resource.id}`)
        .filter((key: string) => !ownIds.has(key) && !sharedTypes.has(key.split('/')[0]));

    test('reads of the other patient and of their resources are 404, never 403', async () => {
      for (const r of other.filter((x) => !sharedTypes.has(x.resourceType))) {
        const res = await server.get(`${r.resourceType}/${r.id}`, 'own');
        assert.equal(res.status, 404, `${r.resourceType}/${r.id}`);
        assert.equal(res.body.resourceType, 'OperationOutcome');
        const v = await server.get(`${r.resourceType}/${r.id}/_history/1`, 'own');
        assert.equal(v.status, 404);
      }
      // The system context sees them, so the 404s above are the context's doing.
      const sys = await server.get(`Patient/${otherPatient}`, 'system');
      assert.equal(sys.status, 200);
    });

    test('own resources and shared reference data are readable', async () => {
      for (const r of own.slice(0, 40)) {
        const res = await server.get(`${r.resourceType}/${r.id}`, 'own');
        assert.equal(res.status, 200, `${r.resourceType}/${r.id}`);
      }
    });

    test('searches naming the other patient find nothing, in every form', async () => {
      for (const q of [
        `Observation?patient=${otherPatient}`,
        `Observation?patient=Patient/${otherPatient}`,
        `Observation?patient=${server.fhirBase}/Patient/${otherPatient}`,
        `Condition?patient=${otherPatient}&_total=accurate`,
        `Patient?_id=${otherPatient}`,
        `Encounter?patient=${otherPatient}&_revinclude=Provenance:target`,
      ]) {
        const res = await server.get(q, 'own');
        assert.equal(res.status, 200, q);
        assert.deepEqual(res.body.entry ?? [], [], q);
      }
      const count = await server.get(`Observation?patient=${otherPatient}&_summary=count`, 'own');
      assert.equal(count.body.total, 0);
    });

    test('unfiltered searches, counts and pages hold only own data', async () => {
      for (const type of ['Observation', 'Condition', 'Encounter', 'Provenance', 'Patient', 'DocumentReference']) {
        const expected = own.filter((r) => r.resourceType === type).length;
        const count = await server.get(`${type}?_summary=count`, 'own');
        assert.equal(count.body.total, expected, `${type} count`);
        let url: string | undefined = `${type}?_count=7`;
        const seen: string[] = [];
        while (url) {
          const page = await server.get(url, 'own');
          assert.equal(page.status, 200);
          assert.deepEqual(leaked(page.body), []);
          seen.push(...(page.body.entry ?? []).map((e: any) => e.resource.id));
          url = page.body.link.find((l: any) => l.relation === 'next')?.url;
        }
        assert.equal(seen.length, expected, `${type} pages`);
      }
    });

    test('POST _search is restricted the same way', async () => {
      const res = await fetch(`${server.fhirBase}/Observation/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test-context': 'own' },
        body: `patient=${otherPatient}`,
      });
      const body = await res.json();
      assert.equal(res.status, 200);
      assert.deepEqual(body.entry ?? [], []);
    });

    test('_include and _revinclude never bring in the other patient', async () => {
      for (const q of [
        'MedicationRequest?_include=MedicationRequest:medication&_count=100',
        'Observation?_revinclude=Provenance:target&_count=100',
        'Encounter?_revinclude=Provenance:target&_count=100',
        'CareTeam?_include=CareTeam:participant&_count=100',
      ]) {
        const res = await server.get(q, 'own');
        assert.equal(res.status, 200, q);
        assert.deepEqual(leaked(res.body), [], q);
      }
      const rev = await server.get('Observation?_revinclude=Provenance:target&_count=100', 'own');
      assert.ok(rev.body.entry.some((e: any) => e.resource.resourceType === 'Provenance' && e.search.mode === 'include'));
    });

    test('$everything of the other patient is 404; of one\'s own holds only one\'s own', async () => {
      const res = await server.get(`Patient/${otherPatient}/$everything`, 'own');
      assert.equal(res.status, 404);
      let url: string | undefined = `Patient/${ownPatient}/$everything?_count=100`;
      let n = 0;
      while (url) {
        const page = await server.get(url, 'own');
        assert.equal(page.status, 200);
        assert.deepEqual(leaked(page.body), []);
        n += page.body.entry.filter((e: any) => e.search.mode === 'match').length;
        url = page.body.link.find((l: any) => l.relation === 'next')?.url;
      }
      assert.equal(n, own.filter((r) => !sharedTypes.has(r.resourceType)).length);
    });

    test('an edited paging link is refused, and a rebuilt one is still restricted', async () => {
      const page = await server.get(`Observation?patient=${ownPatient}&_count=5`, 'own');
      const next = page.body.link.find((l: any) => l.relation === 'next').url as string;
      const edited = next.replace(`patient=${ownPatient}`, `patient=${otherPatient}`);
      const res = await server.get(edited, 'own');
      assert.equal(res.status, 400);
      assert.equal(res.body.resourceType, 'OperationOutcome');
    });

    test('types outside the grant are 403 for read and search', async () => {
      const enc = own.find((r) => r.resourceType === 'Encounter')!;
      assert.equal((await server.get(`Encounter/${enc.id}`, 'limited')).status, 403);
      assert.equal((await server.get('Encounter', 'limited')).status, 403);
      assert.equal((await server.get(`Patient/${ownPatient}`, 'limited')).status, 200);
      assert.equal((await server.get('Condition', 'limited')).status, 200);
      // Included resources of types outside the grant are left out, not leaked.
      const withProv = await server.get('Observation?_revinclude=Provenance:target', 'limited');
      assert.equal(withProv.status, 200);
      assert.ok(!withProv.body.entry.some((e: any) => e.resource.resourceType === 'Provenance'));
      // $everything holds only granted types.
      const all = await server.get(`Patient/${ownPatient}/$everything?_count=1000`, 'limited');
      const types = new Set(all.body.entry.map((e: any) => e.resource.resourceType));
      for (const t of types) assert.ok(['Patient', 'Condition', 'Observation'].includes(t as string), `unexpected ${t}`);
    });

    test('a read grant without search allows reads only', async () => {
      assert.equal((await server.get(`Patient/${ownPatient}`, 'readOnly')).status, 200);
      const res = await server.get('Observation', 'readOnly');
      assert.equal(res.status, 403);
      assert.equal(res.body.issue[0].code, 'forbidden');
    });

    test('a granular grant (lab Observations only) filters inside the query', async () => {
      const labs = own.filter(
        (r) => r.resourceType === 'Observation' && JSON.stringify(r.category ?? []).includes('"laboratory"'),
      );
      const notLab = own.find((r) => r.resourceType === 'Observation' && !labs.includes(r))!;
      const count = await server.get('Observation?_summary=count', 'labs');
      assert.equal(count.body.total, labs.length);
      const all = await server.get('Observation?_count=1000', 'labs');
      assert.deepEqual(
        all.body.entry.map((e: any) => e.resource.id).sort(),
        labs.map((r) => r.id).sort(),
      );
      assert.equal((await server.get(`Observation/${notLab.id}`, 'labs')).status, 404);
      assert.equal((await server.get(`Observation/${labs[0].id}`, 'labs')).status, 200);
      const vitals = await server.get('Observation?category=vital-signs', 'labs');
      assert.deepEqual(vitals.body.entry ?? [], []);
    });

    test('Person is readable only when it is the caller\'s own', async () => {
      // No Person exists in the samples: both answers are 404, and a search cannot list others.
      assert.equal((await server.get('Person/p1', 'person')).status, 404);
      assert.equal((await server.get('Person/p2', 'person')).status, 404);
    });

    test('without an access context nothing is served', async () => {
      const res = await server.get(`Patient/${ownPatient}`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.equal((await server.get('metadata')).status, 200);
    });
  });
}
