/**
 * Import workers: a generated population imported through two worker threads gives the same database
 * as importing it on one thread (resources, versions, index rows, compartments — Provenance included),
 * bad lines are reported with their own line numbers, a re-import changes nothing, a failing store
 * stops the import with the store's error, and a worker that dies fails the pool.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePopulation } from '../../src/demo/generator/index.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { importFiles, type FileReport, type ImportProgress } from '../../src/importer/index.js';
import { LinePack, packTexts, unpackTexts } from '../../src/importer/lines.js';
import { ImportWorkers, movable } from '../../src/importer/parallel.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const registry = defaultRegistry();

/** Everything an import leaves, in a comparable form (seq numbers differ between runs, so rows name their resource). */
async function contents(store: SqliteStore) {
  const q = (sql: string) => store.sql.all<Record<string, unknown>>(sql);
  const by = `(SELECT type || '/' || id FROM resources r WHERE r.seq = x.seq)`;
  return {
    resources: await q(`SELECT type, id, version_id, content_hash FROM resources ORDER BY type, id`),
    tokens: await q(`SELECT ${by} AS r, param, system, code FROM idx_token x ORDER BY 1, 2, 3, 4`),
    dates: await q(`SELECT ${by} AS r, param, lo, hi FROM idx_date x ORDER BY 1, 2, 3, 4`),
    references: await q(`SELECT ${by} AS r, param, target_type, target_id FROM idx_reference x ORDER BY 1, 2, 3, 4`),
    compartments: await q(`SELECT ${by} AS r, patient_id FROM compartment x ORDER BY 1, 2`),
  };
}

const summary = (reports: FileReport[]) => reports.map((r) => ({ file: r.file, written: r.written, byType: r.byType, issues: r.issues }));

