/**
 * @module fhir/search/normalize
 * String matching in FHIR search ignores case and accents: both the index and the query go through here.
 */

const NON_ASCII = /[^\x00-\x7f]/;
/** Whitespace other than single spaces between words. */
const FOLD_NEEDED = /^\s|\s$|[^\S ]|\s\s/;

export function normalizeString(value: string): string {
  // Only non-ASCII text can carry accents; decomposing it all was most of this function's cost in an import.
  const unaccented = NON_ASCII.test(value) ? value.normalize('NFD').replace(/\p{M}+/gu, '') : value;
  const lower = unaccented.toLowerCase();
  // Most text needs no whitespace folding; testing first spares a copy of it.
  return FOLD_NEEDED.test(lower) ? lower.replace(/\s+/g, ' ').trim() : lower;
}
