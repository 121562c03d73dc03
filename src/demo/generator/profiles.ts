/**
 * @module profiles
 * US Core 6.1.0 profile canonicals stamped into meta.profile of each generated resource.
 */

const BASE = 'http://hl7.org/fhir/us/core/StructureDefinition/';

/** Canonical URL of each US Core profile the generator emits. */
export const PROFILE = {
  patient: BASE + 'us-core-patient',
  encounter: BASE + 'us-core-encounter',
  bloodPressure: BASE + 'us-core-blood-pressure',
  heartRate: BASE + 'us-core-heart-rate',
  respiratoryRate: BASE + 'us-core-respiratory-rate',
  bodyTemperature: BASE + 'us-core-body-temperature',
  bodyWeight: BASE + 'us-core-body-weight',
  bodyHeight: BASE + 'us-core-body-height',
  bmi: BASE + 'us-core-bmi',
  pulseOximetry: BASE + 'us-core-pulse-oximetry',
  headCircumference: BASE + 'us-core-head-circumference',
  pediatricBmi: 'http://hl7.org/fhir/us/core/StructureDefinition/pediatric-bmi-for-age',
  observationLab: BASE + 'us-core-observation-lab',
  smokingStatus: BASE + 'us-core-smokingstatus',
  diagnosticReportLab: BASE + 'us-core-diagnosticreport-lab',
  conditionProblem: BASE + 'us-core-condition-problems-health-concerns',
  conditionEncounter: BASE + 'us-core-condition-encounter-diagnosis',
  medicationRequest: BASE + 'us-core-medicationrequest',
  medication: BASE + 'us-core-medication',
  immunization: BASE + 'us-core-immunization',
  allergy: BASE + 'us-core-allergyintolerance',
  procedure: BASE + 'us-core-procedure',
  documentReference: BASE + 'us-core-documentreference',
  careTeam: BASE + 'us-core-careteam',
  goal: BASE + 'us-core-goal',
  carePlan: BASE + 'us-core-careplan',
  coverage: BASE + 'us-core-coverage',
  provenance: BASE + 'us-core-provenance',
  organization: BASE + 'us-core-organization',
  practitioner: BASE + 'us-core-practitioner',
  practitionerRole: BASE + 'us-core-practitionerrole',
  location: BASE + 'us-core-location',
  race: BASE + 'us-core-race',
  ethnicity: BASE + 'us-core-ethnicity',
  birthSex: BASE + 'us-core-birthsex',
} as const;

/** A meta element naming one profile (no versionId/lastUpdated: the server assigns those). */
export function metaFor(profile: string): { profile: string[] } {
  return { profile: [profile] };
}
