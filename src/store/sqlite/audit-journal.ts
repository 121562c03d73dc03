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
 * lines into `audit_events` in large transactions, off the event loop; when it has caught up with a file
 * that has grown past `rotateBytes`, a new file is started and the old one removed.
 *
 * Files left by a process that stopped (a crash, or an exit without close) are moved in by whichever
 * process settles next (every audit query settles first) and then removed; moving skips records already
 * in the table, so a file moved twice, or a live file read while its owner is still writing, is harmless.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AuditJournal, AuditRecord, AuditStore } from '../audit.js';

export interface AuditJournalOptions {
  /** A file that has grown past this is replaced by a new one once all of it is moved (default 8 MiB). */
  rotateBytes?: number;
  /**
   * How long appended lines wait for company before the worker is woken (default 200 ms). Larger moves cost
   * less per row, and every commit from the worker's connection makes the main connection drop its page
   * cache: moving every 20 ms instead cost a fifth of the audited point-read throughput.
   */
  moveDelayMs?: number;
  /** After a failed move, the next try waits this long (default 1 s). */
  retryDelayMs?: number;
}

export class AuditJournalClosedError extends Error {
  readonly code = 'AUDIT_ERR_CLOSED';
}

/** Messages to the worker: move `file` into the table up to byte `end` (a line boundary). */
export interface MoveRequest {
  file: string;
  end: number;
}
/** The worker's answer: the file is in the table up to `moved` bytes, or the move failed. */
export type MoveReply = { file: string; moved: number; skipped: number } | { file: string; error: string };

/** The directory of a database file's journals. */
export function journalDir(dbFile: string): string {
  return `${dbFile}-audit`;
}

/** One record as a journal line: its fields as a JSON array, in `AuditRecord` order (half the text of an object). */
export function journalLine(r: AuditRecord): string {
  return `${JSON.stringify([r.id, r.recorded, r.category, r.action, r.outcome, r.clientId, r.patientId, r.username, r.source, r.tokenJti, r.query, r.resource])}\n`;
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);

/** The complete lines of `text` as records; a line that does not parse is counted, not thrown. */
export function parseJournalLines(lines: string): { records: AuditRecord[]; skipped: number } {
  const records: AuditRecord[] = [];
  let skipped = 0;
  for (const line of lines.split('\n')) {
    if (!line) continue;
    let f: unknown;
    try {
      f = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!Array.isArray(f) || f.length !== 12 || typeof f[0] !== 'string' || typeof f[1] !== 'number' || typeof f[11] !== 'string') {
      skipped++;
      continue;
    }
    records.push({
      id: f[0],
      recorded: f[1],
      category: f[2],
      action: String(f[3]),
      outcome: f[4],
      clientId: text(f[5]),
      patientId: text(f[6]),
      username: text(f[7]),
      source: text(f[8]),
      tokenJti: text(f[9]),
      query: text(f[10]),
      resource: f[11],
    });
  }
  return { records, skipped };
}

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

interface Waiter {
  file: string;
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

  #fd: number | undefined;
  #file: string | undefined;
  #written = 0;
  #moved = 0;
  #worker: Worker | undefined;
  #inFlight = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Waiter[] = [];
  #closed = false;
  readonly #rotateBytes: number;
  readonly #moveDelayMs: number;
  readonly #retryDelayMs: number;

