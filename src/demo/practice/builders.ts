// Builders for the clinical resources that repeat across the three charts.
import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  DiagnosticReport,
  DocumentReference,
  Encounter,
  Immunization,
  Observation,
  Organization,
  Patient,
  Practitioner,
  Provenance,
  Quantity,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { LABORATORY, SYS, VITAL_SIGNS, base64, cc, coding, obsCategory, ref, ucum, usCore } from './helpers.js';
import { ORG_ID, labRef, locationRef, practiceRef } from './organization.js';

export interface Ctx {
  /** Patient FHIR id. */
  patient: string;
  /** Display name, e.g. "David Smith". */
  name: string;
}

export const patientRef = (c: Ctx): Reference<Patient> => ref('Patient', c.patient, c.name);

// ---------------------------------------------------------------- encounters

export function encounter(
  c: Ctx,
  o: {
    id: string;
    number: string;
    start: string;
    end: string;
    type: CodeableConcept;
    reason?: CodeableConcept;
    practitioner: Reference<Practitioner>;
    diagnoses?: string[];
  },
): Encounter {
  return {
    resourceType: 'Encounter',
    id: o.id,
    meta: usCore('us-core-encounter'),
    identifier: [{ system: SYS.encounterNumber, value: o.number }],
    status: 'finished',
    class: coding('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'AMB', 'ambulatory'),
    type: [o.type],
    subject: patientRef(c),
    participant: [
      {
        type: [cc('http://terminology.hl7.org/CodeSystem/v3-ParticipationType', 'PPRF', 'primary performer')],
        individual: o.practitioner,
        period: { start: o.start, end: o.end },
      },
    ],
    period: { start: o.start, end: o.end },
    ...(o.reason ? { reasonCode: [o.reason] } : {}),
    ...(o.diagnoses
      ? {
          diagnosis: o.diagnoses.map((d, i) => ({
            condition: ref('Condition', d),
            use: cc('http://terminology.hl7.org/CodeSystem/diagnosis-role', 'billing', 'Billing'),
            rank: i + 1,
          })),
        }
      : {}),
    location: [{ location: locationRef(), status: 'completed', period: { start: o.start, end: o.end } }],
    serviceProvider: practiceRef(),
  };
}

// ---------------------------------------------------------------- vital signs

type VitalOpts = { id: string; date: string; encounter?: string; performer?: Reference<Practitioner> };

function vitalBase(c: Ctx, o: VitalOpts, profiles: string[], code: CodeableConcept): Observation {
  return {
    resourceType: 'Observation',
    id: o.id,
    meta: usCore(...profiles),
    status: 'final',
    category: [VITAL_SIGNS],
    code,
    subject: patientRef(c),
    ...(o.encounter ? { encounter: ref('Encounter', o.encounter) } : {}),
    effectiveDateTime: o.date,
    ...(o.performer ? { performer: [o.performer] } : {}),
  };
}

export function vitalQuantity(
  c: Ctx,
  o: VitalOpts & { profile: string; loinc: string; display: string; value: Quantity; note?: string; alsoGeneric?: boolean },
): Observation {
  const obs = vitalBase(
    c,
    o,
    o.alsoGeneric ? [o.profile, 'us-core-vital-signs'] : [o.profile],
    cc(SYS.loinc, o.loinc, o.display),
  );
  obs.valueQuantity = o.value;
  if (o.note) obs.note = [{ text: o.note }];
  return obs;
}

export function bloodPressure(c: Ctx, o: VitalOpts & { systolic: number; diastolic: number }): Observation {
  const obs = vitalBase(c, o, ['us-core-blood-pressure'], cc(SYS.loinc, '85354-9', 'Blood pressure panel with all children optional', 'Blood pressure'));
  obs.component = [
    { code: cc(SYS.loinc, '8480-6', 'Systolic blood pressure'), valueQuantity: ucum(o.systolic, 'mm[Hg]', 'mmHg') },
    { code: cc(SYS.loinc, '8462-4', 'Diastolic blood pressure'), valueQuantity: ucum(o.diastolic, 'mm[Hg]', 'mmHg') },
  ];
  obs.bodySite = cc(SYS.snomed, '368208006', 'Left upper arm structure');
  return obs;
}

export function pulseOximetry(c: Ctx, o: VitalOpts & { value: number }): Observation {
  const obs = vitalBase(c, o, ['us-core-pulse-oximetry'], {
    coding: [
      coding(SYS.loinc, '59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
      coding(SYS.loinc, '2708-6', 'Oxygen saturation in Arterial blood'),
    ],
    text: 'SpO2 (pulse oximetry)',
  });
  obs.valueQuantity = ucum(o.value, '%');
  obs.component = [
    { code: cc(SYS.loinc, '3151-8', 'Inhaled oxygen flow rate'), valueQuantity: ucum(0, 'L/min') },
    { code: cc(SYS.loinc, '3150-0', 'Inhaled oxygen concentration'), valueQuantity: ucum(21, '%') },
  ];
  obs.note = [{ text: 'Measured at rest on room air.' }];
  return obs;
}

/** The routine adult vital-sign set taken at a visit. */
export function adultVitals(
  c: Ctx,
  prefix: string,
  o: {
    date: string;
    encounter: string;
    performer: Reference<Practitioner>;
    systolic: number;
    diastolic: number;
    heartRate: number;
    respRate: number;
    tempC: number;
    weightKg: number;
    heightCm: number;
    spo2: number;
  },
): Observation[] {
  const v = { date: o.date, encounter: o.encounter, performer: o.performer };
  const bmi = Math.round((o.weightKg / (o.heightCm / 100) ** 2) * 10) / 10;
  return [
    bloodPressure(c, { ...v, id: `${prefix}-bp`, systolic: o.systolic, diastolic: o.diastolic }),
    vitalQuantity(c, { ...v, id: `${prefix}-heart-rate`, profile: 'us-core-heart-rate', loinc: '8867-4', display: 'Heart rate', value: ucum(o.heartRate, '/min', 'beats/minute') }),
    vitalQuantity(c, { ...v, id: `${prefix}-resp-rate`, profile: 'us-core-respiratory-rate', loinc: '9279-1', display: 'Respiratory rate', value: ucum(o.respRate, '/min', 'breaths/minute') }),
    vitalQuantity(c, { ...v, id: `${prefix}-temperature`, profile: 'us-core-body-temperature', loinc: '8310-5', display: 'Body temperature', value: ucum(o.tempC, 'Cel', 'C') }),
    vitalQuantity(c, { ...v, id: `${prefix}-weight`, profile: 'us-core-body-weight', loinc: '29463-7', display: 'Body weight', value: ucum(o.weightKg, 'kg') }),
    vitalQuantity(c, { ...v, id: `${prefix}-height`, profile: 'us-core-body-height', loinc: '8302-2', display: 'Body height', value: ucum(o.heightCm, 'cm') }),
    vitalQuantity(c, { ...v, id: `${prefix}-bmi`, profile: 'us-core-bmi', loinc: '39156-5', display: 'Body mass index (BMI) [Ratio]', value: ucum(bmi, 'kg/m2') }),
    pulseOximetry(c, { ...v, id: `${prefix}-spo2`, value: o.spo2 }),
  ];
}

// ---------------------------------------------------------------- laboratory

export interface LabValue {
  id: string;
  loinc: string;
  display: string;
  value: Quantity | string;
  low?: number;
  high?: number;
  interpretation?: 'H' | 'L' | 'N';
}

const INTERPRETATION: Record<string, string> = { H: 'High', L: 'Low', N: 'Normal' };

export function labObservation(
  c: Ctx,
  l: LabValue,
  o: { date: string; issued: string; encounter?: string; specimen?: string; basedOn?: string },
): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    id: l.id,
    meta: usCore('us-core-observation-lab'),
    status: 'final',
    category: [LABORATORY],
    code: cc(SYS.loinc, l.loinc, l.display),
    subject: patientRef(c),
    ...(o.encounter ? { encounter: ref('Encounter', o.encounter) } : {}),
    ...(o.basedOn ? { basedOn: [ref('ServiceRequest', o.basedOn)] } : {}),
    effectiveDateTime: o.date,
    issued: o.issued,
    performer: [labRef()],
    ...(o.specimen ? { specimen: ref('Specimen', o.specimen) } : {}),
  };
  if (typeof l.value === 'string') obs.valueString = l.value;
  else obs.valueQuantity = l.value;
  if (l.interpretation) {
    obs.interpretation = [cc(SYS.v3Interpretation, l.interpretation, INTERPRETATION[l.interpretation])];
  }
  if (typeof l.value !== 'string' && (l.low !== undefined || l.high !== undefined)) {
    const unit = l.value;
    obs.referenceRange = [
      {
        ...(l.low !== undefined ? { low: { value: l.low, unit: unit.unit, system: SYS.ucum, code: unit.code } } : {}),
        ...(l.high !== undefined ? { high: { value: l.high, unit: unit.unit, system: SYS.ucum, code: unit.code } } : {}),
      },
    ];
  }
  return obs;
}

