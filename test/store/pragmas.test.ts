/**
 * Connection set-up: the PRAGMAs `connectionPragmas` makes take effect on a real SQLite file, defaults and
 * the options the importer and the audit journal use alike.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectionPragmas } from '../../src/store/sqlite/pragmas.js';

const dir = mkdtempSync(join(tmpdir(), 'pragmas-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function opened(name: string, pragmas: string[]): Database.Database {
  const db = new Database(join(dir, name));
  for (const p of pragmas) db.pragma(p);
  return db;
}
const value = (db: Database.Database, name: string) => db.pragma(name, { simple: true });

test('a default connection: WAL, NORMAL sync, 16 KB pages, a 16 MiB cache, no memory map, SQLite’s own checkpoints', () => {
  const db = opened('default.db', connectionPragmas());
  assert.equal(value(db, 'journal_mode'), 'wal');
  assert.equal(value(db, 'synchronous'), 1);
  assert.equal(value(db, 'page_size'), 16384);
  assert.equal(value(db, 'cache_size'), -16384);
  assert.equal(value(db, 'mmap_size'), 0);
  assert.equal(value(db, 'wal_autocheckpoint'), 1000);
  db.close();
});

test('the options set the cache, the memory map and the checkpoint threshold; out-of-range values are bounded', () => {
  const db = opened('options.db', connectionPragmas({ cacheKiB: 1024, mmapBytes: 2 ** 20, walAutocheckpointPages: 0 }));
  assert.equal(value(db, 'cache_size'), -1024);
  assert.equal(value(db, 'mmap_size'), 2 ** 20);
  assert.equal(value(db, 'wal_autocheckpoint'), 0);
  db.close();
  assert.deepEqual(
    connectionPragmas({ cacheKiB: 1, mmapBytes: -5, walAutocheckpointPages: -1 }).filter((p) => /^(cache_size|mmap_size|wal_autocheckpoint)/.test(p)),
    ['cache_size = -256', 'mmap_size = 0', 'wal_autocheckpoint = 0'],
  );
});
