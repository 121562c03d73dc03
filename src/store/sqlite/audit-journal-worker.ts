/**
 * @module store/sqlite/audit-journal-worker
 * The worker thread of `SqliteAuditJournal`: with its own connection to the database file, moves the
 * journal lines the main thread names (`MoveRequest`) into `audit_events` and answers how far it got.
 * Requests queue while a move runs, so each move takes everything appended meanwhile in one go.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AuditStore } from '../audit.js';
import { parseJournalLines, type MoveReply, type MoveRequest } from './audit-journal.js';
import { SqliteStore } from './index.js';

const { dbFile } = workerData as { dbFile: string };
// It only appends: the right edges of the table and its indexes fit in a small cache, which keeps the
// server's memory under load where it was before the worker.
const store = new SqliteStore(dbFile, { cacheKiB: 4096 });
const audit = new AuditStore(store.sql);
let current: { file: string; fd: number; offset: number } | undefined;
/** At most this much of a file per move, so a backlog cannot take the worker's memory. */
const MAX_MOVE_BYTES = 4 * 2 ** 20;

async function move({ file, end }: MoveRequest): Promise<MoveReply> {
  if (current?.file !== file) {
    // A new file: the main thread starts one only after the last was fully moved.
    if (current) closeSync(current.fd);
    current = { file, fd: openSync(file, 'r'), offset: 0 };
  }
  if (end > current.offset) {
    const bytes = Buffer.allocUnsafe(Math.min(end - current.offset, MAX_MOVE_BYTES));
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(current.fd, bytes, got, bytes.length - got, current.offset + got);
      if (n === 0) throw new Error(`${file} ends at byte ${current.offset + got}, before ${end}`);
      got += n;
    }
    // A backlog (after moves failed for a while) goes in slices; each ends at a line's end.
    const whole = current.offset + bytes.length === end ? bytes.length : bytes.lastIndexOf(0x0a) + 1;
    if (whole === 0) throw new Error(`${file} has a line longer than ${MAX_MOVE_BYTES} bytes at byte ${current.offset}`);
    const { records, skipped } = parseJournalLines(bytes.subarray(0, whole).toString('utf8'));
    await audit.ingest(records);
    current.offset += whole;
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
