/**
 * @module shared-resources
 * The directory every patient record cites: clinic, laboratory and payer Organizations, clinic
 * Locations, Practitioners with their PractitionerRoles, and Medications. Counts are fixed by
 * shared-layout; names and identifiers come from the seed.
 */
import type { Location, Medication, Organization, Practitioner, PractitionerRole, Resource } from '@medplum/fhirtypes';
import { Random } from './random.js';
import { ref, sharedId } from './ids.js';
import { PROFILE, metaFor } from './profiles.js';
import { CITIES, FAMILY, GIVEN_FEMALE, GIVEN_MALE, STREETS } from './census.js';
import { CARE_TEAM_ROLES, MEDICATIONS, SHARED_MEDICATIONS, SPECIALTIES, SYSTEM } from './vocabulary.js';
import { CLINIC_CITY_INDEX, CLINIC_COUNT, LAB_ORG, PAYERS, PRACTITIONERS_PER_CLINIC } from './shared-layout.js';

/** A ten-digit NPI with a valid Luhn check digit (computed over the 80840 prefix). */
export function npi(rng: Random): string {
  const body = String(rng.int(1, 2)) + String(rng.int(0, 99_999_999)).padStart(8, '0');
  const digits = ('80840' + body).split('').map(Number);
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits[i];
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

const CLINIC_SUFFIXES = ['Family Medicine', 'Primary Care', 'Community Health Center', 'Family Practice', 'Medical Group', 'Health Partners'];

/** Shared resources for a seed; the same ids for every seed. */
export function generateSharedResources(seed: number): Resource[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const rng = new Random(seed, 0);
  const out: Resource[] = [];
  const phone = (areaCode: string): string => `(${areaCode}) 555-01${String(rng.int(0, 99)).padStart(2, '0')}`;

  for (let c = 0; c < CLINIC_COUNT; c++) {
    const city = CITIES[CLINIC_CITY_INDEX[c]];
    const address = { use: 'work' as const, line: [`${rng.int(100, 4999)} ${rng.pick(STREETS)}`], city: city.city, state: city.state, postalCode: city.zip, country: 'US' };
    const name = `${city.city} ${CLINIC_SUFFIXES[c % CLINIC_SUFFIXES.length]}`;
    const telecom = [{ system: 'phone' as const, value: phone(city.areaCode), use: 'work' as const }];
    const org: Organization = {
      resourceType: 'Organization',
      id: sharedId('org', c),
      meta: metaFor(PROFILE.organization),
      identifier: [{ system: SYSTEM.npi, value: npi(rng) }],
      active: true,
      type: [{ coding: [{ system: SYSTEM.organizationType, code: 'prov', display: 'Healthcare Provider' }], text: 'Healthcare Provider' }],
      name,
      telecom,
      address: [address],
    };
    const location: Location = {
      resourceType: 'Location',
      id: sharedId('loc', c),
      meta: metaFor(PROFILE.location),
      status: 'active',
      name: `${name} clinic`,
      type: [{ coding: [{ system: SYSTEM.locationType, code: 'OF', display: 'Outpatient facility' }], text: 'Outpatient facility' }],
      telecom,
      address,
      position: { longitude: city.lon, latitude: city.lat },
      managingOrganization: ref('Organization', org.id as string),
    };
    out.push(org, location);
  }

  const labCity = CITIES[CLINIC_CITY_INDEX[0]];
  out.push({
    resourceType: 'Organization',
    id: sharedId('org', LAB_ORG),
    meta: metaFor(PROFILE.organization),
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.7', value: `05D${rng.int(1_000_000, 9_999_999)}` }],
    active: true,
    type: [{ coding: [{ system: SYSTEM.organizationType, code: 'prov', display: 'Healthcare Provider' }], text: 'Healthcare Provider' }],
    name: 'Coastal Reference Laboratory',
    telecom: [{ system: 'phone', value: phone(labCity.areaCode), use: 'work' }],
    address: [{ use: 'work', line: [`${rng.int(100, 4999)} ${rng.pick(STREETS)}`], city: labCity.city, state: labCity.state, postalCode: labCity.zip, country: 'US' }],
  } satisfies Organization);

  for (const payer of Object.values(PAYERS)) {
    out.push({
      resourceType: 'Organization',
      id: sharedId('org', payer.org),
      meta: metaFor(PROFILE.organization),
      identifier: [{ system: SYSTEM.naic, value: payer.naic }],
      active: true,
      type: [{ coding: [{ system: SYSTEM.organizationType, code: 'pay', display: 'Payer' }], text: 'Payer' }],
      name: payer.name,
      telecom: [{ system: 'phone', value: `(800) 555-01${String(rng.int(0, 99)).padStart(2, '0')}`, use: 'work' }],
    } satisfies Organization);
  }

  for (let c = 0; c < CLINIC_COUNT; c++) {
    const city = CITIES[CLINIC_CITY_INDEX[c]];
    for (let slot = 0; slot < PRACTITIONERS_PER_CLINIC; slot++) {
      const n = c * PRACTITIONERS_PER_CLINIC + slot;
      const female = rng.chance(0.5);
      const given = rng.pick(female ? GIVEN_FEMALE : GIVEN_MALE);
      const family = rng.pick(FAMILY);
      const nurse = slot === 3;
      const specialty = SPECIALTIES[slot];
      const practitioner: Practitioner = {
        resourceType: 'Practitioner',
        id: sharedId('pract', n),
        meta: metaFor(PROFILE.practitioner),
        identifier: [{ system: SYSTEM.npi, value: npi(rng) }],
        active: true,
        name: [{ use: 'official', text: `${given} ${family}, ${nurse ? 'NP' : 'MD'}`, family, given: [given], suffix: [nurse ? 'NP' : 'MD'] }],
        telecom: [{ system: 'phone', value: phone(city.areaCode), use: 'work' }],
        gender: female ? 'female' : 'male',
      };
      const role: PractitionerRole = {
        resourceType: 'PractitionerRole',
        id: sharedId('role', n),
        meta: metaFor(PROFILE.practitionerRole),
        active: true,
        practitioner: ref('Practitioner', practitioner.id as string),
        organization: ref('Organization', sharedId('org', c)),
        code: [
          nurse
            ? { coding: [{ ...CARE_TEAM_ROLES.nursePractitioner }], text: CARE_TEAM_ROLES.nursePractitioner.display }
            : { coding: [{ ...CARE_TEAM_ROLES.primaryCare }], text: CARE_TEAM_ROLES.primaryCare.display },
        ],
        specialty: [{ coding: [{ ...specialty }], text: specialty.display }],
        location: [ref('Location', sharedId('loc', c))],
        telecom: practitioner.telecom,
      };
      out.push(practitioner, role);
    }
  }

  SHARED_MEDICATIONS.forEach((key, i) => {
    const info = MEDICATIONS[key];
    out.push({
      resourceType: 'Medication',
      id: sharedId('med', i),
      meta: metaFor(PROFILE.medication),
      code: { coding: [{ ...info.code }], text: info.code.display },
      status: 'active',
    } satisfies Medication);
  });
  return out;
}
