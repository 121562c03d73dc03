/**
 * The SQLite audit journal: records are durable in the process's file when `append` returns, a worker
 * thread moves them into `audit_events`, queries settle first, files of stopped processes are moved in by
 * whoever settles next, a failed move keeps the records and tries again, and nothing is lost or doubled.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditTrail } from '../../src/admin/audit.js';
import { AuditStore, auditRowValues, type AuditJournal, type AuditRecord } from '../../src/store/audit.js';
import { AuditJournalClosedError, journalDir, journalLine, MAX_SLICE_BYTES, SqliteAuditJournal } from '../../src/store/sqlite/audit-journal.js';
import { parseJournalRows } from '../../src/store/sqlite/journal-lines.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';

let serial = 0;
function rec(over: Partial<AuditRecord> = {}): AuditRecord {
  serial++;
  return {
    id: `journal-test-${String(serial).padStart(6, '0')}`,
    recorded: 1_750_000_000_000 + serial,
    category: 'fhir',
    action: 'read',
    outcome: 'success',
    clientId: 'app-j',
    patientId: 'p-j',
    username: null,
    source: '127.0.0.1',
    tokenJti: `jti-${serial}`,
    query: null,
    resource: JSON.stringify({ observer: 'test', n: serial }),
    ...over,
  };
}

async function tableIds(store: SqliteStore, prefix = 'journal-test-'): Promise<string[]> {
  const rows = await store.sql.all<{ id: string }>('SELECT id FROM audit_events WHERE id LIKE ? ORDER BY id', [`${prefix}%`]);
  return rows.map((r) => r.id);
}

/** The pid of a process that has exited (so a file named with it belongs to a stopped writer). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(String(r.stdout));
}

const files = (store: SqliteStore) => {
  try {
    return readdirSync(journalDir(store.file)).filter((n) => n.endsWith('.ndjson'));
  } catch {
    return [];
  }
};

describe('SQLite audit journal', () => {
  let fx: StoreFixture;
  let store: SqliteStore;

  before(async () => {
    fx = await sqliteFixture();
    store = fx.store as SqliteStore;
  });
  after(async () => {
    await fx.cleanup();
  });

  test('append is durable in the file at once; settle moves it into the table; close removes the file', async () => {
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000 });
    const batch = [rec(), rec(), rec()];
    journal.append(batch);
    // In the file, line by line, before any move (the worker waits a minute unless asked).
    const [name] = files(store);
    assert.ok(name?.startsWith(`${process.pid}-`), `journal file ${name}`);
    const onDisk = parseJournalRows(readFileSync(join(journalDir(store.file), name), 'utf8'));
    assert.deepEqual(onDisk, { rows: batch.map(auditRowValues), skipped: 0 });
    assert.deepEqual(await tableIds(store), []);

    await journal.settle();
    assert.deepEqual(await tableIds(store), batch.map((r) => r.id));
    const [row] = await new AuditStore(store.sql).query({ client: 'app-j', limit: 1 });
    assert.deepEqual(row, batch[0], 'every column survives the trip');

    journal.append([rec()]);
    await journal.close();
    assert.equal((await tableIds(store)).length, 4);
    assert.deepEqual(files(store), []);
    assert.throws(() => journal.append([rec()]), AuditJournalClosedError);
  });

  test('a line keeps the resource JSON as an object, read back as the same text; a string resource (older lines, or text that is not an object) stays a string', async () => {
    const resource = JSON.stringify({ observer: 'http://h/fhir', status: 200, personId: 'Person/"q"', detail: 'line\nbreak \u2028 é' });
    const r = rec({ resource });
    const line = journalLine(r);
    assert.ok(line.endsWith(`,${resource}]\n`), line);
    assert.deepEqual(JSON.parse(line).at(-1), JSON.parse(resource));
    assert.deepEqual(parseJournalRows(line), { rows: [auditRowValues(r)], skipped: 0 });
    // Not an object's text: written as a string, read back unchanged.
    const odd = rec({ resource: '[1,2]' });
    assert.equal(JSON.parse(journalLine(odd)).at(-1), '[1,2]');
    assert.deepEqual(parseJournalRows(journalLine(odd)), { rows: [auditRowValues(odd)], skipped: 0 });
    // A line as earlier versions wrote it, the resource a string.
    const older = rec();
    assert.deepEqual(parseJournalRows(`${JSON.stringify(auditRowValues(older))}\n`), { rows: [auditRowValues(older)], skipped: 0 });
    // Neither text nor an object: the line is skipped.
    assert.equal(parseJournalRows(`${JSON.stringify([...auditRowValues(older).slice(0, 11), [1]])}\n`).skipped, 1);
    assert.equal(parseJournalRows(`${JSON.stringify([...auditRowValues(older).slice(0, 11), null])}\n`).skipped, 1);
    // Moved into the table, the text is the same.
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000 });
    journal.append([r, odd]);
    await journal.settle();
    await journal.close();
    const rows = await store.sql.all<{ id: string; resource: string }>('SELECT id, resource FROM audit_events WHERE id IN (?, ?) ORDER BY id', [r.id, odd.id]);
    assert.deepEqual(rows, [{ id: r.id, resource }, { id: odd.id, resource: '[1,2]' }]);
  });

  test('the worker moves records on by itself, without a query asking', async () => {
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 5 });
    try {
      const before = (await tableIds(store)).length;
      journal.append([rec(), rec()]);
      const deadline = Date.now() + 10_000;
      // The worker commits, then says so: the rows can be seen a moment before the move is counted.
      while ((await tableIds(store)).length < before + 2 || journal.stats.moves < 1) {
        assert.ok(Date.now() < deadline, `not moved within 10 s (${journal.stats.moves} moves counted)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(journal.stats.records, 2);
    } finally {
      // Left open, its file would be found by the tests after this one.
      await journal.close();
    }
  });

  test('an AuditTrail over the journal: every record is queryable the moment record() resolves', async () => {
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000 });
    const trail = new AuditTrail(new AuditStore(store.sql, { journal }), { observer: 'http://test' });
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        trail.record({ category: 'fhir', action: 'read', outcome: 'success', clientId: 'journal-trail', patientId: `p${i % 7}`, resourceRef: `Patient/p${i % 7}` }),
      ),
    );
    assert.ok(journal.stats.writes < 500, `${journal.stats.writes} appends for 500 records`);
    const rows = await trail.store.query({ client: 'journal-trail', limit: 1000 });
    assert.equal(rows.length, 500);
    assert.equal(new Set(rows.map((r) => r.id)).size, 500);
    await trail.close();
    await journal.close();
  });

  test('a full file is sealed and a new one started, even while moves lag behind; a sealed file goes once moved', async () => {
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000, rotateBytes: 2000 });
    const before = (await tableIds(store)).length;
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      journal.append([rec(), rec()]);
      for (const f of files(store)) seen.add(f);
    }
    // Nothing moved yet (the worker waits a minute unless asked), yet appends went to several files.
    assert.equal((await tableIds(store)).length, before);
    assert.ok(seen.size >= 3, `files used: ${[...seen].join(', ')}`);
    assert.equal(files(store).length, seen.size, 'no file is removed before it is moved');
    await journal.settle();
    assert.equal((await tableIds(store)).length, before + 60);
    assert.equal(files(store).length, 1, 'only the file being appended to is left');
    await journal.close();
    assert.deepEqual(files(store), []);
  });

  test('a backlog larger than one slice is moved in slices, all of it', async () => {
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000 });
    const before = (await tableIds(store)).length;
    const padding = 'x'.repeat(400);
    for (let i = 0; i < 120; i++) journal.append(Array.from({ length: 100 }, () => rec({ clientId: 'app-backlog', query: `Observation?note=${padding}` })));
    const [name] = files(store);
    assert.ok(statSync(join(journalDir(store.file), name)).size > MAX_SLICE_BYTES, 'the backlog spans more than one slice');
    await journal.settle();
    assert.equal((await tableIds(store)).length, before + 12_000);
    assert.ok(journal.stats.moves >= 2, `${journal.stats.moves} moves`);
    await journal.close();
  });

  test('a stopped process’s file is moved in at the next settle and removed; records already in are not doubled; a torn last line is dropped', async () => {
    const dir = journalDir(store.file);
    mkdirSync(dir, { recursive: true });
    const moved = [rec(), rec()];
    const left = [rec(), rec(), rec()];
    const path = join(dir, `${deadPid()}-1-deadbeef.ndjson`);
    // One record was moved before the crash, one line is not JSON, and the last write was cut short.
    writeFileSync(path, [...moved, ...left].map((r) => journalLine(r)).join('') + 'not json\n' + journalLine(rec()).slice(0, 40));
    await new AuditStore(store.sql).ingest(moved.slice(0, 1));

    const journal = new SqliteAuditJournal(store.file);
    const audit = new AuditStore(store.sql, { journal });
    const rows = await audit.query({ client: 'app-j', limit: 10_000 });
    for (const r of [...moved, ...left]) assert.equal(rows.filter((x) => x.id === r.id).length, 1, r.id);
    assert.equal(journal.stats.skippedLines, 1);
    assert.ok(!readdirSync(dir).includes(path.split('/').pop()!), 'the stopped process’s file is removed');
    await journal.close();
  });

  test('a stopped process’s file larger than one slice is moved in full, slice by slice, and removed', async () => {
    const dir = journalDir(store.file);
    mkdirSync(dir, { recursive: true });
    const padding = 'y'.repeat(400);
    const left = Array.from({ length: 12_000 }, () => rec({ clientId: 'app-left-large', query: `Observation?note=${padding}` }));
    const path = join(dir, `${deadPid()}-2-feedface.ndjson`);
    writeFileSync(path, left.map((r) => journalLine(r)).join(''));
    assert.ok(statSync(path).size > MAX_SLICE_BYTES, 'the file spans more than one slice');

    const journal = new SqliteAuditJournal(store.file);
    await journal.settle();
    const ids = new Set(await tableIds(store));
    assert.equal(left.filter((r) => ids.has(r.id)).length, left.length);
    assert.ok(!readdirSync(dir).includes(path.split('/').pop()!), 'the stopped process’s file is removed');
    await journal.close();
  });

  test('a live process’s file is read (whole lines only) but left in place; one named with our pid but not open here is an earlier process’s', async () => {
    const dir = journalDir(store.file);
    mkdirSync(dir, { recursive: true });
    // The parent of this process stands for a writer that is still running.
    const live = join(dir, `${process.ppid}-1-cafebabe.ndjson`);
    const whole = rec();
    const tornRecord = rec();
    const torn = journalLine(tornRecord).trimEnd();
    writeFileSync(live, journalLine(whole) + torn.slice(0, 30));
    // Containers reuse pids: a file with ours that no journal of this process has open is left over.
    const reused = join(dir, `${process.pid}-1-0badf00d.ndjson`);
    const old = rec();
    writeFileSync(reused, journalLine(old));

    const journal = new SqliteAuditJournal(store.file);
    await journal.settle();
    let ids = await tableIds(store);
    assert.ok(ids.includes(whole.id) && ids.includes(old.id));
    assert.ok(!ids.includes(tornRecord.id), 'a line still being written waits');
    const names = readdirSync(dir);
    assert.ok(names.includes(live.split('/').pop()!), 'a live writer’s file stays');
    assert.ok(!names.includes(reused.split('/').pop()!), 'the earlier process’s file goes');

    // The writer finishes its line: the next settle takes it, and nothing twice.
    appendFileSync(live, torn.slice(30) + '\n');
    await journal.settle();
    ids = await tableIds(store);
    assert.equal(ids.filter((id) => id === tornRecord.id).length, 1);
    assert.equal(ids.filter((id) => id === whole.id).length, 1);
    await journal.close();
    unlinkSync(live);
  });

  test('a failed move keeps the records, reports the error, and succeeds once the cause is gone', async () => {
    const errors: Error[] = [];
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000, retryDelayMs: 50 });
    journal.onError = (err) => errors.push(err);
    await store.sql.run('ALTER TABLE audit_events RENAME TO audit_events_away');
    const batch = [rec(), rec()];
    try {
      journal.append(batch);
      await assert.rejects(journal.settle(), /audit_events/);
      assert.ok(errors.length >= 1);
    } finally {
      await store.sql.run('ALTER TABLE audit_events_away RENAME TO audit_events');
    }
    await journal.settle();
    const ids = await tableIds(store);
    for (const r of batch) assert.ok(ids.includes(r.id), r.id);
    await journal.close();
  });

  test('an append that fails rejects every record of its group; the trail keeps working afterwards', async () => {
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000 });
    let failNext = true;
    const failing: AuditJournal = {
      append: (records) => {
        if (failNext) {
          failNext = false;
          throw new Error('ENOSPC: no space left on device');
        }
        journal.append(records);
      },
      settle: () => journal.settle(),
      close: () => journal.close(),
      onError: () => undefined,
    };
    const trail = new AuditTrail(new AuditStore(store.sql, { journal: failing }));
    const input = (n: number) => ({ category: 'fhir' as const, action: 'read', outcome: 'success' as const, clientId: 'journal-fail', resourceRef: `Patient/p${n}` });
    const first = await Promise.allSettled([trail.record(input(1)), trail.record(input(2))]);
    assert.ok(first.every((r) => r.status === 'rejected' && /ENOSPC/.test(String(r.reason))));
    await trail.record(input(3));
    const rows = await trail.store.query({ client: 'journal-fail' });
    assert.deepEqual(rows.map((r) => JSON.parse(r.resource).resourceRef), ['Patient/p3']);
    await trail.close();
    await journal.close();
  });

  test('a settle that comes while a background move runs keeps the process alive until it is done', () => {
    // The worker of a background move does not hold the process; a settle that then waits for that move
    // must, or a command that settles (an audit export, a clean close) ends with it unresolved (exit code
    // 13). A separate process shows it: it prints only if its settle resolves, with every record moved.
    const dir = join(journalDir(store.file), '..');
    const script = join(dir, 'settle-during-move.mts');
    const src = (path: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src', path)).href);
    const record = (n: number) => rec({ id: `settle-during-move-${String(n).padStart(6, '0')}` });
    writeFileSync(
      script,
      [
        `import { SqliteStore } from ${src('store/sqlite/index.ts')};`,
        `import { AuditStore } from ${src('store/audit.ts')};`,
        `import { SqliteAuditJournal } from ${src('store/sqlite/audit-journal.ts')};`,
        `const store = new SqliteStore(${JSON.stringify(join(dir, 'settle-during-move.db'))});`,
        'await store.migrate();',
        'const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 0 });',
        `const record = ${JSON.stringify(record(0))};`,
        'journal.append([record]);',
        'await journal.settle(); // the worker is up',
        '// Enough records that their move, handed to the worker at once, still runs when settle() is called.',
        "journal.append(Array.from({ length: 30000 }, (_, i) => ({ ...record, id: record.id.replace(/0+$/, '') + (i + 1) })));",
        'await new Promise((r) => setTimeout(r, 2));',
        'const moving = journal.stats.moves;',
        'await journal.settle();',
        "const [{ n }] = await store.sql.all('SELECT count(*) AS n FROM audit_events');",
        "process.stdout.write(`settled ${n} records; moves before settle: ${moving}`);",
        'await journal.close();',
        'await store.close();',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stdout, 'settled 30001 records; moves before settle: 1', `exit ${r.status}: ${r.stderr.slice(0, 500)}`);
    assert.equal(r.status, 0);
  });

  test('a damaged file with a line longer than a slice: the line is skipped and counted, the records around it moved', async () => {
    const dir = journalDir(store.file);
    mkdirSync(dir, { recursive: true });
    const before = rec({ clientId: 'app-overlong' });
    const afterIt = rec({ clientId: 'app-overlong' });
    const path = join(dir, `${deadPid()}-3-0ddba11.ndjson`);
    writeFileSync(path, journalLine(before) + 'z'.repeat(MAX_SLICE_BYTES + 1000) + '\n' + journalLine(afterIt));

    const journal = new SqliteAuditJournal(store.file);
    await journal.settle();
    const ids = await tableIds(store);
    assert.ok(ids.includes(before.id) && ids.includes(afterIt.id));
    assert.equal(journal.stats.skippedLines, 1);
    assert.ok(!readdirSync(dir).includes(path.split('/').pop()!), 'the stopped process’s file is removed');
    await journal.close();
  });

  test('another process’s file that cannot be read is reported and left; settles and queries go on', async () => {
    const dir = journalDir(store.file);
    // A directory where a file should be: opening it works, reading it fails (EISDIR).
    const odd = join(dir, `${deadPid()}-4-d1rec70.ndjson`);
    mkdirSync(odd, { recursive: true });
    const errors: Error[] = [];
    const journal = new SqliteAuditJournal(store.file);
    journal.onError = (err) => errors.push(err);
    const r = rec();
    journal.append([r]);
    await journal.settle();
    assert.ok((await tableIds(store)).includes(r.id));
    assert.ok(errors.some((e) => /cannot be read \(EISDIR\)/.test(e.message)), errors.map((e) => e.message).join('; '));
    assert.ok(readdirSync(dir).includes(odd.split('/').pop()!), 'what cannot be read is not removed');
    await journal.close();
    rmSync(odd, { recursive: true });
  });

  test('our own file removed before it was moved: reported, and the journal goes on in a new file', async () => {
    const errors: Error[] = [];
    const journal = new SqliteAuditJournal(store.file, { moveDelayMs: 60_000 });
    journal.onError = (err) => errors.push(err);
    const lost = rec();
    journal.append([lost]);
    const [name] = files(store).filter((n) => n.startsWith(`${process.pid}-`));
    unlinkSync(join(journalDir(store.file), name));
    await journal.settle();
    assert.ok(errors.some((e) => /was removed before \d+ bytes of its records were moved/.test(e.message)), errors.map((e) => e.message).join('; '));
    const kept = rec();
    journal.append([kept]);
    await journal.settle();
    assert.ok((await tableIds(store)).includes(kept.id));
    await journal.close();
  });

  test('a settle under way when close begins finishes; one after close is refused', { timeout: 30_000 }, async () => {
    const dir = journalDir(store.file);
    mkdirSync(dir, { recursive: true });
    const left = Array.from({ length: 3000 }, () => rec({ clientId: 'app-closing' }));
    writeFileSync(join(dir, `${deadPid()}-5-c105ed.ndjson`), left.map((r) => journalLine(r)).join(''));
    const journal = new SqliteAuditJournal(store.file);
    journal.append([rec()]);
    const settling = journal.settle();
    await journal.close();
    await settling;
    const ids = new Set(await tableIds(store));
    assert.equal(left.filter((r) => ids.has(r.id)).length, left.length);
    await assert.rejects(journal.settle(), AuditJournalClosedError);
  });

  test('the store hands out one journal per database file, none in memory; closing the store closes it', async () => {
    const own = new SqliteStore(join(journalDir(store.file), '..', 'other.db'));
    await own.migrate();
    const journal = own.auditJournal()!;
    assert.equal(own.auditJournal(), journal);
    journal.append([rec()]);
    await own.close();
    assert.throws(() => journal.append([rec()]), AuditJournalClosedError);
    const memory = new SqliteStore(':memory:');
    assert.equal(memory.auditJournal(), undefined);
    await memory.close();
  });
});
