/**
 * @module store/types
 * The asynchronous store interface. The FHIR layer decides what a search means and hands the store a
 * dialect-neutral `ResourceQuery`; the SQLite and PostgreSQL stores only render it to SQL and run it.
 */
import type { AuditJournal } from './audit.js';

/** Index values extracted from one resource at write time, one list per kind of index. */
export interface ResourceIndexes {
  tokens: { param: string; system: string | null; code: string | null; text: string | null }[];
  strings: { param: string; norm: string; exact: string }[];
  /** Date ranges as epoch milliseconds, both ends inclusive. */
  dates: { param: string; lo: number; hi: number }[];
  references: { param: string; targetType: string; targetId: string }[];
  numbers: { param: string; value: number; system: string | null; code: string | null }[];
}

/** A resource ready to be written: the FHIR layer has validated and indexed it. */
export interface PreparedWrite {
  type: string;
  id: string;
  /** `meta` without versionId / lastUpdated (the store adds those), or undefined when there is none. */
  meta: Record<string, unknown> | undefined;
  /** The resource's other members as JSON text, without braces: serialized once, stored as is. */
  body: string;
  /** Hash of the resource's content without version metadata: an equal hash makes the write a no-op. */
  contentHash: string;
  indexes: ResourceIndexes;
  /** Patients whose compartment holds the resource. */
  compartments: string[];
  /** Resources whose compartments this one joins too (Provenance follows its targets). */
  compartmentsOf: { type: string; id: string }[];
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

export interface WriteResult {
  type: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  outcome: WriteOutcome;
}

/** One stored version of a resource, with its JSON exactly as it is served. */
export interface StoredResource {
  seq: number;
  type: string;
  id: string;
  versionId: string;
  /** `meta.lastUpdated` in epoch milliseconds (as stored; formatted where it is shown). */
  lastUpdated: number;
  json: string;
}

// ---- the query tree --------------------------------------------------------------------------

export type DateComparator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sa' | 'eb' | 'ap';

/** One alternative of a token parameter: `code`, `system|code`, `|code`, `system|`, or `:text`. */
export interface TokenMatch {
  system?: string | null; // undefined: any system; null: no system
  code?: string;
  textPrefix?: string; // normalized
}

export interface StringMatch {
  mode: 'prefix' | 'exact' | 'contains';
  value: string; // normalized for prefix/contains, raw for exact
}

export interface DateMatch {
  comparator: DateComparator;
  lo: number;
  hi: number;
}

export interface ReferenceMatch {
  targetType?: string;
  targetId: string;
}

/** A condition on resources. Lists inside one condition are OR; `and` and `or` combine conditions. */
export type Condition =
  | { kind: 'token'; param: string; any: TokenMatch[]; not?: boolean }
  | { kind: 'string'; param: string; any: StringMatch[] }
  | { kind: 'date'; param: string; any: DateMatch[] }
  | { kind: 'reference'; param: string; any: ReferenceMatch[] }
  | { kind: 'id'; any: string[] }
  | { kind: 'lastUpdated'; any: DateMatch[] }
  | { kind: 'compartment'; patients: string[] }
  | { kind: 'missing'; param: string; index: IndexKind; missing: boolean }
  | { kind: 'and'; all: Condition[] }
  | { kind: 'or'; any: Condition[] }
  | { kind: 'false' };

export type IndexKind = 'token' | 'string' | 'date' | 'reference' | 'number';

/** Sort key: `_lastUpdated`, a date parameter (earliest value ascending, latest descending), or creation order. */
export type SortKey = { by: 'lastUpdated' } | { by: 'date'; param: string } | { by: 'seq' };

export interface SortSpec {
  key: SortKey;
  descending: boolean;
}

/** Position after which (or before which, for `previous`) a keyset page starts. */
export interface Cursor {
  values: (number | null)[]; // one per sort spec
  seq: number;
  direction: 'next' | 'prev';
}

export interface ResourceQuery {
  type: string;
  where: Condition;
  sort: SortSpec[];
  limit: number;
  cursor?: Cursor;
}

export interface PageRow {
  resource: StoredResource;
  /** The sort values of this row, for the cursor of the next or previous page. */
  sortValues: (number | null)[];
}

/** What `_include` follows: references of the page's rows through `param`, optionally to one type. */
export interface IncludeRequest {
  /** Undefined: follow every indexed reference of the source rows. */
  param?: string;
  targetType?: string;
}

/** What `_revinclude` follows: resources of `sourceType` whose `param` points at the page's rows. */
export interface RevIncludeRequest {
  sourceType: string;
  param: string;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema. Safe to run at every start and from several processes. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;

  /**
   * Writes resources in ONE transaction, in order: all or nothing. Each resource gets a new version
   * unless its content hash equals the current version's, in which case it is left as it is.
   */
  writeResources(writes: PreparedWrite[]): Promise<WriteResult[]>;

  /** The current version, or undefined. `visible` restricts it (e.g. to a patient compartment). */
  readResource(type: string, id: string, visible?: Condition): Promise<StoredResource | undefined>;
  /** A given version, or undefined (history is restricted by the current version's visibility). */
  readVersion(type: string, id: string, versionId: string, visible?: Condition): Promise<StoredResource | undefined>;

  /** One page of matches (up to `limit` rows), in sort order. */
  search(query: ResourceQuery): Promise<PageRow[]>;
  /** How many resources match, ignoring sort, cursor and limit. */
  count(type: string, where: Condition): Promise<number>;
  /** Resources referenced from `fromSeqs` through the include, restricted by `visible(targetType)`. */
  include(fromSeqs: number[], request: IncludeRequest, visible: (targetType: string) => Condition | null): Promise<StoredResource[]>;
  /** Resources of the request's type pointing at `targets` through its param, restricted by `visible`. */
  revInclude(targets: { type: string; id: string }[], request: RevIncludeRequest, visible: Condition): Promise<StoredResource[]>;

  /** A value kept by the store for all processes (e.g. the paging-link signing secret). */
  getSetting(key: string): Promise<string | undefined>;
  /** Sets the value unless it is already set; returns the value that is kept. */
  initSetting(key: string, value: string): Promise<string>;
  /** Removes every resource (the demo reset uses this for its own resources only via ids). */
  deleteResources(refs: { type: string; id: string }[]): Promise<number>;
  /** Counts resources by type. */
  countByType(): Promise<Record<string, number>>;
  /** SQL access for the store layer's other modules. */
  readonly sql: SqlExecutor;
  /** The database file, for a store that keeps one (other threads open their own connection to it). */
  readonly file?: string;
  /** The store's audit journal, where it keeps one (a SQLite file); one per store, closed with it. */
  auditJournal(): AuditJournal | undefined;
}

/** Conjunction of conditions, flattened so a compartment condition stays at the top level. */
export function and(...conditions: Condition[]): Condition {
  const all: Condition[] = [];
  for (const c of conditions) {
    if (c.kind === 'and') all.push(...c.all);
    else all.push(c);
  }
  if (all.some((c) => c.kind === 'false')) return { kind: 'false' };
  return all.length === 1 ? all[0] : { kind: 'and', all };
}

/**
 * Plain SQL for the store layer's own modules (the authorization tables). `?` placeholders in either
 * dialect; statements must be portable between SQLite and PostgreSQL. Not for other layers.
 */
export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(text: string, params?: unknown[]): Promise<number>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
