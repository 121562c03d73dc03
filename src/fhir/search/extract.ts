/**
 * @module fhir/search/extract
 * Turns a resource into the index rows the store keeps for it, from the registry's expressions: the
 * write side of search. The read side (query building) interprets the same rows.
 */
import type { ResourceIndexes } from '../../store/types.js';
import { MAX_DATE_MS, MIN_DATE_MS, parseDateRange } from './dates.js';
import { normalizeString } from './normalize.js';
import type { SearchParameter, SearchParameterRegistry } from './registry.js';

type Obj = Record<string, unknown>;
type TokenRow = ResourceIndexes['tokens'][number];
type StringRow = ResourceIndexes['strings'][number];
type DateRow = ResourceIndexes['dates'][number];
type ReferenceRow = ResourceIndexes['references'][number];
type NumberRow = ResourceIndexes['numbers'][number];

const CONTACT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function addToken(ix: ResourceIndexes, param: string, system: string | null, code: string | null, text: string | null): void {
  ix.tokens.push({ param, system, code, text: text ? normalizeString(text) : null });
}

function tokenValues(ix: ResourceIndexes, param: string, v: unknown): void {
  if (typeof v === 'string') return addToken(ix, param, null, v, null);
  if (typeof v === 'boolean' || typeof v === 'number') return addToken(ix, param, null, String(v), null);
  if (!isObj(v)) return;
  if (Array.isArray(v.coding) || typeof v.text === 'string') {
    // CodeableConcept: each coding, and the text for `:text` searches.
    const text = str(v.text);
    const codings = Array.isArray(v.coding) ? (v.coding as unknown[]) : [];
    for (const c of codings) {
      if (isObj(c)) addToken(ix, param, str(c.system), str(c.code), text ?? str(c.display));
    }
    if (!codings.length && text) addToken(ix, param, null, null, text);
    return;
  }
  if (typeof v.value === 'string' && (typeof v.system === 'string' || isObj(v.type) || 'use' in v || 'assigner' in v)) {
    if (typeof v.system === 'string' && CONTACT_SYSTEMS.has(v.system) && !v.system.includes(':')) {
      // ContactPoint: the value is the token.
      return addToken(ix, param, null, v.value, null);
    }
    // Identifier: system|value; its type's text supports `:text`.
    const typeText = isObj(v.type) ? str(v.type.text) : null;
    return addToken(ix, param, str(v.system), v.value, typeText);
  }
  if (typeof v.code === 'string' || typeof v.system === 'string') {
    // Coding (or a Quantity's unit code).
    return addToken(ix, param, str(v.system), str(v.code), str(v.display));
  }
  if (typeof v.value === 'string') addToken(ix, param, null, v.value, null);
}

function stringValues(ix: ResourceIndexes, param: string, v: unknown): void {
  if (typeof v === 'string') {
    if (v) ix.strings.push({ param, norm: normalizeString(v), exact: v });
    return;
  }
  if (!isObj(v)) return;
  // HumanName and Address: every part is searchable.
  for (const key of ['text', 'family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country']) {
    const part = v[key];
    if (Array.isArray(part)) for (const p of part) stringValues(ix, param, p);
    else if (typeof part === 'string') stringValues(ix, param, part);
  }
}

function dateValues(ix: ResourceIndexes, param: string, v: unknown): void {
  if (typeof v === 'string') {
    const r = parseDateRange(v);
    if (r) ix.dates.push({ param, lo: r.lo, hi: r.hi });
    return;
  }
  if (!isObj(v)) return;
  if ('start' in v || 'end' in v) {
    // Period: an open end reaches to the end of time.
    const start = typeof v.start === 'string' ? parseDateRange(v.start) : undefined;
    const end = typeof v.end === 'string' ? parseDateRange(v.end) : undefined;
    if (start || end) ix.dates.push({ param, lo: start?.lo ?? MIN_DATE_MS, hi: end?.hi ?? MAX_DATE_MS });
    return;
  }
  if (Array.isArray(v.event)) {
    // Timing: each event.
    for (const e of v.event) dateValues(ix, param, e);
  }
}

/** Splits `Type/id`, `Type/id/_history/n` or an absolute URL on our base into type and id. */
export function parseReference(reference: string, fhirBaseUrl?: string): { type: string; id: string } | undefined {
  let ref = reference;
  if (fhirBaseUrl && ref.startsWith(fhirBaseUrl + '/')) ref = ref.slice(fhirBaseUrl.length + 1);
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(ref);
  return m ? { type: m[1], id: m[2] } : undefined;
}

