// Anna Smith (Patient/428946523): 27-year-old certified nursing assistant, David's wife, Alex's mother.
import type {
  CarePlan,
  CareTeam,
  Coverage,
  Device,
  DiagnosticReport,
  Goal,
  MedicationDispense,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  RelatedPerson,
  Resource,
  ServiceRequest,
  Specimen,
} from '@medplum/fhirtypes';
import { type Ctx, adultVitals, allergy, clinicalNote, condition, encounter, immunization, labReport, patientRef, provenance } from './builders.js';
import { FAMILY_ADDRESS, FAMILY_PHONE } from './david.js';
import { SOCIAL_HISTORY, SURVEY, SYS, base64, cc, ccMulti, coding, narrative, ref, ucum, usCore } from './helpers.js';
import { labRef, lopezRef, nguyenRef, payerRef, pharmacyRef, practiceRef } from './organization.js';

export const ANNA_ID = '428946523';
const c: Ctx = { patient: ANNA_ID, name: 'Anna Smith' };
const subject = () => patientRef(c);

const ENC_IUD = 'anna-enc-2023-08-22';
const ENC_PHYSICAL = 'anna-enc-2024-05-08';
const ENC_FOLLOWUP = 'anna-enc-2024-08-14';

function patient(): Patient {
  return {
    resourceType: 'Patient',
    id: ANNA_ID,
    meta: usCore('us-core-patient'),
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: coding(SYS.ombRace, '2028-9', 'Asian') },
          { url: 'detailed', valueCoding: coding(SYS.ombRace, '2036-2', 'Filipino') },
          { url: 'text', valueString: 'Filipino' },
        ],
      },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
        extension: [
          { url: 'ombCategory', valueCoding: coding(SYS.ombRace, '2186-5', 'Not Hispanic or Latino') },
          { url: 'text', valueString: 'Not Hispanic or Latino' },
        ],
      },
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'F' },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity',
        valueCodeableConcept: cc(SYS.snomed, '446141000124107', 'Identifies as female gender (finding)', 'Female'),
      },
    ],
    identifier: [
      { use: 'usual', type: cc(SYS.v2_0203, 'MR', 'Medical record number'), system: SYS.chartNumber, value: 'HF428946523', assigner: practiceRef() },
    ],
    active: true,
    name: [
      { use: 'official', family: 'Smith', given: ['Anna', 'Marie'], period: { start: '2020-06-20' } },
      { use: 'maiden', family: 'Reyes', given: ['Anna', 'Marie'], period: { end: '2020-06-20' } },
    ],
    telecom: [
      { system: 'phone', value: '(621)654-6592', use: 'mobile', rank: 1 },
      { system: 'phone', value: FAMILY_PHONE, use: 'home', rank: 2 },
      { system: 'email', value: 'anna.smith@example.com', use: 'home' },
    ],
    gender: 'female',
    birthDate: '1997-04-18',
    address: [FAMILY_ADDRESS],
    maritalStatus: cc(SYS.v3MaritalStatus, 'M', 'Married'),
    communication: [
      { language: cc(SYS.bcp47, 'en', 'English'), preferred: true },
      { language: cc(SYS.bcp47, 'tl', 'Tagalog') },
    ],
    generalPractitioner: [lopezRef()],
    managingOrganization: practiceRef(),
  };
}

function relatedPersons(): RelatedPerson[] {
  return [
    {
      resourceType: 'RelatedPerson',
      id: 'anna-rp-david-spouse',
      meta: usCore('us-core-relatedperson'),
      active: true,
      patient: subject(),
      relationship: [
        cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'HUSB', 'husband'),
        cc('http://terminology.hl7.org/CodeSystem/v2-0131', 'C', 'Emergency Contact'),
      ],
      name: [{ use: 'official', family: 'Smith', given: ['David'] }],
      telecom: [{ system: 'phone', value: FAMILY_PHONE, use: 'home' }],
      gender: 'male',
      birthDate: '1996-11-02',
      address: [FAMILY_ADDRESS],
    },
  ];
}

