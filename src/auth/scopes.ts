/**
 * @module auth/scopes
 * SMART App Launch scopes: parsing (v1, v2 and granular v2 scopes with search parameters), the canonical
 * scope string of what is kept, the FHIR grants a set of patient scopes gives, subset checks for refresh
 * narrowing, and plain-language descriptions for the consent screen. Pure functions.
 *
 * Resource scope grammar (SMART App Launch 2.x, "Scopes and Launch Context"):
 *   ( 'patient' | 'user' | 'system' ) '/' ( fhir-resource | '*' ) '.'
 *   ( 'read' | 'write' | '*' | [c][r][u][d][s] ) [ '?' param=value ( '&' param=value )* ]
 *
 * This service offers read-only patient access: only `patient/` scopes are accepted, write letters are
 * dropped (v1 `.*` keeps its read part; a scope with nothing left to read is invalid), and a granular
 * scope's parameters must form a valid search of its type, parsed by the same `parseSearch` as the
 * FHIR API so a scope filter means exactly what the same search means.
 */
import type { TypeGrant } from '../fhir/access.js';
import { parseSearch } from '../fhir/search/parse.js';
import { defaultRegistry, SHARED_TYPES, type SearchParameterRegistry } from '../fhir/search/registry.js';
import type { Condition } from '../store/types.js';

export type ScopeContext = 'patient' | 'user' | 'system';

export interface Permissions {
  c: boolean;
  r: boolean;
  u: boolean;
  d: boolean;
  s: boolean;
}

export interface ResourceScope {
  /** The scope exactly as the client wrote it. */
  raw: string;
  context: ScopeContext;
  /** A resource type, or `*` for every type. */
  type: string;
  /** What is kept: read (`r`) and search (`s`) only; c/u/d are always false here. */
  permissions: Permissions;
  /** 1 for `.read` / `.*` (v1 syntax), 2 for the `cruds` letters. */
  version: 1 | 2;
  /** Granular scope parameters, percent-decoded, in order; undefined when the scope has none. */
  query?: [string, string][];
}

export interface ParsedScopes {
  resource: ResourceScope[];
  openid: boolean;
  fhirUser: boolean;
  /** The SMART v1 alias of `fhirUser` (OpenID Connect's `profile`). */
  profile: boolean;
  launchPatient: boolean;
  offlineAccess: boolean;
  onlineAccess: boolean;
  /** Recognised-but-inert or unknown well-formed scopes (e.g. `launch`, `email`): kept, grant nothing. */
  other: string[];
  invalid: { scope: string; reason: string }[];
}

const CONTEXTS: readonly string[] = ['patient', 'user', 'system'];
const LETTERS = ['c', 'r', 'u', 'd', 's'] as const;
/** Search result parameters shape a response; they are not filters, so a scope may not carry them. */
const RESULT_PARAMS = new Set(['_count', '_sort', '_summary', '_total', '_include', '_revinclude', '_cursor', '_format', '_elements', '_contained', '_containedType']);
/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const TYPE_NAME = /^[A-Z][A-Za-z]+$/;

function emptyScopes(): ParsedScopes {
  return {
    resource: [],
    openid: false,
    fhirUser: false,
    profile: false,
    launchPatient: false,
    offlineAccess: false,
    onlineAccess: false,
    other: [],
    invalid: [],
  };
}

type ResourceParse = { ok: true; scope: ResourceScope } | { ok: false; reason: string };

/** Splits a granular scope's query into decoded pairs, or returns why it cannot. */
function parseQuery(text: string): [string, string][] | string {
  if (!text) return "'?' must be followed by search parameters (param=value)";
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `'${part}' is not a search parameter of the form param=value`;
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(part.slice(0, eq));
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      return `'${part}' has a malformed percent-encoding`;
    }
    if (!value) return `search parameter '${name}' has no value`;
    pairs.push([name, value]);
  }
  return pairs;
}

/** The condition a granular scope's parameters mean, exactly as the same search of `type` would. */
function queryCondition(registry: SearchParameterRegistry, type: string, query: [string, string][]): Condition {
  return parseSearch(registry, type, query, { fhirBaseUrl: '', lenient: false }).where;
}

