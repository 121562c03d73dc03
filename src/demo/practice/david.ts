// David Smith (Patient/428946492): 28-year-old software developer, subscriber of the family's health plan.
import type {
  CarePlan,
  CareTeam,
  Coverage,
  DiagnosticReport,
  DocumentReference,
  Goal,
  Medication,
  MedicationDispense,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  Questionnaire,
  QuestionnaireResponse,
  RelatedPerson,
  Resource,
  ServiceRequest,
  Specimen,
} from '@medplum/fhirtypes';
import {
  type Ctx,
  adultVitals,
  allergy,
  clinicalNote,
  condition,
  encounter,
  immunization,
  labReport,
  patientRef,
  provenance,
} from './builders.js';
import { FHIR_SD, SOCIAL_HISTORY, SURVEY, SYS, base64, cc, ccMulti, coding, narrative, obsCategory, ref, ucum, usCore } from './helpers.js';
import { lopezRef, nguyenRef, payerRef, pharmacyRef, practiceRef } from './organization.js';

export const DAVID_ID = '428946492';
const c: Ctx = { patient: DAVID_ID, name: 'David Smith' };
const subject = () => patientRef(c);

export const FAMILY_ADDRESS = {
  use: 'home' as const,
  type: 'both' as const,
  line: ['732 Glencrest Dr'],
  city: 'Solana Beach',
  state: 'CA',
  postalCode: '92075',
  country: 'US',
  period: { start: '2020-08-01' },
};
export const FAMILY_PHONE = '(621)654-6545';

/** Shared by the whole family: the albuterol inhaler product (referenced by MedicationRequest.medicationReference). */
export const ALBUTEROL_MEDICATION_ID = 'albuterol-hfa-inhaler';

const ENC_PHYSICAL = 'david-enc-2024-03-12';
const ENC_BRONCHITIS = 'david-enc-2025-01-20';

function patient(): Patient {
  return {
    resourceType: 'Patient',
    id: DAVID_ID,
    meta: usCore('us-core-patient'),
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: coding(SYS.ombRace, '2106-3', 'White') },
          { url: 'text', valueString: 'White' },
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
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity',
        valueCodeableConcept: cc(SYS.snomed, '446151000124109', 'Identifies as male gender (finding)', 'Male'),
      },
    ],
    identifier: [
      {
        use: 'usual',
        type: cc(SYS.v2_0203, 'MR', 'Medical record number'),
        system: SYS.chartNumber,
        value: 'HF428946492',
        assigner: practiceRef(),
      },
    ],
    active: true,
    name: [{ use: 'official', family: 'Smith', given: ['David'], period: { start: '1996-11-02' } }],
    telecom: [
      { system: 'phone', value: FAMILY_PHONE, use: 'home', rank: 1 },
      { system: 'phone', value: '(621)654-6580', use: 'mobile', rank: 2 },
      { system: 'email', value: 'david.smith@example.com', use: 'home' },
    ],
    gender: 'male',
    birthDate: '1996-11-02',
    address: [FAMILY_ADDRESS],
    maritalStatus: cc(SYS.v3MaritalStatus, 'M', 'Married'),
    communication: [{ language: cc(SYS.bcp47, 'en', 'English'), preferred: true }],
    generalPractitioner: [lopezRef()],
    managingOrganization: practiceRef(),
  };
}

function relatedPersons(): RelatedPerson[] {
  return [
    {
      resourceType: 'RelatedPerson',
      id: 'david-rp-anna-spouse',
      meta: usCore('us-core-relatedperson'),
      active: true,
      patient: subject(),
      relationship: [
        cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'WIFE', 'wife'),
        cc('http://terminology.hl7.org/CodeSystem/v2-0131', 'C', 'Emergency Contact'),
      ],
      name: [{ use: 'official', family: 'Smith', given: ['Anna'] }],
      telecom: [{ system: 'phone', value: '(621)654-6592', use: 'mobile' }],
      gender: 'female',
      birthDate: '1997-04-18',
      address: [FAMILY_ADDRESS],
      communication: [{ language: cc(SYS.bcp47, 'en', 'English'), preferred: true }],
    },
  ];
}

