// Small builders shared by the demo practice records. Everything here is plain data: no I/O.
import type { CodeableConcept, Coding, ExtractResource, Meta, Quantity, Reference, ResourceType } from '@medplum/fhirtypes';

export const US_CORE_SD = 'http://hl7.org/fhir/us/core/StructureDefinition/';
export const FHIR_SD = 'http://hl7.org/fhir/StructureDefinition/';

export const SYS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  ndc: 'http://hl7.org/fhir/sid/ndc',
  ucum: 'http://unitsofmeasure.org',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  nucc: 'http://nucc.org/provider-taxonomy',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  ombRace: 'urn:oid:2.16.840.1.113883.6.238',
  obsCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  usCoreCategory: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  usCoreConditionCategory: 'http://hl7.org/fhir/us/core/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVer: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  v2_0203: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  v2_0074: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  v3ActCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  v3RoleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  v3Interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  v3MaritalStatus: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  bcp47: 'urn:ietf:bcp:47',
  /** Our own identifier namespaces. */
  chartNumber: 'https://solanabeachfm.example/fhir/sid/chart-number',
  encounterNumber: 'https://solanabeachfm.example/fhir/sid/encounter-number',
  orderNumber: 'https://solanabeachfm.example/fhir/sid/order-number',
  accession: 'https://solanabeachfm.example/fhir/sid/lab-accession',
  login: 'https://solanabeachfm.example/fhir/sid/login',
  memberId: 'https://pacificcoasthealth.example/fhir/sid/member-id',
} as const;

/** meta.profile with one or more US Core profiles (by id). */
export function usCore(...ids: string[]): Meta {
  return { profile: ids.map((id) => US_CORE_SD + id) };
}

export function coding(system: string, code: string, display?: string): Coding {
  return display === undefined ? { system, code } : { system, code, display };
}

export function cc(system: string, code: string, display: string, text?: string): CodeableConcept {
  return { coding: [coding(system, code, display)], text: text ?? display };
}

export function ccMulti(text: string, ...codings: Coding[]): CodeableConcept {
  return { coding: codings, text };
}

export function ref<K extends ResourceType>(type: K, id: string, display?: string): Reference<ExtractResource<K>> {
  return display === undefined ? { reference: `${type}/${id}` } : { reference: `${type}/${id}`, display };
}

export function ucum(value: number, code: string, unit: string = code): Quantity {
  return { value, unit, system: SYS.ucum, code };
}

export function obsCategory(code: string, display: string): CodeableConcept {
  return { coding: [coding(SYS.obsCategory, code, display)], text: display };
}

export const VITAL_SIGNS = obsCategory('vital-signs', 'Vital Signs');
export const LABORATORY = obsCategory('laboratory', 'Laboratory');
export const SOCIAL_HISTORY = obsCategory('social-history', 'Social History');
export const SURVEY = obsCategory('survey', 'Survey');

/** Base64 of a UTF-8 text (for Attachment.data). */
export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** A minimal generated narrative. */
export function narrative(text: string): { status: 'generated'; div: string } {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${esc}</p></div>` };
}