function clinical(): Resource[] {
  const out: Resource[] = [];
  const dxIud = 'anna-dx-2023-08-22-contraception';
  const dxPhysical = 'anna-dx-2024-05-08-exam';
  const dxAnemia = 'anna-problem-iron-deficiency-anemia';

  out.push(
    encounter(c, {
      id: ENC_IUD,
      number: 'V-2023-082203',
      start: '2023-08-22T10:00:00-07:00',
      end: '2023-08-22T10:45:00-07:00',
      type: ccMulti('Procedure visit', coding(SYS.cpt, '58300', 'Insertion of intrauterine device (IUD)'), coding(SYS.snomed, '185347001', 'Encounter for problem (procedure)')),
      reason: cc(SYS.snomed, '13197004', 'Contraception (finding)'),
      practitioner: lopezRef(),
      diagnoses: [dxIud],
    }),
    encounter(c, {
      id: ENC_PHYSICAL,
      number: 'V-2024-050811',
      start: '2024-05-08T08:30:00-07:00',
      end: '2024-05-08T09:15:00-07:00',
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
      id: ENC_FOLLOWUP,
      number: 'V-2024-081406',
      start: '2024-08-14T16:00:00-07:00',
      end: '2024-08-14T16:20:00-07:00',
      type: ccMulti(
        'Office visit, established patient',
        coding(SYS.cpt, '99213', 'Office or other outpatient visit for the evaluation and management of an established patient, low level of medical decision making'),
        coding(SYS.snomed, '390906007', 'Follow-up encounter (procedure)'),
      ),
      reason: cc(SYS.snomed, '87522002', 'Iron deficiency anemia (disorder)'),
      practitioner: nguyenRef(),
      diagnoses: [dxAnemia],
    }),
  );

  out.push(
    condition(c, {
      id: dxAnemia,
      kind: 'problem-list-item',
      code: ccMulti('Iron deficiency anemia', coding(SYS.snomed, '87522002', 'Iron deficiency anemia (disorder)'), coding(SYS.icd10cm, 'D50.9', 'Iron deficiency anemia, unspecified')),
      onset: '2024-05-08',
      recorded: '2024-05-10',
      recorder: lopezRef(),
      note: 'Likely menstrual losses and low dietary iron. Started ferrous sulfate; recheck CBC in 3 months.',
    }),
    condition(c, {
      id: 'anna-problem-migraine',
      kind: 'problem-list-item',
      code: ccMulti(
        'Migraine without aura',
        coding(SYS.snomed, '56097005', 'Migraine without aura (disorder)'),
        coding(SYS.icd10cm, 'G43.009', 'Migraine without aura, not intractable, without status migrainosus'),
      ),
      onset: '2014',
      recorded: '2020-09-15',
      recorder: lopezRef(),
    }),
    condition(c, {
      id: 'anna-concern-sleep',
      kind: 'health-concern',
      code: ccMulti('Insufficient sleep due to rotating night shifts', coding(SYS.snomed, '248255005', 'Sleep pattern disturbance (finding)')),
      onset: '2024-01',
      recorded: '2024-05-08',
      recorder: lopezRef(),
      note: 'Works rotating 12-hour shifts; averages 5-6 hours of sleep.',
    }),
    condition(c, {
      id: dxIud,
      kind: 'encounter-diagnosis',
      code: ccMulti(
        'Encounter for insertion of intrauterine contraceptive device',
        coding(SYS.icd10cm, 'Z30.430', 'Encounter for insertion of intrauterine contraceptive device'),
      ),
      clinicalStatus: 'resolved',
      onset: '2023-08-22',
      abatement: '2023-08-22',
      recorded: '2023-08-22',
      encounter: ENC_IUD,
      recorder: lopezRef(),
    }),
    condition(c, {
      id: dxPhysical,
      kind: 'encounter-diagnosis',
      code: ccMulti(
        'Encounter for general adult medical examination with abnormal findings',
        coding(SYS.icd10cm, 'Z00.01', 'Encounter for general adult medical examination with abnormal findings'),
      ),
      clinicalStatus: 'resolved',
      onset: '2024-05-08',
      abatement: '2024-05-08',
      recorded: '2024-05-08',
      encounter: ENC_PHYSICAL,
      recorder: lopezRef(),
    }),
  );

  out.push(
    allergy(c, {
      id: 'anna-allergy-sulfamethoxazole',
      code: ccMulti('Sulfamethoxazole', coding(SYS.rxnorm, '10180', 'sulfamethoxazole')),
      category: ['medication'],
      criticality: 'low',
      onset: '2016-03',
      recorded: '2020-09-15',
      recorder: lopezRef(),
      reaction: { manifestation: cc(SYS.snomed, '271807003', 'Eruption of skin (disorder)', 'Rash'), severity: 'mild', description: 'Itchy maculopapular rash on day 5 of TMP-SMX for a UTI.' },
    }),
  );

  // Pregnancy status before the IUD insertion, pregnancy intent at the annual visit
  const pregnancyStatus: Observation = {
    resourceType: 'Observation',
    id: 'anna-pregnancy-status-2023-08-22',
    meta: usCore('us-core-observation-pregnancystatus'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '82810-3', 'Pregnancy status'),
    subject: subject(),
    encounter: ref('Encounter', ENC_IUD),
    effectiveDateTime: '2023-08-22T10:05:00-07:00',
    performer: [lopezRef()],
    valueCodeableConcept: cc(SYS.snomed, '60001007', 'Not pregnant (finding)', 'Not pregnant'),
    note: [{ text: 'Urine hCG negative; LMP 2023-08-15.' }],
  };
  const pregnancyIntent: Observation = {
    resourceType: 'Observation',
    id: 'anna-pregnancy-intent-2024-05-08',
    meta: usCore('us-core-observation-pregnancyintent'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '86645-9', 'Pregnancy intention in the next year - Reported'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    effectiveDateTime: '2024-05-08T08:40:00-07:00',
    performer: [lopezRef()],
    valueCodeableConcept: cc(SYS.snomed, '454381000124105', 'Not sure of desire to become pregnant (finding)', 'Not sure'),
  };
  const smoking: Observation = {
    resourceType: 'Observation',
    id: 'anna-smoking-status-2024-05-08',
    meta: usCore('us-core-smokingstatus'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '72166-2', 'Tobacco smoking status'),
    subject: subject(),
    effectiveDateTime: '2024-05-08T08:40:00-07:00',
    performer: [lopezRef()],
    valueCodeableConcept: cc(SYS.snomed, '8517006', 'Ex-smoker (finding)', 'Former smoker'),
    note: [{ text: 'Smoked socially in college (about 1 pack/week), quit 2018.' }],
  };
  const sexualOrientation: Observation = {
    resourceType: 'Observation',
    id: 'anna-sexual-orientation-2024-05-08',
    meta: usCore('us-core-observation-sexual-orientation'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '76690-7', 'Sexual orientation'),
    subject: subject(),
    effectiveDateTime: '2024-05-08T08:40:00-07:00',
    valueCodeableConcept: cc(SYS.snomed, '20430005', 'Heterosexual (finding)', 'Heterosexual'),
  };
  const occupation: Observation = {
    resourceType: 'Observation',
    id: 'anna-occupation-2024-05-08',
    meta: usCore('us-core-observation-occupation'),
    status: 'final',
    category: [SOCIAL_HISTORY],
    code: cc(SYS.loinc, '11341-5', 'History of Occupation'),
    subject: subject(),
    effectivePeriod: { start: '2019-09-01' },
    valueCodeableConcept: {
      coding: [coding('http://terminology.hl7.org/CodeSystem/PHOccupationalDataForHealthODH', '31-1014.00.007136', 'Certified Nursing Assistant (CNA) [Nursing Assistants]')],
      text: 'Certified nursing assistant',
    },
    component: [
      {
        code: cc(SYS.loinc, '86188-0', 'History of Occupation Industry'),
        valueCodeableConcept: {
          coding: [coding('http://terminology.hl7.org/CodeSystem/PHOccupationalDataForHealthODH', '621610.008495', 'Home nursing services')],
          text: 'Home health care agency',
        },
      },
    ],
  };
  out.push(pregnancyStatus, pregnancyIntent, smoking, sexualOrientation, occupation);

  // Hunger Vital Sign screening (SDOH)
  const hvs = (id: string, code: string, display: string, value: Partial<Observation>): Observation => ({
    resourceType: 'Observation',
    id,
    meta: usCore('us-core-observation-screening-assessment'),
    status: 'final',
    category: [cc(SYS.usCoreCategory, 'sdoh', 'SDOH'), SURVEY],
    code: cc(SYS.loinc, code, display),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    effectiveDateTime: '2024-05-08T08:35:00-07:00',
    performer: [subject()],
    ...value,
  });
  out.push(
    hvs('anna-hvs-88122-7-2024-05-08', '88122-7', 'Within the past 12 months we worried whether our food would run out before we got money to buy more', {
      valueCodeableConcept: cc(SYS.loinc, 'LA28398-8', 'Never true'),
    }),
    hvs('anna-hvs-88123-5-2024-05-08', '88123-5', "Within the past 12 months the food we bought just didn't last and we didn't have money to get more", {
      valueCodeableConcept: cc(SYS.loinc, 'LA28398-8', 'Never true'),
    }),
    hvs('anna-hvs-88124-3-2024-05-08', '88124-3', 'Food insecurity risk [HVS]', { valueCodeableConcept: cc(SYS.loinc, 'LA19983-8', 'No risk') }),
    hvs('anna-hvs-panel-2024-05-08', '88121-9', 'Hunger Vital Sign [HVS]', {
      hasMember: [
        ref('Observation', 'anna-hvs-88122-7-2024-05-08'),
        ref('Observation', 'anna-hvs-88123-5-2024-05-08'),
        ref('Observation', 'anna-hvs-88124-3-2024-05-08'),
      ],
    }),
  );

  // Functional status (simple observation)
  out.push({
    resourceType: 'Observation',
    id: 'anna-sleep-duration-2024-05-08',
    meta: usCore('us-core-simple-observation'),
    status: 'final',
    category: [cc(SYS.usCoreCategory, 'functional-status', 'Functional Status')],
    code: cc(SYS.loinc, '93832-4', 'Sleep duration'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    effectiveDateTime: '2024-05-08T08:40:00-07:00',
    performer: [subject()],
    valueQuantity: ucum(5.5, 'h', 'hours'),
    note: [{ text: 'Self-reported average over the last month; rotating night shifts.' }],
  } satisfies Observation);

  // Vital signs
  out.push(
    ...adultVitals(c, 'anna-vitals-2024-05-08', {
      date: '2024-05-08T08:38:00-07:00',
      encounter: ENC_PHYSICAL,
      performer: nguyenRef(),
      systolic: 112,
      diastolic: 70,
      heartRate: 78,
      respRate: 14,
      tempC: 36.6,
      weightKg: 58.5,
      heightCm: 163,
      spo2: 99,
    }),
  );

  // Labs: CBC + ferritin at the annual visit, CBC recheck in August
  const srCbc = 'anna-sr-cbc-2024-05-08';
  const specimen = 'anna-specimen-blood-2024-05-08';
  const sr: ServiceRequest = {
    resourceType: 'ServiceRequest',
    id: srCbc,
    meta: usCore('us-core-servicerequest'),
    identifier: [{ system: SYS.orderNumber, value: 'ORD-2024-05-08-0077' }],
    status: 'completed',
    intent: 'order',
    category: [cc(SYS.snomed, '108252007', 'Laboratory procedure')],
    code: cc(SYS.loinc, '58410-2', 'CBC panel - Blood by Automated count', 'Complete blood count'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    occurrenceDateTime: '2024-05-08',
    authoredOn: '2024-05-08T09:05:00-07:00',
    requester: lopezRef(),
    performer: [labRef()],
    reasonCode: [cc(SYS.snomed, '84229001', 'Fatigue (finding)')],
  };
  const blood: Specimen = {
    resourceType: 'Specimen',
    id: specimen,
    meta: usCore('us-core-specimen'),
    accessionIdentifier: { system: SYS.accession, value: 'CRL24-0508-0562' },
    status: 'available',
    type: ccMulti('Whole blood (EDTA)', coding(SYS.snomed, '119297000', 'Blood specimen'), coding('http://terminology.hl7.org/CodeSystem/v2-0487', 'BLD', 'Whole blood')),
    subject: subject(),
    receivedTime: '2024-05-08T12:40:00-07:00',
    request: [ref('ServiceRequest', srCbc)],
    collection: { collectedDateTime: '2024-05-08T09:10:00-07:00', method: cc(SYS.snomed, '28520004', 'Venipuncture for blood test') },
    container: [{ type: cc(SYS.snomed, '767390000', 'Evacuated blood collection tube, K2EDTA/aprotinin'), specimenQuantity: ucum(3, 'mL') }],
  };
  out.push(sr, blood);
  out.push(
    ...labReport(c, {
      id: 'anna-dr-cbc-2024-05-08',
      loinc: '58410-2',
      display: 'CBC panel - Blood by Automated count',
      date: '2024-05-08T09:10:00-07:00',
      issued: '2024-05-08T15:22:00-07:00',
      encounter: ENC_PHYSICAL,
      specimen,
      basedOn: srCbc,
      resultsInterpreter: lopezRef(),
      conclusion: 'Mild microcytic anemia.',
      results: [
        { id: 'anna-lab-wbc-2024-05-08', loinc: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', value: ucum(6.8, '10*3/uL'), low: 4.0, high: 10.5, interpretation: 'N' },
        { id: 'anna-lab-rbc-2024-05-08', loinc: '789-8', display: 'Erythrocytes [#/volume] in Blood by Automated count', value: ucum(4.31, '10*6/uL'), low: 3.9, high: 5.2, interpretation: 'N' },
        { id: 'anna-lab-hgb-2024-05-08', loinc: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', value: ucum(11.2, 'g/dL'), low: 12.0, high: 15.5, interpretation: 'L' },
        { id: 'anna-lab-hct-2024-05-08', loinc: '4544-3', display: 'Hematocrit [Volume Fraction] of Blood by Automated count', value: ucum(34.6, '%'), low: 35.5, high: 44.9, interpretation: 'L' },
        { id: 'anna-lab-mcv-2024-05-08', loinc: '787-2', display: 'MCV [Entitic volume] by Automated count', value: ucum(78, 'fL'), low: 80, high: 100, interpretation: 'L' },
        { id: 'anna-lab-plt-2024-05-08', loinc: '777-3', display: 'Platelets [#/volume] in Blood by Automated count', value: ucum(312, '10*3/uL'), low: 150, high: 450, interpretation: 'N' },
      ],
    }),
    ...labReport(c, {
      id: 'anna-dr-ferritin-2024-05-08',
      loinc: '2276-4',
      display: 'Ferritin [Mass/volume] in Serum or Plasma',
      date: '2024-05-08T09:10:00-07:00',
      issued: '2024-05-09T10:02:00-07:00',
      encounter: ENC_PHYSICAL,
      results: [{ id: 'anna-lab-ferritin-2024-05-08', loinc: '2276-4', display: 'Ferritin [Mass/volume] in Serum or Plasma', value: ucum(8, 'ng/mL'), low: 15, high: 150, interpretation: 'L' }],
    }),
    ...labReport(c, {
      id: 'anna-dr-hgb-2024-08-14',
      loinc: '718-7',
      display: 'Hemoglobin [Mass/volume] in Blood',
      date: '2024-08-14T16:10:00-07:00',
      issued: '2024-08-14T18:45:00-07:00',
      encounter: ENC_FOLLOWUP,
      results: [{ id: 'anna-lab-hgb-2024-08-14', loinc: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', value: ucum(12.6, 'g/dL'), low: 12.0, high: 15.5, interpretation: 'N' }],
    }),
  );

  // Medications
  const ferrous: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'anna-medrx-ferrous-sulfate-2024-05-10',
    meta: usCore('us-core-medicationrequest'),
    status: 'active',
    intent: 'order',
    category: [cc('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'community', 'Community')],
    reportedBoolean: false,
    medicationCodeableConcept: cc(SYS.rxnorm, '310325', 'ferrous sulfate 325 MG Oral Tablet'),
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    authoredOn: '2024-05-10T08:15:00-07:00',
    requester: lopezRef(),
    reasonReference: [ref('Condition', dxAnemia)],
    dosageInstruction: [
      {
        sequence: 1,
        text: 'Take 1 tablet by mouth every other day with orange juice, 2 hours apart from antacids.',
        timing: { repeat: { frequency: 1, period: 2, periodUnit: 'd' } },
        route: cc(SYS.snomed, '26643006', 'Oral route'),
        doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', system: SYS.ucum, code: '{tbl}' } }],
      },
    ],
    dispenseRequest: { numberOfRepeatsAllowed: 2, quantity: { value: 45, unit: 'tablet', system: SYS.ucum, code: '{tbl}' }, expectedSupplyDuration: ucum(90, 'd', 'days') },
    substitution: { allowedBoolean: true },
  };
  const ferrousDispense: MedicationDispense = {
    resourceType: 'MedicationDispense',
    id: 'anna-meddispense-ferrous-sulfate-2024-05-10',
    meta: usCore('us-core-medicationdispense'),
    status: 'completed',
    medicationCodeableConcept: cc(SYS.rxnorm, '310325', 'ferrous sulfate 325 MG Oral Tablet'),
    subject: subject(),
    performer: [{ actor: pharmacyRef() }],
    authorizingPrescription: [ref('MedicationRequest', ferrous.id as string)],
    type: cc('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'FF', 'First Fill'),
    quantity: { value: 45, unit: 'tablet', system: SYS.ucum, code: '{tbl}' },
    daysSupply: ucum(90, 'd', 'days'),
    whenHandedOver: '2024-05-10T17:20:00-07:00',
  };
  const ibuprofen: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'anna-medrx-ibuprofen-2020-09-15',
    meta: usCore('us-core-medicationrequest'),
    status: 'active',
    intent: 'plan',
    category: [cc('http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'outpatient', 'Outpatient')],
    reportedBoolean: true,
    medicationCodeableConcept: cc(SYS.rxnorm, '197806', 'ibuprofen 600 MG Oral Tablet'),
    subject: subject(),
    authoredOn: '2020-09-15',
    requester: lopezRef(),
    reasonReference: [ref('Condition', 'anna-problem-migraine')],
    dosageInstruction: [
      {
        text: 'Take 1 tablet by mouth at migraine onset; may repeat once after 6 hours. Max 2 tablets per day.',
        asNeededCodeableConcept: cc(SYS.snomed, '37796009', 'Migraine (disorder)'),
        route: cc(SYS.snomed, '26643006', 'Oral route'),
        doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', system: SYS.ucum, code: '{tbl}' } }],
        maxDosePerPeriod: { numerator: { value: 2, unit: 'tablet', system: SYS.ucum, code: '{tbl}' }, denominator: ucum(1, 'd', 'day') },
      },
    ],
  };
  out.push(ferrous, ferrousDispense, ibuprofen);

  // Immunizations
  out.push(
    immunization(c, { id: 'anna-imm-flu-2024-10-15', cvx: '140', display: 'Influenza, seasonal, injectable, preservative free', date: '2024-10-15', lot: 'UT8631CA', expiration: '2025-06-30', manufacturer: 'Sanofi Pasteur', site: 'LA', route: 'IM', doseMl: 0.5, performer: nguyenRef() }),
    immunization(c, { id: 'anna-imm-hpv-2013-09-10', cvx: '165', display: 'HPV9', date: '2013-09-10', lot: 'R019452', expiration: '2015-01-31', manufacturer: 'Merck Sharp & Dohme', site: 'LA', route: 'IM', doseMl: 0.5, performer: { display: 'Outside provider (school-based clinic)' }, doseNumber: 3, series: 'HPV 3-dose', note: 'Historical record transcribed from the California Immunization Registry.' }),
  );

  // IUD: procedure and implanted device
  const device: Device = {
    resourceType: 'Device',
    id: 'anna-device-iud',
    meta: usCore('us-core-implantable-device'),
    udiCarrier: [
      {
        deviceIdentifier: '00350419424011',
        issuer: 'http://hl7.org/fhir/NamingSystem/gs1-di',
        jurisdiction: 'http://hl7.org/fhir/NamingSystem/fda-udi',
        carrierHRF: '(01)00350419424011(17)260430(10)TU02K7P',
        entryType: 'barcode',
      },
    ],
    status: 'active',
    distinctIdentifier: 'TU02K7P',
    manufacturer: 'Bayer HealthCare Pharmaceuticals Inc.',
    manufactureDate: '2023-04-30',
    expirationDate: '2026-04-30',
    lotNumber: 'TU02K7P',
    deviceName: [{ name: 'Levonorgestrel-releasing intrauterine system 52 mg', type: 'user-friendly-name' }],
    type: cc(SYS.snomed, '268460000', 'Intrauterine contraceptive device (physical object)', 'Hormonal IUD'),
    patient: subject(),
    note: [{ text: 'Inserted 2023-08-22. Replace or remove by 2031-08 (8-year use).' }],
  };
  const iudProcedure: Procedure = {
    resourceType: 'Procedure',
    id: 'anna-proc-iud-insertion-2023-08-22',
    meta: usCore('us-core-procedure'),
    status: 'completed',
    code: ccMulti(
      'IUD insertion',
      coding(SYS.cpt, '58300', 'Insertion of intrauterine device (IUD)'),
      coding(SYS.snomed, '65200003', 'Insertion of intrauterine contraceptive device (procedure)'),
    ),
    subject: subject(),
    encounter: ref('Encounter', ENC_IUD),
    performedDateTime: '2023-08-22T10:20:00-07:00',
    performer: [{ actor: lopezRef(), onBehalfOf: practiceRef() }],
    location: ref('Location', 'sbfm-main-clinic'),
    reasonCode: [cc(SYS.snomed, '13197004', 'Contraception (finding)')],
    bodySite: [cc(SYS.snomed, '35039007', 'Uterine structure (body structure)')],
    outcome: cc(SYS.snomed, '385669000', 'Successful (qualifier value)'),
    focalDevice: [{ action: cc(SYS.snomed, '129338005', 'Surgical implantation - action (qualifier value)'), manipulated: ref('Device', device.id as string) }],
    usedReference: [ref('Device', device.id as string)],
    note: [{ text: 'Uterus sounded to 7 cm. Strings trimmed to 3 cm. Tolerated well.' }],
  };
  out.push(device, iudProcedure);

  // Notes: IUD procedure note (DocumentReference) and the follow-up pelvic ultrasound report (DiagnosticReport)
  out.push(
    clinicalNote(c, {
      id: 'anna-note-procedure-2023-08-22',
      loinc: '28570-0',
      display: 'Procedure note',
      date: '2023-08-22T11:05:00-07:00',
      author: lopezRef(),
      encounter: ENC_IUD,
      period: { start: '2023-08-22T10:00:00-07:00', end: '2023-08-22T10:45:00-07:00' },
      title: 'IUD insertion',
      text: [
        'PROCEDURE NOTE - IUD INSERTION',
        'Patient: Anna Smith   DOB: 1997-04-18   MRN: HF428946523',
        'Date: 2023-08-22   Operator: Maria Lopez, MD',
        '',
        'Indication: Desires long-acting reversible contraception. Urine hCG negative. Consent signed.',
        'Procedure: Bimanual exam - anteverted uterus, normal size. Speculum placed, cervix cleansed with povidone-iodine.',
        'Tenaculum applied to anterior lip. Uterus sounded to 7 cm. Levonorgestrel 52 mg IUS inserted per manufacturer',
        'instructions without difficulty. Strings trimmed to 3 cm. EBL minimal.',
        'Post-procedure: Mild cramping, resolved with ibuprofen. Vitals stable.',
        'Plan: Backup contraception for 7 days. String check in 4-6 weeks. Device effective for up to 8 years.',
        '',
        'Electronically signed: Maria Lopez, MD 2023-08-22 11:05',
      ].join('\n'),
    }),
  );
  const usReportText = [
    'EXAM: US PELVIS TRANSVAGINAL',
    'DATE: 2023-10-03',
    'INDICATION: IUD position check; strings not visualized on speculum exam.',
    'FINDINGS: Anteverted uterus measuring 7.6 x 4.2 x 4.9 cm. IUD in normal position within the endometrial cavity,',
    'the shaft extending to the fundus. Endometrium 5 mm. Ovaries normal. No free fluid.',
    'IMPRESSION: Appropriately positioned intrauterine device.',
  ].join('\n');
  const usImpression: Observation = {
    resourceType: 'Observation',
    id: 'anna-us-pelvis-impression-2023-10-03',
    meta: usCore('us-core-observation-clinical-result'),
    status: 'final',
    category: [cc(SYS.obsCategory, 'imaging', 'Imaging')],
    code: cc(SYS.loinc, '19005-8', 'Radiology Imaging study [Impression] (narrative)'),
    subject: subject(),
    effectiveDateTime: '2023-10-03T13:15:00-07:00',
    issued: '2023-10-03T15:40:00-07:00',
    valueString: 'Appropriately positioned intrauterine device.',
  };
  const usReport: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: 'anna-dr-us-pelvis-2023-10-03',
    meta: usCore('us-core-diagnosticreport-note'),
    status: 'final',
    category: [cc(SYS.loinc, 'LP29684-5', 'Radiology')],
    code: cc(SYS.loinc, '18748-4', 'Diagnostic imaging study', 'US Pelvis Transvaginal'),
    subject: subject(),
    effectiveDateTime: '2023-10-03T13:15:00-07:00',
    issued: '2023-10-03T15:40:00-07:00',
    performer: [{ display: 'Coastal Imaging Associates' }],
    result: [ref('Observation', usImpression.id as string)],
    conclusion: 'Appropriately positioned intrauterine device.',
    presentedForm: [{ contentType: 'text/plain', language: 'en-US', data: base64(usReportText), title: 'US Pelvis Transvaginal report' }],
  };
  out.push(usImpression, usReport);

  // Goal, care plan, care team
  const goal: Goal = {
    resourceType: 'Goal',
    id: 'anna-goal-hemoglobin',
    meta: usCore('us-core-goal'),
    lifecycleStatus: 'completed',
    achievementStatus: cc('http://terminology.hl7.org/CodeSystem/goal-achievement', 'achieved', 'Achieved'),
    description: { text: 'Hemoglobin at or above 12 g/dL within 3 months' },
    subject: subject(),
    startDate: '2024-05-10',
    target: [
      {
        measure: cc(SYS.loinc, '718-7', 'Hemoglobin [Mass/volume] in Blood'),
        detailQuantity: { value: 12, comparator: '>=', unit: 'g/dL', system: SYS.ucum, code: 'g/dL' },
        dueDate: '2024-08-31',
      },
    ],
    statusDate: '2024-08-14',
    expressedBy: lopezRef(),
    addresses: [ref('Condition', dxAnemia)],
    outcomeReference: [ref('Observation', 'anna-lab-hgb-2024-08-14')],
  };
  const plan: CarePlan = {
    resourceType: 'CarePlan',
    id: 'anna-careplan-anemia',
    meta: usCore('us-core-careplan'),
    text: narrative(
      'Iron deficiency anemia: ferrous sulfate 325 mg every other day for 3 months, iron-rich diet, recheck hemoglobin in 3 months. Sleep hygiene counseling for shift work.',
    ),
    status: 'completed',
    intent: 'plan',
    category: [cc('http://hl7.org/fhir/us/core/CodeSystem/careplan-category', 'assess-plan', 'Assessment and Plan of Treatment')],
    title: 'Iron deficiency anemia treatment',
    subject: subject(),
    encounter: ref('Encounter', ENC_PHYSICAL),
    period: { start: '2024-05-10', end: '2024-08-14' },
    created: '2024-05-10',
    author: lopezRef(),
    addresses: [ref('Condition', dxAnemia), ref('Condition', 'anna-concern-sleep')],
    goal: [ref('Goal', goal.id as string)],
    activity: [
      { reference: ref('MedicationRequest', ferrous.id as string) },
      {
        detail: {
          kind: 'ServiceRequest',
          code: cc(SYS.loinc, '718-7', 'Hemoglobin [Mass/volume] in Blood'),
          status: 'completed',
          scheduledString: 'Recheck in 3 months',
          description: 'Repeat hemoglobin.',
        },
      },
    ],
  };
  const careTeam: CareTeam = {
    resourceType: 'CareTeam',
    id: 'anna-careteam',
    meta: usCore('us-core-careteam'),
    status: 'active',
    name: 'Anna Smith primary care team',
    subject: subject(),
    period: { start: '2020-09-15' },
    participant: [
      { role: [cc(SYS.snomed, '116154003', 'Patient (person)')], member: subject() },
      { role: [cc(SYS.snomed, '446050000', 'Primary care physician (occupation)')], member: lopezRef(), onBehalfOf: practiceRef() },
      { role: [cc(SYS.nucc, '363LF0000X', 'Family Health Nurse Practitioner')], member: nguyenRef(), onBehalfOf: practiceRef() },
    ],
    managingOrganization: [practiceRef()],
  };
  out.push(goal, careTeam, plan);

  // Coverage: dependent on David's plan
  const coverage: Coverage = {
    resourceType: 'Coverage',
    id: 'anna-coverage-pchp',
    meta: usCore('us-core-coverage'),
    identifier: [{ type: cc(SYS.v2_0203, 'MB', 'Member Number'), system: SYS.memberId, value: 'PCH428946492-02' }],
    status: 'active',
    type: ccMulti('PPO', coding('https://nahdo.org/sopt', '512', 'Commercial Managed Care - PPO'), coding(SYS.v3ActCode, 'PPO', 'preferred provider organization policy')),
    policyHolder: ref('Patient', '428946492', 'David Smith'),
    subscriber: ref('Patient', '428946492', 'David Smith'),
    subscriberId: 'PCH428946492',
    beneficiary: subject(),
    dependent: '02',
    relationship: cc('http://terminology.hl7.org/CodeSystem/subscriber-relationship', 'spouse', 'Spouse'),
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

export function annaResources(): Resource[] {
  const records = [patient(), ...relatedPersons(), ...clinical()];
  return [...records, provenance(c, 'anna-provenance', records, { recorded: '2024-10-16T08:00:00-07:00', author: lopezRef() })];
}
