/**
 * @module clock
 * The generator's fixed time window and date helpers. Everything is derived from the seed and these
 * constants; the wall clock is never read, so output does not change from one day to the next.
 */

/** Milliseconds in a day. */
export const DAY = 86_400_000;
/** Milliseconds in an average year. */
export const YEAR = 365.25 * DAY;
/** First instant any clinical event may happen. */
export const WINDOW_START = Date.UTC(2010, 0, 1);
/** Last instant any clinical event may happen (the population's "today"). */
export const WINDOW_END = Date.UTC(2026, 9, 31, 23, 59, 59);

/** FHIR `date` (YYYY-MM-DD) for an epoch-millisecond instant. */
export function fhirDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** FHIR `dateTime`/`instant` with seconds and a UTC offset, e.g. 2015-03-04T14:30:00Z. */
export function fhirDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** Age in (fractional) years at an instant. */
export function ageAt(birthMs: number, ms: number): number {
  return (ms - birthMs) / YEAR;
}

/** Midnight UTC of the day containing ms. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** The instant `minutes` after ms. */
export function plusMinutes(ms: number, minutes: number): number {
  return ms + minutes * 60_000;
}
