/**
 * Child process: imports a generated population into a fresh SQLite file and reports the wall time.
 * Usage (from bench/run.ts): bench/import.ts <db-file> <ndjson-file>…
 */
import { rmSync, statSync } from 'node:fs';
import { importFiles } from '../src/importer/index.js';
import { defaultRegistry } from '../src/fhir/search/registry.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { send } from './child.js';

export interface ImportResult {
  resources: number;
  seconds: number;
  perSecond: number;
  issues: number;
  byType: Record<string, number>;
  dbBytes: number;
}

const [dbFile, ...files] = process.argv.slice(2);
if (!dbFile || !files.length) throw new Error('usage: import.ts <db-file> <ndjson-file>…');
for (const suffix of ['', '-wal', '-shm']) rmSync(dbFile + suffix, { force: true });

const store = new SqliteStore(dbFile);
await store.migrate();
const registry = defaultRegistry();
let lastLog = performance.now();
const started = performance.now();
const reports = await importFiles(store, registry, files, {
  onProgress: (p) => {
    const now = performance.now();
    if (now - lastLog > 10_000) {
      lastLog = now;
      const s = (now - started) / 1000;
      process.stderr.write(`  importing ${p.file.split('/').pop()}: ${p.resources} resources of this file, ${s.toFixed(0)} s elapsed\n`);
    }
  },
});
const seconds = (performance.now() - started) / 1000;
await store.close();

let resources = 0;
let issues = 0;
const byType: Record<string, number> = {};
for (const r of reports) {
  resources += r.written.created + r.written.updated + r.written.unchanged;
  issues += r.issues.filter((i) => i.severity === 'error').length;
  for (const [t, n] of Object.entries(r.byType)) byType[t] = (byType[t] ?? 0) + n;
}
const result: ImportResult = {
  resources,
  seconds,
  perSecond: resources / seconds,
  issues,
  byType,
  dbBytes: statSync(dbFile).size,
};
send(result);
if (process.connected) process.disconnect();
