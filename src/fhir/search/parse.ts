/**
 * @module fhir/search/parse
 * Reads a search's parameters (from a query string or a `_search` form body) into a query tree, with
 * a FHIR error naming each parameter that is unknown or malformed. No value reaches SQL as text.
 */
import type { Condition, DateComparator, DateMatch, SortSpec, TokenMatch } from '../../store/types.js';
import { fhirError } from '../errors.js';
import { parseDateRange } from './dates.js';
import { normalizeString } from './normalize.js';
import type { SearchParameterRegistry } from './registry.js';

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;

export interface IncludeSpec {
  sourceType: string;
  param: string;
  targetType?: string;
  text: string;
}

export interface SearchRequest {
  type: string;
  where: Condition;
  sort: SortSpec[];
  count: number;
  summaryCount: boolean;
  total: 'none' | 'estimate' | 'accurate';
  includes: IncludeSpec[];
  revIncludes: IncludeSpec[];
  cursor?: string;
  /** The parameters that define the result set, normalized, for links and for binding cursors. */
  canonical: [string, string][];
}

const COMPARATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sa', 'eb', 'ap']);
const RESULT_PARAMS = new Set(['_count', '_sort', '_summary', '_total', '_include', '_revinclude', '_cursor', '_format']);
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** Splits a value on commas that are not escaped with a backslash, then unescapes. */
export function splitOr(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length && /[,|$\\]/.test(value[i + 1])) {
      current += '\\' + value[++i];
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(v: string): string {
  return v.replace(/\\([,|$\\])/g, '$1');
}

/** Splits `system|code` on the first unescaped bar. */
function splitBar(v: string): [string, string] | undefined {
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\') i++;
    else if (v[i] === '|') return [v.slice(0, i), v.slice(i + 1)];
  }
  return undefined;
}

/** A client's text quoted in a message, cut short so an error never echoes a huge input back. */
export function quote(value: string): string {
  return `'${value.length > 100 ? value.slice(0, 100) + '…' : value}'`;
}

function invalid(param: string, message: string) {
  return fhirError('FHIR_ERR_INVALID_PARAMETER', `Invalid value for search parameter ${quote(param)}: ${message}`, {
    expression: [param.slice(0, 100)],
  });
}

export function parseDateValue(param: string, raw: string): DateMatch {
  let comparator: DateComparator = 'eq';
  let value = raw;
  if (/^[a-z]{2}/.test(raw) && COMPARATORS.has(raw.slice(0, 2))) {
    comparator = raw.slice(0, 2) as DateComparator;
    value = raw.slice(2);
  }
  // A '+' in a zone offset arrives as a space when the client did not percent-encode it.
  const range = parseDateRange(value.replace(' ', '+'));
  if (!range) throw invalid(param, `${quote(raw)} is not a FHIR date (expected e.g. 2023, 2023-04, 2023-04-05 or 2023-04-05T10:00:00Z, optionally prefixed by eq, ne, gt, ge, lt, le, sa, eb or ap)`);
  if (comparator === 'ap') {
    // Approximately: widened by 10% of the distance from now, at least a day.
    const gap = Math.max(Math.abs(Date.now() - range.lo) * 0.1, 86400000);
    return { comparator, lo: range.lo - gap, hi: range.hi + gap };
  }
  return { comparator, ...range };
}

function parseToken(param: string, raw: string, modifier: string | undefined): TokenMatch {
  if (modifier === 'text') return { textPrefix: normalizeString(unescapeValue(raw)) };
  if (!raw) throw invalid(param, 'an empty token');
  const bar = splitBar(raw);
  if (!bar) return { code: unescapeValue(raw) };
  const [system, code] = bar.map(unescapeValue);
  if (!system && !code) throw invalid(param, "'|' needs a system, a code or both");
  if (!system) return { system: null, code };
  if (!code) return { system };
  return { system, code };
}

export interface ParseOptions {
  fhirBaseUrl: string;
  /** `Prefer: handling=lenient`: unknown parameters are ignored instead of refused. */
  lenient: boolean;
}

/**
 * Parses the parameters of a search of `type`.
 * @throws FhirError 400 naming every unknown parameter (unless lenient) or the first malformed value.
 */
