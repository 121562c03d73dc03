/**
 * @module store/sqlite/audit-journal-worker
 * The worker thread of `SqliteAuditJournal`: with its own connection to the database file, moves the
 * journal lines the main thread names (a `MoveRequest`: a file and a byte range) into `audit_events`,
 * one transaction per slice, skipping ids already there, and answers how far it got (a `MoveReply`).
 * The main thread hands it the connection's pragmas and the INSERT, so it needs nothing of the store but
 * `journal-lines.js`: it is plain JavaScript, which spares the server a second TypeScript loader (see
 * that module).
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
  try {
    for (const pragma of pragmas) db.pragma(pragma);
    const insert = db.prepare(insertSql);
    // IMMEDIATE: take the write lock at the start rather than fail to upgrade a read lock later.
    return db.transaction((rows) => {
      for (const row of rows) insert.run(row);
    }).immediate;
  } catch (err) {
    // The next move tries again with a new connection.
    db.close();
    throw err;
  }
}

/** The file last read, kept open for the next slice of it. @type {{ file: string, fd: number } | undefined} */
let open;

function move({ file, start, end }) {
  if (open?.file !== file) {
    if (open) closeSync(open.fd);
    open = undefined; // until the next one opens: it may not exist any more
    open = { file, fd: openSync(file, 'r') };
  }
  // A long file goes in slices; the main thread asks again from where this one ended.
  const slice = readWholeLines(open.fd, start, end);
  if (!slice) return { moved: start, skipped: 0 };
  const { rows, skipped } = parseJournalRows(slice.text);
  if (rows.length) {
    insertAll ??= connect();
    insertAll(rows);
  }
  return { moved: slice.next, skipped: skipped + slice.overlong };
}

// Requests queue on the port while a move runs and are answered in order; the next move of the server's
// own lines takes everything appended meanwhile.
parentPort.on('message', (request) => {
  let reply;
  try {
    reply = move(request);
  } catch (err) {
    reply = { error: err instanceof Error ? err.message : String(err), code: err?.code };
  }
  parentPort.postMessage(reply);
});