function parseResourceScope(token: string, registry: SearchParameterRegistry): ResourceParse {
  const slash = token.indexOf('/');
  const context = token.slice(0, slash);
  if (context !== 'patient') return { ok: false, reason: 'only patient scopes are offered' };
  const q = token.indexOf('?');
  const head = q < 0 ? token : token.slice(0, q);
  const dot = head.indexOf('.', slash + 1);
  if (dot < 0) return { ok: false, reason: "expected patient/<resource type or *>.<permissions>, e.g. 'patient/Observation.rs'" };
  const type = head.slice(slash + 1, dot);
  const perm = head.slice(dot + 1);
  if (type !== '*') {
    if (!TYPE_NAME.test(type)) return { ok: false, reason: `'${type}' is not a resource type name` };
    if (!registry.capability(type)) return { ok: false, reason: `${type} is not a resource type this server offers` };
  }

  const permissions: Permissions = { c: false, r: false, u: false, d: false, s: false };
  let version: 1 | 2;
  if (perm === 'read' || perm === '*') {
    version = 1;
    permissions.r = permissions.s = true;
  } else if (perm === 'write') {
    return { ok: false, reason: 'write access is not offered: this service is read-only' };
  } else {
    version = 2;
    if (!perm) return { ok: false, reason: 'no permissions after the dot (expected read, * or letters from cruds)' };
    if (!/^[cruds]+$/.test(perm)) {
      return { ok: false, reason: `'${perm}' is not a permission (expected read, write, * or letters from cruds, in that order)` };
    }
    const seen = new Set<string>();
    for (const l of perm) {
      if (seen.has(l)) return { ok: false, reason: `permission letter '${l}' appears more than once` };
      seen.add(l);
    }
    if (perm !== LETTERS.filter((l) => seen.has(l)).join('')) {
      return { ok: false, reason: `permission letters must be in the order c, r, u, d, s (e.g. '${LETTERS.filter((l) => seen.has(l)).join('')}')` };
    }
    permissions.r = seen.has('r');
    permissions.s = seen.has('s');
    if (!permissions.r && !permissions.s) {
      return { ok: false, reason: 'only create, update or delete was asked: this service is read-only (ask for r and/or s)' };
    }
  }

  const scope: ResourceScope = { raw: token, context: 'patient', type, permissions, version };
  if (q >= 0) {
    if (type === '*') return { ok: false, reason: 'search parameters need a resource type, not *' };
    const query = parseQuery(token.slice(q + 1));
    if (typeof query === 'string') return { ok: false, reason: query };
    const result = query.find(([name]) => RESULT_PARAMS.has(name.split(':')[0]));
    if (result) return { ok: false, reason: `'${result[0]}' shapes search results and cannot restrict a scope` };
    try {
      queryCondition(registry, type, query);
    } catch (e) {
      return { ok: false, reason: `not a valid search of ${type}: ${e instanceof Error ? e.message : String(e)}` };
    }
    scope.query = query;
  }
  return { ok: true, scope };
}

/**
 * Parses a space-separated scope string. Never throws: problems are listed in `invalid`. Repeated
 * scopes are kept once. `registry` decides which resource types and search parameters exist.
 */
export function parseScopes(scope: string, registry: SearchParameterRegistry = defaultRegistry()): ParsedScopes {
  const out = emptyScopes();
  const seen = new Set<string>();
  for (const token of String(scope ?? '').split(' ')) {
    if (!token || seen.has(token)) continue;
    seen.add(token);
    if (!SCOPE_TOKEN.test(token)) {
      out.invalid.push({ scope: token, reason: 'contains characters not allowed in a scope (spaces, quotes, backslashes, control or non-ASCII characters)' });
      continue;
    }
    switch (token) {
      case 'openid':
        out.openid = true;
        continue;
      case 'fhirUser':
        out.fhirUser = true;
        continue;
      case 'profile':
        out.profile = true;
        continue;
      case 'launch/patient':
        out.launchPatient = true;
        continue;
      case 'offline_access':
        out.offlineAccess = true;
        continue;
      case 'online_access':
        out.onlineAccess = true;
        continue;
    }
    const context = /^([^/]+)\/(?:\*|[A-Za-z]+)\./.exec(token)?.[1];
    if (context !== undefined && CONTEXTS.includes(context)) {
      const parsed = parseResourceScope(token, registry);
      if (parsed.ok) out.resource.push(parsed.scope);
      else out.invalid.push({ scope: token, reason: parsed.reason });
    } else if (CONTEXTS.includes(token.split('/')[0]) && token.includes('/')) {
      out.invalid.push({
        scope: token,
        reason: token.startsWith('patient/')
          ? "expected patient/<resource type or *>.<permissions>, e.g. 'patient/Observation.rs'"
          : 'only patient scopes are offered',
      });
    } else if (context !== undefined) {
      out.invalid.push({ scope: token, reason: `'${context}' is not a scope context (expected patient, user or system)` });
    } else {
      out.other.push(token);
    }
  }
  return out;
}

