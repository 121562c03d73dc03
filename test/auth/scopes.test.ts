/**
 * SMART scopes: parsing of v1, v2 and granular v2 scopes (and every way a scope is refused), the
 * canonical scope string, the FHIR grants scopes give, subset checks for refresh, and consent texts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeScope,
  formatScopes,
  grantsFromScopes,
  isSubset,
  parseScopes,
  type ResourceScope,
} from '../../src/auth/scopes.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { parseSearch } from '../../src/fhir/search/parse.js';
import { patientAccess, visibility } from '../../src/fhir/access.js';
import type { Condition } from '../../src/store/types.js';

const registry = defaultRegistry();
const OBS_CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const LAB = `patient/Observation.rs?category=${OBS_CAT}|laboratory`;
const VITALS = `patient/Observation.rs?category=${OBS_CAT}|vital-signs`;
const NONE = { c: false, r: false, u: false, d: false, s: false };

/** What the same search means, for comparing with a scope's filter. */
function searchWhere(type: string, params: [string, string][]): Condition {
  return parseSearch(registry, type, params, { fhirBaseUrl: '', lenient: false }).where;
}

function one(scope: string): ResourceScope {
  const p = parseScopes(scope);
  assert.deepEqual(p.invalid, [], `${scope} should be valid`);
  assert.equal(p.resource.length, 1);
  return p.resource[0];
}

function reasonFor(scope: string): string {
  const p = parseScopes(scope);
  assert.equal(p.resource.length, 0, `${scope} should not be kept`);
  assert.equal(p.invalid.length, 1, `${scope} should be invalid`);
  assert.equal(p.invalid[0].scope, scope);
  return p.invalid[0].reason;
}

