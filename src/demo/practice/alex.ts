// Alex Smith (Patient/429119572): David and Anna's son, born 2019-06-14 (a minor).
import type {
  CarePlan,
  CareTeam,
  Coverage,
  Goal,
  MedicationDispense,
  MedicationRequest,
  Patient,
  Procedure,
  RelatedPerson,
  Resource,
  Specimen,
} from '@medplum/fhirtypes';
import {
  type Ctx,
  allergy,
  bloodPressure,
  clinicalNote,
  condition,
  encounter,
  immunization,
  labReport,
  patientRef,
  provenance,
  pulseOximetry,
  vitalQuantity,
} from './builders.js';
import { ALBUTEROL_MEDICATION_ID, FAMILY_ADDRESS, FAMILY_PHONE } from './david.js';
import { SYS, cc, ccMulti, coding, narrative, ref, ucum, usCore } from './helpers.js';
import { nguyenRef, parkRef, payerRef, pharmacyRef, practiceRef } from './organization.js';

export const ALEX_ID = '429119572';
const c: Ctx = { patient: ALEX_ID, name: 'Alex Smith' };
const subject = () => patientRef(c);

const ENC_WCC_2Y = 'alex-enc-2021-06-21';
const ENC_WCC_5Y = 'alex-enc-2024-06-20';
const ENC_AOM = 'alex-enc-2025-02-03';

function patient(): Patient {
  return {
    resourceType: 'Patient',
    id: ALEX_ID,
    meta: usCore('us-core-patient'),
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: coding(SYS.ombRace, '2106-3', 'White') },
          { url: 'ombCategory', valueCoding: coding(SYS.ombRace, '2028-9', 'Asian') },
          { url: 'detailed', valueCoding: coding(SYS.ombRace, '2036-2', 'Filipino') },
          { url: 'text', valueString: 'White and Filipino' },
        ],
      },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
        extension: [
          { url: 'ombCategory', valueCoding: coding(SYS.ombRace, '2186-5', 'Not Hispanic or Latino') },
          { url: 'text', valueString: 'Not Hispanic or Latino' },
        ],
      },
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'M' },
    ],
    identifier: [
      { use: 'usual', type: cc(SYS.v2_0203, 'MR', 'Medical record number'), system: SYS.chartNumber, value: 'HF429119572', assigner: practiceRef() },
    ],
    active: true,
    name: [{ use: 'official', family: 'Smith', given: ['Alex'], period: { start: '2019-06-14' } }],
    telecom: [{ system: 'phone', value: FAMILY_PHONE, use: 'home' }],
    gender: 'male',
    birthDate: '2019-06-14',
    address: [FAMILY_ADDRESS],
    contact: [
      {
        relationship: [cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'MTH', 'mother'), cc('http://terminology.hl7.org/CodeSystem/v2-0131', 'N', 'Next-of-Kin')],
        name: { use: 'official', family: 'Smith', given: ['Anna'] },
        telecom: [{ system: 'phone', value: '(621)654-6592', use: 'mobile' }],
        gender: 'female',
      },
      {
        relationship: [cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'FTH', 'father'), cc('http://terminology.hl7.org/CodeSystem/v2-0131', 'N', 'Next-of-Kin')],
        name: { use: 'official', family: 'Smith', given: ['David'] },
        telecom: [{ system: 'phone', value: FAMILY_PHONE, use: 'home' }],
        gender: 'male',
      },
    ],
    communication: [{ language: cc(SYS.bcp47, 'en', 'English'), preferred: true }],
    generalPractitioner: [parkRef()],
    managingOrganization: practiceRef(),
  };
}

function relatedPersons(): RelatedPerson[] {
  const parent = (id: string, code: 'MTH' | 'FTH', given: string, gender: 'male' | 'female', birthDate: string, phone: string, patientId: string): RelatedPerson => ({
    resourceType: 'RelatedPerson',
    id,
    meta: usCore('us-core-relatedperson'),
    identifier: [{ system: SYS.chartNumber, value: `HF${patientId}` }],
    active: true,
    patient: subject(),
    relationship: [
      cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', code, code === 'MTH' ? 'mother' : 'father'),
      cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'GUARD', 'guardian'),
    ],
    name: [{ use: 'official', family: 'Smith', given: [given] }],
    telecom: [{ system: 'phone', value: phone, use: code === 'MTH' ? 'mobile' : 'home' }],
    gender,
    birthDate,
    address: [FAMILY_ADDRESS],
    communication: [{ language: cc(SYS.bcp47, 'en', 'English'), preferred: true }],
  });
  return [
    parent('alex-rp-anna-mother', 'MTH', 'Anna', 'female', '1997-04-18', '(621)654-6592', '428946523'),
    parent('alex-rp-david-father', 'FTH', 'David', 'male', '1996-11-02', FAMILY_PHONE, '428946492'),
  ];
}