function clinical(): Resource[] {
  const out: Resource[] = [];

  // Encounters
  const dxPhysical = 'david-dx-2024-03-12-exam';
  const dxBronchitis = 'david-dx-2025-01-20-bronchitis';
  out.push(
    encounter(c, {
      id: ENC_PHYSICAL,
      number: 'V-2024-031207',
      start: '2024-03-12T09:00:00-07:00',
      end: '2024-03-12T09:40:00-07:00',
      type: ccMulti(
        'Annual preventive visit',
        coding(SYS.cpt, '99395', 'Periodic comprehensive preventive medicine reevaluation, established patient; 18-39 years'),
        coding(SYS.snomed, '185349003', 'Encounter for check up (procedure)'),
      ),
      reason: cc(SYS.snomed, '410620009', 'Well adult exam (procedure)'),
      practitioner: lopezRef(),
      diagnoses: [dxPhysical],
    }),
    encounter(c, {
      id: ENC_BRONCHITIS,
      number: 'V-2025-012014',
      start: '2025-01-20T14:20:00-08:00',
      end: '2025-01-20T14:50:00-08:00',
      type: ccMulti(
        'Office visit, established patient',
        coding(SYS.cpt, '99213', 'Office or other outpatient visit for the evaluation and management of an established patient, low level of medical decision making'),
        coding(SYS.snomed, '185347001', 'Encounter for problem (procedure)'),
      ),
      reason: cc(SYS.snomed, '49727002', 'Cough (finding)'),
      practitioner: nguyenRef(),
      diagnoses: [dxBronchitis],
    }),
  );

  // Problems, health concerns and encounter diagnoses
  out.push(
    condition(c, {
      id: 'david-problem-hyperlipidemia',
      kind: 'problem-list-item',
      code: ccMulti('Hyperlipidemia', coding(SYS.snomed, '55822004', 'Hyperlipidemia (disorder)'), coding(SYS.icd10cm, 'E78.5', 'Hyperlipidemia, unspecified')),
      onset: '2024-03-12',
      recorded: '2024-03-14',
      recorder: lopezRef(),
      note: 'LDL 137 mg/dL on fasting panel. Plan: therapeutic lifestyle changes, recheck in 12 months.',
    }),
    condition(c, {
      id: 'david-problem-allergic-rhinitis',
      kind: 'problem-list-item',
      code: ccMulti(
        'Seasonal allergic rhinitis',
        coding(SYS.snomed, '367498001', 'Seasonal allergic rhinitis (disorder)'),
        coding(SYS.icd10cm, 'J30.2', 'Other seasonal allergic rhinitis'),
      ),
      onset: '2012-04',
      recorded: '2021-05-03',
      recorder: lopezRef(),
    }),
    condition(c, {
      id: 'david-concern-overweight',
      kind: 'health-concern',
      code: ccMulti('Overweight', coding(SYS.snomed, '238131007', 'Overweight (finding)'), coding(SYS.icd10cm, 'E66.3', 'Overweight')),
      onset: '2024-03-12',
      recorded: '2024-03-12',
      recorder: lopezRef(),
      note: 'BMI 26.0 kg/m2. Patient wishes to lose 4-5 kg over the next year.',
    }),
    condition(c, {
      id: dxPhysical,
      kind: 'encounter-diagnosis',
      code: ccMulti(
        'Encounter for general adult medical examination without abnormal findings',
        coding(SYS.icd10cm, 'Z00.00', 'Encounter for general adult medical examination without abnormal findings'),
      ),
      clinicalStatus: 'resolved',
      onset: '2024-03-12',
      abatement: '2024-03-12',
      recorded: '2024-03-12',
      encounter: ENC_PHYSICAL,
      recorder: lopezRef(),
    }),
    condition(c, {
      id: dxBronchitis,
      kind: 'encounter-diagnosis',
      code: ccMulti('Acute bronchitis', coding(SYS.snomed, '10509002', 'Acute bronchitis (disorder)'), coding(SYS.icd10cm, 'J20.9', 'Acute bronchitis, unspecified')),
      clinicalStatus: 'resolved',
      onset: '2025-01-14',
      abatement: '2025-02-05',
      recorded: '2025-01-20',
      encounter: ENC_BRONCHITIS,
      recorder: nguyenRef(),
    }),
  );

  // Allergy
  out.push(
    allergy(c, {
      id: 'david-allergy-penicillin',
      code: ccMulti('Penicillin', coding(SYS.rxnorm, '70618', 'Penicillin')),
      category: ['medication'],
      criticality: 'high',
      onset: '2004',
      recorded: '2021-05-03',
      recorder: lopezRef(),
      reaction: { manifestation: cc(SYS.snomed, '247472004', 'Wheal (finding)', 'Hives'), severity: 'moderate', description: 'Generalized hives after amoxicillin as a child.' },
    }),
  );

  // Vital signs
  out.push(
    ...adultVitals(c, 'david-vitals-2024-03-12', {
      date: '2024-03-12T09:08:00-07:00',
      encounter: ENC_PHYSICAL,
      performer: lopezRef(),
      systolic: 128,
      diastolic: 82,
      heartRate: 72,
      respRate: 14,
      tempC: 36.8,
      weightKg: 84.2,
      heightCm: 180,
      spo2: 98,
    }),
    ...adultVitals(c, 'david-vitals-2025-01-20', {
      date: '2025-01-20T14:26:00-08:00',
      encounter: ENC_BRONCHITIS,
      performer: nguyenRef(),
      systolic: 124,
      diastolic: 80,
      heartRate: 88,
      respRate: 18,
      tempC: 37.9,
      weightKg: 83.1,
      heightCm: 180,
      spo2: 96,
    }),
  );

  // Laboratory: order, specimen, results, reports
  const srLipid = 'david-sr-lipid-2024-03-12';
  const specimenSerum = 'david-specimen-serum-2024-03-12';
  const srA1c = 'david-sr-a1c-2024-03-12';
  const serviceRequests: ServiceRequest[] = [
    {
      resourceType: 'ServiceRequest',
      id: srLipid,
      meta: usCore('us-core-servicerequest'),
      identifier: [{ system: SYS.orderNumber, value: 'ORD-2024-03-12-0041' }],
      status: 'completed',
      intent: 'order',
      category: [cc(SYS.snomed, '108252007', 'Laboratory procedure')],
      code: cc(SYS.loinc, '24331-1', 'Lipid 1996 panel - Serum or Plasma', 'Lipid panel'),
      subject: subject(),
      encounter: ref('Encounter', ENC_PHYSICAL),
      occurrenceDateTime: '2024-03-12',
      authoredOn: '2024-03-12T09:35:00-07:00',
      requester: lopezRef(),
      performer: [ref('Organization', 'coastal-reference-lab', 'Coastal Reference Laboratory')],
      reasonCode: [cc(SYS.snomed, '410620009', 'Well adult exam (procedure)')],
      patientInstruction: 'Fast for 9-12 hours before the blood draw; water is fine.',
    },
    {
      resourceType: 'ServiceRequest',
      id: srA1c,
      meta: usCore('us-core-servicerequest'),
      identifier: [{ system: SYS.orderNumber, value: 'ORD-2024-03-12-0042' }],
      status: 'completed',
      intent: 'order',
      category: [cc(SYS.snomed, '108252007', 'Laboratory procedure')],
      code: cc(SYS.loinc, '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', 'Hemoglobin A1c'),
      subject: subject(),
      encounter: ref('Encounter', ENC_PHYSICAL),
      occurrenceDateTime: '2024-03-12',
      authoredOn: '2024-03-12T09:35:00-07:00',
      requester: lopezRef(),
    },
  ];
  out.push(...serviceRequests);
  const specimen: Specimen = {
    resourceType: 'Specimen',
    id: specimenSerum,
    meta: usCore('us-core-specimen'),
    identifier: [{ system: SYS.accession, value: 'CRL24-0312-1187' }],
    accessionIdentifier: { system: SYS.accession, value: 'CRL24-0312-1187' },
    status: 'available',
    type: ccMulti('Serum', coding(SYS.snomed, '119364003', 'Serum specimen'), coding('http://terminology.hl7.org/CodeSystem/v2-0487', 'SER', 'Serum')),
    subject: subject(),
    receivedTime: '2024-03-12T13:10:00-07:00',
    request: [ref('ServiceRequest', srLipid)],
    collection: {
      collector: nguyenRef(),
      collectedDateTime: '2024-03-12T09:45:00-07:00',
      method: cc(SYS.snomed, '28520004', 'Venipuncture for blood test'),
      bodySite: cc(SYS.snomed, '49852007', 'Structure of median cubital vein'),
    },
    container: [{ type: cc(SYS.snomed, '702281005', 'Evacuated blood collection tube, thrombin/clot activator/gel separator'), specimenQuantity: ucum(5, 'mL') }],
  };
  out.push(specimen);
  out.push(
    ...labReport(c, {
      id: 'david-dr-lipid-2024-03-12',
      loinc: '24331-1',
      display: 'Lipid 1996 panel - Serum or Plasma',
      date: '2024-03-12T09:45:00-07:00',
      issued: '2024-03-13T07:12:00-07:00',
      encounter: ENC_PHYSICAL,
      specimen: specimenSerum,
      basedOn: srLipid,
      resultsInterpreter: lopezRef(),
      conclusion: 'Borderline high total and LDL cholesterol; HDL low-normal. Fasting specimen.',
      results: [
        { id: 'david-lab-chol-2024-03-12', loinc: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', value: ucum(212, 'mg/dL'), high: 200, interpretation: 'H' },
        { id: 'david-lab-trig-2024-03-12', loinc: '2571-8', display: 'Triglyceride [Mass/volume] in Serum or Plasma', value: ucum(168, 'mg/dL'), high: 150, interpretation: 'H' },
        { id: 'david-lab-hdl-2024-03-12', loinc: '2085-9', display: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', value: ucum(41, 'mg/dL'), low: 40, interpretation: 'N' },
        { id: 'david-lab-ldl-2024-03-12', loinc: '13457-7', display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation', value: ucum(137, 'mg/dL'), high: 100, interpretation: 'H' },
      ],
    }),
    ...labReport(c, {
      id: 'david-dr-a1c-2024-03-12',
      loinc: '4548-4',
      display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
      date: '2024-03-12T09:45:00-07:00',
      issued: '2024-03-12T16:30:00-07:00',
      encounter: ENC_PHYSICAL,
      basedOn: srA1c,
      results: [{ id: 'david-lab-a1c-2024-03-12', loinc: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', value: ucum(5.4, '%'), low: 4.0, high: 5.6, interpretation: 'N' }],
    }),
  );

  // EKG (clinical test result)
  const ekg: Observation = {
    resourceType: 'Observation',
    id: 'david-ekg-impression-2024-03-12',
    meta: usCore('us-core-observation-clinical-result'),
    status: 'final',
    category: [obsCategory('procedure', 'Procedure')],
    code: cc(SYS.loinc, '8601-7', 'EKG impression'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    effectiveDateTime: '2024-03-12T09:30:00-07:00',
    performer: [lopezRef()],
    valueString: 'Normal sinus rhythm, rate 70. Normal axis and intervals. No ST-T changes.',
  };
  out.push(ekg);

  // Chest X-ray: order, procedure, imaging result, report
  const srCxr = 'david-sr-cxr-2025-01-20';
  const cxrImpression: Observation = {
    resourceType: 'Observation',
    id: 'david-cxr-impression-2025-01-20',
    meta: usCore('us-core-observation-clinical-result'),
    status: 'final',
    category: [obsCategory('imaging', 'Imaging')],
    code: cc(SYS.loinc, '19005-8', 'Radiology Imaging study [Impression] (narrative)'),
    subject: subject(),
    encounter: ref('Encounter', ENC_BRONCHITIS),
    basedOn: [ref('ServiceRequest', srCxr)],
    effectiveDateTime: '2025-01-20T15:30:00-08:00',
    issued: '2025-01-20T17:05:00-08:00',
    performer: [lopezRef()],
    valueString: 'No focal consolidation, effusion or pneumothorax. Findings compatible with bronchitis.',
  };
  const cxrReportText = [
    'EXAM: XR CHEST 2 VIEWS (PA AND LATERAL)',
    'DATE: 2025-01-20',
    'CLINICAL HISTORY: 28-year-old male with 6 days of productive cough and low-grade fever.',
    'COMPARISON: None.',
    'FINDINGS: The lungs are clear without focal consolidation. Mild peribronchial thickening.',
    'No pleural effusion or pneumothorax. Heart size and mediastinal contours are normal.',
    'IMPRESSION: No acute cardiopulmonary process. Mild peribronchial thickening, compatible with bronchitis.',
  ].join('\n');
  const cxrReport: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: 'david-dr-cxr-2025-01-20',
    meta: usCore('us-core-diagnosticreport-note'),
    basedOn: [ref('ServiceRequest', srCxr)],
    status: 'final',
    category: [cc(SYS.loinc, 'LP29684-5', 'Radiology')],
    code: cc(SYS.loinc, '36643-5', 'XR Chest 2 Views'),
    subject: subject(),
    encounter: ref('Encounter', ENC_BRONCHITIS),
    effectiveDateTime: '2025-01-20T15:30:00-08:00',
    issued: '2025-01-20T17:05:00-08:00',
    performer: [lopezRef()],
    resultsInterpreter: [lopezRef()],
    result: [ref('Observation', cxrImpression.id as string)],
    conclusion: 'No acute cardiopulmonary process.',
    conclusionCode: [cc(SYS.snomed, '10509002', 'Acute bronchitis (disorder)')],
    presentedForm: [{ contentType: 'text/plain', language: 'en-US', data: base64(cxrReportText), title: 'XR Chest 2 Views report' }],
  };
  const cxrOrder: ServiceRequest = {
    resourceType: 'ServiceRequest',
    id: srCxr,
    meta: usCore('us-core-servicerequest'),
    identifier: [{ system: SYS.orderNumber, value: 'ORD-2025-01-20-0113' }],
    status: 'completed',
    intent: 'order',
    category: [cc(SYS.snomed, '363679005', 'Imaging')],
    code: ccMulti('XR Chest 2 Views', coding(SYS.cpt, '71046', 'Radiologic examination, chest; 2 views'), coding(SYS.loinc, '36643-5', 'XR Chest 2 Views')),
    subject: subject(),
    encounter: ref('Encounter', ENC_BRONCHITIS),
    occurrenceDateTime: '2025-01-20',
    authoredOn: '2025-01-20T14:45:00-08:00',
    requester: nguyenRef(),
    reasonReference: [ref('Condition', dxBronchitis)],
  };
  const cxrProcedure: Procedure = {
    resourceType: 'Procedure',
    id: 'david-proc-cxr-2025-01-20',
    meta: usCore('us-core-procedure'),
    basedOn: [ref('ServiceRequest', srCxr)],
    status: 'completed',
    category: cc(SYS.snomed, '103693007', 'Diagnostic procedure'),
    code: ccMulti('XR Chest 2 Views', coding(SYS.cpt, '71046', 'Radiologic examination, chest; 2 views'), coding(SYS.snomed, '399208008', 'Plain X-ray of chest (procedure)')),
    subject: subject(),
    encounter: ref('Encounter', ENC_BRONCHITIS),
    performedDateTime: '2025-01-20T15:30:00-08:00',
    performer: [{ actor: lopezRef(), onBehalfOf: practiceRef() }],
    location: ref('Location', 'sbfm-main-clinic'),
    reasonReference: [ref('Condition', dxBronchitis)],
    report: [ref('DiagnosticReport', cxrReport.id as string)],
  };
  out.push(cxrOrder, cxrProcedure, cxrImpression, cxrReport);

  // Medications
  const albuterolRequest: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'david-medrx-albuterol-2025-01-20',
    meta: usCore('us-core-medicationrequest'),
    identifier: [{ system: SYS.orderNumber, value: 'RX-2025-01-20-0457' }],
    status: 'completed',
    intent: 'order',
    category: [cc('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community')],
    reportedBoolean: false,
    medicationReference: ref('Medication', ALBUTEROL_MEDICATION_ID, 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
    subject: subject(),
    encounter: ref('Encounter', ENC_BRONCHITIS),
    authoredOn: '2025-01-20T14:48:00-08:00',
    requester: nguyenRef(),
    reasonReference: [ref('Condition', dxBronchitis)],
    dosageInstruction: [
      {
        sequence: 1,
        text: 'Inhale 2 puffs by mouth every 4 to 6 hours as needed for cough or wheezing.',
        timing: { repeat: { frequency: 1, period: 4, periodMax: 6, periodUnit: 'h' } },
        asNeededCodeableConcept: cc(SYS.snomed, '56018004', 'Wheezing (finding)'),
        route: cc(SYS.snomed, '447694001', 'Respiratory tract route (qualifier value)'),
        doseAndRate: [{ doseQuantity: { value: 2, unit: 'puff', system: SYS.ucum, code: '{puff}' } }],
      },
    ],
    dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 1, unit: 'inhaler', system: SYS.ucum, code: '{inhaler}' }, expectedSupplyDuration: ucum(30, 'd', 'days') },
    substitution: { allowedBoolean: true },
  };
  const cetirizine: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'david-medrx-cetirizine-2024-03-12',
    meta: usCore('us-core-medicationrequest'),
    status: 'active',
    intent: 'order',
    category: [cc('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community')],
    reportedBoolean: false,
    medicationCodeableConcept: cc(SYS.rxnorm, '1014676', 'cetirizine hydrochloride 10 MG Oral Tablet'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    authoredOn: '2024-03-12T09:38:00-07:00',
    requester: lopezRef(),
    reasonReference: [ref('Condition', 'david-problem-allergic-rhinitis')],
    dosageInstruction: [
      {
        sequence: 1,
        text: 'Take 1 tablet by mouth once daily during allergy season (March to June).',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        route: cc(SYS.snomed, '26643006', 'Oral route'),
        doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', system: SYS.ucum, code: '{tbl}' } }],
      },
    ],
    dispenseRequest: {
      validityPeriod: { start: '2024-03-12', end: '2025-03-12' },
      numberOfRepeatsAllowed: 3,
      quantity: { value: 90, unit: 'tablet', system: SYS.ucum, code: '{tbl}' },
      expectedSupplyDuration: ucum(90, 'd', 'days'),
    },
  };
  const albuterolDispense: MedicationDispense = {
    resourceType: 'MedicationDispense',
    id: 'david-meddispense-albuterol-2025-01-20',
    meta: usCore('us-core-medicationdispense'),
    status: 'completed',
    medicationReference: ref('Medication', ALBUTEROL_MEDICATION_ID, 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
    subject: subject(),
    context: ref('Encounter', ENC_BRONCHITIS),
    performer: [{ actor: pharmacyRef() }],
    authorizingPrescription: [ref('MedicationRequest', albuterolRequest.id as string)],
    type: cc('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'FF', 'First Fill'),
    quantity: { value: 1, unit: 'inhaler', system: SYS.ucum, code: '{inhaler}' },
    daysSupply: ucum(30, 'd', 'days'),
    whenPrepared: '2025-01-20T17:10:00-08:00',
    whenHandedOver: '2025-01-20T18:02:00-08:00',
    dosageInstruction: albuterolRequest.dosageInstruction,
  };
  const cetirizineDispense: MedicationDispense = {
    resourceType: 'MedicationDispense',
    id: 'david-meddispense-cetirizine-2024-03-12',
    meta: usCore('us-core-medicationdispense'),
    status: 'completed',
    medicationCodeableConcept: cc(SYS.rxnorm, '1014676', 'cetirizine hydrochloride 10 MG Oral Tablet'),
    subject: subject(),
    performer: [{ actor: pharmacyRef() }],
    authorizingPrescription: [ref('MedicationRequest', cetirizine.id as string)],
    type: cc('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'FF', 'First Fill'),
    quantity: { value: 90, unit: 'tablet', system: SYS.ucum, code: '{tbl}' },
    daysSupply: ucum(90, 'd', 'days'),
    whenHandedOver: '2024-03-12T16:40:00-07:00',
    substitution: { wasSubstituted: true, type: cc('http://terminology.hl7.org/CodeSystem/v3-substanceAdminSubstitution', 'G', 'generic composition'), reason: [cc('http://terminology.hl7.org/CodeSystem/v3-ActReason', 'CT', 'continuing therapy')] },
  };
  out.push(cetirizine, cetirizineDispense, albuterolRequest, albuterolDispense);

  // Immunizations
  out.push(
    immunization(c, { id: 'david-imm-tdap-2021-05-03', cvx: '115', display: 'Tdap', date: '2021-05-03', lot: 'AC52B093AA', expiration: '2022-11-30', manufacturer: 'GlaxoSmithKline', site: 'LA', route: 'IM', doseMl: 0.5, performer: nguyenRef(), note: 'Decennial booster.' }),
    immunization(c, { id: 'david-imm-flu-2023-10-09', cvx: '150', display: 'Influenza, injectable, quadrivalent, preservative free', date: '2023-10-09', lot: 'UT8172BA', expiration: '2024-06-30', manufacturer: 'Sanofi Pasteur', site: 'LA', route: 'IM', doseMl: 0.5, performer: nguyenRef() }),
    immunization(c, { id: 'david-imm-flu-2024-10-15', cvx: '140', display: 'Influenza, seasonal, injectable, preservative free', date: '2024-10-15', lot: 'UT8631CA', expiration: '2025-06-30', manufacturer: 'Sanofi Pasteur', site: 'RA', route: 'IM', doseMl: 0.5, performer: nguyenRef() }),
  );

  // Social history
  const smoking: Observation = {
    resourceType: 'Observation',
    id: 'david-smoking-status-2024-03-12',
    meta: usCore('us-core-smokingstatus'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '72166-2', 'Tobacco smoking status'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    effectiveDateTime: '2024-03-12T09:10:00-07:00',
    performer: [lopezRef()],
    valueCodeableConcept: cc(SYS.snomed, '266919005', 'Never smoked tobacco (finding)', 'Never smoker'),
  };
  const sexualOrientation: Observation = {
    resourceType: 'Observation',
    id: 'david-sexual-orientation-2024-03-12',
    meta: usCore('us-core-observation-sexual-orientation'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '76690-7', 'Sexual orientation'),
    subject: subject(),
    effectiveDateTime: '2024-03-12T09:10:00-07:00',
    performer: [lopezRef()],
    valueCodeableConcept: cc(SYS.snomed, '20430005', 'Heterosexual (finding)', 'Heterosexual'),
  };
  out.push(smoking, sexualOrientation);

  // PHQ-2 depression screening: questionnaire response + screening observations
  const qr: QuestionnaireResponse = {
    resourceType: 'QuestionnaireResponse',
    id: 'david-qr-phq2-2024-03-12',
    meta: usCore('us-core-questionnaireresponse'),
    questionnaire: PHQ2_URL,
    status: 'completed',
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    authored: '2024-03-12T08:55:00-07:00',
    author: subject(),
    source: subject(),
    item: [
      { linkId: '44250-9', text: 'Little interest or pleasure in doing things', answer: [{ valueCoding: coding(SYS.loinc, 'LA6568-5', 'Not at all') }] },
      { linkId: '44255-8', text: 'Feeling down, depressed, or hopeless', answer: [{ valueCoding: coding(SYS.loinc, 'LA6569-3', 'Several days') }] },
      { linkId: '55758-7', text: 'PHQ-2 total score', answer: [{ valueInteger: 1 }] },
    ],
  };
  const screening = (id: string, code: string, display: string, value: Partial<Observation>): Observation => ({
    resourceType: 'Observation',
    id,
    meta: usCore('us-core-observation-screening-assessment'),
    status: 'final',
    category: [SURVEY],
    code: cc(SYS.loinc, code, display),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    effectiveDateTime: '2024-03-12T08:55:00-07:00',
    performer: [subject()],
    derivedFrom: [ref('QuestionnaireResponse', qr.id as string)],
    ...value,
  });
  out.push(
    qr,
    screening('david-phq2-44250-9-2024-03-12', '44250-9', 'Little interest or pleasure in doing things in last 2 weeks', {
      valueCodeableConcept: cc(SYS.loinc, 'LA6568-5', 'Not at all'),
    }),
    screening('david-phq2-44255-8-2024-03-12', '44255-8', 'Feeling down, depressed, or hopeless in last 2 weeks', {
      valueCodeableConcept: cc(SYS.loinc, 'LA6569-3', 'Several days'),
    }),
    screening('david-phq2-55758-7-2024-03-12', '55758-7', 'Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]', {
      valueQuantity: { value: 1, unit: '{score}', system: SYS.ucum, code: '{score}' },
      interpretation: [cc(SYS.v3Interpretation, 'N', 'Normal')],
      note: [{ text: 'Negative depression screen (score < 3).' }],
    }),
    screening('david-phq2-panel-2024-03-12', '55757-9', 'Patient Health Questionnaire 2 item (PHQ-2) [Reported]', {
      hasMember: [
        ref('Observation', 'david-phq2-44250-9-2024-03-12'),
        ref('Observation', 'david-phq2-44255-8-2024-03-12'),
        ref('Observation', 'david-phq2-55758-7-2024-03-12'),
      ],
    }),
  );

  // Preferences and advance directive information
  const simple = (id: string, category: ReturnType<typeof obsCategory>, code: string, display: string, valueString: string): Observation => ({
    resourceType: 'Observation',
    id,
    meta: usCore('us-core-simple-observation'),
    status: 'final',
    category: [category],
    code: cc(SYS.loinc, code, display),
    subject: subject(),
    effectiveDateTime: '2024-03-12T09:20:00-07:00',
    performer: [subject()],
    valueString,
  });
  out.push(
    simple(
      'david-care-experience-preference-2024-03-12',
      SURVEY,
      '95541-9',
      'Care experience preference',
      'Prefers early-morning or evening appointments and messages through the patient portal rather than phone calls.',
    ),
    simple(
      'david-treatment-preference-2024-03-12',
      SURVEY,
      '75773-2',
      'Goals, preferences, and priorities for medical treatment [Reported]',
      'If unable to speak for himself, wants his wife Anna to make decisions; would accept CPR and mechanical ventilation if recovery is expected.',
    ),
  );
  const adiText = [
    'ADVANCE HEALTH CARE DIRECTIVE (California Probate Code Section 4701)',
    'Principal: David Smith, DOB 1996-11-02, 732 Glencrest Dr, Solana Beach, CA 92075',
    '',
    'PART 1 - POWER OF ATTORNEY FOR HEALTH CARE',
    'I designate my wife, Anna Smith, (621)654-6592, as my agent to make health care decisions for me.',
    'Alternate agent: Margaret Smith (mother), (619)555-0134.',
    '',
    'PART 2 - INSTRUCTIONS FOR HEALTH CARE',
    'If I have an incurable and irreversible condition that will result in my death within a relatively short time,',
    'or if I become unconscious and, to a reasonable degree of medical certainty, will not regain consciousness,',
    'I do not want my life to be prolonged. Otherwise I want all appropriate treatment, including CPR.',
    '',
    'PART 3 - DONATION OF ORGANS: I give any needed organs, tissues, or parts.',
    '',
    'Signed: David Smith   Date: 2024-03-12',
    'Witnesses: Rachel Nguyen, NP; Laura Chen',
  ].join('\n');
  const adi: DocumentReference = clinicalNote(c, {
    id: 'david-docref-advance-directive-2024-03-12',
    loinc: '42348-3',
    display: 'Advance healthcare directives',
    date: '2024-03-12T09:30:00-07:00',
    author: subject(),
    title: 'Advance Health Care Directive',
    description: 'Advance health care directive with durable power of attorney for health care',
    text: adiText,
    category: cc(SYS.loinc, '42348-3', 'Advance healthcare directives'),
  });
  out.push(adi);

  // Clinical notes
  out.push(
    clinicalNote(c, {
      id: 'david-note-progress-2025-01-20',
      loinc: '11506-3',
      display: 'Progress note',
      date: '2025-01-20T15:55:00-08:00',
      author: nguyenRef(),
      encounter: ENC_BRONCHITIS,
      period: { start: '2025-01-20T14:20:00-08:00', end: '2025-01-20T14:50:00-08:00' },
      title: 'Office visit - cough',
      text: [
        'SOLANA BEACH FAMILY MEDICINE - PROGRESS NOTE',
        'Patient: David Smith   DOB: 1996-11-02   MRN: HF428946492',
        'Date of service: 2025-01-20   Provider: Rachel Nguyen, NP',
        '',
        'S: 28-year-old male with 6 days of cough productive of clear-to-yellow sputum, low-grade fevers to 38.0 C,',
        'mild chest tightness with coughing, and nasal congestion. No dyspnea at rest, no hemoptysis, no sick contacts',
        'with known influenza. Never smoker. Allergic to penicillin (hives).',
        'O: T 37.9 C, HR 88, RR 18, BP 124/80, SpO2 96% RA. Pharynx mildly erythematous. Lungs: scattered rhonchi,',
        'end-expiratory wheeze bilaterally, no focal crackles. Chest X-ray (PA/lateral): no consolidation.',
        'A: Acute bronchitis (J20.9), likely viral.',
        'P: Supportive care, fluids, honey for cough. Albuterol HFA 2 puffs q4-6h PRN wheeze. No antibiotic indicated.',
        'Return if fever persists beyond 3 more days, shortness of breath, or symptoms beyond 3 weeks.',
        '',
        'Electronically signed: Rachel Nguyen, NP 2025-01-20 15:55',
      ].join('\n'),
    }),
    clinicalNote(c, {
      id: 'david-note-history-physical-2024-03-12',
      loinc: '34117-2',
      display: 'History and physical note',
      date: '2024-03-12T11:02:00-07:00',
      author: lopezRef(),
      encounter: ENC_PHYSICAL,
      period: { start: '2024-03-12T09:00:00-07:00', end: '2024-03-12T09:40:00-07:00' },
      title: 'Annual preventive visit',
      text: [
        'SOLANA BEACH FAMILY MEDICINE - ANNUAL PREVENTIVE VISIT',
        'Patient: David Smith   DOB: 1996-11-02   MRN: HF428946492',
        'Date of service: 2024-03-12   Provider: Maria Lopez, MD',
        '',
        'HPI: Here for annual exam. Feels well. Seasonal allergies in spring, controlled with cetirizine.',
        'Works as a software developer, mostly sedentary; runs twice a week. Never smoker, 2-4 drinks/week.',
        'ROS: negative except seasonal rhinorrhea.',
        'EXAM: BP 128/82, HR 72, BMI 26.0. Well appearing. HEENT: boggy nasal turbinates. Heart RRR, no murmur.',
        'Lungs clear. Abdomen benign. Skin without suspicious lesions.',
        'SCREENING: PHQ-2 score 1 (negative). EKG: normal sinus rhythm.',
        'ASSESSMENT/PLAN:',
        '1. Adult wellness exam: Tdap current (2021). Influenza vaccine in the fall.',
        '2. Elevated BP reading: recheck at next visit; home BP log.',
        '3. Lipids/A1c drawn today (fasting).',
        '4. Allergic rhinitis: continue cetirizine 10 mg daily in season.',
        '5. Overweight: discussed diet and activity goals; target 4-5 kg weight loss over 12 months.',
        '',
        'Electronically signed: Maria Lopez, MD 2024-03-12 11:02',
      ].join('\n'),
    }),
  );

  // Goals and care plan
  const goalLdl: Goal = {
    resourceType: 'Goal',
    id: 'david-goal-ldl',
    meta: usCore('us-core-goal'),
    lifecycleStatus: 'active',
    achievementStatus: cc('http://terminology.hl7.org/CodeSystem/goal-achievement', 'in-progress', 'In Progress'),
    category: [cc('http://terminology.hl7.org/CodeSystem/goal-category', 'dietary', 'Dietary')],
    description: { text: 'Lower LDL cholesterol below 130 mg/dL with diet and exercise' },
    subject: subject(),
    startDate: '2024-03-14',
    target: [
      {
        measure: cc(SYS.loinc, '13457-7', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation'),
        detailQuantity: { value: 130, comparator: '<', unit: 'mg/dL', system: SYS.ucum, code: 'mg/dL' },
        dueDate: '2025-03-31',
      },
    ],
    expressedBy: lopezRef(),
    addresses: [ref('Condition', 'david-problem-hyperlipidemia')],
  };
  const goalWeight: Goal = {
    resourceType: 'Goal',
    id: 'david-goal-weight',
    meta: usCore('us-core-goal'),
    lifecycleStatus: 'active',
    description: cc(SYS.snomed, '289169006', 'Weight loss (finding)', 'Lose 4-5 kg over 12 months'),
    subject: subject(),
    startDate: '2024-03-12',
    target: [{ measure: cc(SYS.loinc, '29463-7', 'Body weight'), detailQuantity: { value: 80, comparator: '<=', unit: 'kg', system: SYS.ucum, code: 'kg' }, dueDate: '2025-03-12' }],
    expressedBy: subject(),
    addresses: [ref('Condition', 'david-concern-overweight')],
  };
  const plan: CarePlan = {
    resourceType: 'CarePlan',
    id: 'david-careplan-cardiometabolic',
    meta: usCore('us-core-careplan'),
    text: narrative(
      'Cardiometabolic risk reduction plan for David Smith: Mediterranean-style diet, 150 minutes/week of moderate aerobic exercise, limit alcohol to 7 drinks/week, home BP log, repeat fasting lipid panel in 12 months.',
    ),
    status: 'active',
    intent: 'plan',
    category: [cc('http://hl7.org/fhir/us/core/CodeSystem/careplan-category', 'assess-plan', 'Assessment and Plan of Treatment')],
    title: 'Cardiometabolic risk reduction',
    description: 'Therapeutic lifestyle changes for borderline hyperlipidemia and overweight.',
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    period: { start: '2024-03-14', end: '2025-03-31' },
    created: '2024-03-14',
    author: lopezRef(),
    careTeam: [ref('CareTeam', 'david-careteam')],
    addresses: [ref('Condition', 'david-problem-hyperlipidemia'), ref('Condition', 'david-concern-overweight')],
    goal: [ref('Goal', goalLdl.id as string), ref('Goal', goalWeight.id as string)],
    activity: [
      {
        detail: {
          kind: 'ServiceRequest',
          code: cc(SYS.snomed, '229065009', 'Exercise therapy (regime/therapy)'),
          status: 'in-progress',
          description: 'Moderate-intensity aerobic exercise, at least 150 minutes per week.',
        },
      },
      {
        detail: {
          kind: 'ServiceRequest',
          code: cc(SYS.snomed, '61310001', 'Nutrition education (procedure)'),
          status: 'completed',
          scheduledString: 'Counseled at the 2024-03-12 visit',
          description: 'Mediterranean-style diet counseling.',
        },
      },
    ],
  };
  const careTeam: CareTeam = {
    resourceType: 'CareTeam',
    id: 'david-careteam',
    meta: usCore('us-core-careteam'),
    status: 'active',
    name: 'David Smith primary care team',
    subject: subject(),
    period: { start: '2021-05-03' },
    participant: [
      { role: [cc(SYS.snomed, '116154003', 'Patient (person)')], member: subject() },
      { role: [cc(SYS.snomed, '446050000', 'Primary care physician (occupation)')], member: lopezRef(), onBehalfOf: practiceRef() },
      { role: [cc(SYS.nucc, '363LF0000X', 'Family Health Nurse Practitioner')], member: nguyenRef(), onBehalfOf: practiceRef() },
      { role: [cc(SYS.snomed, '133932002', 'Caregiver (person)')], member: ref('RelatedPerson', 'david-rp-anna-spouse', 'Anna Smith') },
    ],
    managingOrganization: [practiceRef()],
    telecom: [{ system: 'phone', value: '(858) 555-0142', use: 'work' }],
  };
  out.push(goalLdl, goalWeight, careTeam, plan);

  // Coverage
  const coverage: Coverage = {
    resourceType: 'Coverage',
    id: 'david-coverage-pchp',
    meta: usCore('us-core-coverage'),
    identifier: [{ type: cc(SYS.v2_0203, 'MB', 'Member Number'), system: SYS.memberId, value: 'PCH428946492-01' }],
    status: 'active',
    type: ccMulti('PPO', coding('https://nahdo.org/sopt', '512', 'Commercial Managed Care - PPO'), coding(SYS.v3ActCode, 'PPO', 'preferred provider organization policy')),
    subscriber: subject(),
    subscriberId: 'PCH428946492',
    beneficiary: subject(),
    dependent: '01',
    relationship: cc('http://terminology.hl7.org/CodeSystem/subscriber-relationship', 'self', 'Self'),
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

export const PHQ2_URL = 'https://solanabeachfm.example/fhir/Questionnaire/phq-2';

/** The PHQ-2 form used by the practice's check-in kiosk (not patient-specific). */
export function phq2Questionnaire(): Questionnaire {
  const options = [
    ['LA6568-5', 'Not at all'],
    ['LA6569-3', 'Several days'],
    ['LA6570-1', 'More than half the days'],
    ['LA6571-9', 'Nearly every day'],
  ].map(([code, display]) => ({ valueCoding: coding(SYS.loinc, code, display) }));
  return {
    resourceType: 'Questionnaire',
    id: 'phq-2',
    meta: { profile: [FHIR_SD + 'Questionnaire'] },
    url: PHQ2_URL,
    version: '1.0',
    name: 'PHQ2',
    title: 'Patient Health Questionnaire-2 (PHQ-2)',
    status: 'active',
    subjectType: ['Patient'],
    date: '2023-01-05',
    publisher: 'Solana Beach Family Medicine',
    code: [coding(SYS.loinc, '55757-9', 'Patient Health Questionnaire 2 item (PHQ-2) [Reported]')],
    item: [
      { linkId: '44250-9', code: [coding(SYS.loinc, '44250-9', 'Little interest or pleasure in doing things in last 2 weeks')], text: 'Little interest or pleasure in doing things', type: 'choice', required: true, answerOption: options },
      { linkId: '44255-8', code: [coding(SYS.loinc, '44255-8', 'Feeling down, depressed, or hopeless in last 2 weeks')], text: 'Feeling down, depressed, or hopeless', type: 'choice', required: true, answerOption: options },
      { linkId: '55758-7', code: [coding(SYS.loinc, '55758-7', 'Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]')], text: 'PHQ-2 total score', type: 'integer', readOnly: true },
    ],
  };
}

/** The albuterol inhaler product shared by David's and Alex's prescriptions. */
export function albuterolMedication(): Medication {
  return {
    resourceType: 'Medication',
    id: ALBUTEROL_MEDICATION_ID,
    meta: usCore('us-core-medication'),
    code: ccMulti(
      'albuterol 90 mcg/actuation HFA inhaler, 200 actuations',
      coding(SYS.rxnorm, '745679', '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
    ),
    status: 'active',
    form: cc(SYS.snomed, '420317006', 'Inhalation aerosol (qualifier value)'),
    ingredient: [
      {
        itemCodeableConcept: cc(SYS.rxnorm, '435', 'albuterol'),
        isActive: true,
        strength: {
          numerator: { value: 90, unit: 'mcg', system: SYS.ucum, code: 'ug' },
          denominator: { value: 1, unit: 'actuation', system: SYS.ucum, code: '{actuat}' },
        },
      },
    ],
  };
}

export function davidResources(): Resource[] {
  const records = [patient(), ...relatedPersons(), ...clinical()];
  return [
    ...records,
    provenance(c, 'david-provenance', records, { recorded: '2025-01-21T08:00:00-08:00', author: lopezRef() }),
  ];
}

