/**
 * @module patient-record
 * Generates one patient's complete longitudinal record. The record depends only on (seed, index):
 * the patient's random stream is derived from both, and shared resources are cited by fixed ids.
 */
import type { Encounter, MedicationRequest, Resource } from '@medplum/fhirtypes';
import { Random } from './random.js';
import { IdAllocator, patientId, ref, sharedId } from './ids.js';
import type { Ref } from './ids.js';
import { course, drawPersona, isTreated, usualPractitioner } from './persona.js';
import type { Persona } from './persona.js';
import { planVisits } from './visit-schedule.js';
import { patientResource } from './patient-resource.js';
import { bodyAt, vitalsAt } from './physiology.js';
import { labPanel, smokingStatusObservation, vitalSignObservations } from './observations.js';
import {
  addDiagnoses,
  allergy,
  encounter,
  encounterDiagnosis,
  immunization,
  localRef,
  medicationRequest,
  problemCondition,
  procedure,
  progressNote,
} from './clinical-resources.js';
import { carePlan, careTeam, coverage, goal } from './care-coordination.js';
import type { PlanActivity } from './care-coordination.js';
import { provenanceFor } from './provenance.js';
import type { RecordContext, VisitContext } from './record-context.js';
import { DAY, WINDOW_END, WINDOW_START, YEAR, ageAt, fhirDate } from './clock.js';
import { ACUTE, CHILDHOOD_SCHEDULE, CHRONIC, LAB_PANELS, MEDICATIONS, PROCEDURES, SYSTEM, VACCINES, VITAL } from './vocabulary.js';
import type { AcuteProblem, ChronicKey, Code, LabPanel, MedicationKey, VaccineKey } from './vocabulary.js';
import { LAB_ORG, NURSE_PRACTITIONER_SLOT, PAYERS, PRACTITIONERS_PER_CLINIC } from './shared-layout.js';


const refTo = (r: Resource): Ref => ({ reference: `${r.resourceType}/${r.id}` });

/** Long-term medications started when a condition is diagnosed. */
function treatmentFor(key: ChronicKey, age: number, rng: Random): MedicationKey[] {
  switch (key) {
    case 'hypertension': {
      const meds: MedicationKey[] = ['lisinopril'];
      if (age >= 55 && rng.chance(0.4)) meds.push('amlodipine');
      else if (rng.chance(0.2)) meds.push('hydrochlorothiazide');
      return meds;
    }
    case 'diabetes':
      return ['metformin'];
    case 'hyperlipidemia':
      return [age >= 60 || rng.chance(0.3) ? 'atorvastatin' : 'simvastatin'];
    case 'hypothyroidism':
      return ['levothyroxine'];
    case 'depression':
    case 'anxiety':
      return ['sertraline'];
    case 'asthma':
      return rng.chance(0.5) ? ['albuterol', 'fluticasone'] : ['albuterol'];
    case 'allergicRhinitis':
      return ['cetirizine'];
    case 'osteoarthritis':
      return ['naproxen'];
    case 'migraine':
      return ['ibuprofen'];
    default:
      return [];
  }
}

/** Goal wording (and measurable target) for conditions that have one. */
const GOALS: Partial<Record<ChronicKey, { text: string; target?: { measure: Code; high: number; unit: string } }>> = {
  hypertension: { text: 'Blood pressure below 130/80 mm[Hg]', target: { measure: VITAL.systolic, high: 130, unit: 'mm[Hg]' } },
  diabetes: { text: 'Hemoglobin A1c below 7%', target: { measure: LAB_PANELS.a1c.tests[0].code, high: 7, unit: '%' } },
  hyperlipidemia: { text: 'LDL cholesterol below 100 mg/dL', target: { measure: LAB_PANELS.lipid.tests[3].code, high: 100, unit: 'mg/dL' } },
  obesity: { text: 'Lose 5% of body weight over six months', target: { measure: VITAL.bmi, high: 30, unit: 'kg/m2' } },
  asthma: { text: 'Asthma well controlled with no night-time symptoms' },
  depression: { text: 'Improved mood and daily functioning' },
};

const sct = (code: string, display: string): Code => ({ system: SYSTEM.snomed, code, display });
const ACTIVITY = {
  diet: { code: sct('226234005', 'Healthy diet (regime/therapy)'), description: 'Balanced diet rich in vegetables, fruit and whole grains' },
  exercise: { code: sct('229065009', 'Exercise therapy (regime/therapy)'), description: 'At least 150 minutes of moderate physical activity a week' },
  diabetic: { code: sct('160670007', 'Diabetic diet (finding)'), description: 'Carbohydrate-controlled diabetic diet' },
  smoking: { code: sct('225323000', 'Smoking cessation education (procedure)'), description: 'Smoking cessation counselling and support' },
} satisfies Record<string, PlanActivity>;

