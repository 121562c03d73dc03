/**
 * @module demo/seed
 * Writes the demo practice (SPEC §6) to the store. Seeding is idempotent: unchanged resources stay as
 * they are, so a reset only creates new versions of what differs.
 */
import { prepareWrite } from '../fhir/prepare.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import type { Store } from '../store/types.js';
import { DEMO_PATIENTS, demoPracticeResources } from './practice/index.js';

export class DemoRefusedError extends Error {
  readonly code = 'DEMO_ERR_PRODUCTION';
}

/** True when the demo practice has been seeded. */
export async function hasDemoPractice(store: Store): Promise<boolean> {
  return (await store.readResource('Patient', DEMO_PATIENTS.david)) !== undefined;
}

/**
 * Writes every demo resource; returns how many were created, updated or left unchanged.
 * @throws DemoRefusedError in production.
 */
export async function seedDemoPractice(
  store: Store,
  registry: SearchParameterRegistry,
  options: { production: boolean },
): Promise<Record<string, number>> {
  if (options.production) throw new DemoRefusedError('The demo practice is not available when NODE_ENV=production');
  const resources = demoPracticeResources() as unknown as Record<string, unknown>[];
  const ordered = [...resources.filter((r) => r.resourceType !== 'Provenance'), ...resources.filter((r) => r.resourceType === 'Provenance')];
  const results = await store.writeResources(ordered.map((r) => prepareWrite(registry, r)));
  const counts: Record<string, number> = { created: 0, updated: 0, unchanged: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}
