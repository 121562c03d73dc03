// Searches over the two US Core sample Bundles (../shared/fhir/samples), over real HTTP, on every store.
// The expected result of each search is computed in this file from the Bundle JSON with small evaluators
// of our own (FHIR R4 search semantics), never from the server's index, and compared as SETS of ids
// gathered by following `next` links (a small _count also exercises paging).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { importFiles } from '../../src/importer/index.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { patientAccess, systemAccess } from '../../src/fhir/access.js';
import { prepareWrite } from '../../src/fhir/prepare.js';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { startServer, type TestServer } from '../helpers/server.js';

type Res = Record<string, any>;

// ---------------------------------------------------------------------------------------------------
// The Bundles, resolved the way the importer is specified to resolve them

const SAMPLE_DIR = new URL('../../../shared/fhir/samples/', import.meta.url);
const FILES = ['uscore_bundle_patient_85.json', 'uscore_bundle_patient_355.json'];

interface Sample {
  file: string;
  path: string;
  patientId: string;
  resources: Res[];
  entryCount: number;
}

function loadSample(file: string): Sample {
  const path = fileURLToPath(new URL(file, SAMPLE_DIR));
  const bundle = JSON.parse(readFileSync(path, 'utf8'));
  const map = new Map<string, string>();
  const resources: Res[] = [];
  for (const e of bundle.entry) {
    const r = structuredClone(e.resource);
    let id: string;
    if (e.request.method === 'PUT') id = e.request.url.split('/')[1];
    else id = /^urn:uuid:(.+)$/.exec(e.fullUrl)![1].toLowerCase();
    map.set(e.fullUrl, `${r.resourceType}/${id}`);
    resources.push({ ...r, id });
  }
  const rewrite = (v: any): void => {
    if (Array.isArray(v)) v.forEach(rewrite);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string' && map.has(x)) v[k] = map.get(x);
        else rewrite(x);
      }
    }
  };
  rewrite(resources);
  const patient = resources.find((r) => r.resourceType === 'Patient')!;
  return { file, path, patientId: patient.id, resources, entryCount: bundle.entry.length };
}

