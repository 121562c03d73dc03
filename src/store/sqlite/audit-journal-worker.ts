/**
 * @module store/sqlite/audit-journal-worker
 * The worker thread of `SqliteAuditJournal`: with its own connection to the database file, moves the
 * journal lines the main thread names (`MoveRequest`) into `audit_events` and answers how far it got.
 * Requests queue while a move runs, so each move takes everything appended meanwhile in one go.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AuditStore } from '../audit.js';
import { parseJournalLines, readWholeLines, type MoveReply, type MoveRequest } from './audit-journal.js';
import { SqliteStore } from './index.js';

const { dbFile } = workerData as { dbFile: string };
// It only appends: the right edges of the table and its indexes fit in a small cache, which keeps the
// server's memory under load where it was before the worker.
const store = new SqliteStore(dbFile, { cacheKiB: 4096 });
const audit = new AuditStore(store.sql);
let current: { file: string; fd: number; offset: number } | undefined;

async function move({ file, end }: MoveRequest): Promise<MoveReply> {
  if (current?.file !== file) {
    // The main thread asks for a file only once every older one is fully moved.
    if (current) closeSync(current.fd);
    current = { file, fd: openSync(file, 'r'), offset: 0 };
  }
  if (end > current.offset) {
    // A backlog (after moves failed for a while) goes in slices; the main thread asks again for the rest.
    const slice = readWholeLines(current.fd, current.offset, end);
    if (!slice) throw new Error(`${file} has no whole line between bytes ${current.offset} and ${end}`);
    const { records, skipped } = parseJournalLines(slice.text);
    await audit.ingest(records);
    current.offset = slice.next;
    return { file, moved: current.offset, skipped };
  }
  return { file, moved: current.offset, skipped: 0 };
}

let queue = Promise.resolve();
parentPort!.on('message', (request: MoveRequest) => {
  queue = queue.then(async () => {
    let reply: MoveReply;
    try {
      reply = await move(request);
    } catch (err) {
      reply = { file: request.file, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort!.postMessage(reply);
  });
});
