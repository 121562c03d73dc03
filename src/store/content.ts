/**
 * @module store/content
 * How a stored version's JSON is made: the resource with `meta.versionId` and `meta.lastUpdated` set,
 * keys in FHIR's customary order (resourceType, id, meta first), serialized once and served as is.
 */

import type { PreparedWrite, StoredResource } from './types.js';

/** The JSON text of one version: the prepared body spliced after resourceType, id and meta. */
export function serializeVersion(w: PreparedWrite, versionId: number, lastUpdatedMs: number): string {
  const meta = JSON.stringify({ versionId: String(versionId), lastUpdated: new Date(lastUpdatedMs).toISOString(), ...w.meta });
  return `{"resourceType":${JSON.stringify(w.type)},"id":${JSON.stringify(w.id)},"meta":${meta}${w.body ? ',' + w.body : ''}}`;
}

export interface ResourceRow {
  seq: number | string;
  type: string;
  id: string;
  version_id: number;
  last_updated: number | string;
  content: string;
}

export function toStoredResource(row: ResourceRow): StoredResource {
  return {
    seq: Number(row.seq),
    type: row.type,
    id: row.id,
    versionId: String(row.version_id),
    lastUpdated: new Date(Number(row.last_updated)).toISOString(),
    json: row.content,
  };
}

/** A lastUpdated that never goes backwards within this process, so versions order by time. */
let lastStamp = 0;
export function nextTimestamp(): number {
  const now = Date.now();
  lastStamp = now > lastStamp ? now : lastStamp + 1;
  return lastStamp;
}
