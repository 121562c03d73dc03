/**
 * @module record-context
 * What the resource builders for one patient share: the random stream, the id allocator, the persona
 * and ready-made references; and, for resources created at a visit, the visit's context.
 */
import type { Random } from './random.js';
import type { IdAllocator, Ref } from './ids.js';
import type { Persona } from './persona.js';

/** Per-patient context. */
export interface RecordContext {
  readonly rng: Random;
  readonly ids: IdAllocator;
  readonly persona: Persona;
  readonly patientId: string;
  readonly subject: Ref;
  readonly clinicOrg: Ref;
  readonly clinicLocation: Ref;
  readonly lab: Ref;
}

/** Per-visit context. */
export interface VisitContext {
  readonly encounter: Ref;
  readonly start: number;
  readonly end: number;
  readonly age: number;
  readonly practitioner: Ref;
}
