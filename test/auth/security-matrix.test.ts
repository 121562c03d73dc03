/**
 * The patient-isolation matrix, over real HTTP with tokens from the real screens, on every store kind:
 * with a token for one patient, every path to another patient's record — read, vread, search by patient
 * in every spelling, `_id`, POST `_search`, `_include`/`_revinclude`, `_summary=count`, `$everything`,
 * edited paging links — returns nothing of theirs (SPEC §5: 404, never 403, never a hint). The expected
 * sets are computed here from the demo data (`demoPracticeResources()`), never from the server.
 * Also: tampered, unsigned, foreign-signed, expired and otherwise wrong access tokens are 401 with
 * `WWW-Authenticate: Bearer` and an OperationOutcome.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { obtainTokens, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import { DEMO_PATIENTS, DEMO_PERSONS, demoPracticeResources } from '../../src/demo/practice/index.js';
import { AuthStore } from '../../src/store/auth.js';

// ---------------------------------------------------------------------------------------------------
// Expected sets, from the demo data alone.

interface DemoResource {
  resourceType: string;
  id: string;
  [k: string]: unknown;
}

const RESOURCES = demoPracticeResources() as unknown as DemoResource[];
const SHARED = 'shared';

/** Whose record a demo resource is part of: a patient id, `shared` reference data, or `Person:{id}`. */
function ownerOf(r: DemoResource): string {
  if (r.resourceType === 'Patient') return r.id;
  if (r.resourceType === 'Person') return `Person:${r.id}`;
  for (const field of ['subject', 'patient', 'beneficiary']) {
    const ref = (r[field] as { reference?: string } | undefined)?.reference;
    if (ref?.startsWith('Patient/')) return ref.slice('Patient/'.length);
  }
  if (r.resourceType === 'Provenance') {
    const targets = (r.target as { reference: string }[]).map((t) => t.reference).filter((ref) => ref.startsWith('Patient/'));
    assert.equal(targets.length, 1, `Provenance/${r.id} targets exactly one patient`);
    return targets[0].slice('Patient/'.length);
  }
  return SHARED;
}

const OWNER = new Map<string, string>(RESOURCES.map((r) => [`${r.resourceType}/${r.id}`, ownerOf(r)]));
const TYPES = [...new Set(RESOURCES.map((r) => r.resourceType))].sort();
const SHARED_DEMO_TYPES = TYPES.filter((t) => RESOURCES.filter((r) => r.resourceType === t).every((r) => ownerOf(r) === SHARED));
const PATIENT_DATA_TYPES = TYPES.filter((t) => t !== 'Person' && !SHARED_DEMO_TYPES.includes(t));
const recordOf = (patient: string) => RESOURCES.filter((r) => OWNER.get(`${r.resourceType}/${r.id}`) === patient);
const keyOf = (r: { resourceType: string; id?: string }) => `${r.resourceType}/${r.id}`;

// Sanity of the demo data the matrix relies on (a failure here is a broken fixture, not a product bug).
assert.deepEqual(SHARED_DEMO_TYPES, ['Location', 'Medication', 'Organization', 'Practitioner', 'PractitionerRole', 'Questionnaire']);
for (const p of Object.values(DEMO_PATIENTS)) assert.ok(recordOf(p).length > 40, `patient ${p} has a record`);

interface Viewer {
  label: string;
  username: string;
  /** The patient picked on the picker (david.smith only). */
  pick?: string;
  own: string;
  person: string;
  others: string[];
}

const ANNA: Viewer = {
  label: 'anna.smith (Anna)',
  username: 'anna.smith',
  own: DEMO_PATIENTS.anna,
  person: DEMO_PERSONS.anna,
  others: [DEMO_PATIENTS.david, DEMO_PATIENTS.alex],
};
const DAVID_AS_ALEX: Viewer = {
  label: 'david.smith choosing Alex',
  username: 'david.smith',
  pick: DEMO_PATIENTS.alex,
  own: DEMO_PATIENTS.alex,
  person: DEMO_PERSONS.david,
  others: [DEMO_PATIENTS.david, DEMO_PATIENTS.anna],
};
const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';

function visibleTo(v: Viewer, key: string): boolean {
  const owner = OWNER.get(key);
  return owner === v.own || owner === SHARED || owner === `Person:${v.person}`;
}
const foreignResources = (v: Viewer) => v.others.flatMap(recordOf);
const ownOfType = (v: Viewer, type: string) =>
  RESOURCES.filter((r) => r.resourceType === type && (SHARED_DEMO_TYPES.includes(type) ? true : OWNER.get(keyOf(r)) === v.own)).map(keyOf).sort();
/** Keys of other patients' resources that must never be mentioned in what the viewer gets (references to a Patient are legitimate, e.g. a Coverage subscriber). */
const foreignKeys = (v: Viewer) => foreignResources(v).filter((r) => r.resourceType !== 'Patient').map(keyOf);