function clinical(): Resource[] {
  const out: Resource[] = [];
  const dx2y = 'alex-dx-2021-06-21-wcc';
  const dx5y = 'alex-dx-2024-06-20-wcc';
  const dxAom = 'alex-dx-2025-02-03-otitis-media';
  const asthma = 'alex-problem-asthma';

  const wcc = (code: string, display: string) =>
    ccMulti('Well child visit', coding(SYS.cpt, code, display), coding(SYS.snomed, '410620009', 'Well child visit (procedure)'));
  out.push(
    encounter(c, {
      id: ENC_WCC_2Y,
      number: 'V-2021-062104',
      start: '2021-06-21T09:30:00-07:00',
      end: '2021-06-21T10:10:00-07:00',
      type: wcc('99392', 'Periodic comprehensive preventive medicine reevaluation, established patient; early childhood (age 1 through 4 years)'),
      reason: cc(SYS.snomed, '410620009', 'Well child visit (procedure)', '24-month well child check'),
      practitioner: parkRef(),
      diagnoses: [dx2y],
    }),
    encounter(c, {
      id: ENC_WCC_5Y,
      number: 'V-2024-062009',
      start: '2024-06-20T10:00:00-07:00',
      end: '2024-06-20T10:40:00-07:00',
      type: wcc('99393', 'Periodic comprehensive preventive medicine reevaluation, established patient; late childhood (age 5 through 11 years)'),
      reason: cc(SYS.snomed, '410620009', 'Well child visit (procedure)', '5-year well child check'),
      practitioner: parkRef(),
      diagnoses: [dx5y],
    }),
    encounter(c, {
      id: ENC_AOM,
      number: 'V-2025-020302',
      start: '2025-02-03T11:15:00-08:00',
      end: '2025-02-03T11:35:00-08:00',
      type: ccMulti(
        'Office visit, established patient',
        coding(SYS.cpt, '99213', 'Office or other outpatient visit for the evaluation and management of an established patient, low level of medical decision making'),
        coding(SYS.snomed, '185347001', 'Encounter for problem (procedure)'),
      ),
      reason: cc(SYS.snomed, '16001004', 'Otalgia (finding)', 'Right ear pain and fever'),
      practitioner: parkRef(),
      diagnoses: [dxAom],
    }),
  );

  out.push(
    condition(c, {
      id: asthma,
      kind: 'problem-list-item',
      code: ccMulti('Mild intermittent asthma', coding(SYS.snomed, '427679007', 'Mild intermittent asthma (disorder)'), coding(SYS.icd10cm, 'J45.20', 'Mild intermittent asthma, uncomplicated')),
      onset: '2023-11',
      recorded: '2024-06-20',
      recorder: parkRef(),
      note: 'Viral-triggered wheeze 2-3 times per year; no nighttime symptoms between episodes.',
    }),
    condition(c, {
      id: dx2y,
      kind: 'encounter-diagnosis',
      code: ccMulti(
        'Encounter for routine child health examination without abnormal findings',
        coding(SYS.icd10cm, 'Z00.129', 'Encounter for routine child health examination without abnormal findings'),
      ),
      clinicalStatus: 'resolved',
      onset: '2021-06-21',
      abatement: '2021-06-21',
      recorded: '2021-06-21',
      encounter: ENC_WCC_2Y,
      recorder: parkRef(),
    }),
    condition(c, {
      id: dx5y,
      kind: 'encounter-diagnosis',
      code: ccMulti(
        'Encounter for routine child health examination with abnormal findings',
        coding(SYS.icd10cm, 'Z00.121', 'Encounter for routine child health examination with abnormal findings'),
      ),
      clinicalStatus: 'resolved',
      onset: '2024-06-20',
      abatement: '2024-06-20',
      recorded: '2024-06-20',
      encounter: ENC_WCC_5Y,
      recorder: parkRef(),
    }),
    condition(c, {
      id: dxAom,
      kind: 'encounter-diagnosis',
      code: ccMulti(
        'Acute otitis media, right ear',
        coding(SYS.snomed, '65363002', 'Otitis media (disorder)'),
        coding(SYS.icd10cm, 'H66.91', 'Otitis media, unspecified, right ear'),
      ),
      clinicalStatus: 'resolved',
      onset: '2025-02-01',
      abatement: '2025-02-13',
      recorded: '2025-02-03',
      encounter: ENC_AOM,
      recorder: parkRef(),
    }),
  );

  out.push(
    allergy(c, {
      id: 'alex-allergy-nka',
      code: cc(SYS.snomed, '716186003', 'No known allergy (situation)', 'No known allergies'),
      recorded: '2024-06-20',
      recorder: parkRef(),
    }),
  );

  // Vital signs at 24 months (with infant growth percentiles)
  const v2 = { date: '2021-06-21T09:40:00-07:00', encounter: ENC_WCC_2Y, performer: nguyenRef() };
  out.push(
    vitalQuantity(c, { ...v2, id: 'alex-vitals-2021-06-21-weight', profile: 'us-core-body-weight', loinc: '29463-7', display: 'Body weight', value: ucum(12.6, 'kg') }),
    vitalQuantity(c, { ...v2, id: 'alex-vitals-2021-06-21-length', profile: 'us-core-body-height', loinc: '8302-2', display: 'Body height', value: ucum(87.5, 'cm'), note: 'Recumbent length.' }),
    vitalQuantity(c, { ...v2, id: 'alex-vitals-2021-06-21-head-circumference', profile: 'us-core-head-circumference', loinc: '9843-4', display: 'Head Occipital-frontal circumference', value: ucum(48.6, 'cm') }),
    vitalQuantity(c, {
      ...v2,
      id: 'alex-vitals-2021-06-21-ofc-percentile',
      profile: 'head-occipital-frontal-circumference-percentile',
      loinc: '8289-1',
      display: 'Head Occipital-frontal circumference Percentile',
      value: ucum(56, '%'),
      note: 'WHO Boys, 0-2 years chart',
    }),
    vitalQuantity(c, {
      ...v2,
      id: 'alex-vitals-2021-06-21-weight-for-length',
      profile: 'pediatric-weight-for-height',
      loinc: '77606-2',
      display: 'Weight-for-length Per age and sex',
      value: ucum(47, '%'),
      note: 'WHO Boys, 0-2 years chart',
    }),
    vitalQuantity(c, { ...v2, id: 'alex-vitals-2021-06-21-heart-rate', profile: 'us-core-heart-rate', loinc: '8867-4', display: 'Heart rate', value: ucum(112, '/min', 'beats/minute') }),
    vitalQuantity(c, { ...v2, id: 'alex-vitals-2021-06-21-resp-rate', profile: 'us-core-respiratory-rate', loinc: '9279-1', display: 'Respiratory rate', value: ucum(26, '/min', 'breaths/minute') }),
    vitalQuantity(c, { ...v2, id: 'alex-vitals-2021-06-21-temperature', profile: 'us-core-body-temperature', loinc: '8310-5', display: 'Body temperature', value: ucum(36.7, 'Cel', 'C') }),
  );

  // Vital signs at 5 years
  const v5 = { date: '2024-06-20T10:08:00-07:00', encounter: ENC_WCC_5Y, performer: nguyenRef() };
  out.push(
    bloodPressure(c, { ...v5, id: 'alex-vitals-2024-06-20-bp', systolic: 98, diastolic: 58 }),
    vitalQuantity(c, { ...v5, id: 'alex-vitals-2024-06-20-weight', profile: 'us-core-body-weight', loinc: '29463-7', display: 'Body weight', value: ucum(19.4, 'kg') }),
    vitalQuantity(c, { ...v5, id: 'alex-vitals-2024-06-20-height', profile: 'us-core-body-height', loinc: '8302-2', display: 'Body height', value: ucum(111.2, 'cm') }),
    vitalQuantity(c, { ...v5, id: 'alex-vitals-2024-06-20-bmi', profile: 'us-core-bmi', loinc: '39156-5', display: 'Body mass index (BMI) [Ratio]', value: ucum(15.7, 'kg/m2') }),
    vitalQuantity(c, {
      ...v5,
      id: 'alex-vitals-2024-06-20-bmi-percentile',
      profile: 'pediatric-bmi-for-age',
      loinc: '59576-9',
      display: 'Body mass index (BMI) [Percentile] Per age and sex',
      value: ucum(61, '%'),
      note: 'CDC Boys, 2-20 years chart',
    }),
    vitalQuantity(c, { ...v5, id: 'alex-vitals-2024-06-20-heart-rate', profile: 'us-core-heart-rate', loinc: '8867-4', display: 'Heart rate', value: ucum(94, '/min', 'beats/minute') }),
    vitalQuantity(c, { ...v5, id: 'alex-vitals-2024-06-20-resp-rate', profile: 'us-core-respiratory-rate', loinc: '9279-1', display: 'Respiratory rate', value: ucum(22, '/min', 'breaths/minute') }),
    vitalQuantity(c, { ...v5, id: 'alex-vitals-2024-06-20-temperature', profile: 'us-core-body-temperature', loinc: '8310-5', display: 'Body temperature', value: ucum(36.8, 'Cel', 'C') }),
    pulseOximetry(c, { ...v5, id: 'alex-vitals-2024-06-20-spo2', value: 99 }),
  );

  // Sick visit vitals (also declared against the generic US Core Vital Signs profile)
  const vs = { date: '2025-02-03T11:18:00-08:00', encounter: ENC_AOM, performer: parkRef(), alsoGeneric: true };
  out.push(
    vitalQuantity(c, { ...vs, id: 'alex-vitals-2025-02-03-temperature', profile: 'us-core-body-temperature', loinc: '8310-5', display: 'Body temperature', value: ucum(38.6, 'Cel', 'C'), note: 'Tympanic.' }),
    vitalQuantity(c, { ...vs, id: 'alex-vitals-2025-02-03-heart-rate', profile: 'us-core-heart-rate', loinc: '8867-4', display: 'Heart rate', value: ucum(124, '/min', 'beats/minute') }),
    vitalQuantity(c, { ...vs, id: 'alex-vitals-2025-02-03-weight', profile: 'us-core-body-weight', loinc: '29463-7', display: 'Body weight', value: ucum(20.3, 'kg') }),
  );

  // Lead and hemoglobin screening at 24 months
  const specimen: Specimen = {
    resourceType: 'Specimen',
    id: 'alex-specimen-capillary-2021-06-21',
    meta: usCore('us-core-specimen'),
    accessionIdentifier: { system: SYS.accession, value: 'CRL21-0621-0311' },
    status: 'available',
    type: cc(SYS.snomed, '122554006', 'Capillary blood specimen'),
    subject: subject(),
    collection: { collectedDateTime: '2021-06-21T10:00:00-07:00', method: cc(SYS.snomed, '278450005', 'Finger-prick sampling'), bodySite: cc(SYS.snomed, '76986006', 'Skin structure of finger') },
  };
  out.push(specimen);
  out.push(
    ...labReport(c, {
      id: 'alex-dr-lead-2021-06-21',
      loinc: '5671-3',
      display: 'Lead [Mass/volume] in Blood',
      date: '2021-06-21T10:00:00-07:00',
      issued: '2021-06-23T09:30:00-07:00',
      encounter: ENC_WCC_2Y,
      specimen: specimen.id,
      results: [{ id: 'alex-lab-lead-2021-06-21', loinc: '5671-3', display: 'Lead [Mass/volume] in Blood', value: ucum(1.2, 'ug/dL'), high: 3.5, interpretation: 'N' }],
    }),
    ...labReport(c, {
      id: 'alex-dr-hgb-2021-06-21',
      loinc: '718-7',
      display: 'Hemoglobin [Mass/volume] in Blood',
      date: '2021-06-21T10:00:00-07:00',
      issued: '2021-06-21T10:05:00-07:00',
      encounter: ENC_WCC_2Y,
      specimen: specimen.id,
      results: [{ id: 'alex-lab-hgb-2021-06-21', loinc: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', value: ucum(12.1, 'g/dL'), low: 10.5, high: 13.5, interpretation: 'N' }],
    }),
  );

  // Immunizations
  out.push(
    immunization(c, { id: 'alex-imm-hepa-2021-06-21', cvx: '83', display: 'Hep A, ped/adol, 2 dose', date: '2021-06-21', lot: 'AHAVB629AB', expiration: '2022-09-30', manufacturer: 'GlaxoSmithKline', site: 'LT', route: 'IM', doseMl: 0.5, performer: nguyenRef(), encounter: ENC_WCC_2Y, doseNumber: 2, series: 'Hep A pediatric 2-dose' }),
    immunization(c, { id: 'alex-imm-dtap-ipv-2024-06-20', cvx: '130', display: 'DTaP-IPV', date: '2024-06-20', lot: 'AC14B512CB', expiration: '2025-08-31', manufacturer: 'GlaxoSmithKline', site: 'LA', route: 'IM', doseMl: 0.5, performer: nguyenRef(), encounter: ENC_WCC_5Y, doseNumber: 5, series: 'DTaP 5-dose childhood' }),
    immunization(c, { id: 'alex-imm-mmrv-2024-06-20', cvx: '94', display: 'MMRV', date: '2024-06-20', lot: 'Y013742', expiration: '2025-04-30', manufacturer: 'Merck Sharp & Dohme', site: 'RA', route: 'SC', doseMl: 0.5, performer: nguyenRef(), encounter: ENC_WCC_5Y, doseNumber: 2, series: 'MMR 2-dose childhood' }),
    immunization(c, { id: 'alex-imm-flu-2024-10-15', cvx: '140', display: 'Influenza, seasonal, injectable, preservative free', date: '2024-10-15', lot: 'UT8631CA', expiration: '2025-06-30', manufacturer: 'Sanofi Pasteur', site: 'LA', route: 'IM', doseMl: 0.5, performer: nguyenRef() }),
  );

  // Procedures at the well-child visits
  const proc = (id: string, date: string, enc: string, cpt: string, cptDisplay: string, text: string, note: string): Procedure => ({
    resourceType: 'Procedure',
    id,
    meta: usCore('us-core-procedure'),
    status: 'completed',
    code: ccMulti(text, coding(SYS.cpt, cpt, cptDisplay)),
    subject: subject(),
    encounter: ref('Encounter', enc),
    performedDateTime: date,
    performer: [{ actor: nguyenRef(), onBehalfOf: practiceRef() }],
    note: [{ text: note }],
  });
  out.push(
    proc('alex-proc-developmental-screen-2021-06-21', '2021-06-21T09:50:00-07:00', ENC_WCC_2Y, '96110', 'Developmental screening (eg, developmental milestone survey, speech and language delay screen), with scoring and documentation, per standardized instrument', 'Developmental screening (ASQ-3, 24 months)', 'ASQ-3: all domains above cutoff.'),
    proc('alex-proc-fluoride-varnish-2024-06-20', '2024-06-20T10:30:00-07:00', ENC_WCC_5Y, '99188', 'Application of topical fluoride varnish by a physician or other qualified health care professional', 'Fluoride varnish application', 'Applied 0.25 mL 5% sodium fluoride varnish to all teeth.'),
  );

  // Otitis media: amoxicillin prescription + dispense, note
  const amoxicillin: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'alex-medrx-amoxicillin-2025-02-03',
    meta: usCore('us-core-medicationrequest'),
    identifier: [{ system: SYS.orderNumber, value: 'RX-2025-02-03-0189' }],
    status: 'completed',
    intent: 'order',
    category: [cc('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community')],
    reportedBoolean: false,
    medicationCodeableConcept: cc(SYS.rxnorm, '308189', 'amoxicillin 80 MG/ML Oral Suspension', 'Amoxicillin 400 mg/5 mL oral suspension'),
    subject: subject(),
    encounter: ref('Encounter', ENC_AOM),
    authoredOn: '2025-02-03T11:32:00-08:00',
    requester: parkRef(),
    reasonReference: [ref('Condition', dxAom)],
    dosageInstruction: [
      {
        sequence: 1,
        text: 'Give 11 mL (880 mg) by mouth twice daily for 10 days (90 mg/kg/day).',
        timing: { repeat: { boundsDuration: ucum(10, 'd', 'days'), frequency: 2, period: 1, periodUnit: 'd' } },
        route: cc(SYS.snomed, '26643006', 'Oral route'),
        doseAndRate: [{ doseQuantity: ucum(11, 'mL') }],
      },
    ],
    dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: ucum(225, 'mL'), expectedSupplyDuration: ucum(10, 'd', 'days') },
    substitution: { allowedBoolean: true },
  };
  const amoxDispense: MedicationDispense = {
    resourceType: 'MedicationDispense',
    id: 'alex-meddispense-amoxicillin-2025-02-03',
    meta: usCore('us-core-medicationdispense'),
    status: 'completed',
    medicationCodeableConcept: cc(SYS.rxnorm, '308189', 'amoxicillin 80 MG/ML Oral Suspension'),
    subject: subject(),
    context: ref('Encounter', ENC_AOM),
    performer: [{ actor: pharmacyRef() }],
    authorizingPrescription: [ref('MedicationRequest', amoxicillin.id as string)],
    type: cc('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'FF', 'First Fill'),
    quantity: ucum(225, 'mL'),
    daysSupply: ucum(10, 'd', 'days'),
    whenHandedOver: '2025-02-03T13:05:00-08:00',
    note: [{ text: 'Picked up by mother (Anna Smith). Reconstituted; refrigerate and shake well. Oral syringe provided.' }],
  };
  const albuterol: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'alex-medrx-albuterol-2024-06-20',
    meta: usCore('us-core-medicationrequest'),
    status: 'active',
    intent: 'order',
    category: [cc('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community')],
    reportedBoolean: false,
    medicationReference: ref('Medication', ALBUTEROL_MEDICATION_ID, 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
    subject: subject(),
    encounter: ref('Encounter', ENC_WCC_5Y),
    authoredOn: '2024-06-20T10:35:00-07:00',
    requester: parkRef(),
    reasonReference: [ref('Condition', asthma)],
    dosageInstruction: [
      {
        sequence: 1,
        text: 'Inhale 2 puffs with spacer and mask every 4 hours as needed for cough or wheeze.',
        timing: { repeat: { frequency: 1, period: 4, periodUnit: 'h' } },
        asNeededCodeableConcept: cc(SYS.snomed, '56018004', 'Wheezing (finding)'),
        route: cc(SYS.snomed, '447694001', 'Respiratory tract route (qualifier value)'),
        doseAndRate: [{ doseQuantity: { value: 2, unit: 'puff', system: SYS.ucum, code: '{puff}' } }],
      },
    ],
    dispenseRequest: { numberOfRepeatsAllowed: 2, quantity: { value: 2, unit: 'inhaler', system: SYS.ucum, code: '{inhaler}' } },
  };
  out.push(albuterol, amoxicillin, amoxDispense);

  out.push(
    clinicalNote(c, {
      id: 'alex-note-progress-2025-02-03',
      loinc: '11506-3',
      display: 'Progress note',
      date: '2025-02-03T12:10:00-08:00',
      author: parkRef(),
      encounter: ENC_AOM,
      period: { start: '2025-02-03T11:15:00-08:00', end: '2025-02-03T11:35:00-08:00' },
      title: 'Sick visit - ear pain',
      text: [
        'SOLANA BEACH FAMILY MEDICINE - PEDIATRIC PROGRESS NOTE',
        'Patient: Alex Smith   DOB: 2019-06-14   MRN: HF429119572',
        'Date of service: 2025-02-03   Provider: Kevin Park, MD   Accompanied by: mother (Anna)',
        '',
        'S: 5-year-old boy with 2 days of right ear pain, fever to 39.0 C at home, rhinorrhea and decreased appetite.',
        'No vomiting, no rash. Drinking well. No antibiotics in the past 30 days. No known drug allergies.',
        'O: T 38.6 C, HR 124, Wt 20.3 kg. Well hydrated, consolable. Right TM bulging, erythematous, no light reflex.',
        'Left TM normal. Clear rhinorrhea. Lungs clear, no wheeze.',
        'A: Acute otitis media, right ear (H66.91).',
        'P: Amoxicillin 90 mg/kg/day divided BID x 10 days (11 mL of 400 mg/5 mL BID). Acetaminophen or ibuprofen for pain.',
        'Return if no improvement in 48-72 hours or worsening. Ear recheck at next well visit.',
        '',
        'Electronically signed: Kevin Park, MD 2025-02-03 12:10',
      ].join('\n'),
    }),
  );

  // Asthma goal, plan and pediatric care team
  const goal: Goal = {
    resourceType: 'Goal',
    id: 'alex-goal-asthma-control',
    meta: usCore('us-core-goal'),
    lifecycleStatus: 'active',
    description: { text: 'Asthma well controlled: rescue inhaler on 2 or fewer days per week and no missed school days' },
    subject: subject(),
    startDate: '2024-06-20',
    target: [{ dueDate: '2025-06-20' }],
    expressedBy: parkRef(),
    addresses: [ref('Condition', asthma)],
  };
  const plan: CarePlan = {
    resourceType: 'CarePlan',
    id: 'alex-careplan-asthma',
    meta: usCore('us-core-careplan'),
    text: narrative(
      'Asthma action plan for Alex Smith. Green zone: no daily controller. Yellow zone (cough, wheeze, cold symptoms): albuterol 2 puffs with spacer every 4 hours as needed. Red zone (hard breathing, albuterol not helping): call 911 or go to the emergency department.',
    ),
    status: 'active',
    intent: 'plan',
    category: [cc('http://hl7.org/fhir/us/core/CodeSystem/careplan-category', 'assess-plan', 'Assessment and Plan of Treatment')],
    title: 'Asthma action plan',
    subject: subject(),
    encounter: ref('Encounter', ENC_WCC_5Y),
    period: { start: '2024-06-20' },
    created: '2024-06-20',
    author: parkRef(),
    careTeam: [ref('CareTeam', 'alex-careteam')],
    addresses: [ref('Condition', asthma)],
    goal: [ref('Goal', goal.id as string)],
    activity: [
      { reference: ref('MedicationRequest', albuterol.id as string) },
      {
        detail: {
          kind: 'ServiceRequest',
          code: cc(SYS.snomed, '406162001', 'Asthma management (procedure)'),
          status: 'scheduled',
          scheduledString: 'Review at each well child visit',
          description: 'Review triggers, inhaler-spacer technique and action plan with parents.',
        },
      },
    ],
  };
  const careTeam: CareTeam = {
    resourceType: 'CareTeam',
    id: 'alex-careteam',
    meta: usCore('us-core-careteam'),
    status: 'active',
    name: 'Alex Smith pediatric care team',
    subject: subject(),
    period: { start: '2019-06-17' },
    participant: [
      { role: [cc(SYS.snomed, '116154003', 'Patient (person)')], member: subject() },
      { role: [cc(SYS.nucc, '208000000X', 'Pediatrics Physician')], member: parkRef(), onBehalfOf: practiceRef() },
      { role: [cc(SYS.nucc, '363LF0000X', 'Family Health Nurse Practitioner')], member: nguyenRef(), onBehalfOf: practiceRef() },
      { role: [cc(SYS.snomed, '133932002', 'Caregiver (person)')], member: ref('RelatedPerson', 'alex-rp-anna-mother', 'Anna Smith') },
      { role: [cc(SYS.snomed, '133932002', 'Caregiver (person)')], member: ref('RelatedPerson', 'alex-rp-david-father', 'David Smith') },
    ],
    managingOrganization: [practiceRef()],
  };
  out.push(goal, careTeam, plan);

  const coverage: Coverage = {
    resourceType: 'Coverage',
    id: 'alex-coverage-pchp',
    meta: usCore('us-core-coverage'),
    identifier: [{ type: cc(SYS.v2_0203, 'MB', 'Member Number'), system: SYS.memberId, value: 'PCH428946492-03' }],
    status: 'active',
    type: ccMulti('PPO', coding('https://nahdo.org/sopt', '512', 'Commercial Managed Care - PPO'), coding(SYS.v3ActCode, 'PPO', 'preferred provider organization policy')),
    policyHolder: ref('Patient', '428946492', 'David Smith'),
    subscriber: ref('Patient', '428946492', 'David Smith'),
    subscriberId: 'PCH428946492',
    beneficiary: subject(),
    dependent: '03',
    relationship: cc('http://terminology.hl7.org/CodeSystem/subscriber-relationship', 'child', 'Child'),
    period: { start: '2022-01-01' },
    payor: [payerRef()],
    class: [
      { type: cc('http://terminology.hl7.org/CodeSystem/coverage-class', 'group', 'Group'), value: 'TG-55102', name: 'Tidewave Software employee group' },
      { type: cc('http://terminology.hl7.org/CodeSystem/coverage-class', 'plan', 'Plan'), value: 'PPO-SILVER-2500', name: 'Pacific Coast PPO Silver 2500' },
    ],
    network: 'Pacific Coast PPO',
  };
  out.push(coverage);
  return out;
}

export function alexResources(): Resource[] {
  const records = [patient(), ...relatedPersons(), ...clinical()];
  return [...records, provenance(c, 'alex-provenance', records, { recorded: '2025-02-04T08:00:00-08:00', author: parkRef() })];
}