/** Percent-encodes what would change a query's meaning or break a scope token; leaves `|`, `:`, `/` as they are. */
function encodeQueryPart(s: string, isName: boolean): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const unsafe = ch === '%' || ch === '&' || ch === '#' || ch === '"' || ch === '\\' || (isName && ch === '=') || code <= 0x20 || code >= 0x7f;
    out += unsafe ? encodeURIComponent(ch).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) : ch;
  }
  return out;
}

/** The canonical string of what a resource scope keeps, e.g. `patient/Observation.cruds` → `patient/Observation.rs`. */
export function formatScope(s: ResourceScope): string {
  const p = s.permissions;
  const writes = p.c || p.u || p.d;
  let perm: string;
  if (s.version === 1 && p.r && p.s) perm = writes ? '*' : 'read';
  else if (s.version === 1 && !p.r && !p.s && writes) perm = 'write';
  else perm = LETTERS.filter((l) => p[l]).join('');
  const query = s.query?.length ? '?' + s.query.map(([k, v]) => `${encodeQueryPart(k, true)}=${encodeQueryPart(v, false)}`).join('&') : '';
  return `${s.context}/${s.type}.${perm}${query}`;
}

/**
 * The canonical scope string of what `p` keeps (invalid scopes are left out), each scope once:
 * `openid fhirUser profile launch/patient`, then the resource scopes and then `other` in request
 * order, then `online_access offline_access`.
 */
export function formatScopes(p: ParsedScopes): string {
  const parts: string[] = [];
  if (p.openid) parts.push('openid');
  if (p.fhirUser) parts.push('fhirUser');
  if (p.profile) parts.push('profile');
  if (p.launchPatient) parts.push('launch/patient');
  parts.push(...p.resource.map(formatScope));
  parts.push(...p.other);
  if (p.onlineAccess) parts.push('online_access');
  if (p.offlineAccess) parts.push('offline_access');
  return [...new Set(parts)].join(' ');
}

// ---- grants ----------------------------------------------------------------------------------

/** Per interaction: undefined when no scope grants it, 'all' when unrestricted, else the OR list. */
type Restriction = undefined | 'all' | Condition[];

function addRestriction(current: Restriction, filter: Condition | undefined): Restriction {
  if (current === 'all' || filter === undefined) return 'all';
  return [...(current ?? []), filter];
}

function sameFilters(a: Condition[], b: Condition[]): boolean {
  const key = (l: Condition[]) => l.map((c) => JSON.stringify(c)).sort().join('\n');
  return key(a) === key(b);
}

function toGrant(read: Restriction, search: Restriction): TypeGrant | undefined {
  if (!read && !search) return undefined;
  const grant: TypeGrant = { read: read !== undefined, search: search !== undefined };
  const lists = [read, search].filter((r): r is Condition[] => Array.isArray(r));
  if (lists.length === 1) grant.filters = lists[0];
  else if (lists.length === 2) {
    // One filter list serves both interactions: when they differ, a resource must pass both, so
    // neither interaction ever reaches beyond what its own scopes granted.
    grant.filters = sameFilters(lists[0], lists[1])
      ? lists[0]
      : [{ kind: 'and', all: lists.map((l) => (l.length === 1 ? l[0] : { kind: 'or' as const, any: l })) }];
  }
  return grant;
}

/**
 * The patient-facing grants a set of patient/* scopes gives, for the FHIR access context. Only
 * 'patient' context scopes count here; r→read, s→search; v1 read = rs; granular scopes add filters
 * for their type (OR across several granular scopes of the same type; a non-granular scope of the type
 * removes filters). '*' applies to every type without a more specific scope; specific scopes and '*'
 * combine (union of permissions; filters only when ALL scopes granting that interaction are granular).
 * A granular scope whose parameters are not a valid search of its type grants nothing.
 */
