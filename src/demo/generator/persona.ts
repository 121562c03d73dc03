/**
 * @module persona
 * Draws the stable facts about one synthetic patient (demographics, home clinic, body habitus,
 * which chronic conditions start when, smoking, allergies, insurance) from the patient's random stream.
 */
import type { Random } from './random.js';
import { WINDOW_END, YEAR, DAY } from './clock.js';
import { CITIES, FAMILY, GIVEN_FEMALE, GIVEN_MALE, RACES, STREETS } from './census.js';
import type { City } from './census.js';
import type { ChronicKey, Code } from './vocabulary.js';
import { ALLERGIES } from './vocabulary.js';
import { CLINIC_COUNT, CLINIC_CITY_INDEX, PRACTITIONERS_PER_CLINIC } from './shared-layout.js';

/** How a chronic condition unfolds for this patient. */
export interface ChronicCourse {
  readonly key: ChronicKey;
  /** Clinical onset (may precede the generation window). */
  readonly onsetMs: number;
  /** Set when a visit first records it. */
  diagnosedMs?: number;
}

export type SmokingHabit = 'never' | 'former' | 'daily' | 'occasional';

/** Everything about a patient that does not change from visit to visit. */
export interface Persona {
  readonly sex: 'male' | 'female';
  readonly birthMs: number;
  readonly given: readonly string[];
  readonly family: string;
  readonly address: { readonly line: string; readonly city: City };
  readonly phone: string;
  readonly race: Code;
  readonly hispanic: boolean;
  readonly language: 'en' | 'es';
  readonly married: boolean;
  readonly clinic: number;
  /** Index, within the clinic, of the usual physician for adults. */
  readonly adultPcpSlot: number;
  readonly heightZ: number;
  readonly bmiBase: number;
  readonly bmiTrend: number;
  readonly bpOffset: number;
  readonly ldlBase: number;
  readonly hdlBase: number;
  readonly tgBase: number;
  readonly chronic: ChronicCourse[];
  readonly smoking: SmokingHabit;
  readonly allergies: readonly number[];
  readonly fluShotRate: number;
  readonly covidVaccinated: boolean;
  readonly adherence: number;
  /** True when this patient's pharmacy records cite shared Medication resources. */
  readonly medicationByReference: boolean;
}

type Prevalence = (age: number, sex: 'male' | 'female') => number;

/** Lifetime-by-now prevalence and the youngest onset age of each chronic condition. */
const CHRONIC_MODEL: readonly (readonly [ChronicKey, Prevalence, number])[] = [
  ['hypertension', (a) => (a < 30 ? 0.02 : a < 45 ? 0.15 : a < 65 ? 0.35 : 0.6), 25],
  ['hyperlipidemia', (a) => (a < 30 ? 0.02 : a < 45 ? 0.12 : a < 65 ? 0.3 : 0.45), 30],
  ['diabetes', (a) => (a < 30 ? 0.005 : a < 45 ? 0.04 : a < 65 ? 0.13 : 0.22), 30],
  ['prediabetes', (a) => (a < 30 ? 0.02 : 0.15), 25],
  ['asthma', () => 0.08, 2],
  ['allergicRhinitis', () => 0.12, 3],
  ['hypothyroidism', (a, s) => (a < 30 ? 0 : s === 'female' ? 0.1 : 0.02), 30],
  ['depression', (a) => (a < 15 ? 0 : 0.08), 15],
  ['anxiety', (a) => (a < 15 ? 0 : 0.08), 15],
  ['osteoarthritis', (a) => (a < 50 ? 0 : 0.25), 50],
  ['gerd', (a) => (a < 25 ? 0 : 0.1), 25],
  ['ckd3', (a) => (a < 60 ? 0 : 0.1), 60],
  ['atrialFibrillation', (a) => (a < 65 ? 0 : 0.08), 65],
  ['migraine', (a, s) => (a < 12 ? 0 : s === 'female' ? 0.1 : 0.04), 12],
];

/** Age at the window end, by rough US age shares. */
function drawAge(rng: Random): number {
  const band = rng.weighted<readonly [number, number]>([
    [[0, 5], 6],
    [[5, 18], 16],
    [[18, 45], 35],
    [[45, 65], 25],
    [[65, 92], 18],
  ]);
  return rng.float(band[0], band[1]);
}

