// The practice itself: organizations, the clinic location, clinicians and their roles.
import type { Location, Organization, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';
import { SYS, cc, coding, ref, usCore } from './helpers.js';

export const ORG_ID = '1673497';
export const PAYER_ID = 'pacific-coast-health';
export const PHARMACY_ID = 'seaside-pharmacy';
export const LAB_ID = 'coastal-reference-lab';
export const LOCATION_ID = 'sbfm-main-clinic';

export const DR_LOPEZ = 'maria-lopez-md';
export const DR_PARK = 'kevin-park-md';
export const NP_NGUYEN = 'rachel-nguyen-np';

const PRACTICE_ADDRESS = {
  use: 'work' as const,
  type: 'physical' as const,
  line: ['410 Lomas Santa Fe Dr', 'Suite 200'],
  city: 'Solana Beach',
  state: 'CA',
  postalCode: '92075',
  country: 'US',
};
const PRACTICE_PHONE = '(858) 555-0142';

export const practiceRef = () => ref('Organization', ORG_ID, 'Solana Beach Family Medicine');
export const locationRef = () => ref('Location', LOCATION_ID, 'Solana Beach Family Medicine - Main Clinic');
export const lopezRef = () => ref('Practitioner', DR_LOPEZ, 'Maria Lopez, MD');
export const parkRef = () => ref('Practitioner', DR_PARK, 'Kevin Park, MD');
export const nguyenRef = () => ref('Practitioner', NP_NGUYEN, 'Rachel Nguyen, NP');
export const labRef = () => ref('Organization', LAB_ID, 'Coastal Reference Laboratory');
export const pharmacyRef = () => ref('Organization', PHARMACY_ID, 'Seaside Pharmacy');
export const payerRef = () => ref('Organization', PAYER_ID, 'Pacific Coast Health Plan');

const providerOrgType = cc('http://terminology.hl7.org/CodeSystem/organization-type', 'prov', 'Healthcare Provider');

export function organizations(): Organization[] {
  return [
    {
      resourceType: 'Organization',
      id: ORG_ID,
      meta: usCore('us-core-organization'),
      identifier: [
        { system: SYS.npi, value: '1673497016' },
        { system: 'https://solanabeachfm.example/fhir/sid/practice-id', value: '1673497' },
      ],
      active: true,
      type: [providerOrgType],
      name: 'Solana Beach Family Medicine',
      telecom: [
        { system: 'phone', value: PRACTICE_PHONE, use: 'work' },
        { system: 'fax', value: '(858) 555-0143', use: 'work' },
        { system: 'url', value: 'https://solanabeachfm.example', use: 'work' },
      ],
      address: [PRACTICE_ADDRESS],
    },
    {
      resourceType: 'Organization',
      id: LAB_ID,
      meta: usCore('us-core-organization'),
      identifier: [{ system: SYS.npi, value: '1304958279' }],
      active: true,
      type: [providerOrgType],
      name: 'Coastal Reference Laboratory',
      telecom: [{ system: 'phone', value: '(858) 555-0190', use: 'work' }],
      address: [{ use: 'work', line: ['9855 Carroll Canyon Rd'], city: 'San Diego', state: 'CA', postalCode: '92131', country: 'US' }],
    },
    {
      resourceType: 'Organization',
      id: PHARMACY_ID,
      meta: usCore('us-core-organization'),
      identifier: [{ system: SYS.npi, value: '1234567893' }],
      active: true,
      type: [providerOrgType],
      name: 'Seaside Pharmacy',
      telecom: [{ system: 'phone', value: '(858) 555-0177', use: 'work' }],
      address: [{ use: 'work', line: ['142 S Highway 101'], city: 'Solana Beach', state: 'CA', postalCode: '92075', country: 'US' }],
    },
    {
      resourceType: 'Organization',
      id: PAYER_ID,
      meta: usCore('us-core-organization'),
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.221.5', value: 'PCHP-60054' }],
      active: true,
      type: [cc('http://terminology.hl7.org/CodeSystem/organization-type', 'pay', 'Payer')],
      name: 'Pacific Coast Health Plan',
      telecom: [{ system: 'phone', value: '(800) 555-0110', use: 'work' }],
      address: [{ use: 'work', line: ['1200 Harbor Blvd'], city: 'Oxnard', state: 'CA', postalCode: '93035', country: 'US' }],
    },
  ];
}

export function locations(): Location[] {
  return [
    {
      resourceType: 'Location',
      id: LOCATION_ID,
      meta: usCore('us-core-location'),
      identifier: [{ system: SYS.npi, value: '1673497016' }],
      status: 'active',
      name: 'Solana Beach Family Medicine - Main Clinic',
      mode: 'instance',
      type: [cc('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'FMC', 'Family Medicine Clinic')],
      telecom: [{ system: 'phone', value: PRACTICE_PHONE, use: 'work' }],
      address: PRACTICE_ADDRESS,
      position: { longitude: -117.2653, latitude: 32.9912 },
      managingOrganization: practiceRef(),
    },
  ];
}

const md = { code: cc('http://terminology.hl7.org/CodeSystem/v2-0360', 'MD', 'Doctor of Medicine') };

export function practitioners(): Practitioner[] {
  return [
    {
      resourceType: 'Practitioner',
      id: DR_LOPEZ,
      meta: usCore('us-core-practitioner'),
      identifier: [{ system: SYS.npi, value: '1582047365' }],
      active: true,
      name: [{ use: 'official', family: 'Lopez', given: ['Maria', 'Elena'], suffix: ['MD'] }],
      telecom: [{ system: 'phone', value: PRACTICE_PHONE, use: 'work' }, { system: 'email', value: 'mlopez@solanabeachfm.example', use: 'work' }],
      address: [PRACTICE_ADDRESS],
      gender: 'female',
      qualification: [{ ...md, issuer: { display: 'Medical Board of California' } }],
    },
    {
      resourceType: 'Practitioner',
      id: DR_PARK,
      meta: usCore('us-core-practitioner'),
      identifier: [{ system: SYS.npi, value: '1473029589' }],
      active: true,
      name: [{ use: 'official', family: 'Park', given: ['Kevin'], suffix: ['MD'] }],
      telecom: [{ system: 'phone', value: PRACTICE_PHONE, use: 'work' }],
      address: [PRACTICE_ADDRESS],
      gender: 'male',
      qualification: [{ ...md, issuer: { display: 'Medical Board of California' } }],
    },
    {
      resourceType: 'Practitioner',
      id: NP_NGUYEN,
      meta: usCore('us-core-practitioner'),
      identifier: [{ system: SYS.npi, value: '1928473655' }],
      active: true,
      name: [{ use: 'official', family: 'Nguyen', given: ['Rachel'], suffix: ['NP'] }],
      telecom: [{ system: 'phone', value: PRACTICE_PHONE, use: 'work' }],
      address: [PRACTICE_ADDRESS],
      gender: 'female',
      qualification: [{ code: cc('http://terminology.hl7.org/CodeSystem/v2-0360', 'NP', 'Nurse Practitioner') }],
    },
  ];
}

function role(id: string, practitioner: Reference<Practitioner>, code: string, display: string): PractitionerRole {
  return {
    resourceType: 'PractitionerRole',
    id,
    meta: usCore('us-core-practitionerrole'),
    active: true,
    period: { start: '2018-07-01' },
    practitioner,
    organization: practiceRef(),
    code: [{ coding: [coding(SYS.nucc, code, display)], text: display }],
    specialty: [{ coding: [coding(SYS.nucc, code, display)], text: display }],
    location: [locationRef()],
    telecom: [{ system: 'phone', value: PRACTICE_PHONE, use: 'work' }, { system: 'fax', value: '(858) 555-0143', use: 'work' }],
    availableTime: [{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'], availableStartTime: '08:00:00', availableEndTime: '17:00:00' }],
  };
}

export function practitionerRoles(): PractitionerRole[] {
  return [
    role('maria-lopez-md-sbfm', lopezRef(), '207Q00000X', 'Family Medicine Physician'),
    role('kevin-park-md-sbfm', parkRef(), '208000000X', 'Pediatrics Physician'),
    role('rachel-nguyen-np-sbfm', nguyenRef(), '363LF0000X', 'Family Health Nurse Practitioner'),
  ];
}
