/**
 * The store contract, run unchanged against SQLite and PostgreSQL: versions and history, idempotent
 * writes, all-or-nothing transactions, compartments (including Provenance following its targets),
 * search conditions, keyset paging, includes and settings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { prepareWrite } from '../../src/fhir/prepare.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import type { PreparedWrite } from '../../src/store/types.js';

const registry = defaultRegistry();
const prep = (r: Record<string, unknown>) => prepareWrite(registry, r);

const patient = (id: string, family = 'Smith') => ({ resourceType: 'Patient', id, name: [{ family, given: ['Ann'] }], gender: 'female' });
const obs = (id: string, patientId: string, effective: string, category = 'vital-signs') => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${patientId}` },
  effectiveDateTime: effective,
});

for (const kind of storeKinds()) {
  describe(`store contract (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    before(async () => {
      fx = await kind.create();
    });
    after(async () => fx?.cleanup());

    test('migrate is repeatable', async () => {
      await fx.store.migrate();
      await fx.store.ping();
    });

    test('writes version resources; unchanged content keeps its version', async () => {
      const [created] = await fx.store.writeResources([prep(patient('s1'))]);
      assert.equal(created.outcome, 'created');
      assert.equal(created.versionId, '1');
      const [same] = await fx.store.writeResources([prep(patient('s1'))]);
      assert.equal(same.outcome, 'unchanged');
      assert.equal(same.versionId, '1');
      const [updated] = await fx.store.writeResources([prep(patient('s1', 'Jones'))]);
      assert.equal(updated.outcome, 'updated');
      assert.equal(updated.versionId, '2');
      const current = await fx.store.readResource('Patient', 's1');
      const json = JSON.parse(current!.json);
      assert.equal(json.meta.versionId, '2');
      assert.equal(json.meta.lastUpdated, updated.lastUpdated);
      assert.equal(json.name[0].family, 'Jones');
      assert.deepEqual(Object.keys(json).slice(0, 3), ['resourceType', 'id', 'meta']);
      const v1 = await fx.store.readVersion('Patient', 's1', '1');
      assert.equal(JSON.parse(v1!.json).name[0].family, 'Smith');
      assert.equal((await fx.store.readVersion('Patient', 's1', '2'))!.versionId, '2');
      assert.equal(await fx.store.readVersion('Patient', 's1', '3'), undefined);
      assert.equal(await fx.store.readVersion('Patient', 's1', 'x'), undefined);
    });

    test('a failing write rolls back the whole batch', async () => {
      const before = await fx.store.countByType();
      const bad = { ...prep(patient('s-bad')), type: null } as unknown as PreparedWrite;
      await assert.rejects(fx.store.writeResources([prep(patient('s-ok-1')), prep(obs('o-x', 's-ok-1', '2020-01-01')), bad]));
      assert.deepEqual(await fx.store.countByType(), before);
      assert.equal(await fx.store.readResource('Patient', 's-ok-1'), undefined);
      // The next batch carries nothing of the failed one (its rows may have been waiting to be inserted).
      await fx.store.writeResources([prep(patient('s-after')), prep(obs('o-after', 's-after', '2020-01-02'))]);
      for (const type of ['Patient', 'Observation']) {
        assert.equal(await fx.store.count(type, { kind: 'compartment', patients: ['s-ok-1'] }), 0, type);
        assert.equal(await fx.store.count(type, { kind: 'compartment', patients: ['s-after'] }), 1, type);
      }
    });

    test('the same resource twice in one batch gets two versions, indexed as the second', async () => {
      const results = await fx.store.writeResources([prep(patient('s2', 'Firstname')), prep(patient('s2', 'Othername'))]);
      assert.deepEqual(results.map((r) => r.versionId), ['1', '2']);
      const named = async (value: string) =>
        (await fx.store.search({ type: 'Patient', where: { kind: 'string', param: 'family', any: [{ mode: 'exact', value }] }, sort: [], limit: 10 })).map((r) => r.resource.id);
      assert.deepEqual(await named('Othername'), ['s2']);
      assert.deepEqual(await named('Firstname'), []);
      assert.equal(await fx.store.count('Patient', { kind: 'compartment', patients: ['s2'] }), 1);
    });

    test('a batch of many resources indexes every one of them', async () => {
      // More rows to each table than one insert statement takes, in a batch that ends mid-block.
      const writes = [prep(patient('m0'))];
      for (let i = 0; i < 77; i++) writes.push(prep(obs(`m0-o${i}`, 'm0', `2018-02-${String((i % 28) + 1).padStart(2, '0')}`, i % 2 ? 'laboratory' : 'vital-signs')));
      await fx.store.writeResources(writes);
      const ids = async (where: any) => (await fx.store.search({ type: 'Observation', where, sort: [], limit: 100 })).map((r) => r.resource.id).sort();
      const mine = { kind: 'compartment' as const, patients: ['m0'] };
      const expected = (pick: (i: number) => boolean) => Array.from({ length: 77 }, (_, i) => i).filter(pick).map((i) => `m0-o${i}`).sort();
      assert.deepEqual(await ids(mine), expected(() => true));
      const lab = { kind: 'token', param: 'category', any: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
      assert.deepEqual(await ids({ kind: 'and', all: [mine, lab] }), expected((i) => i % 2 === 1));
      const day = Date.UTC(2018, 1, 5);
      assert.deepEqual(await ids({ kind: 'and', all: [mine, { kind: 'date', param: 'date', any: [{ comparator: 'eq', lo: day, hi: day + 86399999 }] }] }), expected((i) => i % 28 === 4));
      assert.deepEqual(await ids({ kind: 'reference', param: 'patient', any: [{ targetType: 'Patient', targetId: 'm0' }] }), expected(() => true));
    });

    test('compartments: subjects, the patient itself, and Provenance through its targets', async () => {
      await fx.store.writeResources([
        prep(patient('c1')),
        prep(patient('c2')),
        prep(obs('c1-o1', 'c1', '2021-05-01')),
        prep(obs('c2-o1', 'c2', '2021-05-02')),
        prep({ resourceType: 'Provenance', id: 'c1-prov', recorded: '2021-05-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/x' } }], target: [{ reference: 'Observation/c1-o1' }] }),
      ]);
      const inC1 = async (type: string) =>
        (await fx.store.search({ type, where: { kind: 'compartment', patients: ['c1'] }, sort: [], limit: 100 })).map((r) => r.resource.id);
      assert.deepEqual(await inC1('Observation'), ['c1-o1']);
      assert.deepEqual(await inC1('Patient'), ['c1']);
      assert.deepEqual(await inC1('Provenance'), ['c1-prov']);
      const visible = { kind: 'compartment' as const, patients: ['c2'] };
      assert.equal(await fx.store.readResource('Observation', 'c1-o1', visible), undefined);
      assert.ok(await fx.store.readResource('Observation', 'c2-o1', visible));
      assert.equal(await fx.store.count('Observation', { kind: 'compartment', patients: ['c1', 'c2'] }), 2);
    });

    test('keyset pages by date cover every row once, forwards and backwards', async () => {
      const writes = [prep(patient('k1'))];
      for (let i = 0; i < 23; i++) writes.push(prep(obs(`k1-o${i}`, 'k1', `2020-01-${String((i % 9) + 1).padStart(2, '0')}`)));
      await fx.store.writeResources(writes);
      const where = { kind: 'compartment' as const, patients: ['k1'] };
      const sort = [{ key: { by: 'date' as const, param: 'date' }, descending: true }];
      const seen: string[] = [];
      let cursor;
      const pages = [];
      for (let guard = 0; guard < 10; guard++) {
        const rows = await fx.store.search({ type: 'Observation', where, sort, limit: 6, cursor });
        const page = rows.slice(0, 5);
        pages.push(page);
        seen.push(...page.map((r) => r.resource.id));
        if (rows.length <= 5) break;
        const last = page[page.length - 1];
        cursor = { direction: 'next' as const, seq: last.resource.seq, values: last.sortValues };
      }
      assert.equal(seen.length, 23);
      assert.equal(new Set(seen).size, 23);
      const dates = seen.map((id) => Number(id.split('-o')[1]) % 9);
      assert.deepEqual(dates, [...dates].sort((a, b) => b - a));
      // Back from the third page's first row gives the second page.
      const first = pages[2][0];
      const back = await fx.store.search({ type: 'Observation', where, sort, limit: 5, cursor: { direction: 'prev', seq: first.resource.seq, values: first.sortValues } });
      assert.deepEqual(back.map((r) => r.resource.id).reverse(), pages[1].map((r) => r.resource.id));
    });

    test('token, date, string and reference conditions', async () => {
      await fx.store.writeResources([prep(patient('q1', 'Müller')), prep(obs('q1-lab', 'q1', '2019-03-04T10:00:00Z', 'laboratory'))]);
      const ids = async (type: string, where: any) => (await fx.store.search({ type, where, sort: [], limit: 100 })).map((r) => r.resource.id);
      assert.deepEqual(await ids('Patient', { kind: 'string', param: 'name', any: [{ mode: 'prefix', value: 'mul' }] }), ['q1']);
      assert.deepEqual(await ids('Patient', { kind: 'string', param: 'name', any: [{ mode: 'exact', value: 'Müller' }] }), ['q1']);
      assert.deepEqual(await ids('Patient', { kind: 'string', param: 'name', any: [{ mode: 'exact', value: 'Muller' }] }), []);
      const lab = { kind: 'token', param: 'category', any: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
      assert.deepEqual(await ids('Observation', { kind: 'and', all: [{ kind: 'compartment', patients: ['q1'] }, lab] }), ['q1-lab']);
      const day = Date.UTC(2019, 2, 4);
      assert.deepEqual(await ids('Observation', { kind: 'and', all: [{ kind: 'compartment', patients: ['q1'] }, { kind: 'date', param: 'date', any: [{ comparator: 'eq', lo: day, hi: day + 86399999 }] }] }), ['q1-lab']);
      assert.deepEqual(await ids('Observation', { kind: 'and', all: [{ kind: 'compartment', patients: ['q1'] }, { kind: 'date', param: 'date', any: [{ comparator: 'gt', lo: day, hi: day + 86399999 }] }] }), []);
      assert.deepEqual(await ids('Observation', { kind: 'reference', param: 'patient', any: [{ targetType: 'Patient', targetId: 'q1' }] }), ['q1-lab']);
    });

    test('includes follow references and respect visibility', async () => {
      await fx.store.writeResources([
        prep({ resourceType: 'Medication', id: 'm1', code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197806' }] } }),
        prep(patient('i1')),
        prep({ resourceType: 'MedicationRequest', id: 'mr1', status: 'active', intent: 'order', subject: { reference: 'Patient/i1' }, medicationReference: { reference: 'Medication/m1' } }),
      ]);
      const [mr] = await fx.store.search({ type: 'MedicationRequest', where: { kind: 'compartment', patients: ['i1'] }, sort: [], limit: 10 });
      const inc = await fx.store.include([mr.resource.seq], { param: 'medication' }, () => ({ kind: 'and', all: [] }));
      assert.deepEqual(inc.map((r) => r.id), ['m1']);
      const none = await fx.store.include([mr.resource.seq], { param: 'medication' }, () => null);
      assert.deepEqual(none, []);
    });

    test('settings keep the first value set', async () => {
      assert.equal(await fx.store.initSetting('k', 'a'), 'a');
      assert.equal(await fx.store.initSetting('k', 'b'), 'a');
      assert.equal(await fx.store.getSetting('missing'), undefined);
    });

    test('deleteResources removes a resource with its history and indexes', async () => {
      await fx.store.writeResources([prep(patient('d1')), prep(patient('d1', 'Changed'))]);
      assert.equal(await fx.store.deleteResources([{ type: 'Patient', id: 'd1' }, { type: 'Patient', id: 'nope' }]), 1);
      assert.equal(await fx.store.readResource('Patient', 'd1'), undefined);
      assert.equal(await fx.store.readVersion('Patient', 'd1', '1'), undefined);
    });
  });
}