/**
 * Draws a persona. Consumes a fixed pattern of draws from `rng` for a given outcome, so the result
 * depends only on the stream's seed.
 */
export function drawPersona(rng: Random): Persona {
  const sex = rng.chance(0.5) ? 'male' : 'female';
  const age = drawAge(rng);
  const birthMs = Math.floor((WINDOW_END - age * YEAR) / DAY) * DAY;
  const hispanic = rng.chance(0.18);
  const race = rng.weighted(RACES);
  const givenPool = sex === 'male' ? GIVEN_MALE : GIVEN_FEMALE;
  const given = rng.chance(0.4) ? [rng.pick(givenPool), rng.pick(givenPool)] : [rng.pick(givenPool)];
  const clinic = rng.int(0, CLINIC_COUNT - 1);
  const city = rng.chance(0.8) ? CITIES[CLINIC_CITY_INDEX[clinic]] : rng.pick(CITIES);
  const line = `${rng.int(10, 9899)} ${rng.pick(STREETS)}`;
  const phone = `(${city.areaCode}) 555-01${String(rng.int(0, 99)).padStart(2, '0')}`;

  const chronic: ChronicCourse[] = [];
  for (const [key, prevalence, minOnset] of CHRONIC_MODEL) {
    const p = prevalence(age, sex);
    if (p > 0 && rng.chance(p) && age > minOnset) {
      if (key === 'prediabetes' && chronic.some((c) => c.key === 'diabetes')) continue;
      const onsetAge = rng.float(minOnset, age);
      chronic.push({ key, onsetMs: birthMs + onsetAge * YEAR });
    }
  }

  const smoking: SmokingHabit =
    age < 15 ? 'never' : rng.weighted<SmokingHabit>([['never', 62], ['former', 22], ['daily', 11], ['occasional', 5]]);
  const allergyCount = rng.weighted([[0, 70], [1, 22], [2, 8]]);
  const allergies = rng.sample(
    ALLERGIES.map((_, i) => i),
    allergyCount,
  );
  const bmiBase = Math.min(45, Math.max(18, rng.normal(26.5, 4.5)));
  return {
    sex,
    birthMs,
    given,
    family: rng.pick(FAMILY),
    address: { line, city },
    phone,
    race,
    hispanic,
    language: hispanic && rng.chance(0.3) ? 'es' : 'en',
    married: age > 22 && rng.chance(0.5),
    clinic,
    adultPcpSlot: rng.int(0, 1),
    heightZ: Math.max(-2.5, Math.min(2.5, rng.normal(0, 1))),
    bmiBase,
    bmiTrend: Math.max(-0.3, Math.min(0.4, rng.normal(0.08, 0.12))),
    bpOffset: rng.normal(0, 6),
    ldlBase: Math.max(60, rng.normal(112, 22)),
    hdlBase: Math.max(28, rng.normal(sex === 'female' ? 58 : 48, 10)),
    tgBase: Math.max(50, rng.normal(115, 35)),
    chronic,
    smoking,
    allergies,
    fluShotRate: rng.float(0.1, 0.8),
    covidVaccinated: rng.chance(0.7),
    adherence: rng.float(0.5, 1),
    medicationByReference: rng.chance(0.5),
  };
}

/** The chronic course for a key, if the patient has that condition. */
export function course(persona: Persona, key: ChronicKey): ChronicCourse | undefined {
  return persona.chronic.find((c) => c.key === key);
}

/** True when the condition has begun by time t. */
export function hasCondition(persona: Persona, key: ChronicKey, t: number): boolean {
  const c = course(persona, key);
  return c !== undefined && c.onsetMs <= t;
}

/** True when the condition has been diagnosed (and so treated) by time t. */
export function isTreated(persona: Persona, key: ChronicKey, t: number): boolean {
  const c = course(persona, key);
  return c?.diagnosedMs !== undefined && c.diagnosedMs <= t;
}

/** Index of the practitioner (across all clinics) who sees this patient at age `age`. */
export function usualPractitioner(persona: Persona, age: number): number {
  const slot = age < 18 ? 2 : persona.adultPcpSlot;
  return persona.clinic * PRACTITIONERS_PER_CLINIC + slot;
}
