/**
 * @module fhir/access
 * The access context every FHIR operation runs under: whose records (patient compartment), which types
 * and interactions, and which granular filters. It becomes part of the query's WHERE clause, so counts,
 * pages, includes and $everything are restricted by the database itself, never by filtering afterwards.
 */
import type { Condition } from '../store/types.js';
import { fhirError } from './errors.js';
import { SHARED_TYPES, type SearchParameterRegistry } from './search/registry.js';

export type Interaction = 'read' | 'search';

export interface TypeGrant {
  read: boolean;
  search: boolean;
  /**
   * Granular restriction (e.g. Observation category = laboratory): the resource must match one of
   * these conditions. Undefined means the whole type.
   */
  filters?: Condition[];
}

export interface AccessContext {
  /** Patients whose records may be seen; undefined only for system use (import, admin, tests). */
  readonly patients?: readonly string[];
  /** Grants by type; `*` applies to every type without its own entry. */
  readonly grants: ReadonlyMap<string, TypeGrant>;
  /** Resources outside any compartment that this caller may read, e.g. its own `Person` (fhirUser). */
  readonly ownResources?: readonly { type: string; id: string }[];
}

const ALL: TypeGrant = { read: true, search: true };

/** Unrestricted access, for the server's own use (import, demo seeding, CLI). */
export function systemAccess(): AccessContext {
  return { grants: new Map([['*', ALL]]) };
}

/** Access limited to `patients`' records, with every type readable and searchable. */
export function patientAccess(
  patients: readonly string[],
  grants: ReadonlyMap<string, TypeGrant> = new Map([['*', ALL]]),
  ownResources: readonly { type: string; id: string }[] = [],
): AccessContext {
  return { patients, grants, ownResources };
}

function grantFor(ctx: AccessContext, type: string): TypeGrant | undefined {
  return ctx.grants.get(type) ?? ctx.grants.get('*');
}

/** @throws FhirError 403 when the context does not allow `interaction` on `type`. */
export function requireInteraction(ctx: AccessContext, type: string, interaction: Interaction): void {
  const grant = grantFor(ctx, type);
  if (!grant || !grant[interaction]) {
    throw fhirError('FHIR_ERR_FORBIDDEN', `The access granted does not allow ${interaction} of ${type} resources`);
  }
}

/** True when `type` may be read or searched at all (included resources need one of the two). */
export function mayAccessType(ctx: AccessContext, type: string): boolean {
  const grant = grantFor(ctx, type);
  return !!grant && (grant.read || grant.search);
}

/**
 * The condition a resource of `type` must meet to be visible under `ctx`: the patient compartment for
 * patient data, the caller's own resources for `Person`, nothing extra for shared reference data, and
 * the granted filters. Unknown kinds of data are invisible to patient-limited contexts.
 */
export function visibility(ctx: AccessContext, registry: SearchParameterRegistry, type: string): Condition {
  // A context lives as long as its token (the bearer resolver keeps it), so its conditions are made once
  // per type; the same objects also let the store render their SQL once (`renderRead`).
  let byContext = VISIBILITY.get(registry);
  if (!byContext) VISIBILITY.set(registry, (byContext = new WeakMap()));
  let byType = byContext.get(ctx);
  if (!byType) byContext.set(ctx, (byType = new Map()));
  let condition = byType.get(type);
  if (!condition) byType.set(type, (condition = deepFreeze(visibilityOf(ctx, registry, type))));
  return condition;
}

const VISIBILITY = new WeakMap<SearchParameterRegistry, WeakMap<AccessContext, Map<string, Condition>>>();

/** Shared conditions must not change under their other users. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function visibilityOf(ctx: AccessContext, registry: SearchParameterRegistry, type: string): Condition {
  const all: Condition[] = [];
  const grant = grantFor(ctx, type);
  if (!grant) return { kind: 'false' };
  if (grant.filters) all.push(grant.filters.length ? { kind: 'or', any: grant.filters } : { kind: 'false' });
  if (ctx.patients !== undefined) {
    if (registry.isPatientData(type)) all.push({ kind: 'compartment', patients: [...ctx.patients] });
    else if (type === 'Person') {
      const own = (ctx.ownResources ?? []).filter((r) => r.type === 'Person').map((r) => r.id);
      all.push({ kind: 'id', any: own });
    } else if (!SHARED_TYPES.has(type)) all.push({ kind: 'false' });
  }
  return all.length === 1 ? all[0] : { kind: 'and', all };
}
