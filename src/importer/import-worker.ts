/**
 * @module importer/import-worker
 * An import worker of `ImportWorkers`: with its own connection to the SQLite file, prepares each chunk
 * it is sent, says it is ready, and writes it when the pool gives it the turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { defaultRegistry } from '../fhir/search/registry.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { importChunk } from './ndjson.js';
import type { FromWorker, ToWorker } from './parallel.js';

const { dbFile } = workerData as { dbFile: string };
// It never copies the WAL back into the database itself: the pool's checkpointer does, beside the writes
// (see checkpoint-worker.js). Its memory is not the server's: the page cache it writes through may be
// larger, and it reads the file through a memory map, since every commit of the other worker empties
// that cache (a 1,000-patient import about 6 % faster, 3 runs in turn with and without).
const store = new SqliteStore(dbFile, { walAutocheckpointPages: 0, cacheKiB: 32768, mmapBytes: 2 ** 31 });
const registry = defaultRegistry();
const turns = new Map<number, () => void>();
const send = (m: FromWorker) => parentPort!.postMessage(m);

parentPort!.on('message', (m: ToWorker) => {
  if (m.op === 'stop') {
    // A chunk waiting for its turn is dropped (the pool stops only when done or failed); with the port
    // closed nothing holds the thread, and it ends.
    turns.clear();
    void store.close().finally(() => parentPort!.close());
    return;
  }
  if (m.op === 'write') {
    turns.get(m.id)?.();
    turns.delete(m.id);
    return;
  }
  const turn = () =>
    new Promise<void>((resolve) => {
      turns.set(m.id, resolve);
      send({ op: 'ready', id: m.id });
    });
  importChunk(store, registry, m.chunk, turn).then(
    (outcome) => send({ op: 'done', id: m.id, outcome }),
    (err: unknown) => send({ op: 'failed', id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
