/**
 * @module importer
 * `patient-access import`: Bundles (transaction, batch, collection), single resources and NDJSON files
 * (plain or gzip). A transaction is written whole or not at all; NDJSON lines and batch entries are
 * written one batch per store transaction, and a bad one is reported and skipped. Writing a resource
 * whose content is unchanged is a no-op, so importing the same file twice changes nothing.
 */
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import type { PreparedWrite, Store, WriteOutcome } from '../store/types.js';
import { prepareWrite } from '../fhir/prepare.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { validateStructure } from '../fhir/validate.js';
import { isError, resolveBundleEntries, type EntryIssue } from './bundle.js';
import { prepareNdjsonLines, type PreparedChunk } from './ndjson.js';

export interface FileReport {
  file: string;
  kind: 'transaction' | 'batch' | 'collection' | 'resource' | 'ndjson';
  written: Record<WriteOutcome, number>;
  byType: Record<string, number>;
  issues: EntryIssue[];
  /** True when a transaction was refused as a whole. */
  rejected: boolean;
}

export interface ImportProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  resources: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  /** Resources per store transaction for batches. */
  batchSize?: number;
}

export class ImportError extends Error {
  readonly code = 'IMPORT_ERR_UNREADABLE';
}

const MAX_ISSUES = 1000;

function emptyReport(file: string, kind: FileReport['kind']): FileReport {
  return { file, kind, written: { created: 0, updated: 0, unchanged: 0 }, byType: {}, issues: [], rejected: false };
}

/** Writes resources so that Provenance follows the resources it points at (its compartment derives from them). */
function provenanceLast<T extends { resourceType?: unknown }>(list: T[]): T[] {
  return [...list.filter((r) => r.resourceType !== 'Provenance'), ...list.filter((r) => r.resourceType === 'Provenance')];
}

async function writeAll(store: Store, registry: SearchParameterRegistry, resources: Record<string, unknown>[], report: FileReport) {
  const results = await store.writeResources(resources.map((r) => prepareWrite(registry, r)));
  for (const r of results) {
    report.written[r.outcome]++;
    report.byType[r.type] = (report.byType[r.type] ?? 0) + 1;
  }
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Imports one file. @throws ImportError when the file cannot be read or is not FHIR JSON at all. */
export async function importFile(
  store: Store,
  registry: SearchParameterRegistry,
  file: string,
  options: ImportOptions = {},
): Promise<FileReport> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new ImportError(`${file}: cannot be read (no such file or no permission)`);
  }
  const gz = await isGzip(file);
  if (isNdjson(file)) {
    return importNdjson(store, registry, file, size, gz, options);
  }
  const text = await readAll(file, gz);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ImportError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ImportError(`${file}: not a FHIR resource (expected a JSON object)`);
  const obj = parsed as Record<string, unknown>;
  if (obj.resourceType === 'Bundle' && ['transaction', 'batch', 'collection'].includes(obj.type as string)) {
    const kind = obj.type as 'transaction' | 'batch' | 'collection';
    const report = emptyReport(file, kind);
    const { resources, issues } = resolveBundleEntries(obj);
    report.issues = issues.slice(0, MAX_ISSUES);
    if (kind === 'transaction' && issues.some(isError)) {
      report.rejected = true;
      return report;
    }
    const ordered = provenanceLast(resources);
    if (kind === 'transaction') await writeAll(store, registry, ordered, report);
    else {
      const size = options.batchSize ?? 1000;
      for (let i = 0; i < ordered.length; i += size) await writeAll(store, registry, ordered.slice(i, i + size), report);
    }
    options.onProgress?.({ file, bytesDone: size, bytesTotal: size, resources: resources.length });
    return report;
  }
  const report = emptyReport(file, 'resource');
  const problems = validateStructure(obj);
  if (!problems.length && typeof obj.id !== 'string') problems.push({ path: `${String(obj.resourceType)}.id`, message: 'is required to import a single resource', severity: 'error' });
  report.issues = problems.map((p) => ({ index: 0, path: p.path, message: p.message, severity: p.severity }));
  if (problems.some((p) => p.severity === 'error')) {
    report.rejected = true;
    return report;
  }
  await writeAll(store, registry, [obj], report);
  return report;
}

async function readAll(file: string, gz: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  const stream = gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (err) {
    throw new ImportError(`${file}: cannot be read (${(err as Error).message})`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const CHUNK_LINES = 1000;

function isNdjson(file: string): boolean {
  const name = basename(file).toLowerCase();
  return name.endsWith('.ndjson') || name.endsWith('.ndjson.gz') || name.endsWith('.jsonl');
}

/**
 * NDJSON is read, prepared and written in chunks of lines, one store transaction per chunk. Preparing and
 * writing both run on this thread: moving preparation to a worker thread was measured slower, as copying
 * the prepared rows between threads costs as much as making them.
 */
async function importNdjson(
  store: Store,
  registry: SearchParameterRegistry,
  file: string,
  size: number,
  gz: boolean,
  options: ImportOptions,
): Promise<FileReport> {
  const report = emptyReport(file, 'ndjson');
  const raw = createReadStream(file);
  let bytesDone = 0;
  raw.on('data', (chunk) => (bytesDone += chunk.length));
  const input = gz ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const deferred: PreparedWrite[] = [];
  let count = 0;
  const write = async (writes: PreparedWrite[]) => {
    if (!writes.length) return;
    for (const r of await store.writeResources(writes)) {
      report.written[r.outcome]++;
      report.byType[r.type] = (report.byType[r.type] ?? 0) + 1;
    }
    count += writes.length;
    options.onProgress?.({ file, bytesDone, bytesTotal: size, resources: count });
  };
  const handle = async (chunk: PreparedChunk) => {
    for (const i of chunk.issues) if (report.issues.length < MAX_ISSUES) report.issues.push(i);
    deferred.push(...chunk.deferred);
    await write(chunk.writes);
  };
  let buffer: string[] = [];
  let firstLine = 1;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      buffer.push(line);
      if (buffer.length >= CHUNK_LINES) {
        await handle(prepareNdjsonLines(registry, buffer, firstLine));
        buffer = [];
        firstLine = lineNo + 1;
      }
    }
  } catch (err) {
    throw new ImportError(`${file}: cannot be read (${(err as Error).message})`);
  }
  if (buffer.length) await handle(prepareNdjsonLines(registry, buffer, firstLine));
  for (let i = 0; i < deferred.length; i += CHUNK_LINES) await write(deferred.slice(i, i + CHUNK_LINES));
  options.onProgress?.({ file, bytesDone: size, bytesTotal: size, resources: count });
  return report;
}

/** Imports files in order, Provenance NDJSON files last. */
export async function importFiles(
  store: Store,
  registry: SearchParameterRegistry,
  files: string[],
  options: ImportOptions = {},
): Promise<FileReport[]> {
  const ordered = [...files.filter((f) => !/provenance/i.test(basename(f))), ...files.filter((f) => /provenance/i.test(basename(f)))];
  const reports: FileReport[] = [];
  for (const f of ordered) reports.push(await importFile(store, registry, f, options));
  return reports;
}
