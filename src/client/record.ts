/**
 * @module client/record
 * Downloads a patient's whole accessible record: the Patient, every US Core patient-data type by
 * `?patient=` search with paging, and the Practitioners, Organizations, Locations and Medications they
 * reference (read by id, once each). Writes it as NDJSON per type or as one collection Bundle, and
 * merges an incremental (`_lastUpdated=ge…`) download into what is already there, by id.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClientError } from './errors.js';
import type { FhirReader, FhirResource } from './fhir-reader.js';

/** The US Core 6.1.0 patient-data types a patient-access app downloads by `?patient=` search. */
export const PATIENT_DATA_TYPES = [
  'AllergyIntolerance', 'CarePlan', 'CareTeam', 'Condition', 'Coverage', 'Device', 'DiagnosticReport', 'DocumentReference',
  'Encounter', 'Goal', 'Immunization', 'MedicationDispense', 'MedicationRequest', 'Observation', 'Procedure', 'Provenance',
  'QuestionnaireResponse', 'RelatedPerson', 'ServiceRequest', 'Specimen',
] as const;

/** Shared resources followed from the patient's data and read by id. */
export const REFERENCED_TYPES = ['Practitioner', 'Organization', 'Location', 'Medication'] as const;

export type TypeStatus = 'ok' | 'not-shared' | 'error';

export interface TypeReport {
  type: string;
  status: TypeStatus;
  count: number;
  message?: string;
}

export interface DownloadedRecord {
  patientId: string;
  /** Every resource by type, deduplicated by id. */
  byType: Map<string, FhirResource[]>;
  report: TypeReport[];
  /** References that could not be read (not found, outside the compartment …). */
  missing: string[];
}

export interface DownloadOptions {
  types?: readonly string[];
  /** Only resources changed at or after this instant (`_lastUpdated=ge…`). */
  since?: string;
  /** Page size (default 200). */
  count?: number;
  onProgress?: (p: { type: string; done: number; total: number; resources: number }) => void;
}

/** Downloads the whole accessible record of `patientId`. */
export async function downloadRecord(reader: FhirReader, patientId: string, o: DownloadOptions = {}): Promise<DownloadedRecord> {
  const types = o.types ?? PATIENT_DATA_TYPES;
  const byType = new Map<string, FhirResource[]>();
  const report: TypeReport[] = [];
  const total = types.length + 2;
  let done = 0;
  let resourceCount = 0;
  const progress = (type: string) => o.onProgress?.({ type, done, total, resources: resourceCount });
  const add = (type: string, list: FhirResource[]) => {
    const have = byType.get(type) ?? [];
    const ids = new Set(have.map((r) => r.id));
    for (const r of list) if (!ids.has(r.id)) (have.push(r), ids.add(r.id), resourceCount++);
    byType.set(type, have);
  };

  progress('Patient');
  const patient = await reader.read('Patient', patientId);
  if (patient.status === 'ok') {
    const changed = !o.since || !patient.resource.meta?.lastUpdated || patient.resource.meta.lastUpdated >= o.since;
    add('Patient', changed ? [patient.resource] : []);
    report.push({ type: 'Patient', status: 'ok', count: changed ? 1 : 0 });
  } else if (patient.status === 'not-shared') report.push({ type: 'Patient', status: 'not-shared', count: 0, message: patient.message });
  else if (patient.status === 'not-found') {
    throw new ClientError('FHIR_ERROR', `Patient/${patientId} is not readable with this token (HTTP ${patient.httpStatus}). Check --fhir-base and connect again.`, { status: patient.httpStatus });
  } else report.push({ type: 'Patient', status: 'error', count: 0, message: patient.message });
  done++;

  for (const type of types) {
    progress(type);
    const params: Record<string, string> = { patient: patientId, _count: String(o.count ?? 200) };
    if (o.since) params._lastUpdated = `ge${o.since}`;
    const r = await reader.searchAll(type, params, (n) => o.onProgress?.({ type, done, total, resources: resourceCount + n }));
    if (r.status === 'ok') {
      add(type, r.resources);
      report.push({ type, status: 'ok', count: r.resources.length });
    } else report.push({ type, status: r.status, count: 0, message: r.message });
    done++;
  }

  // The shared resources the record refers to, once each (also from an incremental download: they
  // may have changed without the patient's resources changing; reading by id is cheap).
  progress('referenced resources');
  const wanted = new Map<string, Set<string>>();
  for (const list of byType.values()) {
    for (const res of list) {
      for (const ref of referencesOf(res, reader.fhirBase)) {
        if ((REFERENCED_TYPES as readonly string[]).includes(ref.type)) {
          if (!wanted.has(ref.type)) wanted.set(ref.type, new Set());
          wanted.get(ref.type)!.add(ref.id);
        }
      }
    }
  }
  const missing: string[] = [];
  for (const type of REFERENCED_TYPES) {
    const ids = [...(wanted.get(type) ?? [])].sort();
    if (!ids.length) continue;
    const got: FhirResource[] = [];
    let notShared: string | undefined;
    for (const id of ids) {
      const r = await reader.read(type, id);
      if (r.status === 'ok') got.push(r.resource);
      else if (r.status === 'not-shared') {
        notShared = r.message;
        break;
      } else missing.push(`${type}/${id}`);
    }
    if (notShared !== undefined) report.push({ type, status: 'not-shared', count: 0, message: notShared });
    else {
      add(type, got);
      report.push({ type, status: 'ok', count: got.length });
    }
  }
  done++;
  progress('done');
  return { patientId, byType, report, missing };
}