export function parseSearch(
  registry: SearchParameterRegistry,
  type: string,
  params: [string, string][],
  options: ParseOptions,
): SearchRequest {
  const conditions: Condition[] = [];
  const unknown: string[] = [];
  const canonical: [string, string][] = [];
  const req: SearchRequest = {
    type,
    where: { kind: 'and', all: [] },
    sort: [],
    count: DEFAULT_COUNT,
    summaryCount: false,
    total: 'none',
    includes: [],
    revIncludes: [],
    canonical,
  };

  for (const [fullName, value] of params) {
    const [name, modifier] = splitName(fullName);
    if (RESULT_PARAMS.has(name)) {
      parseResultParam(registry, req, name, value, options);
      if (name !== '_cursor' && name !== '_format') canonical.push([fullName, value]);
      continue;
    }
    if (name === '_id') {
      const ids = splitOr(value).map(unescapeValue);
      if (modifier) throw invalid(fullName, `modifier ':${modifier}' is not supported on _id`);
      for (const id of ids) if (!ID_RE.test(id)) throw invalid('_id', `${quote(id)} is not a FHIR id`);
      conditions.push({ kind: 'id', any: ids });
      canonical.push([fullName, value]);
      continue;
    }
    if (name === '_lastUpdated') {
      if (modifier) throw invalid(fullName, `modifier ':${modifier}' is not supported on _lastUpdated`);
      conditions.push({ kind: 'lastUpdated', any: splitOr(value).map((v) => parseDateValue('_lastUpdated', v)) });
      canonical.push([fullName, value]);
      continue;
    }
    const def = registry.isSearchable(type, name) ? registry.get(type, name) : undefined;
    if (!def || name.includes('.')) {
      unknown.push(fullName);
      continue;
    }
    canonical.push([fullName, value]);
    if (modifier === 'missing') {
      if (value !== 'true' && value !== 'false') throw invalid(fullName, "':missing' takes true or false");
      const index = def.type === 'uri' ? 'token' : def.type === 'quantity' ? 'number' : def.type;
      if (!['token', 'string', 'date', 'reference', 'number'].includes(index)) throw invalid(fullName, 'not supported');
      conditions.push({ kind: 'missing', param: name, index: index as 'token', missing: value === 'true' });
      continue;
    }
    const values = splitOr(value);
    switch (def.type) {
      case 'token':
      case 'uri': {
        if (modifier && !['text', 'not'].includes(modifier)) throw invalid(fullName, `modifier ':${modifier}' is not supported on token parameters`);
        if (def.type === 'uri' && modifier) throw invalid(fullName, `modifier ':${modifier}' is not supported on uri parameters`);
        const any = values.map((v) => (def.type === 'uri' ? { code: unescapeValue(v) } : parseToken(fullName, v, modifier)));
        conditions.push({ kind: 'token', param: name, any, not: modifier === 'not' });
        break;
      }
      case 'string': {
        if (modifier && !['exact', 'contains'].includes(modifier)) throw invalid(fullName, `modifier ':${modifier}' is not supported on string parameters`);
        const any = values.map((v) => {
          const raw = unescapeValue(v);
          if (!raw) throw invalid(fullName, 'an empty string');
          return modifier === 'exact'
            ? { mode: 'exact' as const, value: raw }
            : { mode: (modifier === 'contains' ? 'contains' : 'prefix') as 'contains' | 'prefix', value: normalizeString(raw) };
        });
        conditions.push({ kind: 'string', param: name, any });
        break;
      }
      case 'date': {
        if (modifier) throw invalid(fullName, `modifier ':${modifier}' is not supported on date parameters`);
        conditions.push({ kind: 'date', param: name, any: values.map((v) => parseDateValue(fullName, v)) });
        break;
      }
      case 'reference': {
        let modifierType: string | undefined;
        if (modifier) {
          if (!/^[A-Z][A-Za-z]+$/.test(modifier) || !registry.capability(modifier)) {
            throw invalid(fullName, `modifier ':${modifier}' is not a resource type`);
          }
          modifierType = modifier;
        }
        const any = values.map((v) => parseReferenceValue(fullName, unescapeValue(v), options.fhirBaseUrl, modifierType ?? soleTarget(def.targets, def.referenceTypes)));
        conditions.push({ kind: 'reference', param: name, any });
        break;
      }
      default:
        unknown.push(fullName);
    }
  }
  if (unknown.length && !options.lenient) {
    throw fhirError(
      'FHIR_ERR_UNKNOWN_PARAMETER',
      unknown.map((u) => `Unknown or unsupported search parameter ${quote(u)} for ${type}`),
      { expression: unknown.map((u) => u.slice(0, 100)) },
    );
  }
  req.where = { kind: 'and', all: conditions };
  return req;
}

