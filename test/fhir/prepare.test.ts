/**
 * `prepareWrite`'s body and content hash: the stored body is the resource without `resourceType`, `id` and
 * `meta`, the same text whatever order the keys came in, and version metadata never changes the hash.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareWrite } from '../../src/fhir/prepare.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { serializeVersion } from '../../src/store/content.js';

const registry = defaultRegistry();
const profile = { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-heart-rate'] };
const rest = {
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Heart rate "resting" \u00e9' },
  subject: { reference: 'Patient/p1' },
  valueQuantity: { value: 61.5, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
};
const BODY = JSON.stringify(rest).slice(1, -1);

describe('prepareWrite', () => {
  test('the body leaves out resourceType, id and meta, in the customary order', () => {
    const w = prepareWrite(registry, { resourceType: 'Observation', id: 'o1', meta: profile, ...rest });
    assert.equal(w.body, BODY);
    assert.deepEqual(w.meta, profile);
    assert.equal(w.type, 'Observation');
    assert.equal(w.id, 'o1');
  });

  test('keys in another order, or meta elsewhere, give the same body and hash', () => {
    const customary = prepareWrite(registry, { resourceType: 'Observation', id: 'o1', meta: profile, ...rest });
    const shuffled = [
      { id: 'o1', resourceType: 'Observation', meta: profile, ...rest },
      { resourceType: 'Observation', id: 'o1', ...rest, meta: profile },
      { meta: profile, ...rest, id: 'o1', resourceType: 'Observation' },
      { resourceType: 'Observation', status: 'final', id: 'o1', meta: profile, code: rest.code, subject: rest.subject, valueQuantity: rest.valueQuantity },
    ];
    for (const r of shuffled) {
      const w = prepareWrite(registry, r);
      assert.equal(w.body, BODY, JSON.stringify(Object.keys(r)));
      assert.equal(w.contentHash, customary.contentHash);
    }
  });

  test('versionId and lastUpdated are dropped from meta and do not change the hash', () => {
    const plain = prepareWrite(registry, { resourceType: 'Observation', id: 'o1', meta: profile, ...rest });
    const versioned = prepareWrite(registry, {
      resourceType: 'Observation',
      id: 'o1',
      meta: { versionId: '7', lastUpdated: '2020-01-01T00:00:00Z', ...profile },
      ...rest,
    });
    assert.equal(versioned.body, BODY);
    assert.deepEqual(versioned.meta, profile);
    assert.equal(versioned.contentHash, plain.contentHash);
    const onlyVersion = prepareWrite(registry, { resourceType: 'Observation', id: 'o1', meta: { versionId: '3' }, ...rest });
    assert.equal(onlyVersion.meta, undefined);
    assert.equal(onlyVersion.body, BODY);
  });

  test('a change of content, meta, id or type changes the hash', () => {
    const base = prepareWrite(registry, { resourceType: 'Observation', id: 'o1', meta: profile, ...rest });
    const variants = [
      { resourceType: 'Observation', id: 'o1', meta: profile, ...rest, status: 'amended' },
      { resourceType: 'Observation', id: 'o1', meta: { ...profile, security: [{ code: 'R' }] }, ...rest },
      { resourceType: 'Observation', id: 'o1', ...rest },
      { resourceType: 'Observation', id: 'o2', meta: profile, ...rest },
      { resourceType: 'Basic', id: 'o1', meta: profile, ...rest },
    ];
    for (const v of variants) assert.notEqual(prepareWrite(registry, v).contentHash, base.contentHash, JSON.stringify(v).slice(0, 80));
  });

  test('a resource with nothing but its type and id has an empty body', () => {
    for (const r of [
      { resourceType: 'Patient', id: 'p1' },
      { resourceType: 'Patient', id: 'p1', meta: { versionId: '1' } },
      { resourceType: 'Patient', id: 'p1', meta: profile },
    ]) {
      assert.equal(prepareWrite(registry, r).body, '');
    }
  });

  test('the stored version is the resource with its meta first, whatever order it came in', () => {
    const w = prepareWrite(registry, { ...rest, meta: profile, id: 'o1', resourceType: 'Observation' });
    const stored = JSON.parse(serializeVersion(w, 2, Date.UTC(2024, 0, 2)));
    assert.deepEqual(Object.keys(stored).slice(0, 3), ['resourceType', 'id', 'meta']);
    assert.deepEqual(stored, {
      resourceType: 'Observation',
      id: 'o1',
      meta: { versionId: '2', lastUpdated: '2024-01-02T00:00:00.000Z', ...profile },
      ...rest,
    });
  });

  test('a meta key whose value is undefined leaves nothing in the body or the stored meta', () => {
    const w = prepareWrite(registry, { resourceType: 'Observation', id: 'o1', meta: undefined, ...rest });
    assert.equal(w.body, BODY);
    assert.equal(w.meta, undefined);
  });

  test('index rows: a code repeated across codings is one row; a missing and an empty system are alike', () => {
    const w = prepareWrite(registry, {
      resourceType: 'Observation',
      id: 'o2',
      status: 'final',
      category: [
        { coding: [{ code: 'vital-signs' }, { system: '', code: 'vital-signs' }, { system: 'http://x', code: 'vital-signs' }], text: '  Vital\tSigns ' },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }, { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
      effectivePeriod: { start: '2020-02-29', end: '2020-03-01' },
      subject: { reference: 'Patient/p1' },
    });
    const tokens = w.indexes.tokens.map((t) => `${t.param} ${t.system ?? ''}|${t.code} ${t.text}`);
    assert.deepEqual(tokens.sort(), [
      'category http://x|vital-signs vital signs',
      'category |vital-signs vital signs',
      'code http://loinc.org|8867-4 null',
      'status |final null',
    ]);
    // A choice element named without its type (`Observation.effective`) finds the Period variant.
    assert.deepEqual(w.indexes.dates, [{ param: 'date', lo: Date.UTC(2020, 1, 29), hi: Date.UTC(2020, 2, 2) - 1 }]);
    assert.deepEqual(w.indexes.references, [{ param: 'patient', targetType: 'Patient', targetId: 'p1' }]);
    assert.deepEqual(w.compartments, ['p1']);
  });

  test('compartments come from the compartment parameters only, and only for Patient references', () => {
    const w = prepareWrite(registry, {
      resourceType: 'Encounter',
      id: 'e1',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/p7' },
      location: [{ location: { reference: 'Location/l1' } }],
      participant: [{ individual: { reference: 'Practitioner/d1' } }],
    });
    assert.deepEqual(w.compartments, ['p7']);
    const group = prepareWrite(registry, { resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Group/g1' } });
    assert.deepEqual(group.compartments, []);
    const patient = prepareWrite(registry, { resourceType: 'Patient', id: 'p9', link: [{ other: { reference: 'Patient/p10' }, type: 'seealso' }] });
    assert.deepEqual(patient.compartments, ['p9']);
  });

  test('every compartment parameter of every served type is indexed (compartments are read from its reference rows)', () => {
    let checked = 0;
    for (const type of registry.types()) {
      const indexed = new Set(registry.indexed(type).map((p) => p.code));
      for (const p of registry.compartmentParameters(type)) {
        assert.ok(indexed.has(p.code), `${type}.${p.code} places resources in a compartment but is not indexed`);
        assert.equal(p.type, 'reference', `${type}.${p.code}`);
        checked++;
      }
    }
    assert.ok(checked > 20, `only ${checked} compartment parameters checked`);
  });

  test('every parameter a served type offers compiles when first used, and selects nothing from an empty resource', () => {
    // Expressions are compiled lazily, so one that does not compile would otherwise surface only in use.
    let checked = 0;
    for (const type of registry.types()) {
      const offered = [...registry.capability(type)!.searchParams.map((p) => p.name), ...registry.indexed(type).map((p) => p.code)];
      for (const code of new Set(offered)) {
        const p = registry.get(type, code);
        if (!p) continue; // _id, _lastUpdated and the like are not expressions
        assert.doesNotThrow(() => p.referenceTypes, `${type}.${code}`);
        assert.deepEqual(p.extract({ resourceType: type, id: 'x' }).filter((v) => v !== 'x'), [], `${type}.${code}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} parameters checked`);
  });

  describe('from the source text (an NDJSON line)', () => {
    const line = `{"resourceType":"Observation","id":"o3","meta":{"profile":["x"]},"status":"final","valueQuantity":{"value":1.50,"unit":"mg"}}`;

    test('a compact line keeps its body as written, decimals included', () => {
      const w = prepareWrite(registry, JSON.parse(line), line);
      assert.equal(w.body, '"status":"final","valueQuantity":{"value":1.50,"unit":"mg"}');
      assert.deepEqual(w.meta, { profile: ['x'] });
      const stored = serializeVersion(w, 1, Date.UTC(2024, 0, 1));
      assert.ok(stored.includes('"value":1.50'));
      assert.deepEqual(JSON.parse(stored).meta, { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z', profile: ['x'] });
    });

    test('the same line gives the same hash every time; the parsed object alone gives its own', () => {
      assert.equal(prepareWrite(registry, JSON.parse(line), line).contentHash, prepareWrite(registry, JSON.parse(line), line).contentHash);
      // Serialized again, 1.50 becomes 1.5: different text, so a different hash.
      assert.notEqual(prepareWrite(registry, JSON.parse(line), line).contentHash, prepareWrite(registry, JSON.parse(line)).contentHash);
    });

    test('text that does not start as this module writes it is serialized from the parsed object', () => {
      for (const text of [
        `{ "resourceType": "Observation", "id": "o3", "status": "final" }`,
        `{"resourceType":"Observation","id":"o3","status":"final"} `,
        `{"id":"o3","resourceType":"Observation","status":"final"}`,
        `{"resourceType":"Observation","id":"o3" ,"status":"final"}`,
      ]) {
        assert.equal(prepareWrite(registry, JSON.parse(text), text).body, '"status":"final"', text);
      }
    });

    test('a second meta member, or a nested one, never reaches the stored text', () => {
      const twice = `{"resourceType":"Observation","id":"o3","meta":{"tag":[{"code":"a"}]},"status":"final","meta":{"tag":[{"code":"a"}]}}`;
      const w = prepareWrite(registry, JSON.parse(twice), twice);
      assert.equal(w.body, '"status":"final"');
      const stored = JSON.parse(serializeVersion(w, 3, Date.UTC(2024, 0, 1)));
      assert.equal(stored.meta.versionId, '3');
      const nested = `{"resourceType":"Observation","id":"o4","contained":[{"resourceType":"Patient","id":"c","meta":{"tag":[{"code":"b"}]}}],"status":"final"}`;
      assert.equal(prepareWrite(registry, JSON.parse(nested), nested).body, JSON.stringify(JSON.parse(nested)).slice('{"resourceType":"Observation","id":"o4",'.length, -1));
    });

    test('a resource with nothing but its type and id has an empty body', () => {
      const bare = '{"resourceType":"Patient","id":"p"}';
      assert.equal(prepareWrite(registry, JSON.parse(bare), bare).body, '');
    });
  });
});
