/**
 * @module clinical-resources
 * Builders for the visit-level clinical resources: Encounter, Condition (problem list and encounter
 * diagnosis), MedicationRequest, Immunization, Procedure, AllergyIntolerance and the visit's
 * DocumentReference note. Each returns one resource conforming to its US Core 6.1.0 profile.
 */
import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  DocumentReference,
  Encounter,
  Immunization,
  MedicationRequest,
  Procedure,
  } from '@medplum/fhirtypes';
import type { RecordContext, VisitContext } from './record-context.js';
import type { Code, EncounterKind, MedicationKey } from './vocabulary.js';
import { ALLERGIES, ENCOUNTER_TYPES, MEDICATIONS, PROGRESS_NOTE, SHARED_MEDICATIONS, SYSTEM, VACCINES } from './vocabulary.js';
import type { VaccineKey } from './vocabulary.js';
import { PROFILE, metaFor } from './profiles.js';
import { DAY, fhirDate, fhirDateTime, plusMinutes } from './clock.js';
import { sharedId } from './ids.js';
import type { Ref } from './ids.js';


const concept = (...codings: readonly Code[]): CodeableConcept => ({ coding: codings.map((c) => ({ ...c })), text: codings[0].display });
/** A relative reference to a patient-level resource by type and id. */
export const localRef = (type: string, id: string): Ref => ({ reference: `${type}/${id}` });

/** An ambulatory Encounter. */
export function encounter(ctx: RecordContext, id: string, visit: Omit<VisitContext, 'encounter'>, kind: EncounterKind, reason?: Code): Encounter {
  const enc: Encounter = {
    resourceType: 'Encounter',
    id,
    meta: metaFor(PROFILE.encounter),
    status: 'finished',
    class: { system: SYSTEM.actCode, code: 'AMB', display: 'ambulatory' },
    type: [concept(...ENCOUNTER_TYPES[kind])],
    subject: ctx.subject,
    participant: [
      {
        type: [{ coding: [{ system: SYSTEM.participationType, code: 'PPRF', display: 'primary performer' }], text: 'primary performer' }],
        period: { start: fhirDateTime(visit.start), end: fhirDateTime(visit.end) },
        individual: visit.practitioner,
      },
    ],
    period: { start: fhirDateTime(visit.start), end: fhirDateTime(visit.end) },
    location: [{ location: ctx.clinicLocation, status: 'completed' }],
    serviceProvider: ctx.clinicOrg,
  };
  if (reason) enc.reasonCode = [concept(reason)];
  return enc;
}

/** Adds diagnoses (condition references) to an Encounter. */
export function addDiagnoses(enc: Encounter, conditions: readonly Ref[]): void {
  if (conditions.length === 0) return;
  enc.diagnosis = conditions.map((condition, i) => ({ condition, rank: i + 1 }));
}

/** A problem-list Condition (chronic), recorded at a visit. */
export function problemCondition(ctx: RecordContext, visit: VisitContext, code: Code, onsetMs: number, abatedMs?: number): Condition {
  const condition: Condition = {
    resourceType: 'Condition',
    id: ctx.ids.next('cond'),
    meta: metaFor(PROFILE.conditionProblem),
    clinicalStatus: abatedMs
      ? { coding: [{ system: SYSTEM.conditionClinical, code: 'resolved', display: 'Resolved' }], text: 'Resolved' }
      : { coding: [{ system: SYSTEM.conditionClinical, code: 'active', display: 'Active' }], text: 'Active' },
    verificationStatus: { coding: [{ system: SYSTEM.conditionVerification, code: 'confirmed', display: 'Confirmed' }], text: 'Confirmed' },
    category: [{ coding: [{ system: SYSTEM.conditionCategory, code: 'problem-list-item', display: 'Problem List Item' }], text: 'Problem List Item' }],
    code: concept(code),
    subject: ctx.subject,
    encounter: visit.encounter,
    onsetDateTime: fhirDate(onsetMs),
    recordedDate: fhirDateTime(visit.start),
    recorder: visit.practitioner,
    asserter: visit.practitioner,
  };
  if (abatedMs) condition.abatementDateTime = fhirDate(abatedMs);
  return condition;
}