function referenceValues(ix: ResourceIndexes, p: SearchParameter, v: unknown): void {
  let target: { type: string; id: string } | undefined;
  if (typeof v === 'string') {
    // canonical (e.g. QuestionnaireResponse.questionnaire): kept whole, matched as written.
    ix.references.push({ param: p.code, targetType: '', targetId: v });
    return;
  }
  if (isObj(v) && typeof v.reference === 'string') target = parseReference(v.reference);
  if (!target) return;
  if (p.referenceTypes && !p.referenceTypes.includes(target.type)) return;
  ix.references.push({ param: p.code, targetType: target.type, targetId: target.id });
}

function numberValues(ix: ResourceIndexes, param: string, v: unknown): void {
  if (typeof v === 'number') ix.numbers.push({ param, value: v, system: null, code: null });
  else if (isObj(v) && typeof v.value === 'number') {
    ix.numbers.push({ param, value: v.value, system: str(v.system), code: str(v.code) ?? str(v.unit) });
  }
}

/**
 * Drops repeated rows (a code in two codings, a date in two places). Rows are few, usually one or two, so
 * they are compared pairwise: a Set of string keys cost each resource more than the rows themselves.
 */
function dedupe<T>(rows: T[], same: (a: T, b: T) => boolean): T[] {
  if (rows.length < 2) return rows;
  const out: T[] = [];
  outer: for (const r of rows) {
    for (const kept of out) if (same(kept, r)) continue outer;
    out.push(r);
  }
  return out;
}

// A missing system and an empty one are stored alike ('').
const sameToken = (a: TokenRow, b: TokenRow) => a.param === b.param && (a.system ?? '') === (b.system ?? '') && (a.code ?? '') === (b.code ?? '');
const sameString = (a: StringRow, b: StringRow) => a.param === b.param && a.norm === b.norm && a.exact === b.exact;
const sameDate = (a: DateRow, b: DateRow) => a.param === b.param && a.lo === b.lo && a.hi === b.hi;
const sameReference = (a: ReferenceRow, b: ReferenceRow) => a.param === b.param && a.targetType === b.targetType && a.targetId === b.targetId;
const sameNumber = (a: NumberRow, b: NumberRow) => a.param === b.param && a.value === b.value && a.system === b.system && a.code === b.code;

export interface ExtractedIndexes {
  indexes: ResourceIndexes;
  compartments: string[];
  compartmentsOf: { type: string; id: string }[];
}

/** Index rows and compartment memberships of `resource`, from the registry's definitions. */
export function extractIndexes(registry: SearchParameterRegistry, resource: Obj): ExtractedIndexes {
  const type = resource.resourceType as string;
  const ix: ResourceIndexes = { tokens: [], strings: [], dates: [], references: [], numbers: [] };
  for (const p of registry.indexed(type)) {
    let values: unknown[];
    try {
      values = p.extract(resource);
    } catch {
      // A resource whose shape the expression cannot walk simply has no value for this parameter.
      continue;
    }
    for (const v of values) {
      switch (p.type) {
        case 'token':
          tokenValues(ix, p.code, v);
          break;
        case 'string':
          stringValues(ix, p.code, v);
          break;
        case 'date':
          dateValues(ix, p.code, v);
          break;
        case 'reference':
          referenceValues(ix, p, v);
          break;
        case 'uri':
          if (typeof v === 'string') addToken(ix, p.code, null, v, null);
          break;
        case 'number':
        case 'quantity':
          numberValues(ix, p.code, v);
          break;
        default:
          break;
      }
    }
  }
  ix.tokens = dedupe(ix.tokens, sameToken);
  ix.strings = dedupe(ix.strings, sameString);
  ix.dates = dedupe(ix.dates, sameDate);
  ix.references = dedupe(ix.references, sameReference);
  ix.numbers = dedupe(ix.numbers, sameNumber);

  // The compartment parameters are always indexed (the registry sees to it), so their Patient references
  // are already among the reference rows: read them there rather than walk the resource again.
  const compartments: string[] = [];
  const compartmentParams = registry.compartmentParameters(type);
  if (type === 'Patient' && typeof resource.id === 'string') compartments.push(resource.id);
  for (const r of ix.references) {
    if (r.targetType !== 'Patient' || compartments.includes(r.targetId)) continue;
    if (compartmentParams.some((p) => p.code === r.param)) compartments.push(r.targetId);
  }
  const compartmentsOf: { type: string; id: string }[] = [];
  if (type === 'Provenance') {
    // A Provenance belongs to the records of the resources it is about.
    for (const t of (resource.target as unknown[]) ?? []) {
      if (isObj(t) && typeof t.reference === 'string') {
        const target = parseReference(t.reference);
        if (target && target.type !== 'Patient') compartmentsOf.push(target);
      }
    }
  }
  return { indexes: ix, compartments, compartmentsOf };
}
