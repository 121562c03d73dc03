/**
 * @module fhir/search/normalize
 * String matching in FHIR search ignores case and accents: both the index and the query go through here.
 */

export function normalizeString(value: string): string {
  return value.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}
