/**
 * Structural validation against the R4 JSON schema: wrong JSON types, bad codes, unknown elements, and
 * resources inside resources (`contained`, `Bundle.entry.resource`, `Parameters.parameter.resource`),
 * which are checked against their own type with paths that lead to the bad element.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isResourceType, validateStructure, type StructureIssue } from '../../src/fhir/validate.js';

const errors = (issues: StructureIssue[]) => issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);

const medication = { resourceType: 'Medication', id: 'm1', code: { text: 'Amoxicillin 250 mg' } };
const observation = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/p1' },
  ...extra,
});

describe('validateStructure', () => {
  test('a valid resource has no issues; a non-object, a missing or unknown type is an error', () => {
    assert.deepEqual(validateStructure(observation()), []);
    assert.deepEqual(errors(validateStructure([])), [': is not a JSON object']);
    assert.deepEqual(errors(validateStructure({ id: 'x' })), ['resourceType: is missing']);
    assert.deepEqual(errors(validateStructure({ resourceType: 'Banana' })), ["resourceType: 'Banana' is not a FHIR R4 resource type"]);
    assert.equal(isResourceType('Observation'), true);
    assert.equal(isResourceType('Banana'), false);
  });

  test('wrong JSON types, bad codes and unknown elements are named by path', () => {
    const issues = validateStructure(observation({ status: 'done', subject: 7, valueQuantity: { value: '98.6' }, colour: 'red' }));
    assert.deepEqual(errors(issues).sort(), [
      'Observation.status: must be one of registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown',
      'Observation.subject: must be object',
      'Observation.valueQuantity.value: must be number',
    ]);
    assert.deepEqual(
      issues.filter((i) => i.severity === 'warning').map((i) => `${i.path}: ${i.message}`),
      ["Observation: has unknown element 'colour'"],
    );
  });

  test('contained resources are checked against their own type', () => {
    assert.deepEqual(validateStructure(observation({ contained: [medication] })), []);
    const issues = validateStructure(
      observation({
        contained: [
          medication,
          { ...medication, id: 'm2', code: 'amoxicillin' },
          { resourceType: 'Banana', id: 'b' },
          { id: 'no-type' },
          'not a resource',
          { ...observation(), id: 'o2', contained: [{ ...medication, id: 'm3', amount: 5 }] },
        ],
      }),
    );
    assert.deepEqual(errors(issues).sort(), [
      'Observation.contained[1].code: must be object',
      "Observation.contained[2].resourceType: 'Banana' is not a FHIR R4 resource type",
      'Observation.contained[3].resourceType: is missing',
      'Observation.contained[4]: must be object',
      'Observation.contained[5].contained[0].amount: must be object',
    ]);
  });

  test('Bundle entries and Parameters resources are checked against their own type', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: observation() }, { resource: observation({ status: 7 }) }, { resource: { resourceType: 'Nope' } }],
    };
    assert.deepEqual(errors(validateStructure(bundle)).sort(), [
      'Bundle.entry[1].resource.status: must be one of registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown',
      "Bundle.entry[2].resource.resourceType: 'Nope' is not a FHIR R4 resource type",
    ]);
    const parameters = { resourceType: 'Parameters', parameter: [{ name: 'x', resource: { ...medication, code: [] } }] };
    assert.deepEqual(errors(validateStructure(parameters)), ['Parameters.parameter[0].resource.code: must be object']);
  });

  test('a resource of one type contained in another of the same type validates each on its own', () => {
    const outer = observation({ contained: [observation({ id: 'inner', status: 'bogus' })], status: 'final' });
    assert.deepEqual(errors(validateStructure(outer)), [
      'Observation.contained[0].status: must be one of registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown',
    ]);
    // The same validator ran for both: its state from the inner call must not leak into the next call.
    assert.deepEqual(validateStructure(observation()), []);
  });
});