/** Which lab panels to draw at a visit. */
function panelsFor(p: Persona, kind: string, t: number, age: number, lastLipid: number, feverish: boolean, rng: Random): LabPanel[] {
  const panels: LabPanel[] = [];
  const dx = (k: ChronicKey): boolean => isTreated(p, k, t);
  if (age < 18) {
    if (feverish && rng.chance(0.1)) panels.push(LAB_PANELS.cbc);
    return panels;
  }
  if (kind === 'checkup') {
    if (dx('hyperlipidemia') || dx('diabetes') || (age >= 20 && t - lastLipid > 4 * YEAR && rng.chance(0.6))) panels.push(LAB_PANELS.lipid);
    if (dx('hypertension') || dx('diabetes') || dx('ckd3') || (age >= 40 && rng.chance(0.5))) panels.push(LAB_PANELS.bmp);
    if (rng.chance(0.25)) panels.push(LAB_PANELS.cbc);
    if (dx('diabetes') || dx('prediabetes') || (age >= 45 && rng.chance(0.2))) panels.push(LAB_PANELS.a1c);
    if (dx('hypothyroidism') || rng.chance(0.05)) panels.push(LAB_PANELS.tsh);
  } else if (kind === 'followUp') {
    if (dx('diabetes')) panels.push(LAB_PANELS.a1c);
    if ((dx('hypertension') || dx('ckd3')) && rng.chance(0.4)) panels.push(LAB_PANELS.bmp);
    if (dx('hyperlipidemia') && t - lastLipid > 0.9 * YEAR) panels.push(LAB_PANELS.lipid);
    if (dx('hypothyroidism') && rng.chance(0.4)) panels.push(LAB_PANELS.tsh);
  } else if (feverish && rng.chance(0.25)) {
    panels.push(LAB_PANELS.cbc);
  }
  return panels;
}

/** The acute problem behind a sick visit, among those plausible at this age and date. */
function acuteProblem(age: number, t: number, rng: Random): AcuteProblem {
  const eligible = ACUTE.filter((a) => age >= a.minAge && age <= a.maxAge && (a.from === undefined || t >= a.from));
  return rng.pick(eligible);
}

