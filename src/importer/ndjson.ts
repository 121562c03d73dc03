/**
 * @module importer/ndjson
 * One chunk of NDJSON lines, imported as one store transaction: parse, check against the R4 schema,
 * extract index rows, write. The same function runs on the importing thread or in an import worker
 * (`importer/parallel`), so both paths give the same answers.
 */
import { prepareWrite } from '../fhir/prepare.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { validateStructure } from '../fhir/validate.js';
import type { PreparedWrite, Store, WriteOutcome } from '../store/types.js';
import type { EntryIssue } from './bundle.js';
import { unpackTexts } from './lines.js';

/** Lines of one file and their 1-based line numbers in it. */
export interface LineChunk {
  /** The lines' UTF-8 bytes, each followed by `\n` (see `LinePack`). */
  bytes: Uint8Array;
  lineNumbers: number[];
  /**
   * Set aside Provenance lines instead of writing them: its compartment derives from the resources it
   * points at, so it is written after the rest of the file.
   */
  deferProvenance: boolean;
}

export interface ChunkOutcome {
  written: Record<WriteOutcome, number>;
  byType: Record<string, number>;
  issues: EntryIssue[];
  /** Provenance lines set aside (only with `deferProvenance`), to be imported in a later chunk. */
  deferred: { lineNumber: number; line: string }[];
}

/** Reads a chunk into writes; bad lines become issues and are skipped. */
function prepareChunk(registry: SearchParameterRegistry, chunk: LineChunk): { writes: PreparedWrite[]; issues: EntryIssue[]; deferred: ChunkOutcome['deferred'] } {
  const writes: PreparedWrite[] = [];
  const issues: EntryIssue[] = [];
  const deferred: ChunkOutcome['deferred'] = [];
  unpackTexts(chunk.bytes).forEach((line, i) => {
    const index = chunk.lineNumbers[i];
    if (!line.trim()) return;
    let resource: unknown;
    try {
      resource = JSON.parse(line);
    } catch {
      issues.push({ index, path: '', message: 'is not valid JSON', severity: 'error' });
      return;
    }
    const r = resource as Record<string, unknown>;
    if (chunk.deferProvenance && r && typeof r === 'object' && r.resourceType === 'Provenance') {
      // Checked when its turn comes, so its issues are reported once.
      deferred.push({ lineNumber: index, line });
      return;
    }
    const problems = validateStructure(resource);
    if (!problems.length && typeof r.id !== 'string') {
      problems.push({ path: `${String(r.resourceType)}.id`, message: 'is required in NDJSON', severity: 'error' });
    }
    for (const p of problems) issues.push({ index, path: p.path, message: p.message, severity: p.severity });
    if (problems.some((p) => p.severity === 'error')) return;
    writes.push(prepareWrite(registry, r, line));
  });
  return { writes, issues, deferred };
}

/** Prepares a chunk, then writes it in one store transaction once `turn` resolves (the writes' order). */
export async function importChunk(
  store: Store,
  registry: SearchParameterRegistry,
  chunk: LineChunk,
  turn: () => Promise<void> = async () => undefined,
): Promise<ChunkOutcome> {
  const { writes, issues, deferred } = prepareChunk(registry, chunk);
  const outcome: ChunkOutcome = { written: { created: 0, updated: 0, unchanged: 0 }, byType: {}, issues, deferred };
  await turn();
  if (!writes.length) return outcome;
  for (const r of await store.writeResources(writes)) {
    outcome.written[r.outcome]++;
    outcome.byType[r.type] = (outcome.byType[r.type] ?? 0) + 1;
  }
  return outcome;
}
