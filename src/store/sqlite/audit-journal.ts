/**
 * @module store/sqlite/audit-journal
 * The audit trail's durable path on SQLite. Committing each group of records into `audit_events` cost
 * about 25 µs of the event loop per record (every commit writes each touched page of the table and its
 * three indexes to the WAL, and now and then a checkpoint runs inside it) — a third of a point read.
 *
 * Instead, each server process appends its records as JSON lines (`journalLine`) to a file of its own
 * (`<database>-audit/<pid>-<start>-<random>.ndjson`), one `write` per group. Once `write` returns the
 * kernel holds them: that survives a crash of the process exactly as a WAL commit with
 * `synchronous = NORMAL` does, so the answer may leave. A worker thread with its own connection moves the
 * lines into `audit_events` in large transactions, off the event loop. A file that has grown past
 * `rotateBytes` is sealed and a new one started; a sealed file is removed once all of it is moved.
 *
 * Files left by a process that stopped (a crash, or an exit without close) are moved in by whichever
 * process settles next (every audit query settles first) and then removed; moving skips records already
 * in the table, so a file moved twice, or a live file read while its owner is still writing, is harmless.
 * Those files go through the same worker, so a large one neither holds up the event loop nor swells the
 * main thread's heap (moving a 10 MB file on it had left the server 60 MB larger).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AUDIT_INGEST_SQL, auditRowValues, type AuditJournal, type AuditRecord } from '../audit.js';
import { connectionPragmas } from './pragmas.js';

export interface AuditJournalOptions {
  /** A file that has grown past this is replaced by a new one once all of it is moved (default 8 MiB). */
  rotateBytes?: number;
  /**
   * How long appended lines wait for company before the worker is woken (default 1 s). A commit's cost is
   * mostly the pages it touches, and the patient index takes rows at as many places as there are patients
   * being read, so larger moves cost less per row; every commit from the worker's connection also makes the
   * main connection drop its page cache. In the point-read benchmark, moving every 200 ms instead of every
   * second cost the worker 5 µs a row rather than 1.3 µs and the server a tenth of its throughput (every
   * 20 ms, a fifth). Queries settle first, so they never see less for the wait.
   */
  moveDelayMs?: number;
  /** After a failed move, the next try waits this long (default 1 s). */
  retryDelayMs?: number;
}

export class AuditJournalClosedError extends Error {
  readonly code = 'AUDIT_ERR_CLOSED';
}

/**
 * Messages to the worker: move the whole lines of `file` from byte `start` (a line boundary) towards
 * `end`, at most one slice. The worker answers them one by one, in order.
 */
export interface MoveRequest {
  file: string;
  start: number;
  end: number;
}
/**
 * The worker's answer to the request it answers (they go in order): the file is in the table up to
 * `moved` bytes (`start` when no line ends before `end`, as in a file whose owner is writing its last
 * line), or the move failed (`code`: the system error's, such as ENOENT).
 */
export type MoveReply = { moved: number; skipped: number } | { error: string; code?: string };

/** The directory of a database file's journals. */
export function journalDir(dbFile: string): string {
  return `${dbFile}-audit`;
}

export { MAX_SLICE_BYTES } from './journal-lines.js';

/**
 * One record as a journal line: its fields as a JSON array in the table's column order (half the text of an
 * object). The last, `resource`, is JSON object text already and goes in as it is, an object in the array:
 * as a string, every quote in it would be escaped, which took a third of the line's time on every request.
 * Text that is not an object's (`auditRecord` never makes such) goes in as a string.
 */
export function journalLine(r: AuditRecord): string {
  const values = auditRowValues(r);
  const resource = r.resource;
  if (resource.charCodeAt(0) !== 0x7b || resource.charCodeAt(resource.length - 1) !== 0x7d) return `${JSON.stringify(values)}\n`;
  values.pop(); // `resource`, the last column
  return `${JSON.stringify(values).slice(0, -1)},${resource}]\n`;
}

/** An answer the worker owes: `own` for a move of this process's lines. */
interface Owed {
  own: boolean;
  handle: (m: MoveReply) => void;
}

