/**
 * @module physiology
 * Plausible measurement values for a persona at a point in time: growth curves for children, slow
 * weight drift for adults, blood pressure and labs shifted by untreated/treated chronic conditions,
 * plus per-visit noise. Values are rounded here so that serialisation is deterministic.
 */
import type { Random } from './random.js';
import type { Persona } from './persona.js';
import { hasCondition, isTreated } from './persona.js';
import { YEAR } from './clock.js';

/** Rounds to a number of decimals. */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** Piecewise-linear interpolation in an (age, value) table. */
function interpolate(table: readonly (readonly [number, number])[], age: number): number {
  if (age <= table[0][0]) return table[0][1];
  for (let i = 1; i < table.length; i++) {
    const [a1, v1] = table[i];
    if (age <= a1) {
      const [a0, v0] = table[i - 1];
      return v0 + ((v1 - v0) * (age - a0)) / (a1 - a0);
    }
  }
  return table[table.length - 1][1];
}

// CDC growth-chart medians (approximate), by age in years.
const HEIGHT_MALE = [[0, 50], [0.5, 67.6], [1, 76], [2, 87], [3, 96], [4, 103], [5, 110], [6, 116], [8, 128], [10, 138], [12, 149], [14, 164], [16, 173], [18, 176]] as const;
const HEIGHT_FEMALE = [[0, 49], [0.5, 65.7], [1, 74], [2, 86], [3, 95], [4, 102], [5, 109], [6, 115], [8, 127], [10, 138], [12, 151], [14, 160], [16, 162], [18, 163]] as const;
const WEIGHT_MALE = [[0, 3.4], [0.5, 7.9], [1, 9.6], [2, 12.2], [3, 14.3], [4, 16.3], [5, 18.4], [6, 20.7], [8, 25.6], [10, 31.9], [12, 40.5], [14, 50.8], [16, 60.8], [18, 68.2]] as const;
const WEIGHT_FEMALE = [[0, 3.3], [0.5, 7.3], [1, 9.0], [2, 11.5], [3, 13.9], [4, 15.9], [5, 18.0], [6, 20.2], [8, 25.6], [10, 32.6], [12, 41.5], [14, 49.4], [16, 53.5], [18, 56.7]] as const;
const HEAD_CIRCUMFERENCE = [[0, 34.5], [0.25, 40.5], [0.5, 43.3], [1, 46.1], [2, 48.3], [3, 49.5]] as const;

/** Standard normal cumulative distribution (Abramowitz–Stegun 7.1.26). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Body measurements at one visit. */
export interface Body {
  readonly heightCm: number;
  readonly weightKg: number;
  readonly bmi: number;
  /** BMI-for-age percentile (ages 2–20), else undefined. */
  readonly bmiPercentile?: number;
  /** Head circumference in cm (under 3 years), else undefined. */
  readonly headCm?: number;
}

/** Height, weight, BMI for a persona at an age (years), with visit noise. */
export function bodyAt(p: Persona, age: number, rng: Random): Body {
  const male = p.sex === 'male';
  const weightZ = (p.bmiBase - 26.5) / 4.5;
  let height: number;
  let weight: number;
  if (age < 18) {
    height = interpolate(male ? HEIGHT_MALE : HEIGHT_FEMALE, age) * (1 + p.heightZ * 0.04);
    weight = interpolate(male ? WEIGHT_MALE : WEIGHT_FEMALE, age) * Math.exp(weightZ * 0.12 + rng.normal(0, 0.02));
  } else {
    height = (male ? 176 : 163) + p.heightZ * 7 - Math.max(0, age - 60) * 0.12;
    const years = Math.min(age, 65) - 18;
    const bmi = clamp(p.bmiBase + p.bmiTrend * years - Math.max(0, age - 75) * 0.15 + rng.normal(0, 0.3), 16, 55);
    weight = bmi * (height / 100) ** 2;
  }
  const heightCm = round(height + rng.normal(0, 0.3), 1);
  const weightKg = round(weight, 1);
  const bmi = round(weightKg / (heightCm / 100) ** 2, 1);
  return {
    heightCm,
    weightKg,
    bmi,
    bmiPercentile: age >= 2 && age < 20 ? round(clamp(normalCdf(weightZ * 0.9 + rng.normal(0, 0.15)) * 100, 1, 99.5), 1) : undefined,
    headCm: age < 3 ? round(interpolate(HEAD_CIRCUMFERENCE, age) + (male ? 0.5 : -0.5) + p.heightZ * 0.8, 1) : undefined,
  };
}

/** Vital signs other than body measurements. */
export interface Vitals {
  readonly systolic?: number;
  readonly diastolic?: number;
  readonly heartRate: number;
  readonly respiratoryRate: number;
  readonly temperature: number;
  readonly spo2: number;
}