/** Every `Type/id` reference in a resource (relative, or absolute on this FHIR base); contained (`#x`) ones are skipped. */
export function referencesOf(resource: unknown, fhirBase: string): { type: string; id: string }[] {
  const out: { type: string; id: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string') {
          let ref = x;
          if (ref.startsWith(fhirBase + '/')) ref = ref.slice(fhirBase.length + 1);
          const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
          if (m) out.push({ type: m[1], id: m[2] });
        } else if (k !== 'contained') walk(x);
      }
    }
  };
  walk(resource);
  return out;
}

// ---- writing ---------------------------------------------------------------------------------

/** Merges `fresh` into `existing` by id (a fresh version replaces the old one); keeps a stable order. */
export function mergeById(existing: FhirResource[], fresh: FhirResource[]): FhirResource[] {
  const byId = new Map<string, FhirResource>();
  for (const r of existing) byId.set(String(r.id), r);
  for (const r of fresh) byId.set(String(r.id), r);
  return [...byId.values()];
}

/** Reads `DIR/{Type}.ndjson` files. */
export function readNdjsonDir(dir: string): Map<string, FhirResource[]> {
  const out = new Map<string, FhirResource[]>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const m = /^([A-Z][A-Za-z]+)\.ndjson$/.exec(name);
    if (!m) continue;
    const lines = readFileSync(join(dir, name), 'utf8').split('\n').filter((l) => l.trim());
    out.set(m[1], lines.map((l) => JSON.parse(l) as FhirResource));
  }
  return out;
}

/** Writes one NDJSON file per type into `dir` (merging into existing files when `merge`); returns the counts written. */
export function writeNdjsonDir(dir: string, byType: Map<string, FhirResource[]>, merge: boolean): Map<string, number> {
  mkdirSync(dir, { recursive: true });
  const existing = merge ? readNdjsonDir(dir) : new Map<string, FhirResource[]>();
  const counts = new Map<string, number>();
  const types = new Set([...byType.keys(), ...(merge ? existing.keys() : [])]);
  for (const type of [...types].sort()) {
    const list = merge ? mergeById(existing.get(type) ?? [], byType.get(type) ?? []) : byType.get(type) ?? [];
    if (!list.length && !existsSync(join(dir, `${type}.ndjson`))) continue;
    atomicWrite(join(dir, `${type}.ndjson`), list.map((r) => JSON.stringify(r)).join('\n') + (list.length ? '\n' : ''));
    counts.set(type, list.length);
  }
  return counts;
}

/** A `collection` Bundle of everything (merging into an existing Bundle file when `merge`). */
export function writeBundleFile(file: string, fhirBase: string, byType: Map<string, FhirResource[]>, merge: boolean): number {
  let all = new Map<string, FhirResource[]>();
  if (merge && existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { entry?: { resource?: FhirResource }[] };
    for (const e of old.entry ?? []) if (e.resource) all.set(e.resource.resourceType, [...(all.get(e.resource.resourceType) ?? []), e.resource]);
  }
  for (const [type, list] of byType) all.set(type, mergeById(all.get(type) ?? [], list));
  all = new Map([...all].sort(([a], [b]) => (a === 'Patient' ? -1 : b === 'Patient' ? 1 : a.localeCompare(b))));
  const entry = [...all.values()].flat().map((r) => ({ fullUrl: `${fhirBase}/${r.resourceType}/${r.id}`, resource: r }));
  const bundle = { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), total: undefined, entry };
  mkdirSync(dirname(file), { recursive: true });
  atomicWrite(file, JSON.stringify(bundle, null, 1) + '\n');
  return entry.length;
}

/** Reads back what a `writeNdjsonDir` / `writeBundleFile` wrote, by type. */
export function readBundleFile(file: string): Map<string, FhirResource[]> {
  const out = new Map<string, FhirResource[]>();
  const b = JSON.parse(readFileSync(file, 'utf8')) as { entry?: { resource?: FhirResource }[] };
  for (const e of b.entry ?? []) if (e.resource) out.set(e.resource.resourceType, [...(out.get(e.resource.resourceType) ?? []), e.resource]);
  return out;
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