const SAMPLES = FILES.map(loadSample);
const ALL: Res[] = SAMPLES.flatMap((s) => s.resources);
const key = (r: Res) => `${r.resourceType}/${r.id}`;
const BY_KEY = new Map(ALL.map((r) => [key(r), r]));
const SHARED = new Set(['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'Medication', 'Endpoint', 'HealthcareService', 'Questionnaire', 'ValueSet']);

// ---------------------------------------------------------------------------------------------------
// Independent evaluators (FHIR R4 search §3.1.1)

const ref = (v: any): string | undefined => (v && typeof v.reference === 'string' ? v.reference : undefined);

/** The patient whose record the resource is (its subject / patient / beneficiary), as `Patient/id`. */
function patientOf(r: Res): string | undefined {
  const field: Record<string, string> = {
    AllergyIntolerance: 'patient',
    Immunization: 'patient',
    Device: 'patient',
    RelatedPerson: 'patient',
    Coverage: 'beneficiary',
  };
  const v = ref(r[field[r.resourceType] ?? 'subject']);
  return v?.startsWith('Patient/') ? v : undefined;
}

/** The patient compartment as the brief defines it: the Patient, its subject data, Provenance targeting them. */
function compartment(pid: string): Res[] {
  const p = `Patient/${pid}`;
  const members = ALL.filter((r) => (r.resourceType === 'Patient' && r.id === pid) || patientOf(r) === p);
  const keys = new Set(members.map(key));
  const provs = ALL.filter((r) => r.resourceType === 'Provenance' && (r.target ?? []).some((t: any) => keys.has(ref(t)!)));
  return [...members, ...provs];
}

interface Tok {
  system?: string;
  code?: string;
}
function tokens(v: any): Tok[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(tokens);
  if (typeof v === 'string' || typeof v === 'boolean') return [{ code: String(v) }];
  if (Array.isArray(v.coding)) return v.coding.map((c: any) => ({ system: c.system, code: c.code }));
  if (typeof v.value === 'string') return [{ system: v.system, code: v.value }]; // Identifier
  if (typeof v.code === 'string') return [{ system: v.system, code: v.code }]; // Coding
  return [];
}
/** One token parameter value (comma = OR): `code`, `system|code`, `|code`, `system|`. */
function tokenMatch(v: any, query: string): boolean {
  const toks = tokens(v);
  return query.split(',').some((q) => {
    const bar = q.indexOf('|');
    if (bar < 0) return toks.some((t) => t.code === q);
    const system = q.slice(0, bar);
    const code = q.slice(bar + 1);
    if (!system) return toks.some((t) => t.system === undefined && t.code === code);
    if (!code) return toks.some((t) => t.system === system);
    return toks.some((t) => t.system === system && t.code === code);
  });
}

type Range = [number, number];
const DT_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
/** The range a date/dateTime/instant covers at its precision (a time without zone counts as UTC). */
function dateRange(s: string): Range {
  const m = DT_RE.exec(s);
  if (!m) throw new Error(`test bug: cannot read date ${s}`);
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const Y = Number(y);
  if (!mo) return [Date.UTC(Y, 0, 1), Date.UTC(Y + 1, 0, 1) - 1];
  if (!d) return [Date.UTC(Y, Number(mo) - 1, 1), Date.UTC(Y, Number(mo), 1) - 1];
  if (!h) return [Date.UTC(Y, Number(mo) - 1, Number(d)), Date.UTC(Y, Number(mo) - 1, Number(d) + 1) - 1];
  let offset = 0;
  if (zone && zone !== 'Z') offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60000;
  const t = Date.UTC(Y, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) - offset;
  if (frac === undefined) return [t, t + 999];
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  return [t + ms, t + ms + (frac.length >= 3 ? 0 : 10 ** (3 - frac.length) - 1)];
}
/** Ranges of a date element value: a string, or a Period (an open end reaches to infinity). */
function ranges(v: any): Range[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(ranges);
  if (typeof v === 'string') return [dateRange(v)];
  if (typeof v === 'object' && (v.start || v.end)) {
    return [[v.start ? dateRange(v.start)[0] : -Infinity, v.end ? dateRange(v.end)[1] : Infinity]];
  }
  return [];
}
/** One date parameter value (comma = OR) per R4 §3.1.1.4.2: search range vs. the value's range. */
function dateMatch(v: any, query: string): boolean {
  const rs = ranges(v);
  return query.split(',').some((q) => {
    const prefix = /^(eq|ne|gt|lt|ge|le|sa|eb)/.exec(q)?.[1] ?? 'eq';
    const [slo, shi] = dateRange(q.replace(/^(eq|ne|gt|lt|ge|le|sa|eb)/, ''));
    return rs.some(([lo, hi]) => {
      const eq = lo >= slo && hi <= shi;
      switch (prefix) {
        case 'eq':
          return eq;
        case 'ne':
          return !eq;
        case 'gt':
          return hi > shi;
        case 'lt':
          return lo < slo;
        case 'ge':
          return hi > shi || eq;
        case 'le':
          return lo < slo || eq;
        case 'sa':
          return lo > shi;
        case 'eb':
          return hi < slo;
      }
      return false;
    });
  });
}

const norm = (s: string) => s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
function stringParts(v: any): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(stringParts);
  if (typeof v === 'string') return [v];
  const out: string[] = [];
  for (const k of ['text', 'family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country']) {
    out.push(...stringParts(v[k]));
  }
  return out;
}
/** Default string search: some part starts with the value, ignoring case and accents (comma = OR). */
function stringMatch(v: any, query: string): boolean {
  const parts = stringParts(v).map(norm);
  return query.split(',').some((q) => parts.some((p) => p.startsWith(norm(q))));
}

const effective = (r: Res) => r.effectiveDateTime ?? r.effectivePeriod ?? r.effectiveInstant;
const performed = (r: Res) => r.performedDateTime ?? r.performedPeriod;

// ---------------------------------------------------------------------------------------------------
// Cases

interface Case {
  name: string;
  /** Type and query string (without _count). */
  type: string;
  query: string;
  expected: string[];
  /** The evaluator must find something, or the case proves little. */
  nonEmpty?: boolean;
}

function pick<T>(list: T[], n: number): T[] {
  // Evenly spread picks, deterministic.
  if (list.length <= n) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}
const uniq = <T>(xs: T[]) => [...new Set(xs)];
const sorted = (xs: string[]) => [...xs].sort();

function dateQueries(values: string[]): string[] {
  // A year, month and day taken from the data, at every precision and prefix.
  const dated = values.filter((v) => /^\d{4}-\d{2}-\d{2}/.test(v)).sort();
  if (!dated.length) return [];
  const mid = dated[Math.floor(dated.length / 2)];
  const y = mid.slice(0, 4);
  const ym = mid.slice(0, 7);
  const ymd = mid.slice(0, 10);
  const out: string[] = [];
  for (const v of [y, ym, ymd]) for (const p of ['', 'eq', 'ge', 'gt', 'le', 'lt']) out.push(p + v);
  out.push(`ne${y}`, `sa${y}`, `eb${y}`, `ge${Number(y) - 5},le${Number(y) - 30}`);
  // Second precision with the value's own zone, and the same instant in another zone.
  const timed = dated.filter((v) => /T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/.test(v));
  if (timed.length) {
    const t = timed[Math.floor(timed.length / 2)];
    const shifted = new Date(dateRange(t)[0] + 2 * 3600000).toISOString().slice(0, 19) + '+02:00';
    for (const p of ['', 'ge', 'gt', 'le', 'lt', 'ne']) out.push(p + t, p + shifted);
    out.push(`ge${t.slice(0, 19)}Z`, `lt${t.slice(0, 13)}:00:00Z`);
  }
  return out;
}

function casesFor(sample: Sample): Case[] {
  const pid = sample.patientId;
  const P = `Patient/${pid}`;
  const cases: Case[] = [];
  const of = (type: string) => ALL.filter((r) => r.resourceType === type);
  const mine = (type: string) => of(type).filter((r) => patientOf(r) === P);
  const add = (name: string, type: string, query: string, pool: Res[], filter: (r: Res) => boolean, nonEmpty = true) =>
    cases.push({ name: `${type}?${query}${name ? ` (${name})` : ''}`, type, query, expected: pool.filter(filter).map((r) => r.id), nonEmpty });

  // Observation: patient+category, patient+code, patient+category+date
  const obs = mine('Observation');
  const obsCats = uniq(obs.flatMap((o) => tokens(o.category)).map((t) => `${t.system}|${t.code}`));
  for (const sc of obsCats) {
    const code = sc.split('|')[1];
    add('', 'Observation', `patient=${pid}&category=${code}`, of('Observation'), (r) => patientOf(r) === P && tokenMatch(r.category, code));
    add('system|code', 'Observation', `patient=${pid}&category=${encodeURIComponent(sc)}`, of('Observation'), (r) => patientOf(r) === P && tokenMatch(r.category, sc));
  }
  add('|code: no coding without a system', 'Observation', `patient=${pid}&category=${encodeURIComponent('|vital-signs')}`, obs, (r) => tokenMatch(r.category, '|vital-signs'), false);
  add('OR list', 'Observation', `patient=${pid}&category=vital-signs,laboratory,survey`, obs, (r) => tokenMatch(r.category, 'vital-signs,laboratory,survey'));
  add('patient=Patient/id', 'Observation', `patient=Patient/${pid}&category=vital-signs`, obs, (r) => tokenMatch(r.category, 'vital-signs'));
  add('all of the patient', 'Observation', `patient=${pid}`, of('Observation'), (r) => patientOf(r) === P);
  const obsCodes = uniq(obs.flatMap((o) => tokens(o.code)).map((t) => `${t.system}|${t.code}`));
  for (const sc of pick(obsCodes, 6)) {
    const code = sc.split('|')[1];
    add('', 'Observation', `patient=${pid}&code=${encodeURIComponent(code)}`, of('Observation'), (r) => patientOf(r) === P && tokenMatch(r.code, code));
    add('system|code', 'Observation', `patient=${pid}&code=${encodeURIComponent(sc)}`, of('Observation'), (r) => patientOf(r) === P && tokenMatch(r.code, sc));
  }
  const twoCodes = pick(obsCodes, 2).join(',');
  add('OR of system|code', 'Observation', `patient=${pid}&code=${encodeURIComponent(twoCodes)}`, obs, (r) => tokenMatch(r.code, twoCodes));
  add('wrong system', 'Observation', `patient=${pid}&code=${encodeURIComponent('http://example.org/nope|' + obsCodes[0].split('|')[1])}`, obs, () => false, false);
  const mainCat = obsCats.map((sc) => sc.split('|')[1]).sort((a, b) => obs.filter((o) => tokenMatch(o.category, b)).length - obs.filter((o) => tokenMatch(o.category, a)).length)[0];
  const catObs = obs.filter((o) => tokenMatch(o.category, mainCat));
  const obsDates = catObs.flatMap((o) => ranges(effective(o)).length ? [String(effective(o)?.start ?? effective(o))] : []);
  for (const d of dateQueries(obsDates)) {
    add('', 'Observation', `patient=${pid}&category=${mainCat}&date=${encodeURIComponent(d)}`, obs, (r) => tokenMatch(r.category, mainCat) && dateMatch(effective(r), d), false);
  }
  const years = obsDates.map((d) => Number(d.slice(0, 4))).sort((a, b) => a - b);
  const y0 = years[Math.floor(years.length / 3)];
  const y1 = years[Math.floor((2 * years.length) / 3)] + 1;
  add('repeated date = AND', 'Observation', `patient=${pid}&category=${mainCat}&date=ge${y0}&date=lt${y1}`, obs, (r) => tokenMatch(r.category, mainCat) && dateMatch(effective(r), `ge${y0}`) && dateMatch(effective(r), `lt${y1}`));
  add('all dates', 'Observation', `patient=${pid}&date=gt1800`, obs, (r) => dateMatch(effective(r), 'gt1800'));

  // Condition
  const conds = mine('Condition');
  for (const sc of uniq(conds.flatMap((c) => tokens(c.category)).map((t) => `${t.system}|${t.code}`))) {
    const code = sc.split('|')[1];
    add('', 'Condition', `patient=${pid}&category=${code}`, of('Condition'), (r) => patientOf(r) === P && tokenMatch(r.category, code));
    add('system|code', 'Condition', `patient=${pid}&category=${encodeURIComponent(sc)}`, of('Condition'), (r) => patientOf(r) === P && tokenMatch(r.category, sc));
  }

  // DiagnosticReport
  const reports = mine('DiagnosticReport');
  for (const sc of uniq(reports.flatMap((c) => tokens(c.category)).map((t) => `${t.system}|${t.code}`))) {
    const code = sc.split('|')[1];
    add('', 'DiagnosticReport', `patient=${pid}&category=${code}`, of('DiagnosticReport'), (r) => patientOf(r) === P && tokenMatch(r.category, code));
    add('system|code', 'DiagnosticReport', `patient=${pid}&category=${encodeURIComponent(sc)}`, of('DiagnosticReport'), (r) => patientOf(r) === P && tokenMatch(r.category, sc));
    for (const d of dateQueries(reports.filter((r) => tokenMatch(r.category, sc)).map((r) => String(effective(r)?.start ?? effective(r)))).filter((_, i) => i % 3 === 0)) {
      add('', 'DiagnosticReport', `patient=${pid}&category=${code}&date=${encodeURIComponent(d)}`, reports, (r) => tokenMatch(r.category, code) && dateMatch(effective(r), d), false);
    }
  }
  for (const sc of pick(uniq(reports.flatMap((c) => tokens(c.code)).map((t) => `${t.system}|${t.code}`)), 4)) {
    add('', 'DiagnosticReport', `patient=${pid}&code=${encodeURIComponent(sc)}`, of('DiagnosticReport'), (r) => patientOf(r) === P && tokenMatch(r.code, sc));
  }

  // DocumentReference
  const docs = mine('DocumentReference');
  for (const sc of uniq(docs.flatMap((c) => tokens(c.category)).map((t) => `${t.system}|${t.code}`))) {
    const code = sc.split('|')[1];
    add('', 'DocumentReference', `patient=${pid}&category=${code}`, of('DocumentReference'), (r) => patientOf(r) === P && tokenMatch(r.category, code));
    for (const d of dateQueries(docs.filter((r) => tokenMatch(r.category, sc)).map((r) => r.date)).filter((_, i) => i % 2 === 0)) {
      add('', 'DocumentReference', `patient=${pid}&category=${code}&date=${encodeURIComponent(d)}`, docs, (r) => tokenMatch(r.category, code) && dateMatch(r.date, d), false);
    }
  }
  for (const sc of uniq(docs.flatMap((c) => tokens(c.type)).map((t) => `${t.system}|${t.code}`))) {
    const code = sc.split('|')[1];
    add('', 'DocumentReference', `patient=${pid}&type=${encodeURIComponent(sc)}`, of('DocumentReference'), (r) => patientOf(r) === P && tokenMatch(r.type, sc));
    add('', 'DocumentReference', `patient=${pid}&type=${code}`, of('DocumentReference'), (r) => patientOf(r) === P && tokenMatch(r.type, code));
  }
  const docIds = pick(docs.map((d) => d.id), 3);
  add('_id OR list', 'DocumentReference', `_id=${docIds.join(',')}`, of('DocumentReference'), (r) => docIds.includes(r.id));

  // Encounter: date+patient
  const encs = mine('Encounter');
  for (const d of dateQueries(encs.map((e) => e.period?.start))) {
    add('', 'Encounter', `date=${encodeURIComponent(d)}&patient=${pid}`, of('Encounter'), (r) => patientOf(r) === P && dateMatch(r.period, d), false);
  }
  add('absolute patient reference', 'Encounter', `patient=${encodeURIComponent('{base}/Patient/' + pid)}`, of('Encounter'), (r) => patientOf(r) === P);

  // Procedure: patient+date
  const procs = mine('Procedure');
  for (const d of dateQueries(procs.map((p) => String(performed(p)?.start ?? performed(p))))) {
    add('', 'Procedure', `patient=${pid}&date=${encodeURIComponent(d)}`, of('Procedure'), (r) => patientOf(r) === P && dateMatch(performed(r), d), false);
  }

  // MedicationRequest: patient+intent(+status)
  const mrs = mine('MedicationRequest');
  for (const intent of uniq(mrs.map((m) => m.intent))) {
    add('', 'MedicationRequest', `patient=${pid}&intent=${intent}`, of('MedicationRequest'), (r) => patientOf(r) === P && r.intent === intent);
    for (const status of uniq(mrs.map((m) => m.status)).concat('active,stopped', 'draft')) {
      add('', 'MedicationRequest', `patient=${pid}&intent=${intent}&status=${status}`, mrs, (r) => r.intent === intent && status.split(',').includes(r.status), false);
    }
  }
  add('intent OR list', 'MedicationRequest', `patient=${pid}&intent=order,plan,proposal`, mrs, (r) => ['order', 'plan', 'proposal'].includes(r.intent));

  // Patient-only searches
  for (const type of ['Immunization', 'AllergyIntolerance', 'Goal', 'Coverage', 'Device', 'CarePlan', 'CareTeam', 'Condition', 'Procedure', 'Encounter', 'DiagnosticReport', 'DocumentReference', 'MedicationRequest']) {
    if (!mine(type).length) continue;
    add('', type, `patient=${pid}`, of(type), (r) => patientOf(r) === P);
  }
  for (const sc of uniq(mine('CarePlan').flatMap((c) => tokens(c.category)).map((t) => `${t.system}|${t.code}`))) {
    add('', 'CarePlan', `patient=${pid}&category=${encodeURIComponent(sc)}`, of('CarePlan'), (r) => patientOf(r) === P && tokenMatch(r.category, sc));
  }
  for (const status of ['active', 'inactive', 'active,inactive', 'proposed']) {
    add('', 'CareTeam', `patient=${pid}&status=${status}`, of('CareTeam'), (r) => patientOf(r) === P && status.split(',').includes(r.status), status !== 'proposed' && mine('CareTeam').some((c) => status.includes(c.status)));
  }

  // Patient
  const patient = BY_KEY.get(P)!;
  const family: string = patient.name[0].family;
  add('', 'Patient', `_id=${pid}`, of('Patient'), (r) => r.id === pid);
  for (const ident of patient.identifier) {
    add('system|value', 'Patient', `identifier=${encodeURIComponent(`${ident.system}|${ident.value}`)}`, of('Patient'), (r) => tokenMatch(r.identifier, `${ident.system}|${ident.value}`));
  }
  add('value only', 'Patient', `identifier=${encodeURIComponent(patient.identifier[2].value)}`, of('Patient'), (r) => tokenMatch(r.identifier, patient.identifier[2].value));
  const accented = family.slice(0, 4).toUpperCase().replace('O', 'Ö').replace('I', 'Í').replace('A', 'Á').replace('E', 'É');
  for (const q of [family, family.slice(0, 3).toLowerCase(), family.toUpperCase(), accented, patient.name[0].given[0].slice(0, 4), family.slice(1, 5)]) {
    add('', 'Patient', `name=${encodeURIComponent(q)}`, of('Patient'), (r) => stringMatch(r.name, q), q !== family.slice(1, 5));
  }
  for (const g of ['male', 'female']) {
    add('', 'Patient', `gender=${g}&name=${encodeURIComponent(family.slice(0, 4))}`, of('Patient'), (r) => r.gender === g && stringMatch(r.name, family.slice(0, 4)), g === patient.gender);
  }
  for (const b of [patient.birthDate, patient.birthDate.slice(0, 4), `ge${patient.birthDate.slice(0, 7)}`, `lt${patient.birthDate}`, `gt1900`]) {
    add('', 'Patient', `birthdate=${b}&name=${encodeURIComponent(family)}`, of('Patient'), (r) => dateMatch(r.birthDate, b) && stringMatch(r.name, family), !b.startsWith('lt'));
  }

  // Shared resources referenced from this Bundle (expected over both Bundles)
  const local = (type: string) => sample.resources.filter((r) => r.resourceType === type);
  for (const pr of local('Practitioner')) {
    const fam: string = pr.name[0].family;
    add('', 'Practitioner', `name=${encodeURIComponent(fam.slice(0, 5).toLowerCase())}`, of('Practitioner'), (r) => stringMatch(r.name, fam.slice(0, 5)));
    add('', 'Practitioner', `name=${encodeURIComponent(pr.name[0].given[0])}`, of('Practitioner'), (r) => stringMatch(r.name, pr.name[0].given[0]));
    for (const ident of pr.identifier) {
      add('', 'Practitioner', `identifier=${encodeURIComponent(`${ident.system}|${ident.value}`)}`, of('Practitioner'), (r) => tokenMatch(r.identifier, `${ident.system}|${ident.value}`));
    }
    add('', 'PractitionerRole', `practitioner=Practitioner/${pr.id}`, of('PractitionerRole'), (r) => ref(r.practitioner) === `Practitioner/${pr.id}`);
    add('bare id', 'PractitionerRole', `practitioner=${pr.id}`, of('PractitionerRole'), (r) => ref(r.practitioner) === `Practitioner/${pr.id}`);
  }
  for (const org of local('Organization')) {
    const words: string[] = org.name.split(' ');
    add('', 'Organization', `name=${encodeURIComponent(words[0].toLowerCase())}`, of('Organization'), (r) => stringMatch([r.name, ...(r.alias ?? [])], words[0]));
    add('', 'Organization', `name=${encodeURIComponent(org.name)}`, of('Organization'), (r) => stringMatch([r.name, ...(r.alias ?? [])], org.name));
    const a = org.address[0];
    for (const q of [a.city.toLowerCase(), a.line[0].slice(0, 6), a.postalCode, a.state]) {
      add('', 'Organization', `address=${encodeURIComponent(q)}`, of('Organization'), (r) => stringMatch(r.address, q));
    }
  }
  for (const loc of local('Location')) {
    add('', 'Location', `name=${encodeURIComponent(loc.name.slice(0, 6))}`, of('Location'), (r) => stringMatch([r.name, ...(r.alias ?? [])], loc.name.slice(0, 6)));
    const a = loc.address;
    add('', 'Location', `address=${encodeURIComponent(a.line[0])}`, of('Location'), (r) => stringMatch(r.address, a.line[0]));
    add('', 'Location', `address-city=${encodeURIComponent(a.city.toLowerCase())}`, of('Location'), (r) => stringMatch(r.address?.city, a.city));
    add('', 'Location', `address-state=${a.state}`, of('Location'), (r) => stringMatch(r.address?.state, a.state));
    add('', 'Location', `address-postalcode=${a.postalCode.slice(0, 4)}`, of('Location'), (r) => stringMatch(r.address?.postalCode, a.postalCode.slice(0, 4)));
  }
  for (const sc of uniq(local('PractitionerRole').flatMap((r) => tokens(r.specialty)).map((t) => `${t.system}|${t.code}`))) {
    add('', 'PractitionerRole', `specialty=${encodeURIComponent(sc)}`, of('PractitionerRole'), (r) => tokenMatch(r.specialty, sc));
    add('', 'PractitionerRole', `specialty=${sc.split('|')[1]}`, of('PractitionerRole'), (r) => tokenMatch(r.specialty, sc.split('|')[1]));
  }

  // _lastUpdated: every resource was written now
  add('', 'Observation', `patient=${pid}&_lastUpdated=gt2000`, of('Observation'), (r) => patientOf(r) === P);
  add('', 'Observation', `patient=${pid}&_lastUpdated=lt2000`, of('Observation'), () => false, false);
  return cases;
}

// ---------------------------------------------------------------------------------------------------
// HTTP helpers

interface Collected {
  ids: string[];
  pages: any[];
}

/** Follows `next` links from `first` and collects the ids of match entries, checking each page. */
async function collect(server: TestServer, first: string, context: string, type?: string): Promise<Collected> {
  const ids: string[] = [];
  const pages: any[] = [];
  let url: string | undefined = first;
  const visited = new Set<string>();
  while (url) {
    assert.ok(!visited.has(url), `next link loops back to ${url}`);
    visited.add(url);
    const res = await server.get(url, context);
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body).slice(0, 500)}`);
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'searchset');
    pages.push(res.body);
    for (const e of res.body.entry ?? []) {
      if (e.search?.mode !== 'match') continue;
      if (type) assert.equal(e.resource.resourceType, type);
      ids.push(e.resource.id);
    }
    const next = (res.body.link ?? []).find((l: any) => l.relation === 'next');
    if (next) assert.ok(next.url.startsWith(server.fhirBase + '/'), `next link is absolute on the base: ${next.url}`);
    url = next?.url;
    assert.ok(pages.length < 500, 'too many pages');
  }
  assert.equal(new Set(ids).size, ids.length, `an id came twice across pages: ${ids.filter((x, i) => ids.indexOf(x) !== i)}`);
  return { ids, pages };
}

async function post(server: TestServer, path: string, body: string, context: string) {
  const res = await fetch(`${server.fhirBase}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test-context': context },
    body,
  });
  return { status: res.status, body: await res.json() };
}

