/**
 * @module importer/ndjson
 * Reads NDJSON lines into prepared writes: parse, check against the R4 schema, extract index rows. Pure,
 * so it runs the same inline or in a worker thread.
 */
import { prepareWrite } from '../fhir/prepare.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { validateStructure } from '../fhir/validate.js';
import type { PreparedWrite } from '../store/types.js';
import type { EntryIssue } from './bundle.js';

export interface PreparedChunk {
  writes: PreparedWrite[];
  /** Provenance, written after everything else so the resources it points at are stored first. */
  deferred: PreparedWrite[];
  issues: EntryIssue[];
}

/** Prepares `lines`, the first of which is line `firstLine` (1-based) of its file. */
export function prepareNdjsonLines(registry: SearchParameterRegistry, lines: string[], firstLine: number): PreparedChunk {
  const out: PreparedChunk = { writes: [], deferred: [], issues: [] };
  lines.forEach((line, i) => {
    const index = firstLine + i;
    if (!line.trim()) return;
    let resource: unknown;
    try {
      resource = JSON.parse(line);
    } catch {
      out.issues.push({ index, path: '', message: 'is not valid JSON', severity: 'error' });
      return;
    }
    const problems = validateStructure(resource);
    const r = resource as Record<string, unknown>;
    if (!problems.length && typeof r.id !== 'string') {
      problems.push({ path: `${String(r.resourceType)}.id`, message: 'is required in NDJSON', severity: 'error' });
    }
    for (const p of problems) out.issues.push({ index, path: p.path, message: p.message, severity: p.severity });
    if (problems.some((p) => p.severity === 'error')) return;
    (r.resourceType === 'Provenance' ? out.deferred : out.writes).push(prepareWrite(registry, r));
  });
  return out;
}
