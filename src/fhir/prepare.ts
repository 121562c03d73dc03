/**
 * @module fhir/prepare
 * Turns a resource into a `PreparedWrite`: the index rows and compartments the store keeps with it.
 */
import type { PreparedWrite } from '../store/types.js';
import { contentHash, extractIndexes } from './search/extract.js';
import type { SearchParameterRegistry } from './search/registry.js';

export function prepareWrite(registry: SearchParameterRegistry, resource: Record<string, unknown>): PreparedWrite {
  const { indexes, compartments, compartmentsOf } = extractIndexes(registry, resource);
  return {
    type: resource.resourceType as string,
    id: resource.id as string,
    resource,
    contentHash: contentHash(resource),
    indexes,
    compartments,
    compartmentsOf,
  };
}
