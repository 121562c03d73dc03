/**
 * @module fhir/service
 * The FHIR interactions — read, vread, search, $everything — over the store, each under an access context
 * whose restrictions are part of every query the store runs.
 */
import type { Condition, Cursor, PageRow, SortSpec, Store, StoredResource } from '../store/types.js';
import { and } from '../store/types.js';
import { mayAccessType, requireInteraction, visibility, type AccessContext } from './access.js';
import { searchsetBundle, type BundleEntry, type BundleLink } from './bundle.js';
import { fhirError } from './errors.js';
import { PagingCursors } from './paging.js';
import { DEFAULT_COUNT, MAX_COUNT, parseDateValue, parseSearch, type SearchRequest } from './search/parse.js';
import { SHARED_TYPES, type SearchParameterRegistry } from './search/registry.js';

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const DEFAULT_SORT: SortSpec[] = [];

export interface SearchOptions {
  lenient: boolean;
}

export class FhirService {
  constructor(
    readonly store: Store,
    readonly registry: SearchParameterRegistry,
    private readonly cursors: PagingCursors,
    readonly fhirBaseUrl: string,
  ) {}

  /** @throws FhirError 404 for a type this server does not serve. */
  assertType(type: string): void {
    if (!this.registry.capability(type)) {
      throw fhirError('FHIR_ERR_UNKNOWN_TYPE', `Resource type '${type.slice(0, 64)}' is not supported by this server`);
    }
  }

