/**
 * @module importer/prepare-worker
 * A worker thread that prepares NDJSON chunks, so parsing and index extraction run on another core
 * while the main thread writes to the store.
 */
import { parentPort } from 'node:worker_threads';
import { defaultRegistry } from '../fhir/search/registry.js';
import { prepareNdjsonLines } from './ndjson.js';

const registry = defaultRegistry();
parentPort!.on('message', (msg: { id: number; lines: string[]; firstLine: number }) => {
  try {
    parentPort!.postMessage({ id: msg.id, chunk: prepareNdjsonLines(registry, msg.lines, msg.firstLine) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