/** An encounter-diagnosis Condition for a self-limiting problem (resolved about ten days later). */
export function encounterDiagnosis(ctx: RecordContext, visit: VisitContext, code: Code): Condition {
  const onset = visit.start - ctx.rng.int(1, 5) * DAY;
  return {
    resourceType: 'Condition',
    id: ctx.ids.next('cond'),
    meta: metaFor(PROFILE.conditionEncounter),
    clinicalStatus: { coding: [{ system: SYSTEM.conditionClinical, code: 'resolved', display: 'Resolved' }], text: 'Resolved' },
    verificationStatus: { coding: [{ system: SYSTEM.conditionVerification, code: 'confirmed', display: 'Confirmed' }], text: 'Confirmed' },
    category: [{ coding: [{ system: SYSTEM.conditionCategory, code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }], text: 'Encounter Diagnosis' }],
    code: concept(code),
    subject: ctx.subject,
    encounter: visit.encounter,
    onsetDateTime: fhirDate(onset),
    abatementDateTime: fhirDate(visit.start + ctx.rng.int(5, 14) * DAY),
    recordedDate: fhirDateTime(visit.start),
    recorder: visit.practitioner,
    asserter: visit.practitioner,
  };
}

/**
 * A MedicationRequest (community order). Shared medications are cited by medicationReference when
 * the persona's pharmacy does so; everything else is coded inline.
 */
export function medicationRequest(ctx: RecordContext, visit: VisitContext, key: MedicationKey, status: MedicationRequest['status'], reason?: Ref): MedicationRequest {
  const info = MEDICATIONS[key];
  const sharedIndex = SHARED_MEDICATIONS.indexOf(key);
  const request: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: ctx.ids.next('medrx'),
    meta: metaFor(PROFILE.medicationRequest),
    status,
    intent: 'order',
    category: [
      {
        coding: [{ system: SYSTEM.medicationRequestCategory, code: 'community', display: 'Community' }],
        text: 'Community',
      },
    ],
    reportedBoolean: false,
    subject: ctx.subject,
    encounter: visit.encounter,
    authoredOn: fhirDateTime(plusMinutes(visit.start, 15)),
    requester: visit.practitioner,
    dosageInstruction: [{ sequence: 1, text: info.sig }],
    dispenseRequest: {
      numberOfRepeatsAllowed: info.days >= 90 ? 3 : 0,
      quantity: { value: info.perDay * info.days, unit: info.code.display.includes('Inhaler') ? 'actuation' : 'tablet' },
      expectedSupplyDuration: { value: info.days, unit: 'days', system: SYSTEM.ucum, code: 'd' },
    },
  };
  if (sharedIndex >= 0 && ctx.persona.medicationByReference) {
    request.medicationReference = { reference: `Medication/${sharedId('med', sharedIndex)}`, display: info.code.display };
  } else {
    request.medicationCodeableConcept = concept(info.code);
  }
  if (reason) request.reasonReference = [reason];
  // Keep a stable key order whatever branch was taken above.
  return reorder(request, MEDICATION_REQUEST_ORDER);
}

const MEDICATION_REQUEST_ORDER = [
  'resourceType', 'id', 'meta', 'status', 'intent', 'category', 'reportedBoolean', 'medicationCodeableConcept',
  'medicationReference', 'subject', 'encounter', 'authoredOn', 'requester', 'reasonReference', 'dosageInstruction', 'dispenseRequest',
] as const;

function reorder<T extends object>(value: T, order: readonly string[]): T {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of order) if (source[key] !== undefined) out[key] = source[key];
  return out as T;
}

