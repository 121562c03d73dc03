/**
 * @module observations
 * Builds Observations (vital signs, smoking status, laboratory results) and the lab DiagnosticReport
 * that groups a panel, each conforming to its US Core 6.1.0 profile.
 */
import type { CodeableConcept, DiagnosticReport, Observation, Quantity } from '@medplum/fhirtypes';
import type { RecordContext, VisitContext } from './record-context.js';
import type { Body, Vitals } from './physiology.js';
import { labValueAt, round } from './physiology.js';
import type { Code, LabPanel } from './vocabulary.js';
import { SMOKING, SYSTEM, VITAL } from './vocabulary.js';
import { PROFILE, metaFor } from './profiles.js';
import { fhirDateTime, plusMinutes } from './clock.js';
import type { SmokingHabit } from './persona.js';

const concept = (...codings: Code[]): CodeableConcept => ({ coding: codings.map((c) => ({ ...c })), text: codings[0].display });

const VITAL_CATEGORY: CodeableConcept[] = [
  { coding: [{ system: SYSTEM.observationCategory, code: 'vital-signs', display: 'Vital Signs' }], text: 'Vital Signs' },
];
const LAB_CATEGORY: CodeableConcept[] = [
  { coding: [{ system: SYSTEM.observationCategory, code: 'laboratory', display: 'Laboratory' }], text: 'Laboratory' },
];
const SOCIAL_CATEGORY: CodeableConcept[] = [
  { coding: [{ system: SYSTEM.observationCategory, code: 'social-history', display: 'Social History' }], text: 'Social History' },
];

function quantity(value: number, unit: string, code = unit): Quantity {
  return { value, unit, system: SYSTEM.ucum, code };
}

function observation(ctx: RecordContext, visit: VisitContext, profile: string, category: CodeableConcept[], code: CodeableConcept, minutes: number): Observation {
  return {
    resourceType: 'Observation',
    id: ctx.ids.next('obs'),
    meta: metaFor(profile),
    status: 'final',
    category,
    code,
    subject: ctx.subject,
    encounter: visit.encounter,
    effectiveDateTime: fhirDateTime(plusMinutes(visit.start, minutes)),
    performer: [visit.practitioner],
  };
}

/** The vital-sign Observations taken at a visit (BP from age 3, BMI from age 2, paediatric extras). */
export function vitalSignObservations(ctx: RecordContext, visit: VisitContext, body: Body, vitals: Vitals): Observation[] {
  const out: Observation[] = [];
  const vital = (profile: string, code: CodeableConcept, q: Quantity): void => {
    out.push({ ...observation(ctx, visit, profile, VITAL_CATEGORY, code, 5), valueQuantity: q });
  };
  if (vitals.systolic !== undefined && vitals.diastolic !== undefined) {
    out.push({
      ...observation(ctx, visit, PROFILE.bloodPressure, VITAL_CATEGORY, concept(VITAL.bpPanel), 5),
      component: [
        { code: concept(VITAL.systolic), valueQuantity: quantity(vitals.systolic, 'mm[Hg]') },
        { code: concept(VITAL.diastolic), valueQuantity: quantity(vitals.diastolic, 'mm[Hg]') },
      ],
    });
  }
  vital(PROFILE.heartRate, concept(VITAL.heartRate), quantity(vitals.heartRate, '/min'));
  vital(PROFILE.respiratoryRate, concept(VITAL.respiratoryRate), quantity(vitals.respiratoryRate, '/min'));
  vital(PROFILE.bodyTemperature, concept(VITAL.temperature), quantity(vitals.temperature, 'Cel'));
  vital(PROFILE.pulseOximetry, concept(VITAL.pulseOx, VITAL.o2Sat), quantity(vitals.spo2, '%'));
  vital(PROFILE.bodyWeight, concept(VITAL.weight), quantity(body.weightKg, 'kg'));
  vital(PROFILE.bodyHeight, concept(VITAL.height), quantity(body.heightCm, 'cm'));
  if (visit.age >= 2) vital(PROFILE.bmi, concept(VITAL.bmi), quantity(body.bmi, 'kg/m2'));
  if (body.bmiPercentile !== undefined) vital(PROFILE.pediatricBmi, concept(VITAL.bmiPercentile), quantity(body.bmiPercentile, '%'));
  if (body.headCm !== undefined) vital(PROFILE.headCircumference, concept(VITAL.headCircumference), quantity(body.headCm, 'cm'));
  return out;
}

/** A tobacco smoking status Observation. */
export function smokingStatusObservation(ctx: RecordContext, visit: VisitContext, habit: SmokingHabit): Observation {
  return {
    ...observation(ctx, visit, PROFILE.smokingStatus, SOCIAL_CATEGORY, concept(SMOKING.code), 3),
    valueCodeableConcept: concept(SMOKING[habit]),
  };
}

function interpretation(value: number, low: number, high: number): CodeableConcept {
  const [code, display] = value > high ? ['H', 'High'] : value < low ? ['L', 'Low'] : ['N', 'Normal'];
  return { coding: [{ system: SYSTEM.interpretation, code, display }], text: display };
}

/**
 * A lab panel drawn at a visit: the DiagnosticReport first, then its result Observations.
 * Results are issued the day after collection by the reference laboratory.
 */
export function labPanel(ctx: RecordContext, visit: VisitContext, panel: LabPanel, feverish: boolean): [DiagnosticReport, ...Observation[]] {
  const collected = fhirDateTime(plusMinutes(visit.start, 20));
  const issued = fhirDateTime(plusMinutes(visit.start, 24 * 60 + 120));
  const values = new Map<string, number>();
  for (const test of panel.tests) {
    if (test.key !== 'cholesterol') values.set(test.key, labValueAt(ctx.persona, test.key, visit.start, ctx.rng, feverish));
  }
  if (panel.key === 'lipid') {
    values.set('cholesterol', (values.get('ldl') ?? 0) + (values.get('hdl') ?? 0) + (values.get('triglyceride') ?? 0) / 5);
  }
  const results: Observation[] = panel.tests.map((test) => {
    const value = round(values.get(test.key) ?? 0, test.decimals);
    return {
      resourceType: 'Observation',
      id: ctx.ids.next('obs'),
      meta: metaFor(PROFILE.observationLab),
      status: 'final',
      category: LAB_CATEGORY,
      code: concept(test.code),
      subject: ctx.subject,
      encounter: visit.encounter,
      effectiveDateTime: collected,
      issued,
      performer: [ctx.lab],
      valueQuantity: quantity(value, test.unit),
      interpretation: [interpretation(value, test.low, test.high)],
      referenceRange: [{ low: quantity(test.low, test.unit), high: quantity(test.high, test.unit) }],
    };
  });
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: ctx.ids.next('dr'),
    meta: metaFor(PROFILE.diagnosticReportLab),
    status: 'final',
    category: [{ coding: [{ system: SYSTEM.v20074, code: 'LAB', display: 'Laboratory' }], text: 'Laboratory' }],
    code: concept(panel.code),
    subject: ctx.subject,
    encounter: visit.encounter,
    effectiveDateTime: collected,
    issued,
    performer: [ctx.lab],
    resultsInterpreter: [visit.practitioner],
    result: results.map((r) => ({ reference: `Observation/${r.id}` })),
  };
  return [report, ...results];
}