const stripMeta = (r: Res) => {
  const copy = structuredClone(r);
  if (copy.meta) {
    delete copy.meta.versionId;
    delete copy.meta.lastUpdated;
    if (!Object.keys(copy.meta).length) delete copy.meta;
  }
  return copy;
};

/** Ascending sort key of a date parameter: the earliest start; descending: the latest end (missing last). */
const sortKey = (v: any, descending: boolean) => {
  const rs = ranges(v);
  if (!rs.length) return descending ? -Infinity : Infinity;
  return descending ? Math.max(...rs.map((r) => r[1])) : Math.min(...rs.map((r) => r[0]));
};

// ---------------------------------------------------------------------------------------------------
// The suites

for (const kind of storeKinds()) {
  describe(`US Core sample searches (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: TestServer;
    const contexts = {
      system: systemAccess(),
      ...Object.fromEntries(SAMPLES.map((s) => [`p${s.patientId}`, patientAccess([s.patientId])])),
    };

    before(async () => {
      fx = await kind.create();
      const reports = await importFiles(fx.store, defaultRegistry(), SAMPLES.map((s) => s.path));
      for (const [i, r] of reports.entries()) {
        assert.equal(r.rejected, false, `${r.file} rejected: ${JSON.stringify(r.issues.slice(0, 5))}`);
        assert.equal(r.written.created, SAMPLES[i].entryCount, `${r.file}: every entry created`);
      }
      server = await startServer(fx.store, contexts);
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    test('every imported resource reads back as version 1 with the Bundle content (urn:uuid rewritten)', async () => {
      for (const r of ALL) {
        const res = await server.get(`${r.resourceType}/${r.id}`, 'system');
        assert.equal(res.status, 200, `${key(r)}`);
        assert.equal(res.body.meta?.versionId, '1', `${key(r)} versionId`);
        assert.ok(res.body.meta?.lastUpdated, `${key(r)} lastUpdated`);
        assert.deepEqual(stripMeta(res.body), stripMeta(r), `${key(r)} content`);
        assert.equal(res.headers.get('etag'), 'W/"1"');
        // An HTTP-date: meta.lastUpdated to the whole second (the last one made is kept and reused).
        const second = Math.floor(Date.parse(res.body.meta.lastUpdated) / 1000) * 1000;
        assert.equal(res.headers.get('last-modified'), new Date(second).toUTCString(), `${key(r)} Last-Modified`);
      }
    });

    test('a patient context reads its own record and gets 404 for the other patient', async () => {
      for (const s of SAMPLES) {
        const other = SAMPLES.find((o) => o !== s)!;
        const mineObs = s.resources.find((r) => r.resourceType === 'Observation')!;
        const theirObs = other.resources.find((r) => r.resourceType === 'Observation')!;
        assert.equal((await server.get(`Observation/${mineObs.id}`, `p${s.patientId}`)).status, 200);
        const res = await server.get(`Observation/${theirObs.id}`, `p${s.patientId}`);
        assert.equal(res.status, 404);
        assert.equal(res.body.resourceType, 'OperationOutcome');
        assert.equal((await server.get(`Patient/${other.patientId}`, `p${s.patientId}`)).status, 404);
      }
    });

    for (const sample of SAMPLES) {
      const pid = sample.patientId;
      const P = `Patient/${pid}`;
      describe(`patient ${pid}`, () => {
        for (const c of casesFor(sample)) {
          test(c.name, async () => {
            if (c.nonEmpty) assert.ok(c.expected.length > 0, 'test data: the evaluator should find something');
            const query = c.query.replace(encodeURIComponent('{base}'), encodeURIComponent(server.fhirBase));
            const got = await collect(server, `${c.type}?${query}&_count=7`, 'system', c.type);
            assert.deepEqual(sorted(got.ids), sorted(c.expected));
          });
        }

        test('a patient context sees only its own records without a patient parameter', async () => {
          const got = await collect(server, 'Observation?category=vital-signs,laboratory,social-history,survey&_count=9', `p${pid}`);
          const expected = ALL.filter((r) => r.resourceType === 'Observation' && patientOf(r) === P && tokenMatch(r.category, 'vital-signs,laboratory,social-history,survey'));
          assert.ok(expected.length);
          assert.deepEqual(sorted(got.ids), sorted(expected.map((r) => r.id)));
          const all = await collect(server, 'Encounter?_lastUpdated=gt2000&_count=50', `p${pid}`);
          assert.deepEqual(sorted(all.ids), sorted(ALL.filter((r) => r.resourceType === 'Encounter' && patientOf(r) === P).map((r) => r.id)));
        });

        for (const [type, value] of [
          ['Observation', effective],
          ['Encounter', (r: Res) => r.period],
          ['Procedure', performed],
          ['DocumentReference', (r: Res) => r.date],
        ] as [string, (r: Res) => any][]) {
          for (const descending of [false, true]) {
            test(`${type}?patient=${pid}&_sort=${descending ? '-' : ''}date orders by date`, async () => {
              const got = await collect(server, `${type}?patient=${pid}&_sort=${descending ? '-' : ''}date&_count=7`, 'system', type);
              const expected = ALL.filter((r) => r.resourceType === type && patientOf(r) === P);
              assert.deepEqual(sorted(got.ids), sorted(expected.map((r) => r.id)));
              const keys = got.ids.map((id) => sortKey(value(BY_KEY.get(`${type}/${id}`)!), descending));
              for (let i = 1; i < keys.length; i++) {
                if (descending) assert.ok(keys[i] <= keys[i - 1], `out of order at ${i}: ${got.ids[i - 1]} then ${got.ids[i]}`);
                else assert.ok(keys[i] >= keys[i - 1], `out of order at ${i}: ${got.ids[i - 1]} then ${got.ids[i]}`);
              }
            });
          }
        }

        test('a zone offset sent with an unencoded + (read as a space) still means +', async () => {
          const encs = ALL.filter((r) => r.resourceType === 'Encounter' && patientOf(r) === P);
          const start: string = encs[Math.floor(encs.length / 2)].period.start;
          const shifted = new Date(dateRange(start)[0] + 3 * 3600000).toISOString().slice(0, 19) + '+03:00';
          for (const prefix of ['ge', 'lt', 'eq']) {
            const got = await collect(server, `Encounter?patient=${pid}&date=${prefix}${shifted}&_count=50`, 'system', 'Encounter');
            const expected = encs.filter((r) => dateMatch(r.period, `${prefix}${shifted}`)).map((r) => r.id);
            assert.deepEqual(sorted(got.ids), sorted(expected), prefix);
          }
        });

        test('_summary=count and _total=accurate give the expected count', async () => {
          const expected = ALL.filter((r) => r.resourceType === 'Observation' && patientOf(r) === P && tokenMatch(r.category, 'social-history,vital-signs'));
          const q = `Observation?patient=${pid}&category=social-history,vital-signs`;
          const count = await server.get(`${q}&_summary=count`, 'system');
          assert.equal(count.status, 200);
          assert.equal(count.body.total, expected.length);
          assert.equal((count.body.entry ?? []).length, 0);
          const total = await server.get(`${q}&_total=accurate&_count=3`, 'system');
          assert.equal(total.status, 200);
          assert.equal(total.body.total, expected.length);
          assert.equal(total.body.entry.length, Math.min(3, expected.length));
          const zero = await server.get(`${q}&_count=0`, 'system');
          assert.equal(zero.status, 200);
          assert.equal(zero.body.total, expected.length);
        });

        test('_include=MedicationRequest:medication adds exactly the referenced Medications', async () => {
          const got = await collect(server, `MedicationRequest?patient=${pid}&_include=MedicationRequest:medication&_count=7`, 'system', 'MedicationRequest');
          const expected = ALL.filter((r) => r.resourceType === 'MedicationRequest' && patientOf(r) === P);
          assert.deepEqual(sorted(got.ids), sorted(expected.map((r) => r.id)));
          for (const page of got.pages) {
            const matches: Res[] = (page.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource);
            const wanted: string[] = uniq<string>(matches.map((m) => ref(m.medicationReference)).filter((x: string | undefined): x is string => !!x && BY_KEY.has(x)));
            const included = (page.entry ?? []).filter((e: any) => e.search.mode === 'include').map((e: any) => key(e.resource));
            assert.deepEqual(sorted(included), sorted(wanted));
            for (const e of page.entry ?? []) if (e.search.mode === 'include') assert.deepEqual(stripMeta(e.resource), stripMeta(BY_KEY.get(key(e.resource))!));
          }
        });

        for (const q of [`Patient?_id=${pid}`, `Encounter?patient=${pid}`, `Observation?patient=${pid}&category=vital-signs`]) {
          test(`${q}&_revinclude=Provenance:target includes the Provenance on pages with its targets`, async () => {
            const got = await collect(server, `${q}&_revinclude=Provenance:target&_count=7`, 'system');
            assert.ok(got.ids.length > 0);
            for (const page of got.pages) {
              const matches = (page.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => key(e.resource));
              const wanted = ALL.filter((r) => r.resourceType === 'Provenance' && (r.target ?? []).some((t: any) => matches.includes(ref(t)!))).map(key);
              const included = (page.entry ?? []).filter((e: any) => e.search.mode === 'include').map((e: any) => key(e.resource));
              assert.deepEqual(sorted(included), sorted(wanted));
            }
            assert.ok(got.pages.some((p) => (p.entry ?? []).some((e: any) => e.resource.resourceType === 'Provenance' && e.search.mode === 'include')));
          });
        }

        test('POST Observation/_search with a form body gives the same result as GET', async () => {
          const form = `patient=${pid}&category=vital-signs,social-history&_count=7`;
          const viaGet = await collect(server, `Observation?${form}`, 'system');
          const res = await post(server, 'Observation/_search', form, 'system');
          assert.equal(res.status, 200);
          const firstIds = (res.body.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id);
          const next = (res.body.link ?? []).find((l: any) => l.relation === 'next');
          const rest = next ? await collect(server, next.url, 'system') : { ids: [] };
          const all = [...firstIds, ...rest.ids];
          assert.equal(new Set(all).size, all.length);
          assert.deepEqual(sorted(all), sorted(viaGet.ids));
          // Parameters split between the URL and the body.
          const mixed = await post(server, `Observation/_search?patient=${pid}`, 'category=vital-signs,social-history&_summary=count', 'system');
          assert.equal(mixed.status, 200);
          assert.equal(mixed.body.total, viaGet.ids.length);
        });

        test('Patient/$everything returns the whole compartment, shared resources as include', async () => {
          const got = await collect(server, `Patient/${pid}/$everything?_count=25`, `p${pid}`);
          const matchKeys: string[] = [];
          for (const page of got.pages) {
            const matches = (page.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource);
            matchKeys.push(...matches.map(key));
            const referenced = new Set<string>();
            const walk = (v: any) => {
              if (Array.isArray(v)) v.forEach(walk);
              else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === 'reference' && typeof x === 'string' ? referenced.add(x) : walk(x);
            };
            walk(matches);
            for (const e of page.entry ?? []) {
              if (e.search.mode !== 'include') continue;
              assert.ok(SHARED.has(e.resource.resourceType), `include of a non-shared ${key(e.resource)}`);
              assert.ok(referenced.has(key(e.resource)), `included ${key(e.resource)} is not referenced from the page`);
            }
          }
          assert.equal(new Set(matchKeys).size, matchKeys.length, 'a resource came twice');
          assert.deepEqual(sorted(matchKeys), sorted(compartment(pid).map(key)));
        });

        test('Patient/$everything under the other patient context is 404', async () => {
          const other = SAMPLES.find((s) => s !== sample)!;
          const res = await server.get(`Patient/${pid}/$everything`, `p${other.patientId}`);
          assert.equal(res.status, 404);
        });
      });
    }

    // Writes: keep these last, they change the data the searches above expect.
    describe('paging while data changes', () => {
      const pid = SAMPLES[0].patientId;
      const P = `Patient/${pid}`;
      const newObs = (id: string, date: string) => ({
        resourceType: 'Observation',
        id,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'social-history' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '72166-2' }] },
        subject: { reference: P },
        effectiveDateTime: date,
      });

      test('a resource written between pages: no duplicates, no gaps, the new one after', async () => {
        const q = `Observation?patient=${pid}&category=social-history&_count=5`;
        const original = ALL.filter((r) => r.resourceType === 'Observation' && patientOf(r) === P && tokenMatch(r.category, 'social-history')).map((r) => r.id);
        assert.ok(original.length > 5);
        const first = await server.get(q, 'system');
        assert.equal(first.status, 200);
        const ids = first.body.entry.map((e: any) => e.resource.id);
        await fx.store.writeResources([prepareWrite(defaultRegistry(), newObs('paging-new-1', '2001-01-01'))]);
        const next = first.body.link.find((l: any) => l.relation === 'next');
        const rest = await collect(server, next.url, 'system');
        const all = [...ids, ...rest.ids];
        assert.equal(new Set(all).size, all.length, 'duplicates across pages');
        assert.deepEqual(sorted(all), sorted([...original, 'paging-new-1']));
        assert.equal(all[all.length - 1], 'paging-new-1');
      });

      test('an update between pages does not move or duplicate a row (_sort=date)', async () => {
        const q = `Observation?patient=${pid}&category=social-history&_sort=date&_count=5`;
        const first = await server.get(q, 'system');
        assert.equal(first.status, 200);
        const ids: string[] = first.body.entry.map((e: any) => e.resource.id);
        const before = (await collect(server, q, 'system')).ids;
        // A new row that sorts before the cursor: it must not appear later nor shift rows.
        await fx.store.writeResources([prepareWrite(defaultRegistry(), newObs('paging-new-2', '1800-01-01'))]);
        const next = first.body.link.find((l: any) => l.relation === 'next');
        const rest = await collect(server, next.url, 'system');
        const all = [...ids, ...rest.ids];
        assert.equal(new Set(all).size, all.length, 'duplicates across pages');
        assert.deepEqual(all, before, 'the pages after the cursor are the ones the original search had');
      });
    });
  });
}