/** An administered Immunization; `visit` undefined means given elsewhere (reported, not primary source). */
export function immunization(ctx: RecordContext, vaccine: VaccineKey, at: number, visit?: VisitContext): Immunization {
  const imm: Immunization = {
    resourceType: 'Immunization',
    id: ctx.ids.next('imm'),
    meta: metaFor(PROFILE.immunization),
    status: 'completed',
    vaccineCode: concept(VACCINES[vaccine]),
    patient: ctx.subject,
    occurrenceDateTime: fhirDateTime(at),
    primarySource: visit !== undefined,
  };
  if (visit) {
    imm.encounter = visit.encounter;
    imm.recorded = fhirDateTime(at);
    imm.location = ctx.clinicLocation;
    imm.lotNumber = `${String.fromCharCode(65 + ctx.rng.int(0, 25))}${ctx.rng.int(10000, 99999)}`;
    imm.performer = [
      {
        function: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0443', code: 'AP', display: 'Administering Provider' }], text: 'Administering Provider' },
        actor: visit.practitioner,
      },
    ];
  } else {
    imm.reportOrigin = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/immunization-origin', code: 'record', display: 'Written Record' }], text: 'Written Record' };
  }
  return imm;
}

/** A completed Procedure; `visit` undefined means performed outside a visit (referral). */
export function procedure(ctx: RecordContext, codes: readonly Code[], at: number, visit: VisitContext | undefined, performer?: Ref, reason?: Ref): Procedure {
  const proc: Procedure = {
    resourceType: 'Procedure',
    id: ctx.ids.next('proc'),
    meta: metaFor(PROFILE.procedure),
    status: 'completed',
    code: concept(...codes),
    subject: ctx.subject,
  };
  if (visit) proc.encounter = visit.encounter;
  proc.performedDateTime = fhirDateTime(at);
  if (performer) proc.performer = [{ actor: performer }];
  if (visit) proc.location = ctx.clinicLocation;
  if (reason) proc.reasonReference = [reason];
  return proc;
}

/** An AllergyIntolerance from the ALLERGIES table, recorded at a visit. */
export function allergy(ctx: RecordContext, visit: VisitContext, index: number): AllergyIntolerance {
  const entry = ALLERGIES[index];
  const severe = entry.reaction.code === '39579001';
  return {
    resourceType: 'AllergyIntolerance',
    id: ctx.ids.next('alg'),
    meta: metaFor(PROFILE.allergy),
    clinicalStatus: { coding: [{ system: SYSTEM.allergyClinical, code: 'active', display: 'Active' }], text: 'Active' },
    verificationStatus: { coding: [{ system: SYSTEM.allergyVerification, code: 'confirmed', display: 'Confirmed' }], text: 'Confirmed' },
    type: 'allergy',
    category: [entry.category],
    criticality: severe ? 'high' : 'low',
    code: concept(entry.substance),
    patient: ctx.subject,
    encounter: visit.encounter,
    recordedDate: fhirDateTime(visit.start),
    recorder: visit.practitioner,
    reaction: [{ manifestation: [concept(entry.reaction)], severity: severe ? 'severe' : 'mild' }],
  };
}

/** The visit's progress note as a DocumentReference with a short plain-text attachment. */
export function progressNote(ctx: RecordContext, visit: VisitContext, text: string): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id: ctx.ids.next('doc'),
    meta: metaFor(PROFILE.documentReference),
    status: 'current',
    docStatus: 'final',
    type: concept(PROGRESS_NOTE),
    category: [{ coding: [{ system: SYSTEM.usCoreDocCategory, code: 'clinical-note', display: 'Clinical Note' }], text: 'Clinical Note' }],
    subject: ctx.subject,
    date: fhirDateTime(visit.end),
    author: [visit.practitioner],
    custodian: ctx.clinicOrg,
    content: [
      {
        attachment: {
          contentType: 'text/plain; charset=utf-8',
          language: 'en-US',
          data: Buffer.from(text, 'utf8').toString('base64'),
          title: 'Progress note',
          creation: fhirDateTime(visit.end),
        },
        format: { system: 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode', code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient', display: 'mimeType Sufficient' },
      },
    ],
    context: { encounter: [visit.encounter], period: { start: fhirDateTime(visit.start), end: fhirDateTime(visit.end) } },
  };
}