export function grantsFromScopes(scopes: ResourceScope[], registry: SearchParameterRegistry): Map<string, TypeGrant> {
  const byType = new Map<string, { read: Restriction; search: Restriction }>();
  for (const s of scopes) {
    if (s.context !== 'patient') continue;
    if (s.type === '*' && s.query?.length) continue; // not a valid scope: parameters need a type
    let filter: Condition | undefined;
    if (s.query?.length) {
      try {
        filter = queryCondition(registry, s.type, s.query);
      } catch {
        continue;
      }
    }
    const entry = byType.get(s.type) ?? { read: undefined, search: undefined };
    if (s.permissions.r) entry.read = addRestriction(entry.read, filter);
    if (s.permissions.s) entry.search = addRestriction(entry.search, filter);
    byType.set(s.type, entry);
  }
  const star = byType.get('*');
  const grants = new Map<string, TypeGrant>();
  for (const [type, entry] of byType) {
    let { read, search } = entry;
    if (type !== '*' && star) {
      if (star.read) read = 'all';
      if (star.search) search = 'all';
    }
    const grant = toGrant(read, search);
    if (grant) grants.set(type, grant);
  }
  return grants;
}

// ---- subset ----------------------------------------------------------------------------------

/** True when every pair of `granted` is also in `requested` (more parameters narrow a scope). */
function queryNarrows(requested: [string, string][] | undefined, granted: [string, string][] | undefined): boolean {
  if (!granted?.length) return true;
  const keys = new Set((requested ?? []).map(([k, v]) => `${k}\u0000${v}`));
  return granted.every(([k, v]) => keys.has(`${k}\u0000${v}`));
}

/**
 * True when `requested` is a subset of `granted` (for refresh narrowing): every flag and `other` scope
 * asked was granted, nothing asked is invalid, and each permission letter of each requested resource
 * scope is covered by a granted scope of the same context whose type is the same or `*` and whose
 * parameters (if any) are all among the requested scope's own.
 */
export function isSubset(requested: ParsedScopes, granted: ParsedScopes): boolean {
  if (requested.invalid.length) return false;
  const flags = ['openid', 'fhirUser', 'profile', 'launchPatient', 'offlineAccess', 'onlineAccess'] as const;
  if (flags.some((f) => requested[f] && !granted[f])) return false;
  if (requested.other.some((o) => !granted.other.includes(o))) return false;
  return requested.resource.every((r) =>
    LETTERS.every(
      (l) =>
        !r.permissions[l] ||
        granted.resource.some(
          (g) => g.context === r.context && (g.type === '*' || g.type === r.type) && g.permissions[l] && queryNarrows(r.query, g.query),
        ),
    ),
  );
}

// ---- plain-language descriptions ---------------------------------------------------------------

interface TypeText {
  group: string;
  /** Noun phrase for the whole type. */
  noun: string;
}

/** Friendly nouns for every type this server offers (US Core 6.1.0 server resources and Person). */
const TYPE_TEXT: Record<string, TypeText> = {
  AllergyIntolerance: { group: 'Allergies', noun: 'allergies' },
  CarePlan: { group: 'Care plans and goals', noun: 'care plans' },
  CareTeam: { group: 'Care plans and goals', noun: 'care team members' },
  Condition: { group: 'Health problems', noun: 'health problems and diagnoses' },
  Coverage: { group: 'Insurance', noun: 'insurance coverage' },
  Device: { group: 'Devices', noun: 'implants and medical devices' },
  DiagnosticReport: { group: 'Test reports', noun: 'test and imaging reports' },
  DocumentReference: { group: 'Documents and notes', noun: 'clinical documents and notes' },
  Encounter: { group: 'Visits', noun: 'visits and hospital stays' },
  Endpoint: { group: 'Practice information', noun: 'technical connection details of care organizations' },
  Goal: { group: 'Care plans and goals', noun: 'health goals' },
  HealthcareService: { group: 'Practice information', noun: 'details of the health services offered' },
  Immunization: { group: 'Immunizations', noun: 'immunizations' },
  Location: { group: 'Practice information', noun: 'details of places of care' },
  Media: { group: 'Documents and notes', noun: 'photos and other media' },
  Medication: { group: 'Medications', noun: 'details of medicines (names, strengths and forms)' },
  MedicationDispense: { group: 'Medications', noun: 'pharmacy records (medicines handed out to you)' },
  MedicationRequest: { group: 'Medications', noun: 'medications' },
  Observation: { group: 'Observations', noun: 'observations (vital signs, lab results and other measurements)' },
  Organization: { group: 'Practice information', noun: 'details of clinics, hospitals and other organizations' },
  Patient: { group: 'Personal details', noun: 'personal details (name, date of birth, contact details)' },
  Person: { group: 'Personal details', noun: 'account details (who you are signed in as)' },
  Practitioner: { group: 'Practice information', noun: 'details of doctors and other care providers' },
  PractitionerRole: { group: 'Practice information', noun: "care providers' roles, specialties and contact details" },
  Procedure: { group: 'Procedures', noun: 'procedures (surgeries and other treatments)' },
  Provenance: { group: 'Record history', noun: 'record history (who recorded each item, and when)' },
  Questionnaire: { group: 'Forms and questionnaires', noun: 'blank questionnaires and forms' },
  QuestionnaireResponse: { group: 'Forms and questionnaires', noun: 'answers to questionnaires and forms' },
  RelatedPerson: { group: 'Personal details', noun: 'family and caregiver contacts' },
  ServiceRequest: { group: 'Referrals and orders', noun: 'referrals and orders for tests and services' },
  Specimen: { group: 'Lab results', noun: 'lab samples (specimens)' },
  ValueSet: { group: 'Practice information', noun: 'code lists used to describe health data' },
};