export function labReport(
  c: Ctx,
  o: {
    id: string;
    loinc: string;
    display: string;
    date: string;
    issued: string;
    encounter?: string;
    specimen?: string;
    basedOn?: string;
    results: LabValue[];
    conclusion?: string;
    resultsInterpreter?: Reference<Practitioner>;
  },
): (Observation | DiagnosticReport)[] {
  const obs = o.results.map((l) =>
    labObservation(c, l, { date: o.date, issued: o.issued, encounter: o.encounter, specimen: o.specimen, basedOn: o.basedOn }),
  );
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: o.id,
    meta: usCore('us-core-diagnosticreport-lab'),
    ...(o.basedOn ? { basedOn: [ref('ServiceRequest', o.basedOn)] } : {}),
    status: 'final',
    category: [cc(SYS.v2_0074, 'LAB', 'Laboratory')],
    code: cc(SYS.loinc, o.loinc, o.display),
    subject: patientRef(c),
    ...(o.encounter ? { encounter: ref('Encounter', o.encounter) } : {}),
    effectiveDateTime: o.date,
    issued: o.issued,
    performer: [labRef()],
    ...(o.resultsInterpreter ? { resultsInterpreter: [o.resultsInterpreter] } : {}),
    ...(o.specimen ? { specimen: [ref('Specimen', o.specimen)] } : {}),
    result: obs.map((x) => ref('Observation', x.id as string, x.code.text)),
    ...(o.conclusion ? { conclusion: o.conclusion } : {}),
  };
  return [...obs, report];
}

