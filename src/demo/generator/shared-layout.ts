/**
 * @module shared-layout
 * Fixed shape of the shared directory (how many clinics, practitioners, payers) so that patient
 * records can cite shared resources by id without generating them. Changing a number here changes
 * every generated population.
 */
import { CITIES } from './census.js';

/** Clinics; each is an Organization `gen-org-{n}` with one Location `gen-loc-{n}`. */
export const CLINIC_COUNT = 6;
/** City (index into CITIES) of each clinic. */
export const CLINIC_CITY_INDEX: readonly number[] = [0, 7, 10, 13, 14, 12];
/** Practitioners per clinic: slot 0 family medicine, 1 internal medicine, 2 pediatrics, 3 nurse practitioner. */
export const PRACTITIONERS_PER_CLINIC = 4;
/** Slot of the nurse practitioner within a clinic. */
export const NURSE_PRACTITIONER_SLOT = 3;
/** Total practitioners (and PractitionerRoles), ids `gen-pract-{n}` / `gen-role-{n}`. */
export const PRACTITIONER_COUNT = CLINIC_COUNT * PRACTITIONERS_PER_CLINIC;
/** Organization index of the reference laboratory. */
export const LAB_ORG = CLINIC_COUNT;

/** Payers: organization index, display name and NAIC-style company code. */
export const PAYERS = {
  medicare: { org: CLINIC_COUNT + 1, name: 'Centers for Medicare and Medicaid Services', naic: '00000' },
  medicaid: { org: CLINIC_COUNT + 2, name: 'State Medicaid Program', naic: '00001' },
  privateA: { org: CLINIC_COUNT + 3, name: 'Harborview Health Plan', naic: '90117' },
  privateB: { org: CLINIC_COUNT + 4, name: 'Summit Mutual Health Insurance', naic: '90231' },
} as const;
/** Total organizations (clinics, the laboratory, payers). */
export const ORGANIZATION_COUNT = CLINIC_COUNT + 5;

if (CLINIC_CITY_INDEX.some((i) => i >= CITIES.length) || CLINIC_CITY_INDEX.length !== CLINIC_COUNT) {
  throw new Error('shared-layout: clinic cities out of range');
}
