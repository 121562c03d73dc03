/**
 * @module importer
 * `patient-access import`: Bundles (transaction, batch, collection), single resources and NDJSON files
 * (plain or gzip). A transaction is written whole or not at all; NDJSON lines and batch entries are
 * written one batch per store transaction, and a bad one is reported and skipped. Writing a resource
 * whose content is unchanged is a no-op, so importing the same file twice changes nothing.
 */
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import type { Store, WriteOutcome } from '../store/types.js';
import { prepareWrite } from '../fhir/prepare.js';
import { defaultRegistry, type SearchParameterRegistry } from '../fhir/search/registry.js';
import { validateStructure } from '../fhir/validate.js';
import { isError, resolveBundleEntries, type EntryIssue } from './bundle.js';
import { decodeUtf8, lineBatches, LinePack, packTexts, startsWithAscii, withoutBom } from './lines.js';
import { importChunk, type ChunkOutcome, type LineChunk } from './ndjson.js';
import { ImportWorkers } from './parallel.js';

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
  /** A run with this much NDJSON or more goes through import workers where the store allows (default `PARALLEL_MIN_BYTES`). */
  parallelMinBytes?: number;
}

export class ImportError extends Error {
  readonly code = 'IMPORT_ERR_UNREADABLE';
}

const MAX_ISSUES = 1000;

function emptyReport(file: string, kind: FileReport['kind']): FileReport {
  return { file, kind, written: { created: 0, updated: 0, unchanged: 0 }, byType: {}, issues: [], rejected: false };
}

/** Resources of the file written so far (created, updated or unchanged). */
const countOf = (r: FileReport) => r.written.created + r.written.updated + r.written.unchanged;

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
  const size = readableSize(file);
  const gz = await isGzip(file);
  if (isNdjson(file)) {
    const run = new NdjsonRun(inlineSink(store, registry), options);
    const report = await run.add(file, size, gz);
    await run.finish();
    return report;
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
  return decodeUtf8(withoutBom(Buffer.concat(chunks)));
}

const CHUNK_LINES = 2000;
/** Bytes per read of an NDJSON file (and per piece of a gzip one's output): fewer calls than the 64 KiB default. */
const READ_BYTES = 2 ** 20;

const PROVENANCE_LINE = '{"resourceType":"Provenance"';

function isNdjson(file: string): boolean {
  const name = basename(file).toLowerCase();
  return name.endsWith('.ndjson') || name.endsWith('.ndjson.gz') || name.endsWith('.jsonl');
}

/** Takes a chunk in; `done` settles once it is written (at once on this thread, later with workers). */
type ChunkSink = (chunk: LineChunk) => Promise<{ done: Promise<ChunkOutcome> }>;

function inlineSink(store: Store, registry: SearchParameterRegistry): ChunkSink {
  return async (chunk) => ({ done: Promise.resolve(await importChunk(store, registry, chunk)) });
}

function workerSink(workers: ImportWorkers): ChunkSink {
  return (chunk) => workers.submit(chunk);
}

/**
 * NDJSON files read and imported in chunks of lines, one store transaction per chunk. Files added in a
 * row share the run: with import workers, the first chunks of a file are prepared while the last of the
 * file before are written. Provenance lines are set aside and written when the run finishes, after every
 * resource they may point at (a Provenance's compartment derives from its targets).
 */
class NdjsonRun {
  readonly #sink: ChunkSink;
  readonly #options: ImportOptions;
  readonly #inFlight: Promise<void>[] = [];
  readonly #files: { report: FileReport; progress: () => void; deferred: ChunkOutcome['deferred'] }[] = [];
  #failure: unknown;

  constructor(sink: ChunkSink, options: ImportOptions) {
    this.#sink = sink;
    this.#options = options;
  }