  #notFound(type: string, id: string) {
    return fhirError('FHIR_ERR_NOT_FOUND', `${type}/${id} is not known`);
  }

  /** The current version; 404 when it does not exist or lies outside the context (never telling which). */
  async read(ctx: AccessContext, type: string, id: string): Promise<StoredResource> {
    this.assertType(type);
    requireInteraction(ctx, type, 'read');
    if (!ID_RE.test(id)) throw this.#notFound(type, id.slice(0, 64));
    const found = await this.store.readResource(type, id, visibility(ctx, this.registry, type));
    if (!found) throw this.#notFound(type, id);
    return found;
  }

  async vread(ctx: AccessContext, type: string, id: string, versionId: string): Promise<StoredResource> {
    this.assertType(type);
    requireInteraction(ctx, type, 'read');
    if (!ID_RE.test(id)) throw this.#notFound(type, id.slice(0, 64));
    const found = await this.store.readVersion(type, id, versionId, visibility(ctx, this.registry, type));
    if (!found) throw fhirError('FHIR_ERR_NOT_FOUND', `${type}/${id}/_history/${versionId.slice(0, 64)} is not known`);
    return found;
  }

  /** A searchset Bundle (JSON text) for `params` on `type`. */
  async search(ctx: AccessContext, type: string, params: [string, string][], options: SearchOptions): Promise<string> {
    this.assertType(type);
    requireInteraction(ctx, type, 'search');
    const req = parseSearch(this.registry, type, params, { fhirBaseUrl: this.fhirBaseUrl, lenient: options.lenient });
    const where = and(req.where, visibility(ctx, this.registry, type));
    const selfUrl = this.#url(type, req.canonical, req.cursor);

    if (req.summaryCount) {
      const total = await this.store.count(type, where);
      return searchsetBundle(this.fhirBaseUrl, [], [{ relation: 'self', url: selfUrl }], total);
    }
    const searchKey = this.#searchKey(type, req.canonical);
    const sort = req.sort.length ? req.sort : DEFAULT_SORT;
    const cursor = req.cursor ? this.cursors.decode(req.cursor, searchKey, sort.length) : undefined;
    const rows = req.count > 0 ? await this.store.search({ type, where, sort, limit: req.count + 1, cursor }) : [];
    const more = rows.length > req.count;
    const page = more ? rows.slice(0, req.count) : rows;
    if (cursor?.direction === 'prev') page.reverse();

    const links: BundleLink[] = [{ relation: 'self', url: selfUrl }];
    const first = page[0];
    const last = page[page.length - 1];
    const hasNext = cursor?.direction === 'prev' ? true : more;
    const hasPrev = cursor ? (cursor.direction === 'next' ? true : more) : false;
    if (hasNext && last) links.push({ relation: 'next', url: this.#pageUrl(type, req, searchKey, last, 'next') });
    if (hasPrev && first) links.push({ relation: 'previous', url: this.#pageUrl(type, req, searchKey, first, 'prev') });

    const entries: BundleEntry[] = page.map((r) => ({ resource: r.resource, mode: 'match' }));
    entries.push(...(await this.#included(ctx, req, page.map((r) => r.resource))));

    let total: number | undefined;
    if (req.total === 'accurate' || req.total === 'estimate' || req.count === 0) total = await this.store.count(type, where);
    else if (!cursor && !more) total = page.length;
    return searchsetBundle(this.fhirBaseUrl, entries, links, total);
  }

  async #included(ctx: AccessContext, req: SearchRequest, matches: StoredResource[]): Promise<BundleEntry[]> {
    if (!matches.length || (!req.includes.length && !req.revIncludes.length)) return [];
    const seen = new Set(matches.map((m) => `${m.type}/${m.id}`));
    const out: BundleEntry[] = [];
    const add = (list: StoredResource[]) => {
      for (const r of list) {
        const key = `${r.type}/${r.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ resource: r, mode: 'include' });
      }
    };
    const seqs = matches.map((m) => m.seq);
    for (const inc of req.includes) {
      add(await this.store.include(seqs, inc, (t) => this.#visibleIfAccessible(ctx, t)));
    }
    for (const rev of req.revIncludes) {
      if (!mayAccessType(ctx, rev.sourceType)) continue;
      add(await this.store.revInclude(matches, rev, visibility(ctx, this.registry, rev.sourceType)));
    }
    return out;
  }

  #visibleIfAccessible(ctx: AccessContext, type: string): Condition | null {
    return this.registry.capability(type) && mayAccessType(ctx, type) ? visibility(ctx, this.registry, type) : null;
  }

  /**
   * `Patient/{id}/$everything`: every resource of the patient's record the context allows, type by type,
   * with the shared resources (practitioners, organizations, medications…) that a page refers to.
   */
  async everything(ctx: AccessContext, patientId: string, params: [string, string][]): Promise<string> {
    await this.read(ctx, 'Patient', patientId);
    let count = DEFAULT_COUNT;
    let token: string | undefined;
    let since: Condition | undefined;
    const canonical: [string, string][] = [];
    for (const [name, value] of params) {
      if (name === '_count') {
        if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > MAX_COUNT) {
          throw fhirError('FHIR_ERR_INVALID_PARAMETER', `Invalid value for '_count': use a whole number from 1 to ${MAX_COUNT}`, { expression: ['_count'] });
        }
        count = Number(value);
        canonical.push([name, value]);
      } else if (name === '_since') {
        since = { kind: 'lastUpdated', any: [{ ...parseDateValue('_since', value), comparator: 'ge' }] };
        canonical.push([name, value]);
      } else if (name === '_cursor') token = value;
      else throw fhirError('FHIR_ERR_UNKNOWN_PARAMETER', `Unknown or unsupported parameter '${name}' for $everything`, { expression: [name] });
    }
    const types = this.registry.types().filter((t) => this.registry.isPatientData(t) && mayAccessType(ctx, t));
    const searchKey = this.#searchKey(`Patient/${patientId}/$everything`, canonical);
    const cursor = token ? this.cursors.decode(token, searchKey, 1) : undefined;
    let typeIndex = cursor ? Number(cursor.values[0]) : 0;
    let after = cursor?.seq ?? 0;
    const rows: { row: PageRow; typeIndex: number }[] = [];
    while (typeIndex < types.length && rows.length <= count) {
      const type = types[typeIndex];
      const where = and({ kind: 'compartment', patients: [patientId] }, visibility(ctx, this.registry, type), since ?? { kind: 'and', all: [] });
      const found = await this.store.search({
        type,
        where,
        sort: [],
        limit: count + 1 - rows.length,
        cursor: after ? { direction: 'next', seq: after, values: [] } : undefined,
      });
      for (const row of found) rows.push({ row, typeIndex });
      if (rows.length <= count) {
        typeIndex++;
        after = 0;
      }
    }
    const more = rows.length > count;
    const page = rows.slice(0, count);
    const links: BundleLink[] = [{ relation: 'self', url: this.#url(`Patient/${patientId}/$everything`, canonical, token) }];
    const last = page[page.length - 1];
    if (more && last) {
      const next: Cursor = { direction: 'next', seq: last.row.resource.seq, values: [last.typeIndex] };
      links.push({
        relation: 'next',
        url: this.#url(`Patient/${patientId}/$everything`, canonical, this.cursors.encode(next, searchKey)),
      });
    }
    const matches = page.map((p) => p.row.resource);
    const entries: BundleEntry[] = matches.map((r) => ({ resource: r, mode: 'match' }));
    const seen = new Set(matches.map((m) => `${m.type}/${m.id}`));
    const shared = await this.store.include(
      matches.map((m) => m.seq),
      {},
      (t) => (SHARED_TYPES.has(t) ? this.#visibleIfAccessible(ctx, t) : null),
    );
    for (const r of shared) {
      if (seen.has(`${r.type}/${r.id}`)) continue;
      seen.add(`${r.type}/${r.id}`);
      entries.push({ resource: r, mode: 'include' });
    }
    return searchsetBundle(this.fhirBaseUrl, entries, links, undefined);
  }

  #searchKey(path: string, canonical: [string, string][]): string {
    return path + '?' + [...canonical].map(([k, v]) => `${k}=${v}`).sort().join('&');
  }

  #url(path: string, canonical: [string, string][], cursor: string | undefined): string {
    const qs = new URLSearchParams(canonical);
    if (cursor) qs.append('_cursor', cursor);
    const query = qs.toString();
    return `${this.fhirBaseUrl}/${path}${query ? '?' + query : ''}`;
  }

  #pageUrl(type: string, req: SearchRequest, searchKey: string, row: PageRow, direction: 'next' | 'prev'): string {
    const token = this.cursors.encode({ direction, seq: row.resource.seq, values: row.sortValues }, searchKey);
    return this.#url(type, req.canonical, token);
  }
}
