/**
 * @module store/content
 * How a stored version's JSON is made: the resource with `meta.versionId` and `meta.lastUpdated` set,
 * keys in FHIR's customary order (resourceType, id, meta first), serialized once and served as is.
 */

import type { PreparedWrite, StoredResource } from './types.js';

/**
 * The opening of a resource's JSON up to its body: `{"resourceType":…,"id":…` and, when given, `,"meta":…`.
 * It is exactly what `JSON.stringify` writes for a resource whose keys start with those, so a body cut
 * after it (`fhir/prepare`) and a body spliced after it (`serializeVersion`) agree.
 */
export function jsonHead(type: string, id: string, metaJson?: string): string {
  return `{"resourceType":${JSON.stringify(type)},"id":${JSON.stringify(id)}${metaJson === undefined ? '' : `,"meta":${metaJson}`}`;
}

/** The JSON text of one version: the prepared body spliced after resourceType, id and meta. */
export function serializeVersion(w: PreparedWrite, versionId: number, lastUpdatedMs: number): string {
  const meta = JSON.stringify({ versionId: String(versionId), lastUpdated: new Date(lastUpdatedMs).toISOString(), ...w.meta });
  return `${jsonHead(w.type, w.id, meta)}${w.body ? ',' + w.body : ''}}`;
}

export interface ResourceRow {
  seq: number | string;
  type: string;
  id: string;
  version_id: number;
  last_updated: number | string;
  content: string;
}

/**
 * A point read's row as an array, in `READ_COLUMNS` order: what a raw statement returns. The type and id
 * are the ones asked for, so the read does not fetch them.
 */
export type ReadRowValues = [seq: number | string, versionId: number, lastUpdated: number | string, content: string];

export function toStoredResource(row: ResourceRow): StoredResource {
  return storedResourceOf(row.type, row.id, [row.seq, row.version_id, row.last_updated, row.content]);
}

export function storedResourceOf(type: string, id: string, [seq, versionId, lastUpdated, content]: ReadRowValues): StoredResource {
  return { seq: Number(seq), type, id, versionId: String(versionId), lastUpdated: Number(lastUpdated), json: content };
}

/** A lastUpdated that never goes backwards within this process, so versions order by time. */
let lastStamp = 0;
export function nextTimestamp(): number {
  const now = Date.now();
  lastStamp = now > lastStamp ? now : lastStamp + 1;
  return lastStamp;
}
