/**
 * @module fhir/prepare
 * Turns a resource into a `PreparedWrite`: its JSON body serialized once, its content hash, and the index
 * rows and compartments the store keeps with it.
 */
import { createHash } from 'node:crypto';
import type { PreparedWrite } from '../store/types.js';
import { extractIndexes } from './search/extract.js';
import type { SearchParameterRegistry } from './search/registry.js';

export function prepareWrite(registry: SearchParameterRegistry, resource: Record<string, unknown>): PreparedWrite {
  const { indexes, compartments, compartmentsOf } = extractIndexes(registry, resource);
  const { resourceType, id, meta, ...rest } = resource;
  let otherMeta: Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object') {
    const { versionId: _v, lastUpdated: _l, ...others } = meta as Record<string, unknown>;
    if (Object.keys(others).length) otherMeta = others;
  }
  const json = JSON.stringify(rest);
  const body = json.length > 2 ? json.slice(1, -1) : '';
  // Version metadata is left out of the hash: the same content imported again is unchanged.
  const contentHash = createHash('sha256')
    .update(`${String(resourceType)}/${String(id)}\u0000${otherMeta ? JSON.stringify(otherMeta) : ''}\u0000${body}`)
    .digest('base64url');
  return {
    type: resourceType as string,
    id: id as string,
    meta: otherMeta,
    body,
    contentHash,
    indexes,
    compartments,
    compartmentsOf,
  };
}
