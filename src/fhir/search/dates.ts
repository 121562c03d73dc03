/**
 * @module fhir/search/dates
 * FHIR date, dateTime and instant values as inclusive millisecond ranges, at their own precision:
 * `2020` covers the whole year, `2020-03-01T10:00:00Z` one second. A time without a zone is read as UTC.
 */

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Days of each month of a common year, by month number (1–12). */
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const MIN_DATE_MS = -8.64e15;
export const MAX_DATE_MS = 8.64e15;

export interface DateRange {
  lo: number;
  hi: number;
}

/** Parses a FHIR date/dateTime/instant; undefined when it is not one (or names an impossible day). */
export function parseDateRange(value: string): DateRange | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : undefined;
  const day = d ? Number(d) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined) {
    const daysInMonth = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : DAYS_IN_MONTH[month as number];
    if (day < 1 || day > daysInMonth) return undefined;
  }
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  if (zone && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59) return undefined;
  }
  const offsetMs = zone && zone !== 'Z' ? (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60000 : 0;

  if (month === undefined) return { lo: Date.UTC(year, 0, 1), hi: Date.UTC(year + 1, 0, 1) - 1 };
  if (day === undefined) return { lo: Date.UTC(year, month - 1, 1), hi: Date.UTC(year, month, 1) - 1 };
  if (h === undefined) return { lo: Date.UTC(year, month - 1, day), hi: Date.UTC(year, month - 1, day + 1) - 1 };
  const base = Date.UTC(year, month - 1, day, Number(h), Number(mi), s ? Number(s) : 0) - offsetMs;
  if (s === undefined) return { lo: base, hi: base + 60000 - 1 };
  if (frac === undefined) return { lo: base, hi: base + 999 };
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  // Sub-millisecond precision rounds to the millisecond that contains it.
  const span = frac.length >= 3 ? 0 : 10 ** (3 - frac.length) - 1;
  return { lo: base + ms, hi: base + ms + span };
}
