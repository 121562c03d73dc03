/**
 * @module importer/parallel
 * Imports large NDJSON files with two worker threads, each with its own connection to the SQLite file.
 * A chunk is prepared (parsed, checked, indexed) by one worker while the other writes the chunk before
 * it; writes still happen one at a time and in the order the chunks were read, so the result is exactly
 * that of importing on one thread. Only lines go to a worker and only counts come back: preparing in a
 * worker and writing here was measured slower, as copying prepared rows between threads costs as much
 * as making them. A third, small worker copies the written chunks from the write-ahead log into the
 * database beside them (checkpoint-worker.js).
 */
import { Worker } from 'node:worker_threads';
import { connectionPragmas } from '../store/sqlite/pragmas.js';
import type { ChunkOutcome, LineChunk } from './ndjson.js';

/** Messages between the pool and its workers. */
export type ToWorker = { op: 'chunk'; id: number; chunk: LineChunk } | { op: 'write'; id: number } | { op: 'stop' };

export type FromWorker =
  | { op: 'ready'; id: number }
  | { op: 'done'; id: number; outcome: ChunkOutcome }
  | { op: 'failed'; id: number; error: string };

/** Messages between the pool and its checkpointer (checkpoint-worker.js). */
type ToCheckpointer = 'checkpoint' | 'stop';
type FromCheckpointer = { ok: true } | { error: string };

/**
 * The memory a chunk's bytes can move to a worker in rather than be copied: their buffer, when they fill
 * it (as a `LinePack`'s do). A view of a larger buffer (a pooled `Buffer`'s) is copied instead, since
 * moving it would take the rest of the buffer from this thread.
 */
export function movable(chunk: LineChunk): ArrayBuffer[] {
  const { bytes } = chunk;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}

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

  /** Copies the written chunks from the write-ahead log into the database (see checkpoint-worker.js). */
  readonly #checkpointer: Worker;
  #checkpointing = false;
  /** A chunk was written since the running checkpoint began. */
  #checkpointOwed = false;

  constructor(dbFile: string, count = 2) {
    this.#workers = Array.from({ length: count }, () => {
      const w = new Worker(new URL('./import-worker-entry.js', import.meta.url), {
        workerData: { dbFile },
        // A chunk's prepared rows outlive several scavenges of the default young generation (16 MiB
        // semi-spaces), each copying them again: with 32 MiB semi-spaces an import spent 3.2 s of CPU
        // in scavenges instead of 4.6, and 64 MiB ones took about 8 % more off its time (1,000
        // patients, runs in turn; 128 MiB ones were slower again).
        resourceLimits: { maxYoungGenerationSizeMb: 192 },
      });
      w.on('message', (m: FromWorker) => this.#onMessage(w, m));
      w.on('error', (err: unknown) => this.#fail(workerStopped(err)));
      return w;
    });
    this.#checkpointer = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      // It reads the log and writes the database through the kernel's cache: it needs no cache of its own.
      workerData: { dbFile, pragmas: connectionPragmas({ cacheKiB: 1024 }) },
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    this.#checkpointer.on('message', (m: FromCheckpointer) => this.#checkpointed(m));
    this.#checkpointer.on('error', (err: unknown) => this.#fail(workerStopped(err)));
    this.#exited = [...this.#workers, this.#checkpointer].map((w) => new Promise((resolve) => w.once('exit', resolve)));
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
    worker.postMessage({ op: 'chunk', id, chunk } satisfies ToWorker, movable(chunk));
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
      // The last chunks too are in the database when the import ends. Messages are taken in order: a
      // checkpoint still running ends first.
      if (!this.#failure) this.#checkpointer.postMessage('checkpoint' satisfies ToCheckpointer);
      this.#checkpointer.postMessage('stop' satisfies ToCheckpointer);
      const grace = setTimeout(() => {
        for (const w of [...this.#workers, this.#checkpointer]) void w.terminate();
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
    this.#checkpoint();
  }

  /** Has the checkpointer copy what is committed; one checkpoint at a time, the next as soon as it ends. */
  #checkpoint(): void {
    if (this.#closing) return;
    if (this.#checkpointing) {
      this.#checkpointOwed = true;
      return;
    }
    this.#checkpointing = true;
    this.#checkpointOwed = false;
    this.#checkpointer.postMessage('checkpoint' satisfies ToCheckpointer);
  }

  #checkpointed(m: FromCheckpointer): void {
    this.#checkpointing = false;
    // The chunks are committed: a failed copy into the database loses none of them, but the log would grow
    // without end, and the same failure (a full disk, say) will meet the next write anyway.
    if ('error' in m) this.#fail(new Error(`Copying the write-ahead log into the database failed: ${m.error}`));
    else if (this.#checkpointOwed) this.#checkpoint();
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