describe('parseScopes: resource scopes', () => {
  test('v1 read scopes grant read and search', () => {
    assert.deepEqual(one('patient/*.read'), {
      raw: 'patient/*.read',
      context: 'patient',
      type: '*',
      permissions: { ...NONE, r: true, s: true },
      version: 1,
    });
    const obs = one('patient/Observation.read');
    assert.equal(obs.type, 'Observation');
    assert.equal(obs.version, 1);
    assert.deepEqual(obs.permissions, { ...NONE, r: true, s: true });
  });

  test('v1 .* keeps only its read part; v1 .write is refused', () => {
    const star = one('patient/Observation.*');
    assert.deepEqual(star.permissions, { ...NONE, r: true, s: true });
    assert.equal(star.version, 1);
    assert.deepEqual(one('patient/*.*').permissions, { ...NONE, r: true, s: true });
    assert.match(reasonFor('patient/Observation.write'), /read-only/);
    assert.match(reasonFor('patient/*.write'), /read-only/);
  });

  test('v2 letters: r, s, rs, and cruds reduced to rs', () => {
    assert.deepEqual(one('patient/Observation.r').permissions, { ...NONE, r: true });
    assert.deepEqual(one('patient/Observation.s').permissions, { ...NONE, s: true });
    assert.deepEqual(one('patient/Observation.rs').permissions, { ...NONE, r: true, s: true });
    const all = one('patient/Observation.cruds');
    assert.deepEqual(all.permissions, { ...NONE, r: true, s: true });
    assert.equal(all.version, 2);
    assert.deepEqual(one('patient/Condition.crs').permissions, { ...NONE, r: true, s: true });
    assert.deepEqual(one('patient/*.rs').permissions, { ...NONE, r: true, s: true });
  });

  test('v2 letters out of order, repeated, unknown, empty or write-only are refused', () => {
    assert.match(reasonFor('patient/Observation.sr'), /order c, r, u, d, s/);
    assert.match(reasonFor('patient/Observation.rcs'), /order/);
    assert.match(reasonFor('patient/Observation.rr'), /more than once/);
    assert.match(reasonFor('patient/Observation.rsr'), /more than once/);
    assert.match(reasonFor('patient/Observation.rx'), /not a permission/);
    assert.match(reasonFor('patient/Observation.READ'), /not a permission/);
    assert.match(reasonFor('patient/Observation.'), /no permissions/);
    assert.match(reasonFor('patient/Observation.c'), /read-only/);
    assert.match(reasonFor('patient/Observation.cud'), /read-only/);
    assert.match(reasonFor('patient/Observation.ud'), /read-only/);
  });

  test('user/ and system/ scopes are refused: only patient scopes are offered', () => {
    for (const s of ['user/*.rs', 'user/Observation.read', 'system/*.read', 'system/Patient.rs', 'user/Observation.rs?category=laboratory']) {
      assert.equal(reasonFor(s), 'only patient scopes are offered', s);
    }
  });

  test('unknown or malformed resource types are refused', () => {
    assert.match(reasonFor('patient/Foo.rs'), /Foo is not a resource type this server offers/);
    assert.match(reasonFor('patient/Claim.read'), /not a resource type this server offers/);
    assert.match(reasonFor('patient/observation.rs'), /not a resource type name/);
    assert.match(reasonFor('patient/Observation'), /expected patient\//);
    assert.match(reasonFor('patient/'), /expected patient\//);
    assert.match(reasonFor('patient/.rs'), /expected patient\//);
  });

  test('a granular scope keeps its decoded parameters in order', () => {
    const s = one(LAB);
    assert.equal(s.raw, LAB);
    assert.deepEqual(s.query, [['category', `${OBS_CAT}|laboratory`]]);
    assert.equal(s.version, 2);
    const two = one('patient/Observation.rs?category=laboratory&code=http://loinc.org|2339-0');
    assert.deepEqual(two.query, [
      ['category', 'laboratory'],
      ['code', 'http://loinc.org|2339-0'],
    ]);
    const encoded = one('patient/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory');
    assert.deepEqual(encoded.query, [['category', `${OBS_CAT}|laboratory`]]);
    assert.deepEqual(one(`patient/Condition.read?category=problem-list-item`).query, [['category', 'problem-list-item']]);
    assert.deepEqual(one('patient/Observation.r?code:text=glucose').query, [['code:text', 'glucose']]);
  });

  test('granular parameters that are not a valid search of the type are refused', () => {
    assert.match(reasonFor('patient/Observation.rs?foo=bar'), /not a valid search of Observation: Unknown or unsupported search parameter 'foo'/);
    assert.match(reasonFor('patient/Condition.rs?component-code=x'), /not a valid search of Condition/);
    assert.match(reasonFor('patient/Observation.rs?date=yesterday'), /not a valid search of Observation: .*not a FHIR date/);
    assert.match(reasonFor('patient/Observation.rs?category:exact=laboratory'), /not a valid search/);
    assert.match(reasonFor('patient/Observation.rs?category=|'), /not a valid search/);
    assert.match(reasonFor('patient/Observation.rs?'), /must be followed by search parameters/);
    assert.match(reasonFor('patient/Observation.rs?category'), /param=value/);
    assert.match(reasonFor('patient/Observation.rs?=laboratory'), /param=value/);
    assert.match(reasonFor('patient/Observation.rs?category=laboratory&'), /param=value/);
    assert.match(reasonFor('patient/Observation.rs?category='), /has no value/);
    assert.match(reasonFor('patient/Observation.rs?category=%ZZ'), /percent-encoding/);
    assert.match(reasonFor('patient/Observation.rs?_count=10'), /cannot restrict a scope/);
    assert.match(reasonFor('patient/Observation.rs?_include=Observation:patient'), /cannot restrict a scope/);
    assert.match(reasonFor('patient/*.rs?_id=1'), /need a resource type/);
    assert.match(reasonFor('patient/Observation.cud?category=laboratory'), /read-only/);
  });

  test('identity, launch and lasting-access scopes set their flags', () => {
    const p = parseScopes('openid fhirUser profile launch/patient offline_access online_access');
    assert.deepEqual(p, {
      resource: [],
      openid: true,
      fhirUser: true,
      profile: true,
      launchPatient: true,
      offlineAccess: true,
      onlineAccess: true,
      other: [],
      invalid: [],
    });
    const none = parseScopes('');
    assert.equal(none.openid || none.fhirUser || none.profile || none.launchPatient || none.offlineAccess || none.onlineAccess, false);
  });

  test('unknown well-formed scopes are kept in other; malformed ones are invalid', () => {
    const p = parseScopes('launch email launch/encounter smart/orchestrate_launch https://example.org/scope');
    assert.deepEqual(p.other, ['launch', 'email', 'launch/encounter', 'smart/orchestrate_launch', 'https://example.org/scope']);
    assert.deepEqual(p.invalid, []);
    assert.match(reasonFor('Patient/Observation.read'), /'Patient' is not a scope context/);
    assert.match(reasonFor('practitioner/*.read'), /not a scope context/);
    assert.match(reasonFor('patient/Observation.rs?code="x"'), /characters not allowed/);
    assert.match(reasonFor('bad\\scope'), /characters not allowed/);
    assert.match(reasonFor('op\u00e9nid'), /characters not allowed/);
    assert.match(reasonFor('openid\tfhirUser'), /characters not allowed/);
  });

  test('case matters: OpenID and Launch/Patient are not the standard scopes', () => {
    const p = parseScopes('OpenID Launch/Patient');
    assert.equal(p.openid, false);
    assert.equal(p.launchPatient, false);
    assert.deepEqual(p.other, ['OpenID', 'Launch/Patient']);
  });

  test('splits on spaces, tolerates extra spaces, keeps a repeated scope once, never throws', () => {
    const p = parseScopes('  openid   patient/*.read patient/*.read  openid ');
    assert.equal(p.openid, true);
    assert.equal(p.resource.length, 1);
    for (const weird of ['', ' ', '?', '.', '/', 'patient/*.', 'patient/*.read?', '%', 'a'.repeat(10000), 'patient/Observation.rs?category=%', '\u0000']) {
      assert.doesNotThrow(() => parseScopes(weird), weird.slice(0, 20));
    }
  });

  test('several invalid scopes are all reported, valid ones beside them kept', () => {
    const p = parseScopes('openid user/*.rs patient/Observation.rs patient/Foo.read system/*.rs');
    assert.deepEqual(p.invalid.map((i) => i.scope), ['user/*.rs', 'patient/Foo.read', 'system/*.rs']);
    assert.deepEqual(p.resource.map((r) => r.raw), ['patient/Observation.rs']);
    assert.equal(p.openid, true);
  });
});

describe('formatScopes', () => {
  test('canonical string of what is kept, in a stable order', () => {
    const p = parseScopes(
      `offline_access patient/Observation.cruds launch email fhirUser openid patient/Foo.rs user/*.rs patient/Condition.* patient/*.read launch/patient ${LAB}`,
    );
    assert.equal(
      formatScopes(p),
      `openid fhirUser launch/patient patient/Observation.rs patient/Condition.read patient/*.read ${LAB} launch email offline_access`,
    );
  });

  test('equal scopes written differently appear once', () => {
    assert.equal(formatScopes(parseScopes('patient/Observation.rs patient/Observation.cruds patient/Observation.crs')), 'patient/Observation.rs');
  });

  test('decoded parameters are written back with | and : as they are and unsafe characters encoded', () => {
    const p = parseScopes('patient/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory');
    assert.equal(formatScopes(p), LAB);
    const amp = parseScopes('patient/Observation.rs?code:text=a%26b%20c');
    assert.deepEqual(amp.resource[0].query, [['code:text', 'a&b c']]);
    assert.equal(formatScopes(amp), 'patient/Observation.rs?code:text=a%26b%20c');
    assert.deepEqual(parseScopes(formatScopes(amp)).resource[0].query, amp.resource[0].query);
  });

  test('round trip: parsing the formatted string gives the same scopes', () => {
    const p = parseScopes(`openid fhirUser profile launch/patient online_access offline_access patient/*.rs ${LAB} ${VITALS} patient/Patient.r`);
    const again = parseScopes(formatScopes(p));
    assert.equal(formatScopes(again), formatScopes(p));
    assert.deepEqual(
      again.resource.map((r) => [r.type, r.permissions, r.query]),
      p.resource.map((r) => [r.type, r.permissions, r.query]),
    );
  });

  test('nothing kept gives an empty string', () => {
    assert.equal(formatScopes(parseScopes('user/*.rs patient/Observation.write')), '');
  });
});

describe('grantsFromScopes', () => {
  const grants = (scope: string) => grantsFromScopes(parseScopes(scope).resource, registry);
  const labWhere = searchWhere('Observation', [['category', `${OBS_CAT}|laboratory`]]);
  const vitalsWhere = searchWhere('Observation', [['category', `${OBS_CAT}|vital-signs`]]);

  test('v1 read and v2 rs give read and search; r and s alone give one each', () => {
    assert.deepEqual(grants('patient/*.read'), new Map([['*', { read: true, search: true }]]));
    assert.deepEqual(grants('patient/Observation.rs'), new Map([['Observation', { read: true, search: true }]]));
    assert.deepEqual(grants('patient/Observation.r'), new Map([['Observation', { read: true, search: false }]]));
    assert.deepEqual(grants('patient/Observation.s'), new Map([['Observation', { read: false, search: true }]]));
    assert.deepEqual(grants('patient/Observation.*'), new Map([['Observation', { read: true, search: true }]]));
  });

  test('v1 and v2 scopes combine: union of permissions', () => {
    assert.deepEqual(
      grants('patient/Observation.read patient/Condition.r patient/Condition.s patient/Patient.r'),
      new Map([
        ['Observation', { read: true, search: true }],
        ['Condition', { read: true, search: true }],
        ['Patient', { read: true, search: false }],
      ]),
    );
  });

  test('a granular scope filters its type with exactly the condition the same search means', () => {
    const g = grants(LAB);
    assert.deepEqual(g, new Map([['Observation', { read: true, search: true, filters: [labWhere] }]]));
    assert.deepEqual(labWhere, { kind: 'and', all: [{ kind: 'token', param: 'category', any: [{ system: OBS_CAT, code: 'laboratory' }], not: false }] });
  });

  test('several parameters in one granular scope are AND', () => {
    const scope = `patient/Observation.rs?category=${OBS_CAT}|laboratory&code=http://loinc.org|2339-0`;
    const where = searchWhere('Observation', [
      ['category', `${OBS_CAT}|laboratory`],
      ['code', 'http://loinc.org|2339-0'],
    ]);
    assert.equal(where.kind, 'and');
    assert.equal((where as { all: Condition[] }).all.length, 2);
    assert.deepEqual(grants(scope).get('Observation'), { read: true, search: true, filters: [where] });
  });

  test('two granular scopes of one type are OR', () => {
    assert.deepEqual(grants(`${LAB} ${VITALS}`).get('Observation'), { read: true, search: true, filters: [labWhere, vitalsWhere] });
  });

  test('a non-granular scope of the type removes its filters', () => {
    assert.deepEqual(grants(`${LAB} patient/Observation.rs`).get('Observation'), { read: true, search: true });
    assert.deepEqual(grants(`patient/Observation.read ${LAB}`).get('Observation'), { read: true, search: true });
  });

  test('filters stay when the unrestricted scope grants a different interaction', () => {
    // search restricted to labs, read of nothing else granted: filters apply.
    const lab = `patient/Observation.s?category=${OBS_CAT}|laboratory`;
    assert.deepEqual(grants(lab).get('Observation'), { read: false, search: true, filters: [labWhere] });
    // read of every Observation but search of labs only: one filter list serves both, so it restricts both.
    assert.deepEqual(grants(`patient/Observation.r ${lab}`).get('Observation'), { read: true, search: true, filters: [labWhere] });
    // read of labs and vitals, search of labs: a resource must pass both lists.
    const readBoth = `patient/Observation.r?category=${OBS_CAT}|laboratory patient/Observation.r?category=${OBS_CAT}|vital-signs`;
    assert.deepEqual(grants(`${readBoth} ${lab}`).get('Observation'), {
      read: true,
      search: true,
      filters: [{ kind: 'and', all: [{ kind: 'or', any: [labWhere, vitalsWhere] }, labWhere] }],
    });
  });

  test("'*' applies to other types; with a specific type, permissions are a union and '*' lifts filters", () => {
    const g = grants(`patient/*.rs ${LAB} patient/Condition.r`);
    assert.deepEqual(g.get('*'), { read: true, search: true });
    assert.deepEqual(g.get('Observation'), { read: true, search: true });
    assert.deepEqual(g.get('Condition'), { read: true, search: true });
    // '*' read only, Observation search of labs only: read comes from '*' unrestricted, search stays filtered.
    const g2 = grants(`patient/*.r patient/Observation.s?category=${OBS_CAT}|laboratory`);
    assert.deepEqual(g2.get('*'), { read: true, search: false });
    assert.deepEqual(g2.get('Observation'), { read: true, search: true, filters: [labWhere] });
    // '*' search only + granular rs: search unrestricted, read filtered.
    const g3 = grants(`patient/*.s ${LAB}`);
    assert.deepEqual(g3.get('Observation'), { read: true, search: true, filters: [labWhere] });
  });

  test('only patient scopes count, a bad hand-made query grants nothing, no scopes give no grants', () => {
    const user: ResourceScope = { raw: 'user/*.rs', context: 'user', type: '*', permissions: { ...NONE, r: true, s: true }, version: 2 };
    const bad: ResourceScope = { raw: 'x', context: 'patient', type: 'Observation', permissions: { ...NONE, r: true, s: true }, version: 2, query: [['nope', '1']] };
    const starQuery: ResourceScope = { raw: 'y', context: 'patient', type: '*', permissions: { ...NONE, r: true, s: true }, version: 2, query: [['_id', '1']] };
    assert.deepEqual(grantsFromScopes([user, bad, starQuery], registry), new Map());
    assert.deepEqual(grantsFromScopes([], registry), new Map());
  });

  test('the grants drive the FHIR access context: granular filters become the visibility condition', () => {
    const ctx = patientAccess(['p1'], grants(`${LAB} ${VITALS}`));
    assert.deepEqual(visibility(ctx, registry, 'Observation'), {
      kind: 'and',
      all: [{ kind: 'or', any: [labWhere, vitalsWhere] }, { kind: 'compartment', patients: ['p1'] }],
    });
    assert.deepEqual(visibility(ctx, registry, 'Condition'), { kind: 'false' });
  });

  test("a context's visibility conditions are made once per type, frozen, and never shared with another context", () => {
    const mine = patientAccess(['p1'], grants(LAB));
    const obs = visibility(mine, registry, 'Observation');
    assert.equal(visibility(mine, registry, 'Observation'), obs);
    assert.notEqual(visibility(mine, registry, 'Patient'), obs);
    // Frozen all the way down: no user of a shared condition can widen it for the others.
    assert.ok(Object.isFrozen(obs));
    const compartment = (obs as Extract<Condition, { kind: 'and' }>).all[1] as Extract<Condition, { kind: 'compartment' }>;
    assert.throws(() => compartment.patients.push('p2'), TypeError);
    assert.deepEqual(compartment.patients, ['p1']);
    // Another context with the same grants gets its own condition, with its own patient.
    const theirs = visibility(patientAccess(['p2'], grants(LAB)), registry, 'Observation');
    assert.notEqual(theirs, obs);
    assert.deepEqual((theirs as Extract<Condition, { kind: 'and' }>).all[1], { kind: 'compartment', patients: ['p2'] });
    // A registry where Observation is not patient data decides for itself.
    const other = Object.create(registry, { isPatientData: { value: () => false } });
    assert.deepEqual(visibility(mine, other, 'Observation'), { kind: 'and', all: [{ kind: 'or', any: [labWhere] }, { kind: 'false' }] });
  });
});

describe('isSubset', () => {
  const sub = (requested: string, granted: string) => isSubset(parseScopes(requested), parseScopes(granted));

  test('equal scopes and narrower permissions are subsets', () => {
    assert.equal(sub('patient/Observation.rs', 'patient/Observation.rs'), true);
    assert.equal(sub('patient/Observation.r', 'patient/Observation.rs'), true);
    assert.equal(sub('patient/Observation.s', 'patient/Observation.read'), true);
    assert.equal(sub('patient/Observation.read', 'patient/Observation.rs'), true);
    assert.equal(sub('patient/Observation.rs', 'patient/Observation.read'), true);
    assert.equal(sub('', 'openid patient/*.read'), true);
  });

  test('a wider request is not a subset', () => {
    assert.equal(sub('patient/Observation.rs', 'patient/Observation.r'), false);
    assert.equal(sub('patient/Observation.read', 'patient/Observation.s'), false);
    assert.equal(sub('patient/*.rs', 'patient/Observation.rs'), false);
    assert.equal(sub('patient/Condition.rs', 'patient/Observation.rs'), false);
  });

  test('specific types are subsets of *; v1 and v2 alike', () => {
    assert.equal(sub('patient/Observation.rs', 'patient/*.rs'), true);
    assert.equal(sub('patient/Observation.read', 'patient/*.read'), true);
    assert.equal(sub('patient/Observation.r patient/Condition.s', 'patient/*.read'), true);
    assert.equal(sub('patient/Observation.rs', 'patient/*.r'), false);
  });

  test('granular scopes: a filter narrows, so granular ⊆ plain, plain ⊄ granular', () => {
    assert.equal(sub(LAB, 'patient/Observation.rs'), true);
    assert.equal(sub(LAB, 'patient/*.read'), true);
    assert.equal(sub(LAB, LAB), true);
    assert.equal(sub('patient/Observation.rs', LAB), false);
    assert.equal(sub(VITALS, LAB), false);
    assert.equal(sub(`${LAB}&code=http://loinc.org|2339-0`, LAB), true);
    assert.equal(sub(LAB, `${LAB}&code=http://loinc.org|2339-0`), false);
    assert.equal(sub(`patient/Observation.r?category=${OBS_CAT}|laboratory`, LAB), true);
  });

  test('permission letters may be covered by different granted scopes', () => {
    assert.equal(sub('patient/Observation.rs', 'patient/Observation.r patient/Observation.s'), true);
    assert.equal(sub('patient/Observation.rs', `patient/Observation.r ${LAB}`), false);
  });

  test('flags and other scopes must have been granted', () => {
    assert.equal(sub('openid fhirUser', 'openid fhirUser offline_access patient/*.read'), true);
    assert.equal(sub('offline_access', 'openid fhirUser'), false);
    assert.equal(sub('online_access', 'offline_access'), false);
    assert.equal(sub('launch/patient', 'patient/*.read'), false);
    assert.equal(sub('profile', 'fhirUser'), false);
    assert.equal(sub('launch', 'launch openid'), true);
    assert.equal(sub('email', 'openid'), false);
  });

  test('a request with an invalid scope is never a subset', () => {
    assert.equal(sub('user/*.rs', 'patient/*.read'), false);
    assert.equal(sub('patient/Observation.write', 'patient/*.read'), false);
  });
});

describe('describeScope', () => {
  test('resource scopes in plain language, grouped by kind of data', () => {
    assert.deepEqual(describeScope('patient/*.read'), { group: 'Health records', text: 'Read all of your health record' });
    assert.deepEqual(describeScope('patient/*.rs'), { group: 'Health records', text: 'Read all of your health record' });
    assert.deepEqual(describeScope(LAB), { group: 'Lab results', text: 'Read your lab results' });
    assert.deepEqual(describeScope(VITALS), {
      group: 'Vital signs',
      text: 'Read your vital signs (such as blood pressure, pulse, weight and temperature)',
    });
    assert.deepEqual(describeScope('patient/Observation.rs'), {
      group: 'Observations',
      text: 'Read your observations (vital signs, lab results and other measurements)',
    });
    assert.deepEqual(describeScope('patient/Condition.read'), { group: 'Health problems', text: 'Read your health problems and diagnoses' });
    assert.deepEqual(describeScope('patient/MedicationRequest.rs'), { group: 'Medications', text: 'Read your medications' });
    assert.deepEqual(describeScope('patient/AllergyIntolerance.rs'), { group: 'Allergies', text: 'Read your allergies' });
    assert.deepEqual(describeScope('patient/Immunization.rs'), { group: 'Immunizations', text: 'Read your immunizations' });
    assert.deepEqual(describeScope('patient/Practitioner.rs'), {
      group: 'Practice information',
      text: 'Read details of doctors and other care providers',
    });
  });

  test('categories by code, with or without their system; several codes are listed', () => {
    assert.equal(describeScope('patient/Observation.rs?category=laboratory').text, 'Read your lab results');
    assert.equal(describeScope('patient/Observation.rs?category=http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh').text, 'Read your social needs (such as housing, food and transport)');
    assert.equal(describeScope(`patient/Observation.rs?category=${OBS_CAT}|social-history`).group, 'Social history');
    for (const code of ['survey', 'imaging', 'exam', 'procedure', 'therapy', 'activity']) {
      const d = describeScope(`patient/Observation.rs?category=${OBS_CAT}|${code}`);
      assert.doesNotMatch(d.text, /only those matching/, code);
    }
    assert.deepEqual(describeScope(`patient/Observation.rs?category=${OBS_CAT}|laboratory,${OBS_CAT}|vital-signs`), {
      group: 'Observations',
      text: 'Read your lab results and vital signs (such as blood pressure, pulse, weight and temperature)',
    });
    assert.deepEqual(describeScope('patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|encounter-diagnosis'), {
      group: 'Health problems',
      text: 'Read your diagnoses made during visits',
    });
    assert.equal(describeScope('patient/Condition.rs?category=http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern').text, 'Read your health concerns');
    assert.equal(describeScope('patient/Condition.rs?category=problem-list-item').text, 'Read your problem list (ongoing health problems)');
  });

  test('other filters and wrong systems are described literally', () => {
    assert.deepEqual(describeScope('patient/Observation.rs?code=http://loinc.org|2339-0'), {
      group: 'Observations',
      text: 'Read some of your observations (vital signs, lab results and other measurements): only those matching code = http://loinc.org|2339-0',
    });
    assert.match(describeScope('patient/Observation.rs?category=http://example.org|laboratory').text, /only those matching category = http:\/\/example.org\|laboratory/);
  });

  test('read-only and search-only scopes say so; write letters are noted as not granted', () => {
    assert.equal(describeScope('patient/Observation.r').text, 'Read your observations (vital signs, lab results and other measurements), one item at a time (no searching)');
    assert.equal(describeScope('patient/Immunization.s').text, 'Search your immunizations');
    assert.equal(describeScope('patient/Immunization.cruds').text, 'Read your immunizations (read only: apps cannot change your record here)');
    assert.equal(describeScope('patient/*.*').text, 'Read all of your health record (read only: apps cannot change your record here)');
  });

  test('identity, launch and lasting access', () => {
    assert.deepEqual(describeScope('offline_access'), {
      group: 'Lasting access',
      text: 'Keep access when you are not using the app, until you disconnect it',
    });
    assert.equal(describeScope('online_access').group, 'Lasting access');
    assert.equal(describeScope('openid').group, 'Your identity');
    assert.equal(describeScope('fhirUser').group, 'Your identity');
    assert.equal(describeScope('profile').group, 'Your identity');
    assert.equal(describeScope('launch/patient').group, 'Your identity');
  });

  test('inert, unknown and invalid scopes are described honestly', () => {
    assert.match(describeScope('email').text, /gives the app no access/);
    assert.match(describeScope('launch').text, /not used by this service/);
    assert.deepEqual(describeScope('user/*.rs'), { group: 'Cannot be granted', text: 'This request cannot be granted: only patient scopes are offered' });
  });

  test('every type this server offers has a friendly description', () => {
    for (const type of registry.types()) {
      const d = describeScope(`patient/${type}.rs`);
      assert.doesNotMatch(d.text, new RegExp(`\\b${type}\\b`), type);
      assert.notEqual(d.group, 'Cannot be granted', type);
    }
  });
});
