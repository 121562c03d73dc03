/**
 * The US Core 6.1.0 server CapabilityStatement
 * (http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server) as plain TypeScript data, plus
 * `Person` (our addition: the signed-in account's `fhirUser` is readable).
 *
 * Expectations come from the `capabilitystatement-expectation` extensions on each resource, search
 * parameter, interaction, operation and `capabilitystatement-search-parameter-combination` extension.
 * Order follows the CapabilityStatement. Our CapabilityStatement (`/metadata`) is generated from this
 * and from the search parameter registry; nothing here reads the US Core package at run time.
 *
 * Not captured (all uniform in US Core 6.1.0): every supportedProfile is SHALL, every referencePolicy
 * (`resolves`) is SHOULD, every searchInclude is SHOULD, and every searchRevInclude
 * (`Provenance:target`) is SHALL except QuestionnaireResponse's, which is SHOULD.
 */
import type { SearchParamType } from './us-core-search-parameters.js';

export type Expectation = 'SHALL' | 'SHOULD' | 'MAY';

export type InteractionCode =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'history-type'
  | 'create'
  | 'search-type';

export interface SearchParamCapability {
  name: string;
  type: SearchParamType;
  /** Canonical URL of the SearchParameter. */
  definition: string;
  expectation: Expectation;
}

export interface ResourceCapability {
  type: string;
  /** Resource-level conformance expectation. */
  expectation: Expectation;
  /** supportedProfile canonicals. */
  profiles: string[];
  /** Expectation of each RESTful interaction the CapabilityStatement lists for the type. */
  interactions: Partial<Record<InteractionCode, Expectation>>;
  searchParams: SearchParamCapability[];
  /** Search parameter combinations (all parameters required). */
  combinations: { params: string[]; expectation: Expectation }[];
  /** e.g. 'MedicationRequest:medication' */
  searchInclude: string[];
  /** e.g. 'Provenance:target' */
  searchRevInclude: string[];
  /** Operations the CapabilityStatement lists for the type (DocumentReference $docref, ValueSet $expand). */
  operations?: { name: string; definition: string; expectation: Expectation }[];
}

export const US_CORE_SERVER_CAPABILITY_STATEMENT_URL = 'http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server';

/** System-level interactions of the US Core server CapabilityStatement (all MAY). */
export const US_CORE_SERVER_SYSTEM_INTERACTIONS: readonly { code: string; expectation: Expectation }[] = [
  { code: 'transaction', expectation: 'MAY' },
  { code: 'batch', expectation: 'MAY' },
  { code: 'search-system', expectation: 'MAY' },
  { code: 'history-system', expectation: 'MAY' },
];

const US_CORE_SD = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const US_CORE_SP = 'http://hl7.org/fhir/us/core/SearchParameter/';

/** A US Core search parameter entry; `id` is the SearchParameter id under US_CORE_SP. */
function sp(name: string, type: SearchParamType, id: string, expectation: Expectation): SearchParamCapability {
  return { name, type, definition: US_CORE_SP + id, expectation };
}