describe('import workers (SQLite file)', () => {
  let dir: string;
  let files: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-parallel-'));
    ({ files } = await generatePopulation({ patients: 12, seed: 7, outDir: join(dir, 'pop') }));
    // A bad line in the middle of a file, and one that is not JSON at all.
    appendFileSync(files.find((f) => f.endsWith('Condition.ndjson'))!, '{"resourceType":"Condition","id":"bad-1","subject":7}\nnot json\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('gives the same database and reports as one thread, Provenance compartments included; a re-import changes nothing', async () => {
    const one = new SqliteStore(join(dir, 'one.db'));
    const two = new SqliteStore(join(dir, 'two.db'));
    await one.migrate();
    await two.migrate();
    try {
      const inline = await importFiles(one, registry, files, { parallelMinBytes: Number.MAX_SAFE_INTEGER });
      const progress: ImportProgress[] = [];
      const parallel = await importFiles(two, registry, files, { parallelMinBytes: 0, onProgress: (p) => progress.push(p) });
      assert.deepEqual(summary(parallel), summary(inline));
      assert.ok(progress.length > parallel.length);
      // Each file's last progress is the whole file, with every resource written (its Provenance too).
      for (const r of parallel) {
        const last = progress.filter((p) => p.file === r.file).at(-1)!;
        assert.equal(last.bytesDone, last.bytesTotal, r.file);
        assert.equal(last.resources, r.written.created + r.written.updated + r.written.unchanged, r.file);
      }

      const condition = parallel.find((r) => r.file.endsWith('Condition.ndjson'))!;
      const lines = condition.written.created + 2;
      assert.deepEqual(
        condition.issues.filter((i) => i.severity === 'error').map((i) => i.index),
        [lines - 1, lines],
        'the bad lines are reported by their own numbers',
      );
      const provenance = parallel.find((r) => r.file.endsWith('Provenance.ndjson'))!;
      assert.ok(provenance.written.created > 0);

      const [a, b] = [await contents(one), await contents(two)];
      assert.deepEqual(b, a);
      assert.ok(a.compartments.some((c) => String(c.r).startsWith('Provenance/')), 'Provenance joined its targets’ compartments');

      const again = await importFiles(two, registry, files, { parallelMinBytes: 0 });
      for (const r of again) assert.deepEqual(r.written, { created: 0, updated: 0, unchanged: r.written.unchanged }, r.file);
      assert.deepEqual(await contents(two), b);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test("a chunk's bytes move to its worker without a copy; a view of a shared buffer is copied instead", async () => {
    const pack = new LinePack();
    pack.add(new TextEncoder().encode('{"resourceType":"Patient","id":"moved","gender":"female"}'), 1);
    const chunk = { ...pack.take(), deferProvenance: false };
    assert.deepEqual(movable(chunk), [chunk.bytes.buffer]);
    const pooled = Buffer.from('{"resourceType":"Patient","id":"pooled"}\n');
    assert.ok(pooled.buffer.byteLength > pooled.length, 'a small Buffer is a view of the shared pool');
    assert.deepEqual(movable({ bytes: pooled, lineNumbers: [1], deferProvenance: false }), []);

    const store = new SqliteStore(join(dir, 'moved.db'));
    await store.migrate();
    const pool = new ImportWorkers(store.file!);
    try {
      const { done } = await pool.submit(chunk);
      assert.equal(chunk.bytes.byteLength, 0, 'the buffer left this thread');
      assert.deepEqual((await done).written, { created: 1, updated: 0, unchanged: 0 });
      const { done: copied } = await pool.submit({ bytes: pooled, lineNumbers: [1], deferProvenance: false });
      assert.equal(pooled.length, 41, 'the pooled view stayed usable here');
      assert.deepEqual((await copied).written, { created: 1, updated: 0, unchanged: 0 });
    } finally {
      await pool.close();
    }
    assert.equal(JSON.parse((await store.readResource('Patient', 'moved'))!.json).gender, 'female');
    assert.ok(await store.readResource('Patient', 'pooled'));
    await store.close();
  });

  test('texts packed as a chunk unpack to the same lines', () => {
    for (const lines of [['{"a":"é"}', '', '{"b":"\\n"}', ' ', '\ufeff{}'], ['\ufeffa BOM starting the text stays'], [''], []]) {
      assert.deepEqual(unpackTexts(packTexts(lines)), lines);
    }
  });

  test('the chunks reach the database file while the import runs, not only when the last connection closes', async () => {
    const file = join(dir, 'checkpointed.db');
    const store = new SqliteStore(file);
    await store.migrate();
    const before = statSync(file).size;
    let during: number;
    try {
      await importFiles(store, registry, files, { parallelMinBytes: 0 });
      // This connection is still open, so nothing has been copied back at a close yet.
      during = statSync(file).size;
    } finally {
      await store.close();
    }
    const after = statSync(file).size;
    assert.ok(after > before + 1_000_000, `the import wrote megabytes (${before} → ${after} bytes)`);
    assert.equal(during, after, 'every chunk was in the database file before the store closed');
  });

  test('a worker that dies (its database cannot be opened) fails the pool: the chunk and any later one are refused', async () => {
    // A directory where the database file should be: each worker throws while starting.
    const pool = new ImportWorkers(dir);
    try {
      const chunk = () => ({ bytes: packTexts(['{"resourceType":"Patient","id":"p"}']), lineNumbers: [1], deferProvenance: false });
      const { done } = await pool.submit(chunk());
      await assert.rejects(done, (err: unknown) => err instanceof Error && /^An import worker stopped: SQLITE_CANTOPEN/.test(err.message));
      await assert.rejects(pool.submit(chunk()), /An import worker stopped: SQLITE_CANTOPEN/);
    } finally {
      await pool.close();
    }
  });

  test('a store that cannot be written stops the import with its error', async () => {
    const store = new SqliteStore(join(dir, 'broken.db'));
    await store.migrate();
    try {
      await store.sql.run('ALTER TABLE idx_token RENAME TO idx_token_away');
      await assert.rejects(importFiles(store, registry, files, { parallelMinBytes: 0 }), /idx_token/);
      assert.deepEqual(await store.countByType(), {}, 'nothing was written');
    } finally {
      await store.close();
    }
  });
});