// ---------------------------------------------------------------- conditions

export function condition(
  c: Ctx,
  o: {
    id: string;
    kind: 'problem-list-item' | 'health-concern' | 'encounter-diagnosis';
    code: CodeableConcept;
    onset?: string;
    abatement?: string;
    recorded: string;
    encounter?: string;
    recorder?: Reference<Practitioner>;
    clinicalStatus?: 'active' | 'resolved' | 'inactive' | 'remission';
    note?: string;
    extraCategory?: CodeableConcept;
  },
): Condition {
  const category =
    o.kind === 'problem-list-item'
      ? cc(SYS.conditionCategory, 'problem-list-item', 'Problem List Item')
      : o.kind === 'health-concern'
        ? cc(SYS.usCoreConditionCategory, 'health-concern', 'Health Concern')
        : cc(SYS.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis');
  const status = o.clinicalStatus ?? 'active';
  return {
    resourceType: 'Condition',
    id: o.id,
    meta: usCore(o.kind === 'encounter-diagnosis' ? 'us-core-condition-encounter-diagnosis' : 'us-core-condition-problems-health-concerns'),
    ...(o.kind !== 'encounter-diagnosis'
      ? { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/condition-assertedDate', valueDateTime: o.recorded }] }
      : {}),
    clinicalStatus: cc(SYS.conditionClinical, status, status[0].toUpperCase() + status.slice(1)),
    verificationStatus: cc(SYS.conditionVer, 'confirmed', 'Confirmed'),
    category: o.extraCategory ? [category, o.extraCategory] : [category],
    code: o.code,
    subject: patientRef(c),
    ...(o.encounter ? { encounter: ref('Encounter', o.encounter) } : {}),
    ...(o.onset ? { onsetDateTime: o.onset } : {}),
    ...(o.abatement ? { abatementDateTime: o.abatement } : {}),
    recordedDate: o.recorded,
    ...(o.recorder ? { recorder: o.recorder } : {}),
    ...(o.note ? { note: [{ text: o.note }] } : {}),
  };
}

// ---------------------------------------------------------------- allergies

export function allergy(
  c: Ctx,
  o: {
    id: string;
    code: CodeableConcept;
    category?: ('food' | 'medication' | 'environment' | 'biologic')[];
    criticality?: 'low' | 'high' | 'unable-to-assess';
    onset?: string;
    recorded: string;
    recorder: Reference<Practitioner>;
    reaction?: { manifestation: CodeableConcept; severity: 'mild' | 'moderate' | 'severe'; description?: string };
  },
): AllergyIntolerance {
  return {
    resourceType: 'AllergyIntolerance',
    id: o.id,
    meta: usCore('us-core-allergyintolerance'),
    clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active', 'Active'),
    verificationStatus: cc('http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', 'confirmed', 'Confirmed'),
    ...(o.category ? { type: 'allergy' as const, category: o.category } : {}),
    ...(o.criticality ? { criticality: o.criticality } : {}),
    code: o.code,
    patient: patientRef(c),
    ...(o.onset ? { onsetDateTime: o.onset } : {}),
    recordedDate: o.recorded,
    recorder: o.recorder,
    ...(o.reaction
      ? {
          reaction: [
            {
              manifestation: [o.reaction.manifestation],
              severity: o.reaction.severity,
              ...(o.reaction.description ? { description: o.reaction.description } : {}),
            },
          ],
        }
      : {}),
  };
}

// ---------------------------------------------------------------- immunizations

export function immunization(
  c: Ctx,
  o: {
    id: string;
    cvx: string;
    display: string;
    date: string;
    lot: string;
    expiration: string;
    manufacturer: string;
    site: 'LA' | 'RA' | 'LT' | 'RT';
    route: 'IM' | 'SC';
    doseMl: number;
    performer: Reference<Practitioner | Organization>;
    encounter?: string;
    doseNumber?: number;
    series?: string;
    note?: string;
  },
): Immunization {
  const siteDisplay = { LA: 'left arm', RA: 'right arm', LT: 'left thigh', RT: 'right thigh' }[o.site];
  const routeDisplay = { IM: 'Injection, intramuscular', SC: 'Injection, subcutaneous' }[o.route];
  return {
    resourceType: 'Immunization',
    id: o.id,
    meta: usCore('us-core-immunization'),
    status: 'completed',
    vaccineCode: cc(SYS.cvx, o.cvx, o.display),
    patient: patientRef(c),
    ...(o.encounter ? { encounter: ref('Encounter', o.encounter) } : {}),
    occurrenceDateTime: o.date,
    recorded: o.date,
    primarySource: true,
    manufacturer: { display: o.manufacturer },
    lotNumber: o.lot,
    expirationDate: o.expiration,
    site: cc('http://terminology.hl7.org/CodeSystem/v3-ActSite', o.site, siteDisplay),
    route: cc('http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration', o.route === 'IM' ? 'IM' : 'SQ', routeDisplay),
    doseQuantity: ucum(o.doseMl, 'mL'),
    performer: [
      { function: cc('http://terminology.hl7.org/CodeSystem/v2-0443', 'AP', 'Administering Provider'), actor: o.performer },
    ],
    ...(o.note ? { note: [{ text: o.note }] } : {}),
    ...(o.doseNumber ? { protocolApplied: [{ ...(o.series ? { series: o.series } : {}), doseNumberPositiveInt: o.doseNumber }] } : {}),
  };
}

// ---------------------------------------------------------------- notes

export function clinicalNote(
  c: Ctx,
  o: {
    id: string;
    loinc: string;
    display: string;
    date: string;
    author: Reference<Practitioner | Patient>;
    encounter?: string;
    period?: { start: string; end: string };
    text: string;
    title: string;
    description?: string;
    category?: CodeableConcept;
  },
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id: o.id,
    meta: usCore('us-core-documentreference'),
    identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${uuidFromId(o.id)}` }],
    status: 'current',
    docStatus: 'final',
    type: cc(SYS.loinc, o.loinc, o.display),
    category: [o.category ?? cc('http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', 'clinical-note', 'Clinical Note')],
    subject: patientRef(c),
    date: o.date,
    author: [o.author],
    ...(o.author.reference?.startsWith('Practitioner/') ? { authenticator: o.author as Reference<Practitioner> } : {}),
    custodian: practiceRef(),
    ...(o.description ? { description: o.description } : {}),
    content: [
      {
        attachment: { contentType: 'text/plain; charset=utf-8', language: 'en-US', data: base64(o.text), title: o.title, creation: o.date },
        format: coding('http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode', 'urn:ihe:iti:xds:2017:mimeTypeSufficient', 'mimeType Sufficient'),
      },
    ],
    ...(o.encounter || o.period
      ? { context: { ...(o.encounter ? { encounter: [ref('Encounter', o.encounter)] } : {}), ...(o.period ? { period: o.period } : {}) } }
      : {}),
  };
}

/** A stable, deterministic UUID-shaped string derived from a resource id (FNV-1a based; not random). */
export function uuidFromId(id: string): string {
  let h = '';
  let seed = 0x811c9dc5;
  for (let round = 0; round < 4; round++) {
    let x = seed ^ round;
    for (let i = 0; i < id.length; i++) {
      x ^= id.charCodeAt(i);
      x = Math.imul(x, 0x01000193) >>> 0;
    }
    seed = x;
    h += x.toString(16).padStart(8, '0');
  }
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------- provenance

const PATIENT_FIELDS = ['subject', 'patient', 'beneficiary'] as const;

/** True when the resource belongs to the patient's record (references it through subject/patient/beneficiary, or is it). */
export function belongsTo(r: Resource, patientId: string): boolean {
  if (r.resourceType === 'Patient') return r.id === patientId;
  const rec = r as unknown as Record<string, { reference?: string } | undefined>;
  return PATIENT_FIELDS.some((f) => rec[f]?.reference === `Patient/${patientId}`);
}

export function provenance(
  c: Ctx,
  id: string,
  resources: Resource[],
  o: { recorded: string; author: Reference<Practitioner> },
): Provenance {
  return {
    resourceType: 'Provenance',
    id,
    meta: usCore('us-core-provenance'),
    target: resources.filter((r) => belongsTo(r, c.patient)).map((r) => ref(r.resourceType, r.id as string)),
    recorded: o.recorded,
    activity: cc('http://terminology.hl7.org/CodeSystem/v3-DataOperation', 'UPDATE', 'revise'),
    agent: [
      {
        type: cc('http://terminology.hl7.org/CodeSystem/provenance-participant-type', 'author', 'Author'),
        who: o.author,
        onBehalfOf: practiceRef(),
      },
      {
        type: cc('http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type', 'transmitter', 'Transmitter'),
        who: ref('Organization', ORG_ID, 'Solana Beach Family Medicine'),
      },
    ],
  };
}

export { obsCategory };