export const US_CORE_SERVER_CAPABILITIES: readonly ResourceCapability[] = [
  {
    type: 'AllergyIntolerance',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-allergyintolerance`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('clinical-status', 'token', 'us-core-allergyintolerance-clinical-status', 'MAY'),
      sp('patient', 'reference', 'us-core-allergyintolerance-patient', 'SHALL'),
    ],
    combinations: [
      { params: ['patient', 'clinical-status'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'CarePlan',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-careplan`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('category', 'token', 'us-core-careplan-category', 'MAY'),
      sp('date', 'date', 'us-core-careplan-date', 'MAY'),
      sp('patient', 'reference', 'us-core-careplan-patient', 'MAY'),
      sp('status', 'token', 'us-core-careplan-status', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'category', 'status'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'status', 'date'], expectation: 'SHOULD' },
      { params: ['patient', 'category'], expectation: 'SHALL' },
      { params: ['patient', 'category', 'date'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'CareTeam',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-careteam`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('patient', 'reference', 'us-core-careteam-patient', 'MAY'),
      sp('status', 'token', 'us-core-careteam-status', 'MAY'),
      sp('role', 'token', 'us-core-careteam-role', 'SHOULD'),
    ],
    combinations: [
      { params: ['patient', 'status'], expectation: 'SHALL' },
      { params: ['patient', 'role'], expectation: 'SHOULD' },
    ],
    searchInclude: [
      'CareTeam:participant:PractitionerRole',
      'CareTeam:participant:Practitioner',
      'CareTeam:participant:Patient',
      'CareTeam:participant:RelatedPerson',
    ],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Condition',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-condition-encounter-diagnosis`,
      `${US_CORE_SD}us-core-condition-problems-health-concerns`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('category', 'token', 'us-core-condition-category', 'MAY'),
      sp('clinical-status', 'token', 'us-core-condition-clinical-status', 'MAY'),
      sp('patient', 'reference', 'us-core-condition-patient', 'SHALL'),
      sp('onset-date', 'date', 'us-core-condition-onset-date', 'MAY'),
      sp('asserted-date', 'date', 'us-core-condition-asserted-date', 'MAY'),
      sp('recorded-date', 'date', 'us-core-condition-recorded-date', 'MAY'),
      sp('abatement-date', 'date', 'us-core-condition-abatement-date', 'MAY'),
      sp('code', 'token', 'us-core-condition-code', 'MAY'),
      sp('encounter', 'reference', 'us-core-condition-encounter', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'recorded-date'], expectation: 'SHOULD' },
      { params: ['patient', 'asserted-date'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'clinical-status'], expectation: 'SHOULD' },
      { params: ['patient', 'onset-date'], expectation: 'SHOULD' },
      { params: ['patient', 'abatement-date'], expectation: 'SHOULD' },
      { params: ['patient', 'clinical-status'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'encounter'], expectation: 'SHOULD' },
      { params: ['patient', 'code'], expectation: 'SHOULD' },
      { params: ['patient', 'category'], expectation: 'SHALL' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Coverage',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-coverage`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('patient', 'reference', 'us-core-coverage-patient', 'SHALL'),
    ],
    combinations: [],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Device',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-implantable-device`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('patient', 'reference', 'us-core-device-patient', 'SHALL'),
      sp('type', 'token', 'us-core-device-type', 'MAY'),
      sp('status', 'token', 'us-core-device-status', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'type'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'DiagnosticReport',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-diagnosticreport-note`,
      `${US_CORE_SD}us-core-diagnosticreport-lab`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'SHALL', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('status', 'token', 'us-core-diagnosticreport-status', 'MAY'),
      sp('patient', 'reference', 'us-core-diagnosticreport-patient', 'SHALL'),
      sp('category', 'token', 'us-core-diagnosticreport-category', 'MAY'),
      sp('code', 'token', 'us-core-diagnosticreport-code', 'MAY'),
      sp('date', 'date', 'us-core-diagnosticreport-date', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'code', 'date'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'date'], expectation: 'SHALL' },
      { params: ['patient', 'category'], expectation: 'SHALL' },
      { params: ['patient', 'code'], expectation: 'SHALL' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'DocumentReference',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-documentreference`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'SHALL', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-documentreference-id', 'SHALL'),
      sp('status', 'token', 'us-core-documentreference-status', 'MAY'),
      sp('patient', 'reference', 'us-core-documentreference-patient', 'SHALL'),
      sp('category', 'token', 'us-core-documentreference-category', 'MAY'),
      sp('type', 'token', 'us-core-documentreference-type', 'MAY'),
      sp('date', 'date', 'us-core-documentreference-date', 'MAY'),
      sp('period', 'date', 'us-core-documentreference-period', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'type'], expectation: 'SHALL' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
      { params: ['patient', 'type', 'period'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'date'], expectation: 'SHALL' },
      { params: ['patient', 'category'], expectation: 'SHALL' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
    operations: [
      { name: 'docref', definition: 'http://hl7.org/fhir/us/core/OperationDefinition/docref', expectation: 'SHALL' },
    ],
  },
  {
    type: 'Encounter',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-encounter`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-encounter-id', 'SHALL'),
      sp('class', 'token', 'us-core-encounter-class', 'MAY'),
      sp('date', 'date', 'us-core-encounter-date', 'MAY'),
      sp('identifier', 'token', 'us-core-encounter-identifier', 'SHOULD'),
      sp('patient', 'reference', 'us-core-encounter-patient', 'SHALL'),
      sp('location', 'reference', 'us-core-encounter-location', 'MAY'),
      sp('status', 'token', 'us-core-encounter-status', 'MAY'),
      sp('type', 'token', 'us-core-encounter-type', 'MAY'),
      sp('discharge-disposition', 'token', 'us-core-encounter-discharge-disposition', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'type'], expectation: 'SHOULD' },
      { params: ['class', 'patient'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
      { params: ['date', 'patient'], expectation: 'SHALL' },
      { params: ['patient', 'location'], expectation: 'SHOULD' },
      { params: ['patient', 'discharge-disposition'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Endpoint',
    expectation: 'SHALL',
    profiles: [],
    interactions: {
      read: 'SHOULD', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'MAY',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'Goal',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-goal`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('lifecycle-status', 'token', 'us-core-goal-lifecycle-status', 'MAY'),
      sp('patient', 'reference', 'us-core-goal-patient', 'SHALL'),
      sp('target-date', 'date', 'us-core-goal-target-date', 'MAY'),
      sp('description', 'token', 'us-core-goal-description', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'target-date'], expectation: 'SHOULD' },
      { params: ['patient', 'description'], expectation: 'SHOULD' },
      { params: ['patient', 'lifecycle-status'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'HealthcareService',
    expectation: 'MAY',
    profiles: [],
    interactions: {
      read: 'SHOULD', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'MAY',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'Immunization',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-immunization`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('patient', 'reference', 'us-core-immunization-patient', 'SHALL'),
      sp('status', 'token', 'us-core-immunization-status', 'MAY'),
      sp('date', 'date', 'us-core-immunization-date', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'date'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Location',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-location`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('name', 'string', 'us-core-location-name', 'SHALL'),
      sp('address', 'string', 'us-core-location-address', 'SHALL'),
      sp('address-city', 'string', 'us-core-location-address-city', 'SHOULD'),
      sp('address-state', 'string', 'us-core-location-address-state', 'SHOULD'),
      sp('address-postalcode', 'string', 'us-core-location-address-postalcode', 'SHOULD'),
    ],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'Media',
    expectation: 'SHALL',
    profiles: [],
    interactions: {
      read: 'SHOULD', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'MAY',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'Medication',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-medication`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'MedicationDispense',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-medicationdispense`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('status', 'token', 'us-core-medicationdispense-status', 'MAY'),
      sp('type', 'token', 'us-core-medicationdispense-type', 'MAY'),
      sp('patient', 'reference', 'us-core-medicationdispense-patient', 'SHALL'),
    ],
    combinations: [
      { params: ['patient', 'status', 'type'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
    ],
    searchInclude: ['MedicationDispense:medication'],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'MedicationRequest',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-medicationrequest`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('status', 'token', 'us-core-medicationrequest-status', 'MAY'),
      sp('intent', 'token', 'us-core-medicationrequest-intent', 'MAY'),
      sp('patient', 'reference', 'us-core-medicationrequest-patient', 'MAY'),
      sp('encounter', 'reference', 'us-core-medicationrequest-encounter', 'MAY'),
      sp('authoredon', 'date', 'us-core-medicationrequest-authoredon', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'intent', 'encounter'], expectation: 'SHOULD' },
      { params: ['patient', 'intent', 'status'], expectation: 'SHALL' },
      { params: ['patient', 'intent', 'authoredon'], expectation: 'SHOULD' },
      { params: ['patient', 'intent'], expectation: 'SHALL' },
    ],
    searchInclude: ['MedicationRequest:medication'],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Observation',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-observation-lab`,
      `${US_CORE_SD}us-core-observation-pregnancystatus`,
      `${US_CORE_SD}us-core-observation-pregnancyintent`,
      `${US_CORE_SD}us-core-observation-occupation`,
      `${US_CORE_SD}us-core-respiratory-rate`,
      `${US_CORE_SD}us-core-simple-observation`,
      `${US_CORE_SD}us-core-heart-rate`,
      `${US_CORE_SD}us-core-body-temperature`,
      `${US_CORE_SD}pediatric-weight-for-height`,
      `${US_CORE_SD}us-core-pulse-oximetry`,
      `${US_CORE_SD}us-core-smokingstatus`,
      `${US_CORE_SD}us-core-observation-sexual-orientation`,
      `${US_CORE_SD}us-core-head-circumference`,
      `${US_CORE_SD}us-core-body-height`,
      `${US_CORE_SD}us-core-bmi`,
      `${US_CORE_SD}us-core-observation-screening-assessment`,
      `${US_CORE_SD}us-core-blood-pressure`,
      `${US_CORE_SD}us-core-observation-clinical-result`,
      `${US_CORE_SD}pediatric-bmi-for-age`,
      `${US_CORE_SD}head-occipital-frontal-circumference-percentile`,
      `${US_CORE_SD}us-core-body-weight`,
      `${US_CORE_SD}us-core-vital-signs`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('status', 'token', 'us-core-observation-status', 'MAY'),
      sp('category', 'token', 'us-core-observation-category', 'MAY'),
      sp('code', 'token', 'us-core-observation-code', 'MAY'),
      sp('date', 'date', 'us-core-observation-date', 'MAY'),
      sp('patient', 'reference', 'us-core-observation-patient', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'code', 'date'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'status'], expectation: 'SHOULD' },
      { params: ['patient', 'category', 'date'], expectation: 'SHALL' },
      { params: ['patient', 'category'], expectation: 'SHALL' },
      { params: ['patient', 'code'], expectation: 'SHALL' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Organization',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-organization`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('name', 'string', 'us-core-organization-name', 'SHALL'),
      sp('address', 'string', 'us-core-organization-address', 'SHALL'),
    ],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'Patient',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-patient`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-patient-id', 'SHALL'),
      sp('birthdate', 'date', 'us-core-patient-birthdate', 'MAY'),
      sp('death-date', 'date', 'us-core-patient-death-date', 'MAY'),
      sp('family', 'string', 'us-core-patient-family', 'MAY'),
      sp('gender', 'token', 'us-core-patient-gender', 'MAY'),
      sp('given', 'string', 'us-core-patient-given', 'MAY'),
      sp('identifier', 'token', 'us-core-patient-identifier', 'SHALL'),
      sp('name', 'string', 'us-core-patient-name', 'SHALL'),
    ],
    combinations: [
      { params: ['birthdate', 'family'], expectation: 'SHOULD' },
      { params: ['family', 'gender'], expectation: 'SHOULD' },
      { params: ['birthdate', 'name'], expectation: 'SHALL' },
      { params: ['gender', 'name'], expectation: 'SHALL' },
      { params: ['death-date', 'family'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Practitioner',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-practitioner`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-practitioner-id', 'SHOULD'),
      sp('name', 'string', 'us-core-practitioner-name', 'SHALL'),
      sp('identifier', 'token', 'us-core-practitioner-identifier', 'SHALL'),
    ],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'PractitionerRole',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-practitionerrole`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('specialty', 'token', 'us-core-practitionerrole-specialty', 'SHALL'),
      sp('practitioner', 'reference', 'us-core-practitionerrole-practitioner', 'SHALL'),
    ],
    combinations: [],
    searchInclude: ['PractitionerRole:endpoint', 'PractitionerRole:practitioner'],
    searchRevInclude: [],
  },
  {
    type: 'Procedure',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-procedure`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('status', 'token', 'us-core-procedure-status', 'MAY'),
      sp('patient', 'reference', 'us-core-procedure-patient', 'SHALL'),
      sp('date', 'date', 'us-core-procedure-date', 'MAY'),
      sp('code', 'token', 'us-core-procedure-code', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'code', 'date'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
      { params: ['patient', 'date'], expectation: 'SHALL' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Provenance',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-provenance`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'Questionnaire',
    expectation: 'SHOULD',
    profiles: [
      `http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire`,
    ],
    interactions: {
      read: 'SHOULD', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'MAY',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'QuestionnaireResponse',
    expectation: 'SHOULD',
    profiles: [
      `${US_CORE_SD}us-core-questionnaireresponse`,
    ],
    interactions: {
      read: 'SHOULD', vread: 'SHOULD', 'search-type': 'SHOULD', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-questionnaireresponse-id', 'SHALL'),
      sp('patient', 'reference', 'us-core-questionnaireresponse-patient', 'SHALL'),
      sp('status', 'token', 'us-core-questionnaireresponse-status', 'MAY'),
      sp('authored', 'date', 'us-core-questionnaireresponse-authored', 'MAY'),
      sp('questionnaire', 'reference', 'us-core-questionnaireresponse-questionnaire', 'MAY'),
    ],
    combinations: [
      { params: ['patient', 'questionnaire'], expectation: 'SHOULD' },
      { params: ['patient', 'authored'], expectation: 'SHOULD' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'RelatedPerson',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-relatedperson`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'SHALL', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-relatedperson-id', 'SHALL'),
      sp('patient', 'reference', 'us-core-relatedperson-patient', 'SHOULD'),
      sp('name', 'string', 'us-core-relatedperson-name', 'SHOULD'),
    ],
    combinations: [
      { params: ['patient', 'name'], expectation: 'SHOULD' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'ServiceRequest',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-servicerequest`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('status', 'token', 'us-core-servicerequest-status', 'MAY'),
      sp('patient', 'reference', 'us-core-servicerequest-patient', 'SHALL'),
      sp('category', 'token', 'us-core-servicerequest-category', 'MAY'),
      sp('code', 'token', 'us-core-servicerequest-code', 'MAY'),
      sp('authored', 'date', 'us-core-servicerequest-authored', 'MAY'),
      sp('_id', 'token', 'us-core-servicerequest-id', 'SHALL'),
    ],
    combinations: [
      { params: ['patient', 'category', 'authored'], expectation: 'SHALL' },
      { params: ['patient', 'status'], expectation: 'SHOULD' },
      { params: ['patient', 'category'], expectation: 'SHALL' },
      { params: ['patient', 'code', 'authored'], expectation: 'SHOULD' },
      { params: ['patient', 'code'], expectation: 'SHALL' },
    ],
    searchInclude: [],
    searchRevInclude: ['Provenance:target'],
  },
  {
    type: 'Specimen',
    expectation: 'SHALL',
    profiles: [
      `${US_CORE_SD}us-core-specimen`,
    ],
    interactions: {
      read: 'SHALL', vread: 'SHOULD', 'search-type': 'MAY', 'history-instance': 'SHOULD',
      create: 'MAY', update: 'MAY', patch: 'MAY', delete: 'MAY', 'history-type': 'MAY',
    },
    searchParams: [
      sp('_id', 'token', 'us-core-specimen-id', 'SHALL'),
      sp('patient', 'reference', 'us-core-specimen-patient', 'SHOULD'),
    ],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
  {
    type: 'ValueSet',
    expectation: 'SHOULD',
    profiles: [],
    interactions: {},
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
    operations: [
      { name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand', expectation: 'SHOULD' },
    ],
  },
  {
    // Our addition, not part of US Core: the signed-in account (`fhirUser`) is readable with its token.
    type: 'Person',
    expectation: 'MAY',
    profiles: [],
    interactions: { read: 'SHALL' },
    searchParams: [],
    combinations: [],
    searchInclude: [],
    searchRevInclude: [],
  },
];