// ---------------------------------------------------------------------------------------------------
// HTTP helpers.

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(url: string, token: string | undefined, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function entryKeys(bundle: any): string[] {
  return ((bundle?.entry ?? []) as { resource: { resourceType: string; id: string } }[]).map((e) => keyOf(e.resource));
}

/** Every entry is visible to `v`, and no entry mentions another patient's (non-Patient) resource. */
function assertNothingForeign(v: Viewer, a: Answer, what: string): void {
  assert.equal(a.json?.resourceType, 'Bundle', `${what}: ${a.status} ${a.text.slice(0, 300)}`);
  const forbidden = foreignKeys(v);
  for (const e of (a.json.entry ?? []) as { fullUrl?: string; resource: { resourceType: string; id: string } }[]) {
    const key = keyOf(e.resource);
    assert.ok(OWNER.has(key), `${what}: returned ${key}, which is not demo data`);
    assert.ok(visibleTo(v, key), `${what}: returned ${key} of ${OWNER.get(key)}`);
    const text = JSON.stringify(e);
    for (const f of forbidden) assert.ok(!text.includes(`${f}"`), `${what}: ${key} mentions ${f}`);
  }
}

/** A search that must find nothing: 200 with no entries and total 0 — or 400 when `allow400`. */
function assertEmpty(v: Viewer, a: Answer, what: string, allow400: boolean): void {
  if (allow400 && a.status === 400) {
    assert.equal(a.json?.resourceType, 'OperationOutcome', what);
    return;
  }
  assert.equal(a.status, 200, `${what}: ${a.status} ${a.text.slice(0, 300)}`);
  assertNothingForeign(v, a, what);
  assert.deepEqual(entryKeys(a.json), [], `${what}: found ${entryKeys(a.json).join(', ')}`);
  if (a.json.total !== undefined) assert.equal(a.json.total, 0, `${what}: total`);
}

/** The 404 of a hidden resource must look exactly like the 404 of one that does not exist. */
function assertNotFound(a: Answer, what: string): void {
  assert.equal(a.status, 404, `${what}: ${a.status} ${a.text.slice(0, 200)}`);
  assert.equal(a.json?.resourceType, 'OperationOutcome', what);
  assert.equal(a.json.issue?.[0]?.code, 'not-found', what);
}

const form = (pairs: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(pairs).toString(),
});

// ---------------------------------------------------------------------------------------------------

