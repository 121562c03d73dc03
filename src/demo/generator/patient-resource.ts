/**
 * @module patient-resource
 * Builds the US Core Patient for a persona: MRN, name, telecom, address, race/ethnicity/birth-sex
 * extensions, language and marital status.
 */
import type { Patient } from '@medplum/fhirtypes';
import type { Persona } from './persona.js';
import { PROFILE, metaFor } from './profiles.js';
import { HISPANIC, NOT_HISPANIC } from './census.js';
import { SYSTEM } from './vocabulary.js';
import { fhirDate } from './clock.js';

/** Identifier system of generated medical record numbers (under HL7's example OID arc). */
export const MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5.99';

/** The Patient resource for a persona. */
export function patientResource(id: string, index: number, p: Persona): Patient {
  const raceText = p.race.display;
  const ethnicity = p.hispanic ? HISPANIC : NOT_HISPANIC;
  const city = p.address.city;
  const email = `${p.given[0]}.${p.family}${index}`.toLowerCase().replace(/[^a-z0-9.]/g, '') + '@example.com';
  return {
    resourceType: 'Patient',
    id,
    meta: metaFor(PROFILE.patient),
    extension: [
      {
        url: PROFILE.race,
        extension: [
          { url: 'ombCategory', valueCoding: { ...p.race } },
          { url: 'text', valueString: raceText },
        ],
      },
      {
        url: PROFILE.ethnicity,
        extension: [
          { url: 'ombCategory', valueCoding: { ...ethnicity } },
          { url: 'text', valueString: ethnicity.display },
        ],
      },
      { url: PROFILE.birthSex, valueCode: p.sex === 'male' ? 'M' : 'F' },
    ],
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: SYSTEM.v20203, code: 'MR', display: 'Medical Record Number' }], text: 'Medical Record Number' },
        system: MRN_SYSTEM,
        value: 'GEN' + String(index).padStart(7, '0'),
      },
    ],
    active: true,
    name: [{ use: 'official', text: `${p.given.join(' ')} ${p.family}`, family: p.family, given: [...p.given] }],
    telecom: [
      { system: 'phone', value: p.phone, use: 'home' },
      { system: 'email', value: email, use: 'home' },
    ],
    gender: p.sex,
    birthDate: fhirDate(p.birthMs),
    address: [
      {
        use: 'home',
        type: 'physical',
        line: [p.address.line],
        city: city.city,
        state: city.state,
        postalCode: city.zip,
        country: 'US',
      },
    ],
    maritalStatus: p.married
      ? { coding: [{ system: SYSTEM.maritalStatus, code: 'M', display: 'Married' }], text: 'Married' }
      : { coding: [{ system: SYSTEM.maritalStatus, code: 'S', display: 'Never Married' }], text: 'Never Married' },
    communication: [
      {
        language: {
          coding: [{ system: SYSTEM.language, code: p.language, display: p.language === 'es' ? 'Spanish' : 'English' }],
          text: p.language === 'es' ? 'Spanish' : 'English',
        },
        preferred: true,
      },
    ],
  };
}