/** Blood pressure, pulse, respiration, temperature and SpO2 at time t. */
export function vitalsAt(p: Persona, t: number, bmi: number, feverish: boolean, rng: Random): Vitals {
  const age = (t - p.birthMs) / YEAR;
  let systolic: number | undefined;
  let diastolic: number | undefined;
  if (age >= 3) {
    if (age < 13) {
      systolic = 95 + 1.5 * (age - 3);
      diastolic = 58 + 0.8 * (age - 3);
    } else if (age < 18) {
      systolic = 108 + 0.7 * (age - 13);
      diastolic = 66 + 0.8 * (age - 13);
    } else {
      systolic = 112 + 0.35 * Math.max(0, age - 25) + p.bpOffset + 0.5 * (bmi - 25);
      diastolic = 72 + 0.1 * Math.max(0, age - 25) - 0.25 * Math.max(0, age - 60) + p.bpOffset * 0.4;
    }
    if (hasCondition(p, 'hypertension', t)) {
      const treated = isTreated(p, 'hypertension', t);
      systolic += treated ? 6 + 10 * (1 - p.adherence) : 22;
      diastolic += treated ? 3 + 5 * (1 - p.adherence) : 10;
    }
    systolic = Math.round(clamp(systolic + rng.normal(0, 6), 80, 210));
    diastolic = Math.round(clamp(diastolic + rng.normal(0, 5), 40, Math.min(125, systolic - 20)));
  }
  const baseHr = age < 1 ? 130 : age < 3 ? 110 : age < 6 ? 100 : age < 12 ? 88 : age < 18 ? 78 : 72;
  const afib = hasCondition(p, 'atrialFibrillation', t) ? 14 : 0;
  const heartRate = Math.round(clamp(baseHr + afib + (feverish ? 12 : 0) + rng.normal(0, 7), 45, 190));
  const baseRr = age < 1 ? 34 : age < 3 ? 26 : age < 6 ? 22 : age < 12 ? 19 : age < 18 ? 16 : 15;
  const respiratoryRate = Math.round(clamp(baseRr + (feverish ? 3 : 0) + rng.normal(0, 1.5), 10, 60));
  const temperature = round(feverish ? rng.float(38, 39.4) : clamp(rng.normal(36.8, 0.25), 36, 37.5), 1);
  const lungs = hasCondition(p, 'asthma', t) && feverish ? 2 : 0;
  const spo2 = Math.round(clamp(rng.normal(98, 0.8) - lungs, 92, 100));
  return { systolic, diastolic, heartRate, respiratoryRate, temperature, spo2 };
}

/** Lab values by test key (see vocabulary LAB_PANELS), at time t. */
export function labValueAt(p: Persona, key: string, t: number, rng: Random, feverish: boolean): number {
  const male = p.sex === 'male';
  const yearsTreated = (k: Parameters<typeof isTreated>[1]): number => {
    const c = p.chronic.find((x) => x.key === k);
    return c?.diagnosedMs !== undefined && c.diagnosedMs <= t ? (t - c.diagnosedMs) / YEAR : -1;
  };
  const n = (mean: number, sd: number): number => rng.normal(mean, sd);
  switch (key) {
    case 'glucose': {
      if (hasCondition(p, 'diabetes', t)) return Math.max(70, n(isTreated(p, 'diabetes', t) ? 135 : 170, 20));
      if (hasCondition(p, 'prediabetes', t)) return n(108, 6);
      return n(88, 7);
    }
    case 'a1c': {
      if (hasCondition(p, 'diabetes', t)) {
        const yrs = yearsTreated('diabetes');
        const target = yrs < 0 ? 8.2 : Math.max(6.6, 8.2 - 0.8 * Math.min(yrs, 1) * p.adherence) + 0.03 * yrs;
        return clamp(n(target, 0.3), 5.7, 12);
      }
      if (hasCondition(p, 'prediabetes', t)) return clamp(n(6.0, 0.15), 5.7, 6.4);
      return clamp(n(5.2, 0.2), 4.4, 5.6);
    }
    case 'bun':
      return Math.max(4, n(hasCondition(p, 'ckd3', t) ? 28 : 14, 3.5));
    case 'creatinine': {
      const ckd = hasCondition(p, 'ckd3', t) ? 0.7 + 0.03 * Math.max(0, yearsTreated('ckd3')) : 0;
      return Math.max(0.4, n((male ? 1.0 : 0.8) + ckd, 0.1));
    }
    case 'calcium':
      return n(9.4, 0.3);
    case 'sodium':
      return n(140, 2);
    case 'potassium':
      return n(hasCondition(p, 'ckd3', t) ? 4.8 : 4.2, 0.3);
    case 'chloride':
      return n(102, 2);
    case 'co2':
      return n(25, 2);
    case 'wbc':
      return Math.max(2.5, n(feverish ? 11.5 : 7, 1.5));
    case 'rbc':
      return n(male ? 5.0 : 4.5, 0.3);
    case 'hgb':
      return n(male ? 15 : 13.4, 0.8);
    case 'hct':
      return n(male ? 44 : 40, 2.2);
    case 'mcv':
      return n(90, 4);
    case 'mch':
      return n(30, 1.3);
    case 'mchc':
      return n(33.8, 0.8);
    case 'plt':
      return Math.max(90, n(255, 50));
    case 'ldl': {
      let v = p.ldlBase;
      if (hasCondition(p, 'hyperlipidemia', t)) v += isTreated(p, 'hyperlipidemia', t) ? 10 + 40 * (1 - p.adherence) : 55;
      return Math.max(35, n(v, 10));
    }
    case 'hdl':
      return Math.max(20, n(p.hdlBase, 4));
    case 'triglyceride':
      return Math.max(35, n(p.tgBase + (hasCondition(p, 'diabetes', t) ? 60 : 0), 20));
    case 'tsh': {
      if (hasCondition(p, 'hypothyroidism', t)) return Math.max(0.3, n(isTreated(p, 'hypothyroidism', t) ? 2.4 : 8.5, isTreated(p, 'hypothyroidism', t) ? 0.8 : 2));
      return Math.max(0.3, n(1.8, 0.7));
    }
    default:
      throw new RangeError(`physiology: unknown lab test ${key}`);
  }
}
