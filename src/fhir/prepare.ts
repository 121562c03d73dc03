/**
 * @module fhir/prepare
 * Turns a resource into a `PreparedWrite`: its JSON body serialized once, its content hash, and the index
 * rows and compartments the store keeps with it.
 */
import { hash } from 'node:crypto';
import { jsonHead } from '../store/content.js';
import type { PreparedWrite } from '../store/types.js';
import { extractIndexes } from './search/extract.js';
import type { SearchParameterRegistry } from './search/registry.js';

/**
 * The resource's JSON without `resourceType`, `id` and `meta`, and without its braces. When those three
 * come first, in that order (as in FHIR's own examples and bulk exports), the head is cut off the source
 * text when it has exactly that head, else off the resource serialized once; copying the object to leave
 * them out costs as much again.
 */
function bodyOf(resource: Record<string, unknown>, sourceText?: string): string {
  const { resourceType, id, meta } = resource;
  const keys = Object.keys(resource);
  const withMeta = keys[2] === 'meta';
  if (keys[0] === 'resourceType' && keys[1] === 'id' && typeof resourceType === 'string' && typeof id === 'string' && (withMeta || !keys.includes('meta'))) {
    const head = jsonHead(resourceType, id, withMeta ? JSON.stringify(meta) : undefined);
    const fromSource = sourceText === undefined ? undefined : bodyAfter(sourceText, head);
    // A second `meta` member (JSON.parse keeps the last one, at the first one's place) would follow the
    // stored version's own meta and hide it; such text, or any with a nested meta, is serialized anew.
    if (fromSource !== undefined && !fromSource.includes('"meta"')) return fromSource;
    const json = JSON.stringify(resource);
    // Should the text not start with that head (a value with its own toJSON, say), the copy below decides.
    const body = bodyAfter(json, head);
    if (body !== undefined) return body;
  }
  const { resourceType: _t, id: _i, meta: _m, ...rest } = resource;
  const json = JSON.stringify(rest);
  return json.length > 2 ? json.slice(1, -1) : '';
}

/**
 * The members after `head` in `text`, when `text` is exactly `head`, then `,` and members or nothing, then
 * the closing brace; otherwise undefined.
 */
function bodyAfter(text: string, head: string): string | undefined {
  if (!text.startsWith(head) || text.charCodeAt(text.length - 1) !== 0x7d /* } */) return undefined;
  if (text.length === head.length + 1) return '';
  return text.charCodeAt(head.length) === 0x2c /* , */ ? text.slice(head.length + 1, -1) : undefined;
}

/**
 * `sourceText`, when given, is the JSON text `resource` was parsed from (an NDJSON line). When it starts
 * the way this module writes a resource (compact `resourceType`, `id`, `meta`, as bulk exports and our
 * generator do), its body is kept as written rather than serialized again: that was a sixth of an import
 * worker's work per resource, and a decimal keeps its written precision (`1.50` stays `1.50`). Anything
 * else is serialized from the parsed object.
 */
export function prepareWrite(registry: SearchParameterRegistry, resource: Record<string, unknown>, sourceText?: string): PreparedWrite {
  const { indexes, compartments, compartmentsOf } = extractIndexes(registry, resource);
  const { resourceType, id, meta } = resource;
  let otherMeta: Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object') {
    const { versionId: _v, lastUpdated: _l, ...others } = meta as Record<string, unknown>;
    if (Object.keys(others).length) otherMeta = others;
  }
  const body = bodyOf(resource, sourceText);
  // Version metadata is left out of the hash: the same content imported again is unchanged.
  const contentHash = hash(
    'sha256',
    `${String(resourceType)}/${String(id)}\u0000${otherMeta ? JSON.stringify(otherMeta) : ''}\u0000${body}`,
    'base64url',
  );
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
