/**
 * Search expressions compiled to property walks: which forms are walks, that every parameter this server
 * indexes is one (so no process loads the general FHIRPath evaluator), and that each walk selects exactly
 * what the `fhirpath` library selects from real resources (the US Core examples, the sample bundles and
 * the demo practice).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileExpression } from '../../src/fhir/search/paths.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { demoPracticeResources } from '../../src/demo/practice/index.js';

const registry = defaultRegistry();
const SHARED = fileURLToPath(new URL('../../../shared/fhir/', import.meta.url));
type Resource = Record<string, unknown> & { resourceType: string };

/** Every resource at hand, contained and bundled ones included. */
function exampleResources(): Resource[] {
  const out: Resource[] = [];
  const add = (r: Resource) => {
    out.push(r);
    for (const c of (r.contained as Resource[] | undefined) ?? []) add(c);
    for (const e of (r.entry as { resource?: Resource }[] | undefined) ?? []) if (e.resource) add(e.resource);
  };
  const examples = `${SHARED}us-core-6.1.0/examples/`;
  for (const f of readdirSync(examples).filter((f) => f.endsWith('.json'))) add(JSON.parse(readFileSync(examples + f, 'utf8')));
  for (const f of ['uscore_bundle_patient_85.json', 'uscore_bundle_patient_355.json']) add(JSON.parse(readFileSync(`${SHARED}samples/${f}`, 'utf8')));
  for (const r of demoPracticeResources()) add(r as unknown as Resource);
  return out;
}

describe('search expressions as property walks', () => {
  const walk = (expression: string, type: string) => compileExpression(expression, type);

  test('paths, choice types in each spelling, parentheses, extension urls and reference types are walks', () => {
    const obs = { resourceType: 'Observation', effectiveDateTime: '2024-01-02', valueQuantity: { value: 1 }, subject: { reference: 'Patient/p' } };
    assert.deepEqual(walk('(Observation.effective as dateTime)', 'Observation').extract(obs), ['2024-01-02']);
    assert.deepEqual(walk('Observation.value.ofType(Quantity)', 'Observation').extract(obs), [{ value: 1 }]);
    assert.deepEqual(walk('Observation.value.as(Quantity)', 'Observation').extract(obs), [{ value: 1 }]);
    assert.deepEqual(walk('Observation.effective', 'Observation').extract(obs), ['2024-01-02'], 'a choice named without its type');
    const subject = walk('Observation.subject.where(resolve() is Patient)', 'Observation');
    assert.equal(subject.direct, true);
    assert.deepEqual(subject.referenceTypes, ['Patient']);

    const condition = {
      resourceType: 'Condition',
      onsetPeriod: { start: '2020' },
      extension: [
        { url: 'http://example.org/a', valueDateTime: '2021' },
        { url: 'http://example.org/b', valueDateTime: '2022' },
        { url: 'http://example.org/a', valueString: 'not a date' },
      ],
    };
    const onset = walk('Condition.onset.as(dateTime) | Condition.onset.as(Period)', 'Condition');
    assert.equal(onset.direct, true);
    assert.deepEqual(onset.extract(condition), [{ start: '2020' }]);
    const asserted = walk("Condition.extension.where(url = 'http://example.org/a').valueDateTime", 'Condition');
    assert.equal(asserted.direct, true);
    assert.deepEqual(asserted.extract(condition), ['2021']);
  });

  test('anything more than a path goes to the general evaluator, which selects the same as it always did', () => {
    const patient = {
      resourceType: 'Patient',
      name: [{ use: 'official', family: 'Smith' }, { use: 'nickname', family: 'Smitty' }],
      maritalStatus: { text: 'Married' },
    };
    for (const [expression, expected] of [
      ["Patient.name.where(use = 'official').family", ['Smith']],
      ['Patient.name.first().family', ['Smith']],
      ['Patient.name[1].family', ['Smitty']],
      ['Patient.name.family.where(resolve() is Patient).given', []],
      // Read as a walk, `as` would look for `maritalStatusCodeableConcept` and find nothing.
      ['(Patient.maritalStatus as CodeableConcept).text', ['Married']],
      ['(Patient.name.family', undefined], // not FHIRPath at all: the library says so
      ["Patient.name.where(url = 'x').as(HumanName)", []],
    ] as const) {
      if (!expected) {
        assert.throws(() => walk(expression, 'Patient'), /missing '\)'/, expression);
        continue;
      }
      const compiled = walk(expression, 'Patient');
      assert.equal(compiled.direct, false, expression);
      assert.deepEqual(compiled.extract(patient), expected, expression);
    }
  });

  test('every parameter this server indexes is a walk, so importing and serving never load the general evaluator', () => {
    let checked = 0;
    for (const type of registry.types()) {
      for (const p of registry.indexed(type)) {
        assert.equal(walk(p.expression, type).direct, true, `${type}.${p.code}: ${p.expression}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} parameters checked`);
    // In a fresh process: build the registry and index every example; the library must stay unloaded.
    const script = `
      import { createRequire } from 'node:module';
      import { defaultRegistry } from './src/fhir/search/registry.ts';
      import { extractIndexes } from './src/fhir/search/extract.ts';
      import { demoPracticeResources } from './src/demo/practice/index.ts';
      const registry = defaultRegistry();
      let rows = 0;
      for (const r of demoPracticeResources()) rows += extractIndexes(registry, r).indexes.tokens.length;
      const require = createRequire(import.meta.url);
      console.log(JSON.stringify({ rows, loaded: Object.keys(require.cache).filter((k) => k.includes('/node_modules/fhirpath/')).length }));
    `;
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
    assert.ok(out.rows > 100, 'the demo practice was indexed');
    assert.equal(out.loaded, 0, 'no module of the fhirpath library was loaded');
  });

  test('each walk selects exactly what the FHIRPath library selects, on every example resource of its type', () => {
    const require = createRequire(import.meta.url);
    const fhirpath = require('fhirpath') as { compile(e: string, m: unknown): (r: unknown) => unknown[] };
    const r4 = require('fhirpath/fhir-context/r4') as unknown;
    const byType = new Map<string, Resource[]>();
    for (const r of exampleResources()) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
    let compared = 0;
    let nonEmpty = 0;
    for (const type of registry.types()) {
      const codes = new Set([...registry.capability(type)!.searchParams.map((p) => p.name), ...registry.indexed(type).map((p) => p.code)]);
      for (const code of codes) {
        const p = registry.get(type, code);
        if (!p) continue;
        const compiled = walk(p.expression, type);
        if (!compiled.direct) continue;
        const reference = fhirpath.compile(p.expression.replace(/\.where\(resolve\(\) is [A-Z][A-Za-z]+\)/g, ''), r4);
        for (const r of byType.get(type) ?? []) {
          const expected = JSON.parse(JSON.stringify(reference(r)));
          assert.deepEqual(compiled.extract(r), expected, `${type}.${code} (${p.expression}) on ${type}/${String(r.id)}`);
          compared++;
          if (expected.length) nonEmpty++;
        }
      }
    }
    assert.ok(compared > 1000 && nonEmpty > 500, `${compared} comparisons, ${nonEmpty} with values`);
  });
});
