/**
 * @module demo/generator
 * Deterministic synthetic US Core 6.1.0 population, written as bulk-data NDJSON (one file per
 * resource type). The same (patients, seed) always produces byte-identical files; patient i's record
 * depends only on (seed, i), so generation holds one patient in memory at a time.
 */
import { mkdir } from 'node:fs/promises';
import { NdjsonDirectoryWriter } from './ndjson-writer.js';
import { generatePatientRecord } from './patient-record.js';
import { generateSharedResources } from './shared-resources.js';

export { generatePatientRecord } from './patient-record.js';
export { generateSharedResources } from './shared-resources.js';
export { patientId } from './ids.js';
export { WINDOW_START, WINDOW_END } from './clock.js';

/** What to generate and where. */
export interface GenerateOptions {
  /** Number of patients (indexes 0 … patients-1). */
  patients: number;
  /** Any safe integer; the same seed reproduces the same population. */
  seed: number;
  /** Output directory (created if missing; existing `<Type>.ndjson` files are overwritten). */
  outDir: string;
  /** Called after each patient is queued, with the number of patients done so far. */
  onProgress?: (donePatients: number) => void;
}

/** What was written. */
export interface GenerateSummary {
  patients: number;
  resources: number;
  byType: Record<string, number>;
  /** Paths of the NDJSON files written, sorted by resource type. */
  files: string[];
}

/**
 * Generates the shared resources and `patients` patient records into `outDir`.
 * @throws RangeError when `patients` is not a non-negative integer or `seed` is not a safe integer;
 * rejects with the file-system error if a file cannot be written.
 */
export async function generatePopulation(opts: GenerateOptions): Promise<GenerateSummary> {
  const { patients, seed, outDir, onProgress } = opts;
  if (!Number.isSafeInteger(patients) || patients < 0) throw new RangeError(`patients must be a non-negative integer, got ${patients}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  await mkdir(outDir, { recursive: true });
  const writer = new NdjsonDirectoryWriter(outDir);
  try {
    await writer.write(generateSharedResources(seed));
    for (let i = 0; i < patients; i++) {
      await writer.write(generatePatientRecord(seed, i));
      onProgress?.(i + 1);
    }
    const { files, byType } = await writer.close();
    let resources = 0;
    for (const n of Object.values(byType)) resources += n;
    return { patients, resources, byType, files };
  } catch (err) {
    writer.abort();
    throw err;
  }
}
