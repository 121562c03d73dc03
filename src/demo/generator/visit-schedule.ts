/**
 * @module visit-schedule
 * Plans a patient's ambulatory visits across the window: well-child and annual check-ups,
 * sick visits (Poisson by age), and chronic-disease follow-ups after diagnosis.
 */
import type { Random } from './random.js';
import type { Persona } from './persona.js';
import { DAY, WINDOW_END, WINDOW_START, YEAR } from './clock.js';
import type { EncounterKind } from './vocabulary.js';

/** One planned visit. */
export interface PlannedVisit {
  readonly start: number;
  readonly kind: EncounterKind;
}

/** Conditions that bring a patient back for regular follow-up. */
const FOLLOWED = new Set(['hypertension', 'diabetes', 'hyperlipidemia', 'hypothyroidism', 'depression', 'asthma', 'ckd3', 'atrialFibrillation']);

/** Months of age at which well-child visits happen. */
const WELL_CHILD_MONTHS = [0.1, 1, 2, 4, 6, 9, 12, 15, 18, 24, 30, 36];

/** Minimum spacing between a planned check-up or follow-up and the visit before it. */
const MIN_GAP = 21 * DAY;

/** Sick-visit rate per year by age. */
function sickRate(age: number): number {
  return age < 5 ? 0.9 : age < 18 ? 0.3 : age < 65 ? 0.22 : 0.4;
}

/** A clinic-hours instant on the day of `ms` (15:00–22:45 UTC, i.e. a US working day). */
function clinicTime(ms: number, rng: Random): number {
  const day = Math.floor(ms / DAY) * DAY;
  return day + (15 * 60 + 15 * rng.int(0, 31)) * 60_000;
}

/**
 * Returns the visits, sorted by start, all inside [max(window start, birth), window end].
 * Follow-ups are planned from clinical onset; the first visit after onset records the diagnosis.
 */
export function planVisits(p: Persona, rng: Random): PlannedVisit[] {
  const visits: PlannedVisit[] = [];
  const from = Math.max(WINDOW_START, p.birthMs + 2 * DAY);
  const add = (start: number, kind: EncounterKind): void => {
    if (start >= from && start <= WINDOW_END - 15 * DAY) visits.push({ start: clinicTime(start, rng), kind });
  };

  // Preventive care.
  for (const months of WELL_CHILD_MONTHS) add(p.birthMs + (months / 12) * YEAR + rng.int(0, 10) * DAY, 'wellChild');
  for (let age = 4; ; age++) {
    const at = p.birthMs + age * YEAR + rng.int(-30, 60) * DAY;
    if (at > WINDOW_END) break;
    const rate = age < 18 ? 0.7 : age < 65 ? 0.35 : 0.55;
    if (at >= from && rng.chance(rate)) add(at, age < 18 ? 'wellChild' : 'checkup');
  }

  // Sick visits, year by year.
  for (let y = from; y < WINDOW_END; y += YEAR) {
    const age = (y - p.birthMs) / YEAR;
    const count = rng.poisson(sickRate(age));
    for (let i = 0; i < count; i++) add(y + rng.float(0, YEAR), 'symptom');
  }

  // Chronic follow-ups: from onset, one or two a year depending on burden.
  const followed = p.chronic.filter((c) => FOLLOWED.has(c.key));
  if (followed.length > 0) {
    const first = Math.max(from, Math.min(...followed.map((c) => c.onsetMs)));
    for (let t = first + rng.float(0.1, 0.5) * YEAR; t < WINDOW_END; ) {
      add(t, 'followUp');
      const active = followed.filter((c) => c.onsetMs <= t).length;
      const perYear = Math.min(2, 0.4 + 0.25 * active + (followed.some((c) => c.key === 'diabetes' && c.onsetMs <= t) ? 0.4 : 0));
      t += (YEAR / perYear) * rng.float(0.75, 1.25);
    }
  }

  visits.sort((a, b) => a.start - b.start);
  // A planned check-up or follow-up right after another visit is folded into that visit.
  const kept: PlannedVisit[] = [];
  for (const v of visits) {
    const previous = kept[kept.length - 1];
    if (previous && (v.kind === 'checkup' || v.kind === 'followUp') && v.start - previous.start < MIN_GAP) continue;
    kept.push(v);
  }
  return kept;
}
