/**
 * @module ids
 * Stable resource ids and relative references for generated resources. Patient ids are
 * `gen-p` + a six-digit index; their resources append a type abbreviation and a per-type counter.
 */

/** Id of the patient at a population index, e.g. `gen-p000123`. */
export function patientId(index: number): string {
  return 'gen-p' + String(index).padStart(6, '0');
}

/** Id of a shared resource, e.g. `gen-org-3`. */
export function sharedId(kind: 'org' | 'pract' | 'role' | 'loc' | 'med', n: number): string {
  return `gen-${kind}-${n}`;
}

/** A plain relative reference; assignable to any typed FHIR Reference. */
export interface Ref {
  reference: string;
  display?: string;
}

/** Relative reference `Type/id`. */
export function ref(resourceType: string, id: string): Ref {
  return { reference: `${resourceType}/${id}` };
}

/** Hands out per-patient child ids such as `gen-p000123-obs-0042`. */
export class IdAllocator {
  private readonly counters = new Map<string, number>();

  constructor(private readonly prefix: string) {}

  /** The next id for an abbreviation (obs, enc, cond, …), counting from 1. */
  next(abbreviation: string): string {
    const n = (this.counters.get(abbreviation) ?? 0) + 1;
    this.counters.set(abbreviation, n);
    return `${this.prefix}-${abbreviation}-${String(n).padStart(4, '0')}`;
  }
}
