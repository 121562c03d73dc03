/**
 * Import: transactions all or nothing with every bad entry reported, batches and collections per entry,
 * single resources, NDJSON (plain and gzip), urn:uuid rewriting, and re-imports that change nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { importFile, importFiles, ImportError } from '../../src/importer/index.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';

const SAMPLES = fileURLToPath(new URL('../../../shared/fhir/samples/', import.meta.url));
const registry = defaultRegistry();

const patient = (id: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  id,
  name: [{ family: 'Doe', given: ['Jane'] }],
  gender: 'female',
  ...extra,
});

for (const kind of storeKinds()) {
  describe(`import (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let dir: string;
    const file = (name: string, content: string | Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    before(async () => {
      fx = await kind.create();
      dir = mkdtempSync(join(tmpdir(), 'pa-import-'));
    });
    after(async () => {
      await fx?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    test('both sample bundles import cleanly; a second import changes nothing', async () => {
      const files = ['uscore_bundle_patient_85.json', 'uscore_bundle_patient_355.json'].map((f) => SAMPLES + f);
      const first = await importFiles(fx.store, registry, files);
      for (const r of first) {
        assert.equal(r.rejected, false, r.file);
        assert.deepEqual(r.issues.filter((i) => i.severity === 'error'), [], r.file);
      }
      const expected = files.reduce((n, f) => n + JSON.parse(readFileSync(f, 'utf8')).entry.length, 0);
      assert.equal(first.reduce((n, r) => n + r.written.created, 0), expected);
      const before = await fx.store.countByType();
      const again = await importFiles(fx.store, registry, files);
      for (const r of again) assert.deepEqual(r.written, { created: 0, updated: 0, unchanged: r.written.unchanged });
      assert.deepEqual(await fx.store.countByType(), before);
      const p = await fx.store.readResource('Patient', '85');
      assert.equal(JSON.parse(p!.json).meta.versionId, '1');
    });

    test('urn:uuid references are rewritten to the assigned ids', async () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:11111111-2222-3333-4444-555555555555', resource: patient('ignored'), request: { method: 'POST', url: 'Patient' } },
          {
            fullUrl: 'urn:uuid:aaaaaaaa-2222-3333-4444-555555555555',
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
              subject: { reference: 'urn:uuid:11111111-2222-3333-4444-555555555555' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      };
      const report = await importFile(fx.store, registry, file('urn.json', JSON.stringify(bundle)));
      assert.equal(report.written.created, 2);
      const obs = await fx.store.readResource('Observation', 'aaaaaaaa-2222-3333-4444-555555555555');
      assert.equal(JSON.parse(obs!.json).subject.reference, 'Patient/11111111-2222-3333-4444-555555555555');
      // The observation is in the patient's compartment.
      const rows = await fx.store.search({
        type: 'Observation',
        where: { kind: 'compartment', patients: ['11111111-2222-3333-4444-555555555555'] },
        sort: [],
        limit: 10,
      });
      assert.equal(rows.length, 1);
    });

    test('a transaction with bad entries writes nothing and lists every bad entry', async () => {
      const before = await fx.store.countByType();
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient('tx-ok'), request: { method: 'PUT', url: 'Patient/tx-ok' } },
          { resource: patient('tx-bad', { gender: 'sometimes' }), request: { method: 'PUT', url: 'Patient/tx-bad' } },
          { resource: { resourceType: 'Frobnicator', id: 'x' }, request: { method: 'PUT', url: 'Frobnicator/x' } },
          { resource: patient('tx-2'), request: { method: 'DELETE', url: 'Patient/tx-2' } },
          { resource: patient('tx-3', { birthDate: 12 }), request: { method: 'PUT', url: 'Patient/tx-3' } },
          { resource: patient('tx-4'), request: { method: 'PUT', url: 'Patient/other' } },
          // A number or a string where a complex type belongs.
          { resource: patient('tx-5', { managingOrganization: 7, maritalStatus: 'married' }), request: { method: 'PUT', url: 'Patient/tx-5' } },
        ],
      };
      const report = await importFile(fx.store, registry, file('tx.json', JSON.stringify(bundle)));
      assert.equal(report.rejected, true);
      assert.deepEqual(report.written, { created: 0, updated: 0, unchanged: 0 });
      const byIndex = new Map(report.issues.map((i) => [i.index, i]));
      assert.deepEqual([...byIndex.keys()].sort(), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(
        report.issues.filter((i) => i.index === 6).map((i) => `${i.path}: ${i.message}`).sort(),
        ['Bundle.entry[6].resource.managingOrganization: must be object', 'Bundle.entry[6].resource.maritalStatus: must be object'],
      );
      assert.match(byIndex.get(1)!.path, /gender/);
      assert.match(byIndex.get(2)!.message, /Frobnicator/);
      assert.match(byIndex.get(3)!.message, /DELETE/);
      assert.match(byIndex.get(4)!.path, /birthDate/);
      assert.match(byIndex.get(5)!.message, /differs/);
      assert.deepEqual(await fx.store.countByType(), before);
      assert.equal(await fx.store.readResource('Patient', 'tx-ok'), undefined);
    });

    test('a batch writes its good entries and reports the bad ones', async () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: patient('batch-ok'), request: { method: 'PUT', url: 'Patient/batch-ok' } },
          { resource: patient('batch-bad', { active: 'yes' }), request: { method: 'PUT', url: 'Patient/batch-bad' } },
        ],
      };
      const report = await importFile(fx.store, registry, file('batch.json', JSON.stringify(bundle)));
      assert.equal(report.rejected, false);
      assert.equal(report.written.created, 1);
      assert.equal(report.issues.length, 1);
      assert.equal(report.issues[0].index, 1);
      assert.ok(await fx.store.readResource('Patient', 'batch-ok'));
      assert.equal(await fx.store.readResource('Patient', 'batch-bad'), undefined);
    });

    test('collection bundles and single resources', async () => {
      const coll = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient('coll-1') }, { resource: patient('coll-2') }] };
      assert.equal((await importFile(fx.store, registry, file('coll.json', JSON.stringify(coll)))).written.created, 2);
      const single = await importFile(fx.store, registry, file('single.json', JSON.stringify(patient('single-1'))));
      assert.equal(single.written.created, 1);
      const changed = await importFile(fx.store, registry, file('single2.json', JSON.stringify(patient('single-1', { gender: 'male' }))));
      assert.equal(changed.written.updated, 1);
      const stored = JSON.parse((await fx.store.readResource('Patient', 'single-1'))!.json);
      assert.equal(stored.meta.versionId, '2');
      const v1 = await fx.store.readVersion('Patient', 'single-1', '1');
      assert.equal(JSON.parse(v1!.json).gender, 'female');
    });

    test('NDJSON, plain and gzip, with bad lines reported by number', async () => {
      const lines = [
        JSON.stringify(patient('nd-1')),
        '{not json',
        JSON.stringify(patient('nd-2')),
        JSON.stringify({ resourceType: 'Patient', name: [{ family: 'NoId' }] }),
        '',
        JSON.stringify(patient('nd-3', { deceasedBoolean: 'no' })),
      ].join('\n');
      const plain = await importFile(fx.store, registry, file('Patient.ndjson', lines + '\n'));
      assert.equal(plain.written.created, 2);
      assert.deepEqual(plain.issues.map((i) => i.index), [2, 4, 6]);
      const gz = await importFile(fx.store, registry, file('Patient2.ndjson.gz', gzipSync(lines)));
      assert.equal(gz.written.unchanged, 2);
    });

    test('NDJSON over many reads: CRLF endings, multi-byte characters across reads, no final newline', async () => {
      // Names of 'é' (two bytes in UTF-8) make lines of odd byte lengths, so reads of the file (1 MiB
      // each) end inside a character; 300 lines of ~8 KiB span several reads.
      const ids = Array.from({ length: 300 }, (_, i) => `crlf-${i}`);
      const family = (i: number) => `Lef${'é'.repeat(4000 + (i % 7))}vre`;
      const lines = ids.map((id, i) => JSON.stringify(patient(id, { name: [{ family: family(i), given: ['Zoë'] }] })));
      lines.splice(250, 0, '{"resourceType":"Patient","id":"crlf-bad","gender":"nope"}');
      // The first read ends inside an 'é' (its byte 1,048,576 is a UTF-8 continuation byte).
      let text = lines.join('\r\n');
      for (let pad = ' '; (Buffer.from(text)[2 ** 20] & 0xc0) !== 0x80; pad += ' ') text = `${pad}${lines.join('\r\n')}`;
      assert.ok(Buffer.byteLength(text) > 2 * 2 ** 20, 'the file spans more than two reads');
      const report = await importFile(fx.store, registry, file('Crlf.ndjson', text));
      assert.equal(report.written.created, 300);
      assert.deepEqual([...new Set(report.issues.map((i) => i.index))], [251]);
      for (const [i, id] of ids.entries()) {
        const stored = JSON.parse((await fx.store.readResource('Patient', id))!.json);
        assert.equal(stored.name[0].family, family(i));
        assert.deepEqual(stored.name[0].given, ['Zoë']);
      }
      const gz = await importFile(fx.store, registry, file('Crlf2.ndjson.gz', gzipSync(text + '\r\n')));
      assert.equal(gz.written.unchanged, 300);
      assert.deepEqual([...new Set(gz.issues.map((i) => i.index))], [251]);
    });

    test('NDJSON starting with a UTF-8 byte order mark: the mark is skipped; one starting a later line is that line’s error', async () => {
      const lines = [JSON.stringify(patient('bom-1')), JSON.stringify(patient('bom-2')), '\ufeff' + JSON.stringify(patient('bom-3'))];
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\n'))]);
      for (const [name, content] of [['Bom.ndjson', bytes], ['Bom.ndjson.gz', gzipSync(bytes)]] as const) {
        const report = await importFile(fx.store, registry, file(name, content));
        assert.equal(report.written.created + report.written.unchanged, 2, name);
        assert.deepEqual(report.issues.map((i) => [i.index, i.message]), [[3, 'is not valid JSON']], name);
      }
      assert.ok(await fx.store.readResource('Patient', 'bom-1'));
      assert.equal(await fx.store.readResource('Patient', 'bom-3'), undefined);
    });

    test('a Bundle or a single resource saved with a UTF-8 byte order mark imports like one without', async () => {
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient('bom-bundle-1') }] };
      const fromBundle = await importFile(fx.store, registry, file('BomBundle.json', Buffer.concat([bom, Buffer.from(JSON.stringify(bundle))])));
      assert.equal(fromBundle.kind, 'collection');
      assert.equal(fromBundle.written.created + fromBundle.written.unchanged, 1);
      const single = await importFile(fx.store, registry, file('BomPatient.json.gz', gzipSync(Buffer.concat([bom, Buffer.from(JSON.stringify(patient('bom-single')))]))));
      assert.equal(single.kind, 'resource');
      assert.equal(single.written.created + single.written.unchanged, 1);
      assert.ok(await fx.store.readResource('Patient', 'bom-bundle-1'));
      assert.ok(await fx.store.readResource('Patient', 'bom-single'));
    });

    test('NDJSON with a line much longer than a read (attachment data), then more lines', async () => {
      const data = Buffer.alloc(1_500_000, 'attachment bytes ').toString('base64');
      const doc = {
        resourceType: 'DocumentReference',
        id: 'long-line-doc',
        status: 'current',
        subject: { reference: 'Patient/long-line-p' },
        content: [{ attachment: { contentType: 'text/plain', data } }],
      };
      const text = [JSON.stringify(patient('long-line-p')), JSON.stringify(doc), '{"resourceType":"Patient","id":"long-line-bad","gender":"nope"}', JSON.stringify(patient('long-line-q'))].join('\r\n');
      const report = await importFile(fx.store, registry, file('LongLine.ndjson', text));
      assert.equal(report.written.created, 3);
      assert.deepEqual([...new Set(report.issues.map((i) => i.index))], [3]);
      const stored = JSON.parse((await fx.store.readResource('DocumentReference', 'long-line-doc'))!.json);
      assert.equal(stored.content[0].attachment.data, data);
      assert.ok(await fx.store.readResource('Patient', 'long-line-q'));
    });

    test('unreadable files are an ImportError naming the file', async () => {
      await assert.rejects(importFile(fx.store, registry, join(dir, 'missing.json')), (e: unknown) => e instanceof ImportError && /missing\.json/.test((e as Error).message));
      await assert.rejects(importFile(fx.store, registry, file('broken.json', '{"resourceType":')), ImportError);
      await assert.rejects(importFile(fx.store, registry, file('array.json', '[1,2]')), ImportError);
    });
  });
}
