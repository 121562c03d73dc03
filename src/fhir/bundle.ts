/**
 * @module fhir/bundle
 * Searchset Bundles assembled as text: stored resources are already serialized, so each entry's JSON is
 * spliced in as is rather than parsed and serialized again.
 */
import { randomUUID } from 'node:crypto';
import type { StoredResource } from '../store/types.js';

export interface BundleLink {
  relation: 'self' | 'next' | 'previous' | 'first';
  url: string;
}

export interface BundleEntry {
  resource: StoredResource;
  mode: 'match' | 'include' | 'outcome';
}

export function searchsetBundle(
  fhirBaseUrl: string,
  entries: BundleEntry[],
  links: BundleLink[],
  total: number | undefined,
): string {
  const head = JSON.stringify({
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
    link: links,
  });
  if (!entries.length) return head;
  const parts = entries.map(
    (e) =>
      `{"fullUrl":${JSON.stringify(`${fhirBaseUrl}/${e.resource.type}/${e.resource.id}`)},"resource":${e.resource.json},"search":{"mode":"${e.mode}"}}`,
  );
  return `${head.slice(0, -1)},"entry":[${parts.join(',')}]}`;
}