/** Generates the record of patient `index` in the population of `seed`. Throws on a negative or non-integer index. */
export function generatePatientRecord(seed: number, index: number): Resource[] {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`patient index must be a non-negative integer, got ${index}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const rng = new Random(seed, index + 1);
  const persona = drawPersona(rng);
  const id = patientId(index);
  const ctx: RecordContext = {
    rng,
    ids: new IdAllocator(id),
    persona,
    patientId: id,
    subject: ref('Patient', id),
    clinicOrg: ref('Organization', sharedId('org', persona.clinic)),
    clinicLocation: ref('Location', sharedId('loc', persona.clinic)),
    lab: ref('Organization', sharedId('org', LAB_ORG)),
  };
  const practitioner = (n: number): Ref => ref('Practitioner', sharedId('pract', n));
  const nursePractitioner = practitioner(persona.clinic * PRACTITIONERS_PER_CLINIC + NURSE_PRACTITIONER_SLOT);

  const out: Resource[] = [];
  const patient = patientResource(id, index, persona);
  out.push(patient);
  const patientLevel: Resource[] = [patient];
  const from = Math.max(WINDOW_START, persona.birthMs + 2 * DAY);
  let latest = from;

  const problems = new Map<ChronicKey, Ref>();
  const currentOrders = new Map<MedicationKey, MedicationRequest>();
  const givenDoses = new Set<number>();
  const fluSeasons = new Map<number, boolean>();
  let allergiesRecorded = false;
  let lastSmoking = -Infinity;
  let lastLipid = -Infinity;
  let lastTetanus = -Infinity;
  let lastMammogram = -Infinity;
  let colonoscopyDone = false;
  let zosterDone = false;
  let pneumococcalDone = false;

  const wantsFlu = (year: number): boolean => {
    let wants = fluSeasons.get(year);
    if (wants === undefined) {
      wants = rng.chance(persona.fluShotRate);
      fluSeasons.set(year, wants);
    }
    return wants;
  };
  const fluGiven = new Set<number>();

  const visits = planVisits(persona, rng);
  for (const planned of visits) {
    const start = planned.start;
    const age = ageAt(persona.birthMs, start);
    const kind = planned.kind;
    const preventive = kind === 'checkup' || kind === 'wellChild';
    const pract =
      kind === 'symptom' && rng.chance(0.3) ? nursePractitioner : practitioner(usualPractitioner(persona, age));
    const end = start + (preventive ? rng.int(25, 45) : rng.int(15, 30)) * 60_000;
    const encId = ctx.ids.next('enc');
    const visit: VisitContext = { encounter: localRef('Encounter', encId), start, end, age, practitioner: pract };
    const acute = kind === 'symptom' ? acuteProblem(age, start, rng) : undefined;
    const enc: Encounter = encounter(ctx, encId, visit, kind, acute?.code);
    const items: Resource[] = [];
    const diagnoses: Ref[] = [];
    const assessment: string[] = [];
    const plan: string[] = [];
    const feverish = acute !== undefined && acute.fever && rng.chance(0.6);

    const body = bodyAt(persona, age, rng);
    const vitals = vitalsAt(persona, start, body.bmi, feverish, rng);
    items.push(...vitalSignObservations(ctx, visit, body, vitals));

    if (age >= 13 && (lastSmoking === -Infinity || (preventive && start - lastSmoking > 3 * YEAR))) {
      const habit = persona.smoking === 'former' && age < 25 ? 'never' : persona.smoking;
      items.push(smokingStatusObservation(ctx, visit, habit));
      lastSmoking = start;
    }

    if (!allergiesRecorded) {
      for (const a of persona.allergies) items.push(allergy(ctx, visit, a));
      allergiesRecorded = true;
    }

    const prescribe = (key: MedicationKey, reason: Ref): void => {
      const previous = currentOrders.get(key);
      if (previous) previous.status = 'completed';
      const order = medicationRequest(ctx, visit, key, 'active', reason);
      currentOrders.set(key, order);
      items.push(order);
      plan.push(`${previous ? 'Renewed' : 'Prescribed'} ${MEDICATIONS[key].code.display}`);
    };

    // Conditions whose onset has passed are recorded at the first visit that notices them.
    for (const c of persona.chronic) {
      if (c.diagnosedMs !== undefined || c.onsetMs > start) continue;
      c.diagnosedMs = start;
      const condition = problemCondition(ctx, visit, CHRONIC[c.key], Math.max(c.onsetMs, persona.birthMs));
      items.push(condition);
      const r = refTo(condition);
      problems.set(c.key, r);
      diagnoses.push(r);
      assessment.push(CHRONIC[c.key].display);
      for (const med of treatmentFor(c.key, age, rng)) {
        if (!currentOrders.has(med)) prescribe(med, r);
      }
      if (c.key === 'asthma') items.push(procedure(ctx, PROCEDURES.spirometry, start + 10 * 60_000, visit, pract, r));
      if (c.key === 'atrialFibrillation') items.push(procedure(ctx, PROCEDURES.ecg, start + 10 * 60_000, visit, pract, r));
    }
    if (age >= 18 && body.bmi >= 30 && !problems.has('obesity')) {
      const condition = problemCondition(ctx, visit, CHRONIC.obesity, start);
      items.push(condition);
      problems.set('obesity', refTo(condition));
      diagnoses.push(refTo(condition));
      assessment.push(CHRONIC.obesity.display);
    }

    if (acute) {
      const dx = encounterDiagnosis(ctx, visit, acute.code);
      items.push(dx);
      diagnoses.push(refTo(dx));
      assessment.push(acute.code.display);
      if (acute.procedure) items.push(procedure(ctx, PROCEDURES[acute.procedure], start + 10 * 60_000, visit, pract, refTo(dx)));
      if (acute.medication) {
        items.push(medicationRequest(ctx, visit, acute.medication, 'completed', refTo(dx)));
        plan.push(`Prescribed ${MEDICATIONS[acute.medication].code.display}`);
      } else {
        plan.push('Supportive care, fluids and rest; return if not improving');
      }
    } else if (kind === 'followUp' || kind === 'checkup') {
      // Renew long-term prescriptions roughly once a year.
      for (const [key, order] of currentOrders) {
        const authored = Date.parse(order.authoredOn ?? '');
        if (order.status === 'active' && start - authored > 300 * DAY) {
          const reason = order.reasonReference?.[0] as Ref | undefined;
          if (reason) prescribe(key, reason);
        }
      }
      if (kind === 'followUp') {
        for (const [key, r] of problems) {
          if (diagnoses.length >= 4) break;
          if (!diagnoses.includes(r) && key !== 'obesity') {
            diagnoses.push(r);
            assessment.push(`${CHRONIC[key].display}, follow-up`);
          }
        }
        if (rng.chance(0.5)) items.push(procedure(ctx, PROCEDURES.medicationReconciliation, end - 5 * 60_000, visit, pract));
      }
    }

    for (const panel of panelsFor(persona, kind, start, age, lastLipid, feverish, rng)) {
      items.push(...labPanel(ctx, visit, panel, feverish));
      if (panel.key === 'lipid') lastLipid = start;
      plan.push(`${panel.code.display} ordered`);
    }

    // Immunizations.
    const give = (vaccine: VaccineKey): void => {
      items.push(immunization(ctx, vaccine, start + 20 * 60_000, visit));
      plan.push(`Immunization given: ${VACCINES[vaccine].display}`);
    };
    if (kind === 'wellChild') {
      const givenThisVisit = new Set<VaccineKey>();
      CHILDHOOD_SCHEDULE.forEach(([vaccine, months], i) => {
        const due = persona.birthMs + (months / 12) * YEAR;
        if (givenDoses.has(i) || due < WINDOW_START || due > start + 15 * DAY || givenThisVisit.has(vaccine)) return;
        givenDoses.add(i);
        givenThisVisit.add(vaccine);
        give(vaccine);
      });
    }
    const month = new Date(start).getUTCMonth();
    const year = new Date(start).getUTCFullYear();
    if (month >= 8 && age >= 0.5 && !fluGiven.has(year) && wantsFlu(year)) {
      fluGiven.add(year);
      give('flu');
    }
    if (kind === 'checkup') {
      if (start - lastTetanus > 10 * YEAR && rng.chance(0.15)) {
        lastTetanus = start;
        give(rng.chance(0.5) ? 'tdap' : 'td');
      }
      if (age >= 50 && !zosterDone && rng.chance(0.3)) {
        zosterDone = true;
        give('zoster');
      }
      if (age >= 65 && !pneumococcalDone && rng.chance(0.5)) {
        pneumococcalDone = true;
        give('ppsv23');
      }
      if (age >= 12 && rng.chance(0.4)) items.push(procedure(ctx, PROCEDURES.depressionScreening, start + 15 * 60_000, visit, pract));
      if (age >= 65 && rng.chance(0.1)) items.push(procedure(ctx, PROCEDURES.ecg, start + 15 * 60_000, visit, pract));
      // Referrals performed outside the visit (reported under the patient-level Provenance).
      if (age >= 45 && age < 75 && !colonoscopyDone && rng.chance(0.25)) {
        const at = start + rng.int(14, 60) * DAY;
        if (at < WINDOW_END) {
          colonoscopyDone = true;
          patientLevel.push(procedure(ctx, PROCEDURES.colonoscopy, at, undefined));
          latest = Math.max(latest, at);
          plan.push('Referred for screening colonoscopy');
        }
      }
      if (persona.sex === 'female' && age >= 50 && age < 75 && start - lastMammogram > 2 * YEAR && rng.chance(0.6)) {
        const at = start + rng.int(7, 30) * DAY;
        if (at < WINDOW_END) {
          lastMammogram = at;
          patientLevel.push(procedure(ctx, PROCEDURES.mammography, at, undefined));
          latest = Math.max(latest, at);
          plan.push('Referred for screening mammography');
        }
      }
    }

    addDiagnoses(enc, diagnoses);
    if (acute) enc.reasonReference = [diagnoses[diagnoses.length - 1]];
    const note = progressNote(ctx, visit, noteText(persona, enc, visit, vitals.systolic, vitals.diastolic, vitals.heartRate, vitals.temperature, body.weightKg, assessment, plan));
    items.push(note);
    const prov = provenanceFor(ctx, [enc, ...items], end + 30 * 60_000, pract);
    out.push(enc, ...items, prov);
    latest = Math.max(latest, end + 30 * 60_000);
  }

  // Vaccines given elsewhere (pharmacies): flu seasons without a clinic shot, and COVID-19.
  for (let year = new Date(from).getUTCFullYear(); year <= new Date(WINDOW_END).getUTCFullYear(); year++) {
    const at = Date.UTC(year, 9, 1) + rng.int(0, 29) * DAY + 17 * 3_600_000;
    if (at < from || at > WINDOW_END || ageAt(persona.birthMs, at) < 0.5 || fluGiven.has(year) || !wantsFlu(year)) continue;
    if (!rng.chance(0.6)) continue;
    patientLevel.push(immunization(ctx, 'flu', at));
    latest = Math.max(latest, at);
  }
  if (persona.covidVaccinated) {
    const first = Date.UTC(2021, 2, 15) + rng.int(0, 75) * DAY + 18 * 3_600_000;
    if (ageAt(persona.birthMs, first) >= 12) {
      const doses = [first, first + 21 * DAY];
      if (rng.chance(0.6)) doses.push(Date.UTC(2021, 10, 1) + rng.int(0, 120) * DAY + 18 * 3_600_000);
      for (const at of doses) patientLevel.push(immunization(ctx, 'covid', at));
      latest = Math.max(latest, doses[doses.length - 1]);
    }
  }

  // Insurance.
  const sixtyFive = persona.birthMs + 65 * YEAR;
  const privatePayer = rng.chance(0.5) ? PAYERS.privateA : PAYERS.privateB;
  const payerRef = (p: { org: number }): Ref => ref('Organization', sharedId('org', p.org));
  const minor = ageAt(persona.birthMs, WINDOW_END) < 18;
  if (sixtyFive <= WINDOW_END) {
    if (sixtyFive > from) patientLevel.push(coverage(ctx, payerRef(privatePayer), privatePayer.name, 'private', from, sixtyFive - DAY, false));
    patientLevel.push(coverage(ctx, payerRef(PAYERS.medicare), PAYERS.medicare.name, 'medicare', Math.max(from, sixtyFive), undefined, false));
  } else if (rng.chance(minor ? 0.35 : 0.18)) {
    patientLevel.push(coverage(ctx, payerRef(PAYERS.medicaid), PAYERS.medicaid.name, 'medicaid', from, undefined, false));
  } else {
    patientLevel.push(coverage(ctx, payerRef(privatePayer), privatePayer.name, 'private', from, undefined, minor));
  }

  // Care coordination.
  const since = visits.length > 0 ? visits[0].start : from;
  const pcp = practitioner(usualPractitioner(persona, ageAt(persona.birthMs, Math.min(latest, WINDOW_END))));
  const team = careTeam(ctx, since, pcp, nursePractitioner);
  patientLevel.push(team);
  const goals: Ref[] = [];
  for (const [key, conditionRef] of problems) {
    const spec = GOALS[key];
    if (!spec) continue;
    const startGoal = course(persona, key)?.diagnosedMs ?? since;
    const g = goal(ctx, spec.text, startGoal, startGoal + 0.5 * YEAR, pcp, [conditionRef], spec.target);
    patientLevel.push(g);
    goals.push(refTo(g));
  }
  if (goals.length === 0) {
    const adult = ageAt(persona.birthMs, WINDOW_END) >= 18;
    const g = goal(ctx, adult ? 'Maintain a healthy weight and stay physically active' : 'Healthy growth and development', since, since + YEAR, pcp, []);
    patientLevel.push(g);
    goals.push(refTo(g));
  }
  const activities: PlanActivity[] = [ACTIVITY.diet];
  if (ageAt(persona.birthMs, WINDOW_END) >= 18) activities.push(ACTIVITY.exercise);
  if (problems.has('diabetes')) activities.push(ACTIVITY.diabetic);
  if (persona.smoking === 'daily' || persona.smoking === 'occasional') activities.push(ACTIVITY.smoking);
  const conditionRefs = [...problems.values()];
  patientLevel.push(
    carePlan(ctx, since, pcp, refTo(team), conditionRefs, goals, activities, conditionRefs.length > 0 ? 'Chronic disease management plan' : 'Preventive care plan'),
  );

  const patientProvenance = provenanceFor(ctx, patientLevel, Math.min(latest, WINDOW_END), pcp);
  out.push(...patientLevel.slice(1), patientProvenance);
  return out;
}

/** A short plain-text progress note. */
function noteText(
  p: Persona,
  enc: Encounter,
  visit: VisitContext,
  systolic: number | undefined,
  diastolic: number | undefined,
  heartRate: number,
  temperature: number,
  weight: number,
  assessment: readonly string[],
  plan: readonly string[],
): string {
  const type = enc.type?.[0]?.text ?? 'Visit';
  const bp = systolic !== undefined ? `BP ${systolic}/${diastolic} mm[Hg], ` : '';
  return [
    `${type.replace(/ \(procedure\)$/, '')} on ${fhirDate(visit.start)}`,
    `${p.given[0]} ${p.family}, ${Math.floor(visit.age)}-year-old ${p.sex}.`,
    `Vitals: ${bp}HR ${heartRate}/min, temp ${temperature} Cel, weight ${weight} kg.`,
    `Assessment: ${assessment.length > 0 ? assessment.join('; ') : 'No acute issues'}.`,
    `Plan: ${plan.length > 0 ? plan.join('; ') : 'Routine follow-up'}.`,
  ].join('\n');
}