  /** `reader` moves other processes' files in on this thread, through the main connection. */
  constructor(
    readonly dbFile: string,
    private readonly reader: AuditStore,
    options: AuditJournalOptions = {},
  ) {
    this.dir = journalDir(dbFile);
    this.#rotateBytes = options.rotateBytes ?? 8 * 2 ** 20;
    this.#moveDelayMs = options.moveDelayMs ?? 200;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  append(records: AuditRecord[]): void {
    if (this.#closed) throw new AuditJournalClosedError('The audit journal is closed');
    if (!records.length) return;
    if (this.#fd === undefined) this.#open();
    let text = '';
    for (const r of records) text += journalLine(r);
    const length = Buffer.byteLength(text);
    try {
      const n = writeSync(this.#fd!, text);
      // A regular file takes all of it or fails; should it not, the rest goes as bytes.
      if (n < length) {
        const bytes = Buffer.from(text);
        for (let off = n; off < length; ) off += writeSync(this.#fd!, bytes, off);
      }
    } catch (err) {
      // A partial line would run into the next group's first one: cut the file back to the last whole line.
      try {
        ftruncateSync(this.#fd!, this.#written);
      } catch {
        /* the file keeps a torn last line, which reading skips */
      }
      throw err;
    }
    this.#written += length;
    this.stats.writes++;
    this.stats.records += records.length;
    this.#schedule(this.#moveDelayMs);
  }

  async settle(): Promise<void> {
    if (this.#file && this.#moved < this.#written) {
      const done = new Promise<void>((resolve, reject) => this.#waiters.push({ file: this.#file!, upTo: this.#written, resolve, reject }));
      this.#schedule(0);
      await done;
    }
    await this.#moveOthers();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#file && this.#moved < this.#written) {
        const done = new Promise<void>((resolve, reject) => this.#waiters.push({ file: this.#file!, upTo: this.#written, resolve, reject }));
        this.#schedule(0);
        await done;
      }
      if (this.#file) this.#retire();
    } finally {
      clearTimeout(this.#timer);
      await this.#worker?.terminate();
      this.#worker = undefined;
    }
  }

  #open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.#file = join(this.dir, `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}.ndjson`);
    this.#fd = openSync(this.#file, 'a', 0o600);
    OPEN_FILES.add(this.#file);
    this.#written = 0;
    this.#moved = 0;
    // What an earlier process left behind goes in now rather than at the first query.
    this.#moveOthers().catch((err: Error) => this.onError(err));
  }

  /** The file is fully in the table: close and remove it. */
  #retire(): void {
    closeSync(this.#fd!);
    unlinkSync(this.#file!);
    OPEN_FILES.delete(this.#file!);
    this.#fd = undefined;
    this.#file = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#inFlight || !this.#file || this.#moved >= this.#written) return;
    if (this.#timer) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#post();
    }, delayMs);
    // Someone awaiting settle() keeps the process alive; background moves do not.
    if (!this.#waiters.length) this.#timer.unref();
  }

  #post(): void {
    if (this.#inFlight || !this.#file || this.#moved >= this.#written) return;
    this.#inFlight = true;
    const worker = this.#ensureWorker();
    // While a move runs the process waits for it (an exit now would only leave the lines for later).
    if (this.#waiters.length) worker.ref();
    worker.postMessage({ file: this.#file, end: this.#written } satisfies MoveRequest);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./audit-journal-worker-entry.js', import.meta.url), {
      workerData: { dbFile: this.dbFile },
      // It holds one slice of a file at a time; a small young generation keeps the server's memory down.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 },
    });
    // Records are safe in the file: an exit without close() leaves them for the next process to move.
    worker.unref();
    worker.on('message', (m: MoveReply) => this.#onReply(m));
    worker.on('error', (err) => {
      this.#worker = undefined;
      this.#inFlight = false;
      this.#fail(err);
    });
    this.#worker = worker;
    return worker;
  }

  #onReply(m: MoveReply): void {
    this.#inFlight = false;
    this.#worker?.unref();
    if ('error' in m) {
      this.#fail(new Error(`Moving audit records into the table failed: ${m.error}`));
      return;
    }
    this.stats.moves++;
    this.stats.skippedLines += m.skipped;
    if (m.file === this.#file) this.#moved = m.moved;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.file !== this.#file || w.upTo <= this.#moved) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
    if (this.#file && this.#moved === this.#written && this.#written >= this.#rotateBytes && !this.#closed) this.#retire();
    this.#schedule(this.#waiters.length ? 0 : this.#moveDelayMs);
  }

  #fail(err: Error): void {
    this.onError(err);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
    // The lines stay in the file; try again later.
    if (this.#file && this.#moved < this.#written && !this.#closed) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#post();
      }, this.#retryDelayMs);
      this.#timer.unref();
    }
  }

  /** Moves every other process's file in; removes those whose process has stopped. */
  async #moveOthers(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      if (!name.endsWith('.ndjson') || path === this.#file) continue;
      const alive = ownerAlive(path);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process moved it meanwhile
        throw err;
      }
      // A live owner may be writing the last line right now: only whole lines count.
      const { records, skipped } = parseJournalLines(text.slice(0, text.lastIndexOf('\n') + 1));
      await this.reader.ingest(records);
      this.stats.skippedLines += skipped;
      if (!alive) {
        try {
          unlinkSync(path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  }
}