function soleTarget(targets: string[], referenceTypes: string[] | undefined): string | undefined {
  if (referenceTypes && new Set(referenceTypes).size === 1) return referenceTypes[0];
  return targets.length === 1 ? targets[0] : undefined;
}

function parseReferenceValue(param: string, raw: string, base: string, defaultType: string | undefined) {
  if (!raw) throw invalid(param, 'an empty reference');
  let ref = raw;
  if (ref.startsWith(base + '/')) ref = ref.slice(base.length + 1);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return { targetType: '', targetId: raw }; // canonical or foreign URL
  const typed = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  if (typed) return { targetType: typed[1], targetId: typed[2] };
  if (!ID_RE.test(ref)) throw invalid(param, `${quote(raw)} is not an id, Type/id or a URL on this server`);
  return defaultType ? { targetType: defaultType, targetId: ref } : { targetId: ref };
}

function splitName(fullName: string): [string, string | undefined] {
  const i = fullName.indexOf(':');
  return i < 0 ? [fullName, undefined] : [fullName.slice(0, i), fullName.slice(i + 1)];
}

function parseResultParam(
  registry: SearchParameterRegistry,
  req: SearchRequest,
  name: string,
  value: string,
  options: ParseOptions,
): void {
  switch (name) {
    case '_count': {
      if (!/^\d{1,9}$/.test(value)) throw invalid('_count', `${quote(value)} is not a whole number`);
      const n = Number(value);
      if (n > MAX_COUNT) {
        if (!options.lenient) throw invalid('_count', `${n} is above the maximum page size of ${MAX_COUNT}`);
        req.count = MAX_COUNT;
      } else req.count = n;
      return;
    }
    case '_sort': {
      req.sort = value.split(',').map((raw) => {
        const descending = raw.startsWith('-');
        const key = descending ? raw.slice(1) : raw;
        if (key === '_lastUpdated') return { key: { by: 'lastUpdated' as const }, descending };
        const def = registry.isSearchable(req.type, key) ? registry.get(req.type, key) : undefined;
        if (def?.type === 'date') return { key: { by: 'date' as const, param: key }, descending };
        throw invalid('_sort', `cannot sort ${req.type} by ${quote(key)} (supported: _lastUpdated and the type's date parameters)`);
      });
      return;
    }
    case '_summary':
      if (value === 'count') req.summaryCount = true;
      else if (value !== 'false') throw invalid('_summary', `${quote(value)} is not supported (use count or false)`);
      return;
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate') throw invalid('_total', `${quote(value)} must be none, estimate or accurate`);
      req.total = value;
      return;
    case '_include': {
      const [source, param, target] = value.split(':');
      const def = param ? registry.get(source, param) : undefined;
      if (source !== req.type || !def || def.type !== 'reference' || !registry.isSearchable(source, param)) {
        throw invalid('_include', `${quote(value)} is not a supported include for ${req.type}`);
      }
      if (target !== undefined && !def.targets.includes(target)) throw invalid('_include', `${param} cannot refer to ${target}`);
      req.includes.push({ sourceType: source, param, targetType: target, text: value });
      return;
    }
    case '_revinclude': {
      const [source, param, target] = value.split(':');
      const def = param ? registry.get(source, param) : undefined;
      if (!def || def.type !== 'reference' || !registry.isSearchable(source, param) || (target !== undefined && target !== req.type)) {
        throw invalid('_revinclude', `${quote(value)} is not a supported reverse include`);
      }
      if (!def.targets.includes(req.type) && !def.targets.includes('Resource')) {
        throw invalid('_revinclude', `${source}.${param} cannot refer to ${req.type}`);
      }
      req.revIncludes.push({ sourceType: source, param, text: value });
      return;
    }
    case '_cursor':
      if (!value) throw invalid('_cursor', 'an empty paging cursor');
      req.cursor = value;
      return;
    case '_format':
      if (!['json', 'application/json', 'application/fhir+json'].includes(value)) {
        throw fhirError('FHIR_ERR_NOT_ACCEPTABLE', `_format ${quote(value)} is not supported; this server speaks application/fhir+json`);
      }
      return;
  }
}
