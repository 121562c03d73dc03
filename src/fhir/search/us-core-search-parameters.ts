/**
 * US Core 6.1.0 search parameters that base FHIR R4 does not already provide.
 *
 * The search engine's registry is the base R4 SearchParameter bundle (loaded elsewhere) plus the
 * entries below. Every US Core 6.1.0 SearchParameter was compared with the base R4 parameter of the
 * same `code` for the same resource type (the base expression split on ' | ' and reduced to the parts
 * for that resource type):
 *
 * - Most are identical to base R4 (same type, same expression, same targets) and are NOT repeated here.
 *   Those only differing in whitespace around '|' (Condition onset-date / abatement-date,
 *   Location name, Organization name) count as identical.
 * - The `_id` parameters US Core defines per resource (`DocumentReference.id`, `Patient.id`, …) are the
 *   base R4 `Resource.id` token parameter and are likewise not repeated.
 * - The entries below have no base R4 equivalent for their resource type.
 *
 * Facts (code, base, type, expression, target) follow the US Core 6.1.0 specification; the
 * descriptions are our own. This file is the runtime source: nothing here reads the package.
 */

export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'composite'
  | 'quantity'
  | 'uri'
  | 'special';

export interface SearchParameterDefinition {
  /** Canonical URL, e.g. http://hl7.org/fhir/us/core/SearchParameter/us-core-race */
  url: string;
  /** The name used in queries, e.g. 'race'. */
  code: string;
  /** Resource types the parameter applies to. */
  base: string[];
  type: SearchParamType;
  /** FHIRPath expression selecting the indexed values. */
  expression: string;
  /** Allowed target resource types (reference parameters only). */
  target?: string[];
  /** One short line of our own words. */
  description: string;
}

const US_CORE_SP = 'http://hl7.org/fhir/us/core/SearchParameter/';

/** US Core 6.1.0 SearchParameters that are not in base R4, or whose expression differs from base R4 for a US Core resource. */
export const US_CORE_SEARCH_PARAMETERS: readonly SearchParameterDefinition[] = Object.freeze([
  {
    // R4 has no CareTeam `role` (it arrived in R5).
    url: `${US_CORE_SP}us-core-careteam-role`,
    code: 'role',
    base: ['CareTeam'],
    type: 'token',
    expression: 'CareTeam.participant.role',
    description: 'Care teams having a participant with the given role code.',
  },
  {
    // Condition's asserted date lives in the core extension condition-assertedDate.
    url: `${US_CORE_SP}us-core-condition-asserted-date`,
    code: 'asserted-date',
    base: ['Condition'],
    type: 'date',
    expression:
      "Condition.extension.where(url = 'http://hl7.org/fhir/StructureDefinition/condition-assertedDate').valueDateTime",
    description: 'Conditions whose assertedDate extension matches the given date.',
  },
  {
    url: `${US_CORE_SP}us-core-encounter-discharge-disposition`,
    code: 'discharge-disposition',
    base: ['Encounter'],
    type: 'token',
    expression: 'Encounter.hospitalization.dischargeDisposition',
    description: 'Encounters with the given discharge disposition code.',
  },
  {
    url: `${US_CORE_SP}us-core-ethnicity`,
    code: 'ethnicity',
    base: ['Patient'],
    type: 'token',
    expression:
      "Patient.extension.where(url = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity').extension.value.code",
    description: 'Patients whose US Core ethnicity extension carries the given code.',
  },
  {
    // R4 has no Goal `description` parameter.
    url: `${US_CORE_SP}us-core-goal-description`,
    code: 'description',
    base: ['Goal'],
    type: 'token',
    expression: 'Goal.description',
    description: 'Goals whose description has the given code.',
  },
  {
    url: `${US_CORE_SP}us-core-patient-gender-identity`,
    code: 'gender-identity',
    base: ['Patient'],
    type: 'token',
    expression:
      "Patient.extension.where(url='http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity').value.coding.code",
    description: 'Patients whose US Core gender identity extension carries the given code.',
  },
  {
    url: `${US_CORE_SP}us-core-race`,
    code: 'race',
    base: ['Patient'],
    type: 'token',
    expression:
      "Patient.extension.where(url = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race').extension.value.code",
    description: 'Patients whose US Core race extension carries the given code.',
  },
] satisfies SearchParameterDefinition[]);
