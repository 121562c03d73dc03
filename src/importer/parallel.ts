/**
 * @module importer/parallel
 * Imports large NDJSON files with two worker threads, each with its own connection to the SQLite file.
 * A chunk is prepared (parsed, checked, indexed) by one worker while the other writes the chunk before
 * it; writes still happen one at a time and in the order the chunks were read, so the result is exactly
 * that of importing on one thread. Only lines go to a worker and only counts come back: preparing in a
 * worker and writing here was measured slower, as copying prepared rows between threads costs as much
 * as making them.
 */
import { Worker } from 'node:worker_threads';
import type { ChunkOutcome, LineChunk } from './ndjson.js';

/** Messages between the pool and its workers. */
export type ToWorker = { op: 'chunk'; id: number; chunk: LineChunk } | { op: 'write'; id: number } | { op: 'stop' };
export type FromWorker =
  | { op: 'ready'; id: number }
  | { op: 'done'; id: number; outcome: ChunkOutcome }
  | { op: 'failed'; id: number; error: string };

interface Pending {
  worker: Worker;
  ready: boolean;
  resolve: (o: ChunkOutcome) => void;
  reject: (e: Error) => void;
}

/**
 * A worker's uncaught error arrives cloned: a SqliteError, say, comes as a plain `{ code }` with no
 * message. Make it an Error that says what happened.
 */
function workerStopped(err: unknown): Error {
  if (err instanceof Error && err.message) return err;
  const e = (err ?? {}) as { message?: unknown; code?: unknown };
  return new Error(`An import worker stopped: ${String(e.message || e.code || 'unknown error')}`);
}

const STOP_GRACE_MS = 30_000;

export class ImportWorkers {
  readonly #workers: Worker[];
  readonly #exited: Promise<unknown>[];
  readonly #idle: Worker[];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  /** The chunk whose write comes next. */
  #turn = 0;
  #writing = false;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #waitingForIdle: (() => void)[] = [];

  constructor(dbFile: string, count = 2) {
    this.#workers = Array.from({ length: count }, () => {
      const w = new Worker(new URL('./import-worker-entry.js', import.meta.url), { workerData: { dbFile } });
      w.on('message', (m: FromWorker) => this.#onMessage(w, m));
      w.on('error', (err: unknown) => this.#fail(workerStopped(err)));
      return w;
    });
    this.#exited = this.#workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    this.#idle = [...this.#workers];
  }

  /**
   * Hands a chunk to a worker once one is free (so no more than one chunk per worker is read ahead);
   * `done` resolves with its outcome once it is written.
   */
  async submit(chunk: LineChunk): Promise<{ done: Promise<ChunkOutcome> }> {
    while (!this.#idle.length && !this.#failure) await new Promise<void>((r) => this.#waitingForIdle.push(r));
    if (this.#failure) throw this.#failure;
    const worker = this.#idle.shift()!;
    const id = this.#nextId++;
    const done = new Promise<ChunkOutcome>((resolve, reject) => this.#pending.set(id, { worker, ready: false, resolve, reject }));
    worker.postMessage({ op: 'chunk', id, chunk } satisfies ToWorker);
    return { done };
  }

  /**
   * Asks every worker to close its connection and end, and waits until they have. Not `terminate()`: a
   * worker terminated while SQLite was raising an error (one still failing to open the file, say) aborted
   * the whole process in better-sqlite3 ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal"). A worker
   * that has not ended after `STOP_GRACE_MS` (stuck in a long write) is terminated after all.
   */
  close(): Promise<void> {
    // A failure closes the pool at once, and the importer closes it again when it is done: one stop each.
    this.#closing ??= (async () => {
      for (const w of this.#workers) w.postMessage({ op: 'stop' } satisfies ToWorker);
      const grace = setTimeout(() => {
        for (const w of this.#workers) void w.terminate();
      }, STOP_GRACE_MS);
      await Promise.all(this.#exited);
      clearTimeout(grace);
    })();
    return this.#closing;
  }

  #onMessage(worker: Worker, m: FromWorker): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.op === 'ready') {
      p.ready = true;
      this.#grant();
      return;
    }
    if (m.op === 'failed') {
      this.#fail(new Error(m.error));
      return;
    }
    this.#pending.delete(m.id);
    this.#writing = false;
    this.#turn++;
    p.resolve(m.outcome);
    this.#idle.push(worker);
    this.#waitingForIdle.shift()?.();
    this.#grant();
  }

  /** Lets the chunk whose turn it is write, once it is prepared and no other write runs. */
  #grant(): void {
    if (this.#writing || this.#failure) return;
    const p = this.#pending.get(this.#turn);
    if (!p?.ready) return;
    this.#writing = true;
    p.worker.postMessage({ op: 'write', id: this.#turn } satisfies ToWorker);
  }

  /** A failed chunk stops the import: nothing after it is written, as on one thread. */
  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    for (const r of this.#waitingForIdle.splice(0)) r();
    void this.close();
  }
}
