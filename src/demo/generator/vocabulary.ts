/**
 * @module vocabulary
 * Real clinical codes used by the generator: LOINC (with UCUM units and plausible adult ranges),
 * SNOMED CT, RxNorm, CVX and CPT. Displays follow the code systems' own wording.
 */

/** A coding triple. */
export interface Code {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

/** Code system URIs. */
export const SYSTEM = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  cpt: 'http://www.ama-assn.org/go/cpt',
  ucum: 'http://unitsofmeasure.org',
  nucc: 'http://nucc.org/provider-taxonomy',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  naic: 'urn:oid:2.16.840.1.113883.6.300',
  cdcRace: 'urn:oid:2.16.840.1.113883.6.238',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  v20074: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  v20203: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  maritalStatus: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  language: 'urn:ietf:bcp:47',
  provenanceType: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  usCoreProvenanceType: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type',
  usCoreDocCategory: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
  usCoreCarePlanCategory: 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category',
  medicationRequestCategory: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  payerType: 'https://nahdo.org/sopt',
  organizationType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  locationType: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  goalAchievement: 'http://terminology.hl7.org/CodeSystem/goal-achievement',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
} as const;

const loinc = (code: string, display: string): Code => ({ system: SYSTEM.loinc, code, display });
const sct = (code: string, display: string): Code => ({ system: SYSTEM.snomed, code, display });
const rx = (code: string, display: string): Code => ({ system: SYSTEM.rxnorm, code, display });
const cvx = (code: string, display: string): Code => ({ system: SYSTEM.cvx, code, display });
const cpt = (code: string, display: string): Code => ({ system: SYSTEM.cpt, code, display });

// ---------------------------------------------------------------- vital signs

/** Vital-sign codes (the US Core vital-sign profiles pin these). */
export const VITAL = {
  bpPanel: loinc('85354-9', 'Blood pressure panel with all children optional'),
  systolic: loinc('8480-6', 'Systolic blood pressure'),
  diastolic: loinc('8462-4', 'Diastolic blood pressure'),
  heartRate: loinc('8867-4', 'Heart rate'),
  respiratoryRate: loinc('9279-1', 'Respiratory rate'),
  temperature: loinc('8310-5', 'Body temperature'),
  weight: loinc('29463-7', 'Body weight'),
  height: loinc('8302-2', 'Body height'),
  bmi: loinc('39156-5', 'Body mass index (BMI) [Ratio]'),
  pulseOx: loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
  o2Sat: loinc('2708-6', 'Oxygen saturation in Arterial blood'),
  headCircumference: loinc('9843-4', 'Head Occipital-frontal circumference'),
  bmiPercentile: loinc('59576-9', 'Body mass index (BMI) [Percentile] Per age and sex'),
} as const;

/** Smoking status observation code and answers (SNOMED CT). */
export const SMOKING = {
  code: loinc('72166-2', 'Tobacco smoking status'),
  never: sct('266919005', 'Never smoked tobacco (finding)'),
  former: sct('8517006', 'Ex-smoker (finding)'),
  daily: sct('449868002', 'Smokes tobacco daily (finding)'),
  occasional: sct('428041000124106', 'Occasional tobacco smoker (finding)'),
} as const;

// ---------------------------------------------------------------- laboratory

/** A quantitative lab test with its UCUM unit and adult reference interval. */
export interface LabTest {
  readonly key: string;
  readonly code: Code;
  readonly unit: string;
  readonly low: number;
  readonly high: number;
  readonly decimals: number;
}

const lab = (key: string, code: string, display: string, unit: string, low: number, high: number, decimals: number): LabTest => ({
  key,
  code: loinc(code, display),
  unit,
  low,
  high,
  decimals,
});

/** A lab panel: the DiagnosticReport code and its member tests. */
export interface LabPanel {
  readonly key: 'cbc' | 'bmp' | 'lipid' | 'a1c' | 'tsh';
  readonly code: Code;
  readonly tests: readonly LabTest[];
}