  /** Reads `file` and hands all its chunks on; the report fills in as they are written (see `finish`). */
  async add(file: string, size: number, gz: boolean): Promise<FileReport> {
    const report = emptyReport(file, 'ndjson');
    const raw = createReadStream(file, { highWaterMark: READ_BYTES });
    let bytesDone = 0;
    raw.on('data', (chunk) => (bytesDone += chunk.length));
    const input = gz ? raw.pipe(createGunzip({ chunkSize: READ_BYTES })) : raw;
    const progress = () => this.#options.onProgress?.({ file, bytesDone, bytesTotal: size, resources: countOf(report) });
    const deferred: ChunkOutcome['deferred'] = [];
    this.#files.push({ report, progress, deferred });
    const apply = (o: ChunkOutcome) => {
      addOutcome(report, o);
      deferred.push(...o.deferred);
      progress();
    };
    const pack = new LinePack();
    let lineNo = 0;
    // A failed write is the store's error, not the file's.
    let writeError: unknown;
    try {
      reading: for await (const batch of lineBatches(input)) {
        for (const line of batch) {
          lineNo++;
          // Provenance written the usual way (resourceType first) is set aside here, unread; any other
          // spelling is recognized when the chunk is parsed.
          if (startsWithAscii(line, PROVENANCE_LINE)) {
            deferred.push({ lineNumber: lineNo, line: decodeUtf8(line) });
            continue;
          }
          pack.add(line, lineNo);
          if (pack.length >= CHUNK_LINES) {
            try {
              await this.#submit({ ...pack.take(), deferProvenance: true }, apply);
            } catch (err) {
              writeError = err;
            }
            if (writeError || this.#failure) break reading;
          }
        }
      }
    } catch (err) {
      throw new ImportError(`${file}: cannot be read (${(err as Error).message})`);
    }
    if (writeError) throw writeError;
    if (pack.length && !this.#failure) await this.#submit({ ...pack.take(), deferProvenance: true }, apply);
    bytesDone = size;
    return report;
  }

  /**
   * Writes the Provenance set aside and waits for every chunk; then reports each file as done.
   * @throws the first chunk's failure.
   */
  async finish(): Promise<void> {
    await this.#settle();
    for (const { report, progress, deferred } of this.#files) {
      for (let i = 0; i < deferred.length && !this.#failure; i += CHUNK_LINES) {
        const part = deferred.slice(i, i + CHUNK_LINES);
        const chunk = { bytes: packTexts(part.map((d) => d.line)), lineNumbers: part.map((d) => d.lineNumber), deferProvenance: false };
        await this.#submit(chunk, (o) => {
          addOutcome(report, o);
          progress();
        });
      }
    }
    await this.#settle();
    for (const { progress } of this.#files.splice(0)) progress();
  }

  async #submit(chunk: LineChunk, apply: (o: ChunkOutcome) => void): Promise<void> {
    const { done } = await this.#sink(chunk);
    this.#inFlight.push(done.then(apply, (err: unknown) => void (this.#failure ??= err)));
  }

  async #settle(): Promise<void> {
    await Promise.all(this.#inFlight.splice(0));
    if (this.#failure) throw this.#failure;
  }
}

/** Adds a written chunk's counts and issues to its file's report. */
function addOutcome(report: FileReport, o: ChunkOutcome): void {
  for (const i of o.issues) if (report.issues.length < MAX_ISSUES) report.issues.push(i);
  for (const [outcome, n] of Object.entries(o.written)) report.written[outcome as WriteOutcome] += n;
  for (const [type, n] of Object.entries(o.byType)) report.byType[type] = (report.byType[type] ?? 0) + n;
}

/** A run with at least this much NDJSON starts import workers (their start-up costs about two seconds of CPU). */
export const PARALLEL_MIN_BYTES = 16 * 2 ** 20;

/**
 * Imports files in order, Provenance NDJSON files last. NDJSON files next to each other form one run
 * (see `NdjsonRun`); a run of at least `PARALLEL_MIN_BYTES` goes through import workers where the store
 * is a SQLite file and the registry the default one.
 */
export async function importFiles(
  store: Store,
  registry: SearchParameterRegistry,
  files: string[],
  options: ImportOptions = {},
): Promise<FileReport[]> {
  const ordered = [...files.filter((f) => !/provenance/i.test(basename(f))), ...files.filter((f) => /provenance/i.test(basename(f)))];
  // A file that cannot be read counts nothing here; its turn reports it.
  const ndjsonBytes = ordered.filter(isNdjson).reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
  const useWorkers =
    store.file !== undefined && store.file !== ':memory:' && registry === defaultRegistry() && ndjsonBytes >= (options.parallelMinBytes ?? PARALLEL_MIN_BYTES);
  const workers = useWorkers ? new ImportWorkers(store.file!) : undefined;
  const sink = workers ? workerSink(workers) : inlineSink(store, registry);
  const reports: FileReport[] = [];
  let run: NdjsonRun | undefined;
  const finishRun = async () => {
    await run?.finish();
    run = undefined;
  };
  try {
    for (const f of ordered) {
      if (!isNdjson(f)) {
        await finishRun();
        reports.push(await importFile(store, registry, f, options));
        continue;
      }
      run ??= new NdjsonRun(sink, options);
      reports.push(await run.add(f, readableSize(f), await isGzip(f)));
    }
    await finishRun();
  } finally {
    await workers?.close();
  }
  return reports;
}

/** @throws ImportError naming the file when it cannot be read. */
function readableSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    throw new ImportError(`${file}: cannot be read (no such file or no permission)`);
  }
}
