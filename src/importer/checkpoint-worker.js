/**
 * @module importer/checkpoint-worker
 * The checkpointer of `ImportWorkers`: with its own connection to the SQLite file, copies what the import
 * workers committed from the write-ahead log into the database, each time the pool asks. The import
 * workers never checkpoint themselves: a commit that crossed the WAL's limit did the copy (and its two
 * fsyncs) before the next chunk could be written — half a second each 160 MiB, a seventh of the import's
 * time on one machine. A PASSIVE checkpoint here holds up no writer. Plain JavaScript (only better-sqlite3),
 * so it starts without the TypeScript loader the import workers need.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ dbFile: string, pragmas: string[] }} */
const { dbFile, pragmas } = workerData;
const db = new Database(dbFile);
for (const pragma of pragmas) db.pragma(pragma);

parentPort.on('message', (m) => {
  if (m === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