export const LAB_PANELS: Readonly<Record<LabPanel['key'], LabPanel>> = {
  cbc: {
    key: 'cbc',
    code: loinc('58410-2', 'CBC panel - Blood by Automated count'),
    tests: [
      lab('wbc', '6690-2', 'Leukocytes [#/volume] in Blood by Automated count', '10*3/uL', 4.5, 11, 1),
      lab('rbc', '789-8', 'Erythrocytes [#/volume] in Blood by Automated count', '10*6/uL', 4.2, 5.9, 2),
      lab('hgb', '718-7', 'Hemoglobin [Mass/volume] in Blood', 'g/dL', 12, 17.5, 1),
      lab('hct', '4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count', '%', 36, 50, 1),
      lab('mcv', '787-2', 'MCV [Entitic volume] by Automated count', 'fL', 80, 100, 1),
      lab('mch', '785-6', 'MCH [Entitic mass] by Automated count', 'pg', 27, 33, 1),
      lab('mchc', '786-4', 'MCHC [Mass/volume] by Automated count', 'g/dL', 32, 36, 1),
      lab('plt', '777-3', 'Platelets [#/volume] in Blood by Automated count', '10*3/uL', 150, 400, 0),
    ],
  },
  bmp: {
    key: 'bmp',
    code: loinc('51990-0', 'Basic metabolic panel - Blood'),
    tests: [
      lab('glucose', '2339-0', 'Glucose [Mass/volume] in Blood', 'mg/dL', 70, 99, 0),
      lab('bun', '6299-2', 'Urea nitrogen [Mass/volume] in Blood', 'mg/dL', 7, 20, 0),
      lab('creatinine', '38483-4', 'Creatinine [Mass/volume] in Blood', 'mg/dL', 0.6, 1.3, 2),
      lab('calcium', '49765-1', 'Calcium [Mass/volume] in Blood', 'mg/dL', 8.5, 10.2, 1),
      lab('sodium', '2947-0', 'Sodium [Moles/volume] in Blood', 'mmol/L', 136, 145, 0),
      lab('potassium', '6298-4', 'Potassium [Moles/volume] in Blood', 'mmol/L', 3.5, 5.1, 1),
      lab('chloride', '2069-3', 'Chloride [Moles/volume] in Blood', 'mmol/L', 98, 107, 0),
      lab('co2', '20565-8', 'Carbon dioxide, total [Moles/volume] in Blood', 'mmol/L', 22, 29, 0),
    ],
  },
  lipid: {
    key: 'lipid',
    code: loinc('57698-3', 'Lipid panel with direct LDL - Serum or Plasma'),
    tests: [
      lab('cholesterol', '2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma', 'mg/dL', 100, 199, 0),
      lab('triglyceride', '2571-8', 'Triglyceride [Mass/volume] in Serum or Plasma', 'mg/dL', 0, 149, 0),
      lab('hdl', '2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', 'mg/dL', 40, 90, 0),
      lab('ldl', '18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay', 'mg/dL', 0, 99, 0),
    ],
  },
  a1c: {
    key: 'a1c',
    code: loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
    tests: [lab('a1c', '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', '%', 4, 5.6, 1)],
  },
  tsh: {
    key: 'tsh',
    code: loinc('3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma'),
    tests: [lab('tsh', '3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma', 'm[IU]/L', 0.4, 4.5, 2)],
  },
};

// ---------------------------------------------------------------- conditions

/** Long-lived problems; keys are used by the clinical model. */
export const CHRONIC = {
  hypertension: sct('59621000', 'Essential hypertension (disorder)'),
  diabetes: sct('44054006', 'Diabetes mellitus type 2 (disorder)'),
  prediabetes: sct('15777000', 'Prediabetes (finding)'),
  hyperlipidemia: sct('55822004', 'Hyperlipidemia (disorder)'),
  obesity: sct('414916001', 'Obesity (disorder)'),
  asthma: sct('195967001', 'Asthma (disorder)'),
  allergicRhinitis: sct('61582004', 'Allergic rhinitis (disorder)'),
  hypothyroidism: sct('40930008', 'Hypothyroidism (disorder)'),
  depression: sct('36923009', 'Major depression, single episode (disorder)'),
  anxiety: sct('21897009', 'Generalized anxiety disorder (disorder)'),
  osteoarthritis: sct('239873007', 'Osteoarthritis of knee (disorder)'),
  gerd: sct('235595009', 'Gastroesophageal reflux disease (disorder)'),
  ckd3: sct('433144002', 'Chronic kidney disease stage 3 (disorder)'),
  atrialFibrillation: sct('49436004', 'Atrial fibrillation (disorder)'),
  migraine: sct('37796009', 'Migraine (disorder)'),
} as const;

export type ChronicKey = keyof typeof CHRONIC;