/** Errors that leave another process's file where it is, unmoved, rather than fail every settle. */
const UNREADABLE = new Set(['EACCES', 'EPERM', 'EISDIR']);

/** This process's open journal files (a process may open several stores on one file, as tests do). */
const OPEN_FILES = new Set<string>();

/**
 * Whether the process that writes `file` may still be running. A file named with our own pid that no
 * journal of ours has open was left by an earlier process that had the same pid (containers reuse them).
 * Another process that merely reuses a dead writer's pid keeps its file from being removed, not from
 * being moved in.
 */
function ownerAlive(file: string): boolean {
  const pid = Number(basename(file).split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return OPEN_FILES.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One file of this process's journal: appended to while it is the last, removed once sealed and moved. */
interface Segment {
  seq: number;
  file: string;
  /** Open for appending; closed (undefined) once the file is sealed. */
  fd: number | undefined;
  written: number;
  moved: number;
}

interface Waiter {
  /** Everything before this segment, and this one up to `upTo` bytes. */
  seq: number;
  upTo: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class SqliteAuditJournal implements AuditJournal {
  readonly dir: string;
  /** Called when moving records into the table failed (they stay in the file and are tried again). */
  onError: (err: Error) => void = () => undefined;
  /** Groups and records appended, moves done, lines that could not be read (for tests and the benchmark). */
  readonly stats = { writes: 0, records: 0, moves: 0, skippedLines: 0 };

  /** Oldest first; the last one, if open, takes appends. */
  #segments: Segment[] = [];
  #nextSeq = 0;
  #worker: Worker | undefined;
  /** What to do with each answer the current worker owes, in the order the requests went. */
  #owed: Owed[] = [];
  /** A move of this process's own lines is out (one at a time: each starts where the last one ended). */
  #inFlight = false;
  /** Moves of other processes' files running now (close waits for them). */
  readonly #othersRuns = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #waiters: Waiter[] = [];
  /** No appends or settles (close has begun); close still drains what was appended. */
  #closed = false;
  /** The worker is stopped for good (close is ending). */
  #terminated = false;
  #othersMoved = false;
  readonly #rotateBytes: number;
  readonly #moveDelayMs: number;
  readonly #retryDelayMs: number;

  constructor(
    readonly dbFile: string,
    options: AuditJournalOptions = {},
  ) {
    this.dir = journalDir(dbFile);
    this.#rotateBytes = options.rotateBytes ?? 8 * 2 ** 20;
    this.#moveDelayMs = options.moveDelayMs ?? 1000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  append(records: AuditRecord[]): void {
    if (this.#closed) throw new AuditJournalClosedError('The audit journal is closed');
    if (!records.length) return;
    const seg = this.#appendable();
    let text = '';
    for (const r of records) text += journalLine(r);
    const length = Buffer.byteLength(text);
    try {
      const n = writeSync(seg.fd!, text);
      // A regular file takes all of it or fails; should it not, the rest goes as bytes.
      if (n < length) {
        const bytes = Buffer.from(text);
        for (let off = n; off < length; ) off += writeSync(seg.fd!, bytes, off);
      }
    } catch (err) {
      // A partial line would run into the next group's first one: cut the file back to the last whole line,
      // or else write on in a new file (moves read this one only up to `written`).
      try {
        ftruncateSync(seg.fd!, seg.written);
      } catch {
        try {
          this.#seal(seg);
        } catch {
          /* the next append opens a new file all the same */
        }
      }
      throw err;
    }
    seg.written += length;
    this.stats.writes++;
    this.stats.records += records.length;
    this.#schedule(this.#moveDelayMs);
  }

  async settle(): Promise<void> {
    if (this.#closed) throw new AuditJournalClosedError('The audit journal is closed');
    await this.#untilMoved();
    await this.#moveOthers();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      const last = this.#segments[this.#segments.length - 1];
      if (last?.fd !== undefined) this.#seal(last);
      await this.#untilMoved();
    } finally {
      // Moves of other processes' files that settles wait for finish first; no new ones start now.
      while (this.#othersRuns.size) await Promise.allSettled([...this.#othersRuns]);
      clearTimeout(this.#timer);
      this.#terminated = true;
      const worker = this.#worker;
      this.#worker = undefined;
      await worker?.terminate();
    }
  }

  /** Resolves once everything appended so far is in the table. */
  async #untilMoved(): Promise<void> {
    const last = this.#segments[this.#segments.length - 1];
    if (!last || (this.#segments.length === 1 && last.moved >= last.written)) return;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ seq: last.seq, upTo: last.written, resolve, reject }));
    this.#schedule(0);
    await done;
  }

  /** The segment to append to: the last one, unless it is sealed or full, else a new file. */
  #appendable(): Segment {
    let last = this.#segments[this.#segments.length - 1];
    if (last?.fd !== undefined && last.written >= this.#rotateBytes) this.#seal(last);
    if (last?.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}.ndjson`);
      last = { seq: this.#nextSeq++, file, fd: openSync(file, 'a', 0o600), written: 0, moved: 0 };
      OPEN_FILES.add(file);
      this.#segments.push(last);
      if (!this.#othersMoved) {
        this.#othersMoved = true;
        // What an earlier process left behind goes in now rather than at the first query.
        this.#moveOthers().catch((err: Error) => this.onError(err));
      }
    }
    return last;
  }

  /** No more appends to this file; it is removed once moved. */
  #seal(seg: Segment): void {
    closeSync(seg.fd!);
    seg.fd = undefined;
    this.#removeIfDone(seg);
  }

  #removeIfDone(seg: Segment): void {
    if (seg.fd !== undefined || seg.moved < seg.written) return;
    unlinkSync(seg.file);
    this.#forget(seg);
  }

  /** The segment's file is gone (moved and removed, or removed by someone else): no longer tracked. */
  #forget(seg: Segment): void {
    OPEN_FILES.delete(seg.file);
    this.#segments = this.#segments.filter((s) => s !== seg);
  }

  /** The oldest segment with lines not yet moved. */
  #pendingSegment(): Segment | undefined {
    return this.#segments.find((s) => s.moved < s.written);
  }

  #schedule(delayMs: number): void {
    if (this.#inFlight) {
      // A move started in the background now has someone waiting for it.
      this.#holdIfAwaited();
      return;
    }
    if (!this.#pendingSegment()) return;
    // A move already timed stands, unless this one is wanted now.
    if (this.#timer && delayMs > 0) return;
    // Someone awaiting settle() keeps the process alive; background moves do not.
    this.#postAfter(delayMs, this.#waiters.length > 0);
  }

  /** Asks the worker for the next move after `delayMs`, replacing any move already timed. */
  #postAfter(delayMs: number, holdProcess: boolean): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#post();
    }, delayMs);
    if (!holdProcess) this.#timer.unref();
  }

  #post(): void {
    const seg = this.#pendingSegment();
    if (this.#inFlight || !seg || this.#terminated) return;
    this.#inFlight = true;
    this.#send({ file: seg.file, start: seg.moved, end: seg.written }, true, (m) => this.#onReply(seg, m));
  }

  /** Posts a request to the worker (started if need be); `handle` gets its answer. */
  #send(request: MoveRequest, own: boolean, handle: (m: MoveReply) => void): void {
    const worker = this.#ensureWorker();
    this.#owed.push({ own, handle });
    worker.postMessage(request);
    this.#holdIfAwaited();
  }

  /**
   * A move of our own lines that someone waits for (a settle, a close) keeps the process alive until it
   * answers, and so does any move of another process's file; our own lines moved in the background do
   * not (an exit then only leaves them for later). Without this a command that settles could end with its
   * settle unresolved.
   */
  #holdIfAwaited(): void {
    if ((this.#inFlight && this.#waiters.length) || this.#owed.some((r) => !r.own)) this.#worker?.ref();
    else this.#worker?.unref();
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    if (this.#terminated) throw new AuditJournalClosedError('The audit journal is closed');
    const worker = new Worker(new URL('./audit-journal-worker.js', import.meta.url), {
      // It only appends: the right edges of the table and its indexes fit in a small page cache.
      workerData: { dbFile: this.dbFile, pragmas: connectionPragmas({ cacheKiB: 4096 }), insertSql: AUDIT_INGEST_SQL },
      // It holds one slice of a file at a time; a small young generation keeps the server's memory down.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 },
    });
    // Records are safe in the file: an exit without close() leaves them for the next process to move.
    worker.unref();
    // Its own list, so that a worker that failed can never answer for the one after it.
    const owed: Owed[] = [];
    worker.on('message', (m: MoveReply) => {
      owed.shift()?.handle(m);
      this.#holdIfAwaited();
    });
    worker.on('error', (err) => {
      if (this.#worker === worker) this.#worker = undefined;
      // Other processes' files: their moves fail with it. Our own lines: they stay, to be tried again.
      for (const r of owed.splice(0)) if (!r.own) r.handle({ error: err.message });
      this.#inFlight = false;
      this.#fail(err);
    });
    // Stopped without an error (close terminates it): whatever it still owed is answered as failed.
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const r of owed.splice(0)) r.handle({ error: 'the audit journal worker stopped' });
    });
    this.#worker = worker;
    this.#owed = owed;
    return worker;
  }

  #onReply(seg: Segment, m: MoveReply): void {
    this.#inFlight = false;
    if ('error' in m && m.code === 'ENOENT') {
      // Someone removed the file: what was not moved yet is gone. Say so, and go on without it.
      this.onError(new Error(`The audit journal file ${seg.file} was removed before ${seg.written - seg.moved} bytes of its records were moved`));
      if (seg.fd !== undefined) closeSync(seg.fd);
      seg.fd = undefined;
      this.#forget(seg);
    } else if ('error' in m) {
      this.#fail(new Error(`Moving audit records into the table failed: ${m.error}`));
      return;
    } else if (m.moved <= seg.moved) {
      // Our own lines are whole up to `written`: no progress means the file is not what we wrote.
      this.#fail(new Error(`Moving audit records into the table failed: ${seg.file} has no whole line after byte ${seg.moved}`));
      return;
    } else {
      this.stats.moves++;
      this.stats.skippedLines += m.skipped;
      seg.moved = m.moved;
      this.#removeIfDone(seg);
    }
    const oldest = this.#segments[0];
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      const target = this.#segments.find((s) => s.seq === w.seq);
      const done = !oldest || oldest.seq > w.seq || (oldest.seq === w.seq && (target?.moved ?? Infinity) >= w.upTo);
      if (done) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
    this.#schedule(this.#waiters.length ? 0 : this.#moveDelayMs);
  }

  #fail(err: Error): void {
    this.onError(err);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
    // The lines stay in the file; try again later.
    if (this.#pendingSegment() && !this.#closed) this.#postAfter(this.#retryDelayMs, false);
  }

  /** Moves every other process's file in; removes those whose process has stopped. */
  #moveOthers(): Promise<void> {
    const run = this.#moveOthersNow();
    this.#othersRuns.add(run);
    const forget = () => this.#othersRuns.delete(run);
    run.then(forget, forget);
    return run;
  }

  async #moveOthersNow(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      if (!name.endsWith('.ndjson') || this.#segments.some((s) => s.file === path)) continue;
      const alive = ownerAlive(path);
      let end: number;
      try {
        end = statSync(path).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process moved it meanwhile
        throw err;
      }
      // Slice by slice, so a large file cannot take the memory; a live owner may be writing the last line
      // right now, and only whole lines count.
      let unreadable = false;
      for (let start = 0; start < end; ) {
        const m = await new Promise<MoveReply>((resolve) => this.#send({ file: path, start, end }, false, resolve));
        if ('error' in m) {
          if (m.code === 'ENOENT') break; // another process moved it meanwhile
          if (m.code && UNREADABLE.has(m.code)) {
            // Not ours to read (another user's process, say): every query would fail on it. Say so and go on.
            this.onError(new Error(`The audit journal file ${path} cannot be read (${m.code}); its records are not in the table`));
            unreadable = true;
            break;
          }
          throw new Error(`Moving ${name} into the table failed: ${m.error}`);
        }
        this.stats.skippedLines += m.skipped;
        if (m.moved <= start) break;
        start = m.moved;
      }
      if (!alive && !unreadable) {
        try {
          unlinkSync(path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  }
}
