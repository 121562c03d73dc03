/**
 * @module importer/preparers
 * Where NDJSON chunks are prepared: inline for small files, or in worker threads for large ones.
 */
import { Worker } from 'node:worker_threads';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { prepareNdjsonLines, type PreparedChunk } from './ndjson.js';

export interface ChunkPreparer {
  prepare(lines: string[], firstLine: number): Promise<PreparedChunk>;
  close(): Promise<void>;
}

export function inlinePreparer(registry: SearchParameterRegistry): ChunkPreparer {
  return {
    prepare: async (lines, firstLine) => prepareNdjsonLines(registry, lines, firstLine),
    close: async () => undefined,
  };
}

/** `count` worker threads, chunks given round-robin; results come back per chunk. */
export function workerPreparer(count: number): ChunkPreparer {
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL('./prepare-worker-entry.js', import.meta.url)),
  );
  const pending = new Map<number, { resolve: (c: PreparedChunk) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  for (const w of workers) {
    w.on('message', (msg: { id: number; chunk?: PreparedChunk; error?: string }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error !== undefined) p?.reject(new Error(msg.error));
      else p?.resolve(msg.chunk!);
    });
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  }
  return {
    prepare(lines, firstLine) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[id % workers.length].postMessage({ id, lines, firstLine });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