/** Self-limiting problems diagnosed at sick visits, with the usual treatment (RxNorm key) if any. */
export interface AcuteProblem {
  readonly code: Code;
  readonly minAge: number;
  readonly maxAge: number;
  readonly from?: number;
  readonly medication?: MedicationKey;
  readonly fever: boolean;
  readonly procedure?: ProcedureKey;
}

export const ACUTE: readonly AcuteProblem[] = [
  { code: sct('195662009', 'Acute viral pharyngitis (disorder)'), minAge: 2, maxAge: 120, fever: true, medication: 'acetaminophen' },
  { code: sct('43878008', 'Streptococcal sore throat (disorder)'), minAge: 3, maxAge: 60, fever: true, medication: 'penicillinV', procedure: 'throatCulture' },
  { code: sct('444814009', 'Viral sinusitis (disorder)'), minAge: 5, maxAge: 120, fever: false },
  { code: sct('10509002', 'Acute bronchitis (disorder)'), minAge: 5, maxAge: 120, fever: true, medication: 'acetaminophen', procedure: 'chestXray' },
  { code: sct('65363002', 'Otitis media (disorder)'), minAge: 0, maxAge: 12, fever: true, medication: 'amoxicillin' },
  { code: sct('54150009', 'Upper respiratory infection (disorder)'), minAge: 0, maxAge: 120, fever: false },
  { code: sct('68566005', 'Urinary tract infectious disease (disorder)'), minAge: 12, maxAge: 120, fever: false, medication: 'amoxClav' },
  { code: sct('44465007', 'Sprain of ankle (disorder)'), minAge: 8, maxAge: 70, fever: false, medication: 'ibuprofen' },
  { code: sct('279039007', 'Low back pain (finding)'), minAge: 18, maxAge: 120, fever: false, medication: 'naproxen' },
  { code: sct('9826008', 'Conjunctivitis (disorder)'), minAge: 0, maxAge: 120, fever: false },
  { code: sct('25374005', 'Gastroenteritis (disorder)'), minAge: 0, maxAge: 120, fever: true },
  { code: sct('6142004', 'Influenza (disorder)'), minAge: 0, maxAge: 120, fever: true, medication: 'acetaminophen' },
  { code: sct('840539006', 'Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)'), minAge: 0, maxAge: 120, from: Date.UTC(2020, 2, 1), fever: true, medication: 'acetaminophen' },
];

// ---------------------------------------------------------------- medications

/** Medications (RxNorm SCD) with a default sig; the first ones are also shared Medication resources. */
export interface MedicationInfo {
  readonly code: Code;
  readonly sig: string;
  readonly perDay: number;
  readonly days: number;
}

const med = (code: string, display: string, sig: string, perDay: number, days: number): MedicationInfo => ({
  code: rx(code, display),
  sig,
  perDay,
  days,
});

export const MEDICATIONS = {
  lisinopril: med('314076', 'lisinopril 10 MG Oral Tablet', 'Take 1 tablet by mouth once daily', 1, 90),
  amlodipine: med('197361', 'amlodipine 5 MG Oral Tablet', 'Take 1 tablet by mouth once daily', 1, 90),
  hydrochlorothiazide: med('310798', 'hydrochlorothiazide 25 MG Oral Tablet', 'Take 1 tablet by mouth every morning', 1, 90),
  metformin: med('860975', '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet', 'Take 1 tablet by mouth with the evening meal', 1, 90),
  simvastatin: med('314231', 'simvastatin 10 MG Oral Tablet', 'Take 1 tablet by mouth at bedtime', 1, 90),
  atorvastatin: med('259255', 'atorvastatin 80 MG Oral Tablet', 'Take 1 tablet by mouth once daily', 1, 90),
  levothyroxine: med('966222', 'levothyroxine sodium 0.075 MG Oral Tablet', 'Take 1 tablet by mouth every morning on an empty stomach', 1, 90),
  sertraline: med('312941', 'sertraline 50 MG Oral Tablet', 'Take 1 tablet by mouth once daily', 1, 90),
  albuterol: med('2123111', 'NDA020503 200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', 'Inhale 2 puffs every 4 to 6 hours as needed for wheezing', 2, 30),
  fluticasone: med('895994', '120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler', 'Inhale 2 puffs twice daily', 4, 30),
  cetirizine: med('1014676', 'cetirizine hydrochloride 5 MG Oral Tablet', 'Take 1 tablet by mouth once daily', 1, 30),
  aspirin: med('243670', 'aspirin 81 MG Oral Tablet', 'Take 1 tablet by mouth once daily', 1, 90),
  acetaminophen: med('313782', 'acetaminophen 325 MG Oral Tablet', 'Take 2 tablets by mouth every 6 hours as needed for pain or fever', 8, 5),
  ibuprofen: med('310965', 'ibuprofen 200 MG Oral Tablet', 'Take 2 tablets by mouth every 6 hours as needed for pain', 8, 7),
  naproxen: med('849574', 'naproxen sodium 220 MG Oral Tablet', 'Take 1 tablet by mouth every 12 hours as needed for pain', 2, 10),
  amoxicillin: med('308192', 'amoxicillin 500 MG Oral Tablet', 'Take 1 tablet by mouth every 12 hours for 10 days', 2, 10),
  amoxClav: med('562251', 'amoxicillin 250 MG / clavulanate 125 MG Oral Tablet', 'Take 1 tablet by mouth every 8 hours for 7 days', 3, 7),
  penicillinV: med('834061', 'penicillin V potassium 250 MG Oral Tablet', 'Take 1 tablet by mouth every 6 hours for 10 days', 4, 10),
} as const;