for (const kind of storeKinds()) {
  describe(`security matrix (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: AuthTestServer;
    const tokens = new Map<string, Record<string, any>>();
    let davidSelf: Record<string, any>;
    const tokenOf = (v: Viewer) => tokens.get(v.label)!.access_token as string;
    const url = (path: string) => `${server.fhirBase}/${path}`;

    before(async () => {
      fx = await kind.create();
      server = await startAuthServer(fx, { RATE_LIMIT_API: '0', RATE_LIMIT_AUTH: '0' });
      for (const v of [ANNA, DAVID_AS_ALEX]) {
        const t = await obtainTokens(server, { username: v.username, patient: v.pick, scope: SCOPE });
        assert.equal(t.patient, v.own);
        tokens.set(v.label, t);
      }
      davidSelf = await obtainTokens(server, { username: 'david.smith', patient: DEMO_PATIENTS.david, scope: SCOPE });
      assert.equal(davidSelf.patient, DEMO_PATIENTS.david);
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    test('control: every resource of each record is readable by its own patient’s token', async () => {
      const byPatient: Record<string, string> = {
        [DEMO_PATIENTS.anna]: tokenOf(ANNA),
        [DEMO_PATIENTS.alex]: tokenOf(DAVID_AS_ALEX),
        [DEMO_PATIENTS.david]: davidSelf.access_token,
      };
      for (const [patient, token] of Object.entries(byPatient)) {
        for (const r of recordOf(patient)) {
          const a = await call(url(keyOf(r)), token);
          assert.equal(a.status, 200, `${keyOf(r)} for its own patient: ${a.status}`);
          assert.equal(a.json.id, r.id);
        }
      }
    });

    for (const v of [ANNA, DAVID_AS_ALEX]) {
      describe(`with a token for ${v.label}`, () => {
        test('read and vread of every other patient’s resource are 404 (never 403 or 200), like an unknown id', async () => {
          const token = tokenOf(v);
          for (const r of foreignResources(v)) {
            const key = keyOf(r);
            const read = await call(url(key), token);
            assertNotFound(read, `read ${key}`);
            const unknown = await call(url(`${r.resourceType}/no-such-${randomBytes(3).toString('hex')}`), token);
            assertNotFound(unknown, `read unknown ${r.resourceType}`);
            assert.equal(read.json.issue[0].severity, unknown.json.issue[0].severity);
            assert.ok(!read.text.includes(JSON.stringify(r).slice(0, 60)), `${key}: the 404 carries no content`);
            for (const vid of ['1', '2']) assertNotFound(await call(url(`${key}/_history/${vid}`), token), `vread ${key}/_history/${vid}`);
            // With an Accept header of any accepted kind, and with a query string, it is still 404.
            assertNotFound(await call(url(`${key}?_format=json`), token, { headers: { accept: 'application/json' } }), `read ${key} (json)`);
          }
        });

        test('odd spellings of another patient’s URLs reveal nothing', async () => {
          const token = tokenOf(v);
          for (const other of v.others) {
            const bodies = [
              `Patient/${other}/`,
              `Patient/${other}/_history`,
              `Patient/${other}/_history/`,
              `Patient/${other}/_history/1/`,
              `Patient/${other}/$everything/`,
              `Patient/${other}%20`,
              `Patient/${other}%2F`,
              `Patient/${other}.json`,
              `Patient/${other};x`,
              `/Patient/${other}`,
              `patient/${other}`,
              `Patient/${other}/../${other}`,
              `Patient/${v.own}/../${other}`,
              `Patient/${other}?_id=${v.own}`,
              `Patient/${other}/$everything?_id=${v.own}`,
              `Patient/${other}/_history/1?_format=json`,
              `Patient/${other}/Observation`,
              `Patient/${other}/*`,
            ];
            for (const path of bodies) {
              const a = await call(url(path), token);
              assert.ok([400, 404, 405, 501].includes(a.status), `${path}: ${a.status}`);
              assert.equal(a.json?.resourceType, 'OperationOutcome', `${path}: ${a.text.slice(0, 200)}`);
              const patient = RESOURCES.find((r) => r.resourceType === 'Patient' && r.id === other)!;
              const name = JSON.stringify((patient.name as unknown[])[0]);
              assert.ok(!a.text.includes(name) && !a.text.includes('"birthDate"'), `${path}: no patient data`);
            }
          }
        });

        test('search by another patient in every form finds nothing (GET and POST _search)', async () => {
          const token = tokenOf(v);
          for (const type of TYPES.filter((t) => t !== 'Person')) {
            // A patient-data type must answer (not refuse) a patient search; reference data may refuse the parameter.
            const allow400 = !PATIENT_DATA_TYPES.includes(type) || type === 'Patient';
            for (const other of v.others) {
              const forms = [other, `Patient/${other}`, `${server.fhirBase}/Patient/${other}`];
              for (const value of forms) {
                assertEmpty(v, await call(url(`${type}?patient=${encodeURIComponent(value)}`), token), `GET ${type}?patient=${value}`, allow400);
                assertEmpty(v, await call(url(`${type}/_search`), token, form({ patient: value })), `POST ${type}/_search patient=${value}`, allow400);
                assertEmpty(v, await call(url(`${type}?patient=${encodeURIComponent(value)}&_summary=count`), token), `${type}?patient=${value}&_summary=count`, allow400);
                assertEmpty(v, await call(url(`${type}?patient=${encodeURIComponent(value)}&_total=accurate`), token), `${type}?patient=${value}&_total=accurate`, allow400);
                assertEmpty(v, await call(url(`${type}?patient=${encodeURIComponent(value)}&_revinclude=Provenance:target`), token), `${type}?patient=${value}&_revinclude`, true);
              }
              // Other spellings: a type modifier, the parameter repeated (AND), a URL/body mix.
              assertEmpty(v, await call(url(`${type}?patient:Patient=${other}`), token), `${type}?patient:Patient=${other}`, true);
              assertEmpty(v, await call(url(`${type}?patient=${v.own}&patient=${other}`), token), `${type}?patient=own&patient=${other}`, allow400);
              assertEmpty(v, await call(url(`${type}/_search?patient=${v.own}`), token, form({ patient: other })), `POST ${type}/_search own in URL, other in body`, allow400);
              if (type === 'Coverage') {
                assertEmpty(v, await call(url(`Coverage?beneficiary=${other}`), token), `Coverage?beneficiary=${other}`, true);
                assertEmpty(v, await call(url(`Coverage?subscriber=${other}`), token), `Coverage?subscriber=${other}`, true);
              }
              if (type !== 'Patient') {
                assertEmpty(v, await call(url(`${type}?subject=Patient/${other}`), token), `${type}?subject=${other}`, true);
                assertEmpty(v, await call(url(`${type}?patient.identifier=HF${other}`), token), `${type}?patient.identifier`, true);
              }
            }
            // An OR list of the own patient and the others finds only the own record.
            const or = await call(url(`${type}?patient=${[v.own, ...v.others].join(',')}&_count=1000`), token);
            if (allow400 && or.status === 400) continue;
            assert.equal(or.status, 200, `${type}?patient=own,others: ${or.status} ${or.text.slice(0, 200)}`);
            assertNothingForeign(v, or, `${type}?patient=own,others`);
            assert.deepEqual(entryKeys(or.json).sort(), ownOfType(v, type), `${type}?patient=own,others finds exactly the own record`);
          }
          // Patient by _id, and chained/reverse-chained searches reaching the others.
          for (const other of v.others) {
            assertEmpty(v, await call(url(`Patient?_id=${other}`), token), `Patient?_id=${other}`, false);
            assertEmpty(v, await call(url(`Patient?identifier=HF${other}`), token), `Patient?identifier=HF${other}`, false);
            assertEmpty(v, await call(url('Patient/_search'), token, form({ _id: other })), `POST Patient/_search _id=${other}`, false);
            assertEmpty(v, await call(url(`Patient?_has:Observation:patient:subject=${other}`), token), '_has', true);
          }
          assertEmpty(v, await call(url('Patient?family=Smith&given=David'), token), 'Patient?family=Smith&given=David', v.own === DEMO_PATIENTS.david);
        });

        test('search without a patient finds exactly the own record (and all reference data); counts agree', async () => {
          const token = tokenOf(v);
          for (const type of TYPES.filter((t) => t !== 'Person')) {
            const expected = ownOfType(v, type);
            const all = await call(url(`${type}?_count=1000`), token);
            assert.equal(all.status, 200, `${type}: ${all.status} ${all.text.slice(0, 200)}`);
            assertNothingForeign(v, all, `GET ${type}`);
            assert.deepEqual(entryKeys(all.json).sort(), expected, `GET ${type} finds exactly the expected resources`);
            const posted = await call(url(`${type}/_search`), token, form({ _count: '1000' }));
            assertNothingForeign(v, posted, `POST ${type}/_search`);
            assert.deepEqual(entryKeys(posted.json).sort(), expected, `POST ${type}/_search`);
            for (const q of ['_summary=count', '_count=0', '_total=accurate&_count=1']) {
              const c = await call(url(`${type}?${q}`), token);
              assert.equal(c.status, 200, `${type}?${q}`);
              assert.equal(c.json.total, expected.length, `${type}?${q} counts only what the token may see`);
              assertNothingForeign(v, c, `${type}?${q}`);
            }
          }
          // Person cannot be searched at all (only the own one read): refused, not listed.
          const persons = await call(url('Person'), token);
          assert.ok(persons.status === 403 || (persons.status === 200 && entryKeys(persons.json).every((k) => k === `Person/${v.person}`)), `Person search: ${persons.status}`);
        });

        test('_id of another patient’s resource finds nothing, alone, in a list, counted or POSTed', async () => {
          const token = tokenOf(v);
          for (const r of foreignResources(v)) {
            const type = r.resourceType;
            assertEmpty(v, await call(url(`${type}?_id=${r.id}`), token), `${type}?_id=${r.id}`, false);
            assertEmpty(v, await call(url(`${type}/_search`), token, form({ _id: r.id })), `POST ${type}/_search _id=${r.id}`, false);
            assertEmpty(v, await call(url(`${type}?_id=${r.id}&_summary=count`), token), `${type}?_id=${r.id}&_summary=count`, false);
          }
          for (const type of PATIENT_DATA_TYPES) {
            const theirs = foreignResources(v).filter((r) => r.resourceType === type).map((r) => r.id);
            const mine = ownOfType(v, type).map((k) => k.slice(type.length + 1));
            if (!theirs.length) continue;
            const mixed = await call(url(`${type}?_id=${[...theirs, ...mine].join(',')}&_count=1000`), token);
            assert.equal(mixed.status, 200, `${type}?_id=theirs,mine: ${mixed.status} ${mixed.text.slice(0, 200)}`);
            assertNothingForeign(v, mixed, `${type}?_id=theirs,mine`);
            assert.deepEqual(entryKeys(mixed.json).sort(), ownOfType(v, type), `${type}?_id=theirs,mine finds only mine`);
            const counted = await call(url(`${type}?_id=${theirs.join(',')}&_summary=count`), token);
            assert.equal(counted.json?.total, 0, `${type}?_id=theirs&_summary=count`);
          }
        });

        test('_include and _revinclude never bring in another patient’s resources', async () => {
          const token = tokenOf(v);
          const queries = [
            'MedicationRequest?_include=MedicationRequest:medication',
            'MedicationDispense?_include=MedicationDispense:medication',
            'CareTeam?_include=CareTeam:participant',
            'CareTeam?_include=CareTeam:participant:Patient',
            'CareTeam?_include=CareTeam:participant:RelatedPerson',
            'CareTeam?_include=CareTeam:participant:Practitioner&_include=CareTeam:participant:PractitionerRole',
            'CareTeam?_include:iterate=CareTeam:participant',
            'PractitionerRole?_include=PractitionerRole:practitioner&_include=PractitionerRole:endpoint',
            'Coverage?_include=Coverage:subscriber',
            'Coverage?_include=Coverage:policy-holder',
            'Coverage?_include=Coverage:beneficiary',
            'Coverage?_include=*',
            'Observation?_include=Observation:patient',
            'Observation?_include=Observation:subject',
            'Encounter?_include=*',
            'Patient?_revinclude=Coverage:subscriber',
            'Patient?_revinclude=Coverage:policy-holder',
            'Patient?_revinclude=*',
            'Organization?_revinclude=Coverage:payor',
            'Practitioner?_revinclude=Observation:performer',
            'Practitioner?_revinclude=Encounter:practitioner',
            'Medication?_revinclude=MedicationRequest:medication',
            'Location?_revinclude=Encounter:location',
            'Questionnaire?_revinclude=QuestionnaireResponse:questionnaire',
            'Patient?_revinclude=RelatedPerson:patient',
            'Patient?_revinclude=Provenance:target',
          ];
          for (const type of PATIENT_DATA_TYPES) queries.push(`${type}?_revinclude=Provenance:target&_count=1000`);
          // These are in the CapabilityStatement (SPEC §5: the SHOULD includes): they must answer, not refuse.
          const supported = new Set([
            'MedicationRequest?_include=MedicationRequest:medication',
            'MedicationDispense?_include=MedicationDispense:medication',
            'CareTeam?_include=CareTeam:participant:Patient',
            'PractitionerRole?_include=PractitionerRole:practitioner&_include=PractitionerRole:endpoint',
            'Patient?_revinclude=Provenance:target',
          ]);
          for (const q of queries) {
            const a = await call(url(q), token);
            if (a.status === 400 && !supported.has(q)) {
              assert.equal(a.json?.resourceType, 'OperationOutcome', q);
              continue;
            }
            assert.equal(a.status, 200, `${q}: ${a.status} ${a.text.slice(0, 200)}`);
            assertNothingForeign(v, a, q);
          }
          // The supported ones do bring in the own Provenance (a positive control for the revinclude path).
          const rev = await call(url('Patient?_revinclude=Provenance:target'), token);
          const ownProvenance = recordOf(v.own).filter((r) => r.resourceType === 'Provenance').map(keyOf);
          assert.deepEqual(entryKeys(rev.json).filter((k) => k.startsWith('Provenance/')), ownProvenance);
          // _include from another patient's resources (by _id) includes nothing either.
          for (const r of foreignResources(v).filter((x) => ['MedicationRequest', 'CareTeam', 'MedicationDispense'].includes(x.resourceType))) {
            const inc = r.resourceType === 'CareTeam' ? 'CareTeam:participant' : `${r.resourceType}:medication`;
            assertEmpty(v, await call(url(`${r.resourceType}?_id=${r.id}&_include=${inc}&_revinclude=Provenance:target`), token), `${keyOf(r)} with includes`, false);
          }
        });

        test('$everything of another patient is 404; the own one holds exactly the own record', async () => {
          const token = tokenOf(v);
          for (const other of v.others) {
            assertNotFound(await call(url(`Patient/${other}/$everything`), token), `$everything ${other}`);
            assertNotFound(await call(url(`Patient/${other}/$everything?_count=5`), token), `$everything ${other} _count`);
            assertNotFound(await call(url(`Patient/${other}/$everything?_since=2000-01-01`), token), `$everything ${other} _since`);
          }
          const seen: string[] = [];
          let next: string | undefined = url(`Patient/${v.own}/$everything?_count=17`);
          let firstNext: string | undefined;
          for (let pages = 0; next && pages < 100; pages++) {
            const page = await call(next, token);
            assert.equal(page.status, 200, `${next}: ${page.text.slice(0, 200)}`);
            assertNothingForeign(v, page, `$everything page ${pages}`);
            seen.push(...((page.json.entry ?? []) as { search?: { mode?: string }; resource: { resourceType: string; id: string } }[])
              .filter((e) => e.search?.mode !== 'include')
              .map((e) => keyOf(e.resource)));
            next = (page.json.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
            firstNext ??= next;
          }
          assert.deepEqual([...new Set(seen)].sort(), recordOf(v.own).map(keyOf).sort(), '$everything holds the whole own record and nothing else');
          // The own $everything paging link moved to another patient is 404.
          assert.ok(firstNext, '$everything has several pages');
          for (const other of v.others) {
            assertNotFound(await call(firstNext.replace(`/Patient/${v.own}/`, `/Patient/${other}/`), token), `edited $everything link → ${other}`);
          }
        });

        test('edited paging links are refused or still show only the own record', async () => {
          const token = tokenOf(v);
          const nextOf = (a: Answer): URL => {
            const link = (a.json?.link as { relation: string; url: string }[] | undefined)?.find((l) => l.relation === 'next');
            assert.ok(link, `a next link: ${a.text.slice(0, 300)}`);
            return new URL(link.url);
          };
          /** 400, or a page with nothing foreign (optionally: nothing at all). */
          const refusedOrOwn = async (u: URL | string, what: string, mustBeEmpty = false) => {
            const a = await call(String(u), token);
            if (a.status === 400) {
              assert.equal(a.json?.resourceType, 'OperationOutcome', what);
              return;
            }
            assert.equal(a.status, 200, `${what}: ${a.status} ${a.text.slice(0, 200)}`);
            assertNothingForeign(v, a, what);
            if (mustBeEmpty) assert.deepEqual(entryKeys(a.json), [], what);
          };

          // Following an honest chain to the end gives exactly the own Observations.
          const start = await call(url('Observation?_count=3'), token);
          const seen = entryKeys(start.json);
          let page = start;
          for (let i = 0; i < 100; i++) {
            const link = (page.json.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
            if (!link) break;
            page = await call(link.url, token);
            assert.equal(page.status, 200);
            assertNothingForeign(v, page, `Observation page ${i}`);
            seen.push(...entryKeys(page.json));
          }
          assert.deepEqual(seen.sort(), ownOfType(v, 'Observation'));

          const next = nextOf(start);
          for (const other of v.others) {
            const theirObs = foreignResources(v).filter((r) => r.resourceType === 'Observation' && OWNER.get(keyOf(r)) === other).map((r) => r.id);
            // patient= added to the link
            const withPatient = new URL(next);
            withPatient.searchParams.set('patient', other);
            await refusedOrOwn(withPatient, `next link + patient=${other}`, true);
            // _id= added to the link
            const withId = new URL(next);
            withId.searchParams.set('_id', theirObs.join(','));
            await refusedOrOwn(withId, `next link + _id=their observations`, true);
            // patient= changed in a link of a patient search
            const own = nextOf(await call(url(`Observation?patient=${v.own}&_count=2`), token));
            own.searchParams.set('patient', other);
            await refusedOrOwn(own, `patient=${v.own} link changed to ${other}`, true);
            // _id= changed in a link of an _id search
            const mine = ownOfType(v, 'Observation').map((k) => k.slice('Observation/'.length));
            const byId = nextOf(await call(url(`Observation?_id=${mine.slice(0, 6).join(',')}&_count=2`), token));
            byId.searchParams.set('_id', theirObs.slice(0, 6).join(','));
            await refusedOrOwn(byId, `_id link changed to their ids`, true);
            byId.searchParams.set('_id', [...theirObs.slice(0, 6), ...mine.slice(0, 6)].join(','));
            await refusedOrOwn(byId, `_id link changed to theirs and mine`);
          }

          // The cursor itself edited: its position, its signature, its shape.
          const cursor = next.searchParams.get('_cursor');
          assert.ok(cursor, 'the next link carries a cursor');
          const [payload, mac] = cursor.split('.');
          const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [number, number, unknown[]];
          const variants: [string, string][] = [
            ['seq 0', `${Buffer.from(JSON.stringify([decoded[0], 0, decoded[2]])).toString('base64url')}.${mac}`],
            ['seq -1', `${Buffer.from(JSON.stringify([decoded[0], -1, decoded[2]])).toString('base64url')}.${mac}`],
            ['seq huge', `${Buffer.from(JSON.stringify([decoded[0], 2 ** 40, decoded[2]])).toString('base64url')}.${mac}`],
            ['direction flipped', `${Buffer.from(JSON.stringify([1 - decoded[0], decoded[1], decoded[2]])).toString('base64url')}.${mac}`],
            ['mac changed', `${payload}.${mac.slice(0, 3)}${mac[3] === 'A' ? 'B' : 'A'}${mac.slice(4)}`],
            ['mac removed', payload],
            ['mac empty', `${payload}.`],
            ['garbage', 'AAAA.BBBB'],
          ];
          for (const [what, value] of variants) {
            const u = new URL(next);
            u.searchParams.set('_cursor', value);
            const a = await call(String(u), token);
            assert.equal(a.status, 400, `cursor ${what}: ${a.status}`);
            assert.equal(a.json?.resourceType, 'OperationOutcome');
          }
          // A cursor moved to another search (another type, another query) is refused.
          const moved = new URL(next);
          moved.pathname = moved.pathname.replace(/Observation$/, 'Condition');
          await refusedOrOwn(moved, 'cursor moved to Condition');
          const withCount = new URL(next);
          withCount.searchParams.set('_count', '1000');
          await refusedOrOwn(withCount, 'cursor with _count changed');

          // Another patient's paging links used with this token: refused or only the own record.
          const david = davidSelf.access_token as string;
          const theirs = await call(url('Observation?_count=2'), david);
          await refusedOrOwn(nextOf(theirs), 'David’s next link');
          const theirsByPatient = await call(url(`Observation?patient=${DEMO_PATIENTS.david}&_count=2`), david);
          await refusedOrOwn(nextOf(theirsByPatient), 'David’s patient-search next link', true);
          const theirEverything = await call(url(`Patient/${DEMO_PATIENTS.david}/$everything?_count=5`), david);
          assertNotFound(await call(String(nextOf(theirEverything)), token), 'David’s $everything next link');
        });

        test('Person: the own account’s Person reads, another account’s is 404', async () => {
          const token = tokenOf(v);
          const mine = await call(url(`Person/${v.person}`), token);
          assert.equal(mine.status, 200);
          assert.equal(mine.json.id, v.person);
          for (const p of Object.values(DEMO_PERSONS).filter((id) => id !== v.person)) {
            assertNotFound(await call(url(`Person/${p}`), token), `Person/${p}`);
            assertNotFound(await call(url(`Person/${p}/_history/1`), token), `Person/${p}/_history/1`);
          }
        });

        test('shared reference data is readable with a scope that allows it', async () => {
          const token = tokenOf(v);
          for (const r of RESOURCES.filter((x) => OWNER.get(keyOf(x)) === SHARED)) {
            const a = await call(url(keyOf(r)), token);
            assert.equal(a.status, 200, `${keyOf(r)}: ${a.status}`);
            assert.equal(a.json.id, r.id);
          }
        });
      });
    }

    test('Anna’s own token reads Person/4007450 (200) and not Person/4007449 (404)', async () => {
      assert.equal((await call(url('Person/4007450'), tokenOf(ANNA))).status, 200);
      assertNotFound(await call(url('Person/4007449'), tokenOf(ANNA)), 'Person/4007449');
    });

    describe('access tokens that are not exactly what the server issued are 401', () => {
      let claims: JWTPayload & Record<string, unknown>;
      let header: Record<string, unknown>;
      let serverKey: { kid: string; key: CryptoKey | Uint8Array; publicJwk: JWK };
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      // Each crafted token gets its own jti: only the server can sign, and it never issues two tokens with
      // one jti, so a crafted token sharing a genuine token's jti would test the server's caches, not its checks.
      const sign = (payload: Record<string, unknown>, h: Record<string, unknown> = header, key = serverKey.key) =>
        new SignJWT({ ...payload, jti: randomBytes(16).toString('hex') }).setProtectedHeader(h as { alg: string }).sign(key);

      before(async () => {
        const token = tokenOf(ANNA);
        claims = decodeJwt(token) as JWTPayload & Record<string, unknown>;
        header = decodeProtectedHeader(token) as Record<string, unknown>;
        const active = (await new AuthStore(fx.store.sql).listKeys()).find((k) => k.retiredAt === null && k.kid === header.kid);
        assert.ok(active, 'the signing key is in the store');
        serverKey = { kid: active.kid, key: await importJWK(JSON.parse(active.privateJwk) as JWK, active.alg), publicJwk: JSON.parse(active.publicJwk) as JWK };
      });

      const assert401 = async (token: string | undefined, what: string, authorization?: string) => {
        for (const path of [`Patient/${DEMO_PATIENTS.anna}`, 'Observation', `Patient/${DEMO_PATIENTS.anna}/$everything`]) {
          const res = await fetch(`${server.fhirBase}/${path}`, { headers: authorization ? { authorization } : token ? { authorization: `Bearer ${token}` } : {} });
          const text = await res.text();
          assert.equal(res.status, 401, `${what} on ${path}: ${res.status} ${text.slice(0, 200)}`);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, `${what}: WWW-Authenticate`);
          const body = JSON.parse(text);
          assert.equal(body.resourceType, 'OperationOutcome', what);
          assert.ok(!text.includes('Smith'), `${what}: no data in the 401`);
        }
      };

      test('control: the claims re-signed with the server’s own key work (so the refusals below are about the change)', async () => {
        // RS256 is deterministic: the new jti makes it a different token that the server has not seen.
        const resigned = await sign({ ...claims });
        assert.notEqual(resigned, tokenOf(ANNA));
        assert.equal((await call(`${server.fhirBase}/Patient/${DEMO_PATIENTS.anna}`, resigned)).status, 200);
      });

      test('no token, another scheme, an empty or malformed bearer', async () => {
        await assert401(undefined, 'no Authorization header');
        await assert401(undefined, 'Basic', 'Basic ' + Buffer.from('a:b').toString('base64'));
        await assert401(undefined, 'empty bearer', 'Bearer ');
        await assert401(undefined, 'not a JWT', 'Bearer abc');
        await assert401(undefined, 'two dots only', 'Bearer ..');
        await assert401(undefined, 'token in lower-case scheme with junk', 'bearer !!!');
      });

      test('one character changed in the payload or the signature', async () => {
        const [h, p, s] = tokenOf(ANNA).split('.');
        const flip = (str: string, i: number) => str.slice(0, i) + (str[i] === 'A' ? 'B' : 'A') + str.slice(i + 1);
        for (const i of [0, 5, Math.floor(p.length / 2), p.length - 3]) await assert401(`${h}.${flip(p, i)}.${s}`, `payload char ${i}`);
        for (const i of [0, 10, Math.floor(s.length / 2), s.length - 5]) await assert401(`${h}.${p}.${flip(s, i)}`, `signature char ${i}`);
        await assert401(`${h}.${p}.`, 'signature removed');
        await assert401(`${h}.${p}`, 'signature part missing');
        // The payload rewritten to another patient, or to more scope, keeping the original signature.
        for (const other of [DEMO_PATIENTS.david, DEMO_PATIENTS.alex]) await assert401(`${h}.${b64({ ...claims, patient: other })}.${s}`, `patient → ${other}`);
        await assert401(`${h}.${b64({ ...claims, scope: 'patient/*.*' })}.${s}`, 'scope widened');
        await assert401(`${b64({ ...header, kid: 'other' })}.${p}.${s}`, 'kid changed');
      });

      test('unsigned (alg none), HS256 with the public key, and tokens signed by another key', async () => {
        const none = (h: Record<string, unknown>, payload: Record<string, unknown>) => `${b64(h)}.${b64(payload)}.`;
        await assert401(none({ alg: 'none', typ: 'at+jwt' }, claims), 'alg none');
        await assert401(none({ alg: 'none', typ: 'at+jwt', kid: header.kid }, claims), 'alg none with the server kid');
        await assert401(none({ alg: 'none', kid: header.kid }, { ...claims, patient: DEMO_PATIENTS.david }), 'alg none for David');
        await assert401(none({ alg: 'NONE', typ: 'at+jwt', kid: header.kid }, claims), 'alg NONE');
        const hsSecret = new TextEncoder().encode(JSON.stringify(serverKey.publicJwk));
        await assert401(await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: serverKey.kid }).sign(hsSecret), 'HS256 keyed with the public JWK');
        const other = await generateKeyPair('RS256', { extractable: true });
        await assert401(await sign({ ...claims }, header, other.privateKey), 'another RSA key, server kid');
        const otherJwk = await exportJWK(other.publicKey);
        await assert401(await sign({ ...claims }, { alg: 'RS256', typ: 'at+jwt', kid: 'attacker-key' }, other.privateKey), 'another RSA key, own kid');
        await assert401(await sign({ ...claims }, { alg: 'RS256', typ: 'at+jwt', jwk: otherJwk }, other.privateKey), 'another RSA key embedded as jwk');
        await assert401(await sign({ ...claims, patient: DEMO_PATIENTS.david }, header, other.privateKey), 'another RSA key, David as patient');
        const ec = await generateKeyPair('ES256');
        await assert401(await sign({ ...claims }, { alg: 'ES256', typ: 'at+jwt', kid: serverKey.kid }, ec.privateKey), 'an EC key, server kid');
      });

      test('expired, not yet valid, wrong audience/issuer/type, unknown grant — even when signed by the server key', async () => {
        const now = Math.floor(Date.now() / 1000);
        await assert401(await sign({ ...claims, iat: now - 3600, exp: now - 60 }), 'expired a minute ago');
        await assert401(await sign({ ...claims, iat: now - 3600, exp: now - 1 }), 'expired a second ago');
        await assert401(await sign({ ...claims, nbf: now + 3600 }), 'not before in an hour');
        await assert401(await sign({ ...claims, aud: 'https://other.example/fhir' }), 'another audience');
        await assert401(await sign({ ...claims, iss: 'https://other.example/auth' }), 'another issuer');
        await assert401(await sign({ ...claims }, { ...header, typ: 'JWT' }), 'typ JWT');
        await assert401(await sign({ ...claims, sid: randomBytes(16).toString('base64url') }), 'a grant that does not exist');
        const { exp: _exp, ...noExp } = claims;
        await assert401(await sign(noExp), 'no exp');
        const { sid: _sid, ...noSid } = claims;
        await assert401(await sign(noSid), 'no sid');
      });

      test('an expired token crafted with jose and a fresh key', async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const now = Math.floor(Date.now() / 1000);
        await assert401(await sign({ ...claims, iat: now - 7200, exp: now - 3600 }, { alg: 'RS256', typ: 'at+jwt', kid: 'fresh' }, privateKey), 'expired, fresh key');
      });

      test('the id_token and the refresh token are not access tokens', async () => {
        const t = tokens.get(ANNA.label)!;
        await assert401(t.id_token, 'id_token');
        await assert401(t.refresh_token, 'refresh_token');
      });
    });
  });
}