const OBS_CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const US_CORE_CAT = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category';
const COND_CAT = 'http://terminology.hl7.org/CodeSystem/condition-category';
const US_CORE_COND_CAT = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category';
const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';
const LOINC = 'http://loinc.org';
const DOC_CAT = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category';
const CAREPLAN_CAT = 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category';

interface CategoryText {
  system: string;
  group: string;
  noun: string;
}

/** Friendly nouns for common `category` codes, by type. */
const CATEGORY_TEXT: Record<string, Record<string, CategoryText>> = {
  Observation: {
    laboratory: { system: OBS_CAT, group: 'Lab results', noun: 'lab results' },
    'vital-signs': { system: OBS_CAT, group: 'Vital signs', noun: 'vital signs (such as blood pressure, pulse, weight and temperature)' },
    'social-history': { system: OBS_CAT, group: 'Social history', noun: 'social history (such as smoking, alcohol use and occupation)' },
    survey: { system: OBS_CAT, group: 'Questionnaires and assessments', noun: 'answers to health questionnaires and assessments' },
    imaging: { system: OBS_CAT, group: 'Imaging', noun: 'imaging results (such as X-rays and scans)' },
    exam: { system: OBS_CAT, group: 'Exam findings', noun: 'physical exam findings' },
    procedure: { system: OBS_CAT, group: 'Procedures', noun: 'results of procedures' },
    therapy: { system: OBS_CAT, group: 'Therapy', noun: 'therapy observations (such as physical or speech therapy)' },
    activity: { system: OBS_CAT, group: 'Physical activity', noun: 'physical activity (such as steps and exercise)' },
    sdoh: { system: US_CORE_CAT, group: 'Social needs', noun: 'social needs (such as housing, food and transport)' },
    'functional-status': { system: US_CORE_CAT, group: 'Functioning and disability', noun: 'everyday functioning (such as mobility and self-care)' },
    'disability-status': { system: US_CORE_CAT, group: 'Functioning and disability', noun: 'disability status' },
    'cognitive-status': { system: US_CORE_CAT, group: 'Functioning and disability', noun: 'memory and thinking (cognitive status)' },
  },
  Condition: {
    'problem-list-item': { system: COND_CAT, group: 'Health problems', noun: 'problem list (ongoing health problems)' },
    'encounter-diagnosis': { system: COND_CAT, group: 'Health problems', noun: 'diagnoses made during visits' },
    'health-concern': { system: US_CORE_COND_CAT, group: 'Health problems', noun: 'health concerns' },
    problem: { system: US_CORE_COND_CAT, group: 'Health problems', noun: 'problem list (ongoing health problems)' },
    sdoh: { system: US_CORE_CAT, group: 'Social needs', noun: 'social needs (such as housing, food and transport)' },
  },
  DiagnosticReport: {
    LAB: { system: V2_0074, group: 'Lab results', noun: 'lab reports' },
    'LP29684-5': { system: LOINC, group: 'Imaging', noun: 'radiology reports' },
    'LP29708-2': { system: LOINC, group: 'Test reports', noun: 'cardiology reports' },
    'LP7839-6': { system: LOINC, group: 'Lab results', noun: 'pathology reports' },
  },
  DocumentReference: {
    'clinical-note': { system: DOC_CAT, group: 'Documents and notes', noun: 'clinical notes' },
  },
  CarePlan: {
    'assess-plan': { system: CAREPLAN_CAT, group: 'Care plans and goals', noun: 'assessments and treatment plans' },
  },
};

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Noun and group for a `category=…` value list, or undefined when any value is not a known category. */
function categoryText(type: string, value: string): { group: string; noun: string } | undefined {
  const table = CATEGORY_TEXT[type];
  if (!table) return undefined;
  const found: CategoryText[] = [];
  for (const v of value.split(',')) {
    const bar = v.lastIndexOf('|');
    const system = bar < 0 ? undefined : v.slice(0, bar);
    const code = bar < 0 ? v : v.slice(bar + 1);
    const entry = Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
    if (!entry || (system !== undefined && system !== entry.system)) return undefined;
    if (!found.includes(entry)) found.push(entry);
  }
  const groups = new Set(found.map((f) => f.group));
  return { group: groups.size === 1 ? found[0].group : TYPE_TEXT[type].group, noun: joinList(found.map((f) => f.noun)) };
}

