/**
 * The SQLite store's per-turn read snapshot: FHIR reads in one turn of the event loop share one read
 * transaction, so they may miss a commit another connection makes during that turn, but never one made
 * before the turn began; every other statement (auth, audit, settings, writes) ends the snapshot first and
 * sees every commit; a write after a read in the same turn neither fails nor upgrades the stale snapshot.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { prepareWrite } from '../../src/fhir/prepare.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';

const registry = defaultRegistry();
const patient = (id: string, family = 'Smith') => prepareWrite(registry, { resourceType: 'Patient', id, name: [{ family }] });

describe('SQLite read snapshot per event-loop turn', () => {
  let dir: string;
  let reader: SqliteStore;
  let writer: SqliteStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-snapshot-'));
    const file = join(dir, 'store.db');
    reader = new SqliteStore(file);
    await reader.migrate();
    writer = new SqliteStore(file);
    await writer.writeResources([patient('before')]);
  });
  after(async () => {
    await reader?.close();
    await writer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a read sees every commit made before its turn; one made during the turn shows from the next turn', async () => {
    await nextTurn();
    assert.ok(await reader.readResource('Patient', 'before'));
    await writer.writeResources([patient('during')]);
    // Same turn (only microtasks since the first read): the snapshot predates the commit.
    assert.equal(await reader.readResource('Patient', 'during'), undefined);
    assert.equal(await reader.count('Patient', { kind: 'and', all: [] }), 1);
    await nextTurn();
    assert.equal(JSON.parse((await reader.readResource('Patient', 'during'))!.json).id, 'during');
    assert.equal(await reader.count('Patient', { kind: 'and', all: [] }), 2);
  });

  test('statements other than FHIR reads end the snapshot and see the commit at once', async () => {
    await nextTurn();
    assert.equal(await reader.readResource('Patient', 'p-sql'), undefined);
    await writer.writeResources([patient('p-sql')]);
    const rows = await reader.sql.all<{ id: string }>("SELECT id FROM resources WHERE type = 'Patient' AND id = ?", ['p-sql']);
    assert.deepEqual(rows.map((r) => r.id), ['p-sql']);
    // The FHIR read after it starts a new snapshot, which has the commit.
    assert.ok(await reader.readResource('Patient', 'p-sql'));

    await nextTurn();
    await reader.readResource('Patient', 'before');
    await writer.initSetting('snapshot-test', 'written');
    assert.equal(await reader.getSetting('snapshot-test'), 'written');
  });

  test('a write after a read in the same turn succeeds on the latest data, with no stale-snapshot error', async () => {
    await nextTurn();
    await reader.readResource('Patient', 'before');
    await writer.writeResources([patient('w1')]);
    // Writing w1 again from the reader: it must see the writer's version (unchanged), not insert over it.
    const [again] = await reader.writeResources([patient('w1')]);
    assert.equal(again.outcome, 'unchanged');
    const [changed] = await reader.writeResources([patient('w1', 'Jones')]);
    assert.equal(changed.outcome, 'updated');
    assert.equal(changed.versionId, '2');
    assert.equal(JSON.parse((await reader.readResource('Patient', 'w1'))!.json).name[0].family, 'Jones');

    await nextTurn();
    await reader.readResource('Patient', 'before');
    await writer.writeResources([patient('w2')]);
    const n = await reader.sql.transaction(async (tx) => {
      await tx.run("INSERT INTO settings (key, value) VALUES ('snapshot-tx', 'x')");
      return (await tx.all<{ n: number }>("SELECT COUNT(*) AS n FROM resources WHERE id = 'w2'"))[0].n;
    });
    assert.equal(n, 1);
  });

  test('a failed read leaves the connection usable, in this turn and the next', async () => {
    await nextTurn();
    await reader.readResource('Patient', 'before');
    await assert.rejects(reader.sql.all('SELECT * FROM no_such_table'), /no such table/);
    assert.ok(await reader.readResource('Patient', 'before'));
    await nextTurn();
    await writer.writeResources([patient('after-error')]);
    assert.ok(await reader.readResource('Patient', 'after-error'));
  });

  test('closing with a snapshot open closes cleanly, and the turn ends without touching the closed database', async () => {
    const other = new SqliteStore(reader.file);
    assert.ok(await other.readResource('Patient', 'before'));
    await other.close();
    // The snapshot's end was scheduled for this turn's end; it must find nothing left to do.
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      await nextTurn();
      await nextTurn();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught, []);
    // Its read lock is gone: another connection can still write and checkpoint.
    await writer.writeResources([patient('after-close')]);
    assert.ok(await writer.readResource('Patient', 'after-close'));
  });
});
