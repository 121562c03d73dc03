/**
 * @module importer/bundle
 * Turns a Bundle's entries into resources to write: ids for PUT (kept) and POST (assigned), `urn:uuid`
 * references rewritten to those ids, and every problem reported with the entry's index and path.
 */
import { createHash } from 'node:crypto';
import type { StructureIssue } from '../fhir/validate.js';
import { validateStructure } from '../fhir/validate.js';

export interface EntryIssue {
  /** Entry index in the Bundle, or line number (1-based) in an NDJSON file. */
  index: number;
  path: string;
  message: string;
  /** Warnings are reported; the entry is still written. */
  severity: 'error' | 'warning';
}

export interface ResolvedEntries {
  resources: Record<string, unknown>[];
  issues: EntryIssue[];
  /** Entry index of each resource, for reporting. */
  indexes: number[];
}

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** An id for an entry that has none: the uuid of its fullUrl, or a hash of its content, so re-imports match. */
function assignedId(fullUrl: unknown, resource: unknown): string {
  if (typeof fullUrl === 'string') {
    const m = /^urn:uuid:([0-9a-fA-F-]{36})$/.exec(fullUrl);
    if (m) return m[1].toLowerCase();
  }
  return createHash('sha256').update(JSON.stringify(resource)).digest('hex').slice(0, 32);
}

/** Rewrites every `reference` found in `value` through `map` (in place). */
function rewriteReferences(value: unknown, map: Map<string, string>): void {
  if (Array.isArray(value)) {
    for (const v of value) rewriteReferences(v, map);
  } else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'reference' && typeof v === 'string') {
        const target = map.get(v);
        if (target) obj[k] = target;
      } else if (typeof v === 'object') rewriteReferences(v, map);
    }
  }
}

function structureIssues(index: number, issues: StructureIssue[], prefix: string): EntryIssue[] {
  return issues.map((i) => ({ index, path: `${prefix}${i.path.replace(/^[A-Za-z]+\.?/, '')}`.replace(/\.$/, ''), message: i.message, severity: i.severity }));
}

/** True when an issue stops its entry (or, in a transaction, the whole Bundle). */
export function isError(issue: EntryIssue): boolean {
  return issue.severity === 'error';
}

/**
 * Reads the entries of a transaction, batch or collection Bundle.
 * A transaction's issues mean nothing may be written; a batch's or collection's affect only their entries.
 */
export function resolveBundleEntries(bundle: Record<string, unknown>): ResolvedEntries {
  const type = bundle.type;
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as unknown[]) : [];
  const issues: EntryIssue[] = [];
  const resources: Record<string, unknown>[] = [];
  const indexes: number[] = [];
  const refMap = new Map<string, string>();
  const keys = new Set<string>();
  const pending: { index: number; resource: Record<string, unknown> }[] = [];

  entries.forEach((raw, index) => {
    const at = `Bundle.entry[${index}]`;
    if (!raw || typeof raw !== 'object') {
      issues.push({ index, path: at, message: 'is not an object', severity: 'error' });
      return;
    }
    const entry = raw as Record<string, unknown>;
    const resource = entry.resource as Record<string, unknown> | undefined;
    if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
      issues.push({ index, path: `${at}.resource`, message: 'is missing', severity: 'error' });
      return;
    }
    const resourceType = resource.resourceType;
    const request = entry.request as { method?: unknown; url?: unknown } | undefined;
    let id: string;
    if (type === 'transaction' || type === 'batch') {
      const method = request?.method;
      if (method === 'PUT') {
        const m = typeof request?.url === 'string' ? /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(request.url) : null;
        if (!m || m[1] !== resourceType) {
          issues.push({ index, path: `${at}.request.url`, message: `must be ${String(resourceType)}/{id} for a PUT`, severity: 'error' });
          return;
        }
        if (resource.id !== undefined && resource.id !== m[2]) {
          issues.push({ index, path: `${at}.resource.id`, message: `'${String(resource.id)}' differs from the id in request.url (${m[2]})`, severity: 'error' });
          return;
        }
        id = m[2];
      } else if (method === 'POST') {
        if (request?.url !== resourceType) {
          issues.push({ index, path: `${at}.request.url`, message: `must be '${String(resourceType)}' for a POST`, severity: 'error' });
          return;
        }
        const { id: _ignored, ...content } = resource;
        id = assignedId(entry.fullUrl, content);
      } else {
        issues.push({ index, path: `${at}.request.method`, message: `'${String(method)}' is not supported by import (use PUT or POST)`, severity: 'error' });
        return;
      }
    } else {
      id = typeof resource.id === 'string' ? resource.id : assignedId(entry.fullUrl, resource);
    }
    if (!ID_RE.test(id)) {
      issues.push({ index, path: `${at}.resource.id`, message: `'${id.slice(0, 80)}' is not a valid FHIR id`, severity: 'error' });
      return;
    }
    const key = `${String(resourceType)}/${id}`;
    if (keys.has(key)) {
      issues.push({ index, path: at, message: `${key} appears more than once in the Bundle`, severity: 'error' });
      return;
    }
    keys.add(key);
    if (typeof entry.fullUrl === 'string') refMap.set(entry.fullUrl, key);
    pending.push({ index, resource: { ...resource, id } });
  });

  for (const { index, resource } of pending) {
    rewriteReferences(resource, refMap);
    const problems = validateStructure(resource);
    issues.push(...structureIssues(index, problems, `Bundle.entry[${index}].resource.`));
    if (problems.some((p) => p.severity === 'error')) continue;
    const dangling = findUrnReferences(resource);
    if (dangling.length) {
      for (const ref of dangling) issues.push({ index, path: `Bundle.entry[${index}].resource`, message: `reference '${ref}' names no entry of the Bundle`, severity: 'error' });
      continue;
    }
    resources.push(resource);
    indexes.push(index);
  }
  return { resources, issues, indexes };
}

function findUrnReferences(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) findUrnReferences(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:')) out.push(v);
      else if (typeof v === 'object') findUrnReferences(v, out);
    }
  }
  return out;
}