export type MedicationKey = keyof typeof MEDICATIONS;

/** Medications published as shared Medication resources (referenced by medicationReference), in id order. */
export const SHARED_MEDICATIONS: readonly MedicationKey[] = [
  'lisinopril',
  'amlodipine',
  'hydrochlorothiazide',
  'metformin',
  'simvastatin',
  'atorvastatin',
  'levothyroxine',
  'sertraline',
  'albuterol',
  'fluticasone',
  'cetirizine',
  'aspirin',
];

// ---------------------------------------------------------------- immunizations

export const VACCINES = {
  hepB: cvx('08', 'Hep B, adolescent or pediatric'),
  rotavirus: cvx('116', 'rotavirus, pentavalent'),
  dtap: cvx('20', 'DTaP'),
  hib: cvx('49', 'Hib (PRP-OMP)'),
  pcv13: cvx('133', 'Pneumococcal conjugate PCV 13'),
  ipv: cvx('10', 'IPV'),
  mmr: cvx('03', 'MMR'),
  varicella: cvx('21', 'varicella'),
  hepA: cvx('83', 'Hep A, ped/adol, 2 dose'),
  tdap: cvx('115', 'Tdap'),
  td: cvx('113', 'Td (adult), 5 Lf tetanus toxoid, preservative free, adsorbed'),
  hpv9: cvx('165', 'HPV9'),
  menACWY: cvx('114', 'meningococcal MCV4P'),
  flu: cvx('140', 'Influenza, seasonal, injectable, preservative free'),
  ppsv23: cvx('33', 'pneumococcal polysaccharide PPV23'),
  zoster: cvx('187', 'zoster recombinant'),
  covid: cvx('208', 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose'),
} as const;

export type VaccineKey = keyof typeof VACCINES;

/** Childhood schedule: vaccine and age in months at each dose. */
export const CHILDHOOD_SCHEDULE: readonly (readonly [VaccineKey, number])[] = [
  ['hepB', 0], ['hepB', 1], ['hepB', 6],
  ['rotavirus', 2], ['rotavirus', 4], ['rotavirus', 6],
  ['dtap', 2], ['dtap', 4], ['dtap', 6], ['dtap', 15], ['dtap', 48],
  ['hib', 2], ['hib', 4], ['hib', 12],
  ['pcv13', 2], ['pcv13', 4], ['pcv13', 6], ['pcv13', 12],
  ['ipv', 2], ['ipv', 4], ['ipv', 6], ['ipv', 48],
  ['mmr', 12], ['mmr', 48],
  ['varicella', 12], ['varicella', 48],
  ['hepA', 12], ['hepA', 18],
  ['tdap', 132], ['menACWY', 132], ['hpv9', 132], ['hpv9', 138], ['menACWY', 192],
];

// ---------------------------------------------------------------- procedures and encounters

export const PROCEDURES = {
  medicationReconciliation: [sct('430193006', 'Medication reconciliation (procedure)')],
  depressionScreening: [sct('171207006', 'Depression screening (procedure)')],
  throatCulture: [sct('117015009', 'Throat culture (procedure)')],
  chestXray: [sct('399208008', 'Plain X-ray of chest (procedure)'), cpt('71046', 'Radiologic examination, chest; 2 views')],
  ecg: [sct('29303009', 'Electrocardiographic procedure (procedure)'), cpt('93000', 'Electrocardiogram, routine ECG with at least 12 leads; with interpretation and report')],
  colonoscopy: [sct('73761001', 'Colonoscopy (procedure)'), cpt('45378', 'Colonoscopy, flexible; diagnostic')],
  mammography: [sct('71651007', 'Mammography (procedure)'), cpt('77067', 'Screening mammography, bilateral')],
  spirometry: [sct('127783003', 'Spirometry (procedure)'), cpt('94010', 'Spirometry')],
} as const satisfies Record<string, readonly Code[]>;

export type ProcedureKey = keyof typeof PROCEDURES;

/** Encounter types: SNOMED CT (is-a 308335008) with the usual CPT E/M code. */
export const ENCOUNTER_TYPES = {
  checkup: [sct('185349003', 'Encounter for check up (procedure)'), cpt('99396', 'Periodic comprehensive preventive medicine reevaluation and management')],
  wellChild: [sct('410620009', 'Well child visit (procedure)'), cpt('99392', 'Periodic comprehensive preventive medicine reevaluation and management, early childhood')],
  symptom: [sct('185345009', 'Encounter for symptom (procedure)'), cpt('99213', 'Office or other outpatient visit for the evaluation and management of an established patient')],
  followUp: [sct('390906007', 'Follow-up encounter (procedure)'), cpt('99214', 'Office or other outpatient visit for the evaluation and management of an established patient')],
} as const satisfies Record<string, readonly Code[]>;

export type EncounterKind = keyof typeof ENCOUNTER_TYPES;

/** Clinical note type for visit notes. */
export const PROGRESS_NOTE = loinc('11506-3', 'Progress note');

// ---------------------------------------------------------------- allergies

/** Substance and the usual reaction. */
export const ALLERGIES: readonly { readonly substance: Code; readonly category: 'medication' | 'food' | 'environment'; readonly reaction: Code }[] = [
  { substance: sct('764146007', 'Penicillin (substance)'), category: 'medication', reaction: sct('126485001', 'Urticaria (disorder)') },
  { substance: sct('387406002', 'Sulfamethoxazole (substance)'), category: 'medication', reaction: sct('271807003', 'Eruption of skin (disorder)') },
  { substance: sct('387207008', 'Ibuprofen (substance)'), category: 'medication', reaction: sct('126485001', 'Urticaria (disorder)') },
  { substance: sct('387494007', 'Codeine (substance)'), category: 'medication', reaction: sct('422587007', 'Nausea (finding)') },
  { substance: sct('256349002', 'Peanut - dietary (substance)'), category: 'food', reaction: sct('39579001', 'Anaphylaxis (disorder)') },
  { substance: sct('44027008', 'Seafood (substance)'), category: 'food', reaction: sct('126485001', 'Urticaria (disorder)') },
  { substance: sct('102263004', 'Eggs (edible) (substance)'), category: 'food', reaction: sct('271807003', 'Eruption of skin (disorder)') },
  { substance: sct('111088007', 'Latex (substance)'), category: 'environment', reaction: sct('418290006', 'Itching (finding)') },
  { substance: sct('256259004', 'Pollen (substance)'), category: 'environment', reaction: sct('76067001', 'Sneezing (finding)') },
  { substance: sct('260147004', 'House dust mite (organism)'), category: 'environment', reaction: sct('76067001', 'Sneezing (finding)') },
];

// ---------------------------------------------------------------- care coordination

export const CARE_TEAM_ROLES = {
  patient: sct('116154003', 'Patient (person)'),
  primaryCare: sct('446050000', 'Primary care physician (occupation)'),
  nursePractitioner: sct('224571005', 'Nurse practitioner (occupation)'),
} as const;

/** Provider taxonomy (NUCC) for practitioner roles. */
export const SPECIALTIES: readonly Code[] = [
  { system: SYSTEM.nucc, code: '207Q00000X', display: 'Family Medicine Physician' },
  { system: SYSTEM.nucc, code: '207R00000X', display: 'Internal Medicine Physician' },
  { system: SYSTEM.nucc, code: '208000000X', display: 'Pediatrics Physician' },
  { system: SYSTEM.nucc, code: '363LF0000X', display: 'Family Nurse Practitioner' },
];