function verbPhrase(p: Permissions, phrase: string): string {
  if (p.r && p.s) return `Read ${phrase}`;
  if (p.r) return `Read ${phrase}, one item at a time (no searching)`;
  return `Search ${phrase}`;
}

function describeResource(s: ResourceScope, writeDropped: boolean): { group: string; text: string } {
  const note = writeDropped ? ' (read only: apps cannot change your record here)' : '';
  if (s.type === '*') return { group: 'Health records', text: verbPhrase(s.permissions, 'all of your health record') + note };
  const info = TYPE_TEXT[s.type] ?? { group: 'Health records', noun: `${s.type} records` };
  const own = !SHARED_TYPES.has(s.type);
  const phrase = (noun: string) => (own ? `your ${noun}` : noun);
  if (!s.query?.length) return { group: info.group, text: verbPhrase(s.permissions, phrase(info.noun)) + note };
  if (s.query.length === 1 && s.query[0][0] === 'category') {
    const cat = categoryText(s.type, s.query[0][1]);
    if (cat) return { group: cat.group, text: verbPhrase(s.permissions, phrase(cat.noun)) + note };
  }
  const conditions = s.query.map(([k, v]) => `${k} = ${v}`).join(' and ');
  return {
    group: info.group,
    text: `${verbPhrase(s.permissions, `some of ${phrase(info.noun)}`)}: only those matching ${conditions}${note}`,
  };
}

/**
 * Plain-language description of one scope for the consent screen, grouped by kind of data, e.g.
 * `patient/Observation.rs?category=…|laboratory` → { group: 'Lab results', text: 'Read your lab results' }.
 */
export function describeScope(scope: string, registry: SearchParameterRegistry = defaultRegistry()): { group: string; text: string } {
  const p = parseScopes(scope, registry);
  if (p.invalid.length) return { group: 'Cannot be granted', text: `This request cannot be granted: ${p.invalid[0].reason}` };
  if (p.openid) return { group: 'Your identity', text: 'Confirm who you are when you sign in' };
  if (p.fhirUser) return { group: 'Your identity', text: 'Know who you are: your name and your account with this practice' };
  if (p.profile) return { group: 'Your identity', text: 'See your basic profile: your name and your account with this practice' };
  if (p.launchPatient) return { group: 'Your identity', text: 'Know whose health record you chose to share (yours or that of someone in your care)' };
  if (p.offlineAccess) return { group: 'Lasting access', text: 'Keep access when you are not using the app, until you disconnect it' };
  if (p.onlineAccess) return { group: 'Lasting access', text: 'Keep access while you are signed in and using the app' };
  const [s] = p.resource;
  if (s) {
    const perm = s.raw.slice(s.raw.indexOf('.') + 1).split('?')[0];
    const writeDropped = s.version === 1 ? perm === '*' : /[cud]/.test(perm);
    return describeResource(s, writeDropped);
  }
  const [other] = p.other;
  if (other === 'launch') return { group: 'Other', text: 'Receive launch details when opened from the practice’s own system (not used by this service)' };
  if (other) return { group: 'Other', text: `“${other}”: not used by this service; it gives the app no access` };
  return { group: 'Other', text: 'Nothing' };
}
