/**
 * @module store/sqlite/audit-journal-worker
 * The worker thread of `SqliteAuditJournal`: with its own connection to the database file, moves the
 * journal lines the main thread names (a `MoveRequest`) into `audit_events`, one transaction per slice,
 * skipping ids already there, and answers how far it got (a `MoveReply`). The main thread hands it the
 * connection's pragmas and the INSERT, so it needs nothing of the store but `journal-lines.js`: it is plain
 * JavaScript, which spares the server a second TypeScript loader (see that module).
 */
import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parseJournalRows, readWholeLines } from './journal-lines.js';

/** @type {{ dbFile: string, pragmas: string[], insertSql: string }} */
const { dbFile, pragmas, insertSql } = workerData;
/** Inserts rows in one IMMEDIATE transaction; made at the first move, so that a failure is its answer. */
let insertAll;

function connect() {
  const db = new Database(dbFile);
  for (const pragma of pragmas) db.pragma(pragma);
  const insert = db.prepare(insertSql);
  // IMMEDIATE: take the write lock at the start rather than fail to upgrade a read lock later.
  return db.transaction((rows) => {
    for (const row of rows) insert.run(row);
  }).immediate;
}
/** @type {{ file: string, fd: number, offset: number } | undefined} */
let current;

function move({ file, end }) {
  if (current?.file !== file) {
    // The main thread asks for a file only once every older one is fully moved.
    if (current) closeSync(current.fd);
    current = { file, fd: openSync(file, 'r'), offset: 0 };
  }
  if (end <= current.offset) return { file, moved: current.offset, skipped: 0 };
  // A backlog (after moves failed for a while) goes in slices; the main thread asks again for the rest.
  const slice = readWholeLines(current.fd, current.offset, end);
  if (!slice) throw new Error(`${file} has no whole line between bytes ${current.offset} and ${end}`);
  const { rows, skipped } = parseJournalRows(slice.text);
  insertAll ??= connect();
  insertAll(rows);
  current.offset = slice.next;
  return { file, moved: current.offset, skipped };
}

// Requests queue on the port while a move runs, so the next one takes everything appended meanwhile.
parentPort.on('message', (request) => {
  let reply;
  try {
    reply = move(request);
  } catch (err) {
    reply = { file: request.file, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort.postMessage(reply);
});
