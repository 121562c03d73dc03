/**
 * @module store/audit
 * The audit trail's table, `audit_events`, over the dialect-neutral `SqlExecutor`. Append-only: there is
 * no update and no delete here. Rows come back in the order they happened — `recorded`, then `id` (ids are
 * time-ordered, so two events of the same millisecond keep the order they were recorded in).
 */
import type { SqlExecutor } from './types.js';

export type AuditCategory = 'fhir' | 'auth' | 'admin';

export interface AuditRecord {
  /** Time-ordered id; also the AuditEvent's `id`. */
  id: string;
  /** Epoch milliseconds. */
  recorded: number;
  category: AuditCategory;
  action: string;
  outcome: 'success' | 'failure';
  clientId: string | null;
  patientId: string | null;
  username: string | null;
  /** The source (client) network address. */
  source: string | null;
  tokenJti: string | null;
  /** The query string of a search, as the client sent it (secrets removed). */
  query: string | null;
  /** What the row keeps besides its columns, as JSON object text (`auditRecord` writes it; the AuditEvent is built from the row when read). */
  resource: string;
}

export interface AuditQuery {
  patient?: string;
  client?: string;
  username?: string;
  /** Inclusive lower bound on `recorded` (epoch ms). */
  since?: number;
  /** Exclusive upper bound on `recorded` (epoch ms). */
  until?: number;
  /** At most this many rows (default 1000, at most 10000). */
  limit?: number;
  /** Rows after this event (in `recorded`, `id` order). */
  afterId?: string;
}

export const AUDIT_QUERY_MAX_LIMIT = 10_000;
const COLUMNS = ['id', 'recorded', 'category', 'action', 'outcome', 'client_id', 'patient_id', 'username', 'source', 'token_jti', 'query', 'resource'];
/** Rows per INSERT statement: a batch is split into these sizes so only a few statement texts exist. */
const CHUNKS = [100, 25, 5, 1];

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toRecord(r: Row): AuditRecord {
  return {
    id: String(r.id),
    recorded: Number(r.recorded),
    category: r.category as AuditCategory,
    action: String(r.action),
    outcome: r.outcome as 'success' | 'failure',
    clientId: str(r.client_id),
    patientId: str(r.patient_id),
    username: str(r.username),
    source: str(r.source),
    tokenJti: str(r.token_jti),
    query: str(r.query),
    resource: String(r.resource),
  };
}

/** A record's fields in the table's column order (`COLUMNS`): what an INSERT binds and a journal line holds. */
export function auditRowValues(r: AuditRecord): [string, number, ...(string | null)[]] {
  return [r.id, r.recorded, r.category, r.action, r.outcome, r.clientId, r.patientId, r.username, r.source, r.tokenJti, r.query, r.resource];
}

function insertSql(rows: number): string {
  const one = `(${COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO audit_events (${COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => one).join(', ')}`;
}

/** Inserts one row (the values of `auditRowValues`) unless its id is already stored. */
export const AUDIT_INGEST_SQL = `${insertSql(1)} ON CONFLICT (id) DO NOTHING`;
const INGEST_CHUNK = 5000;

export class AuditQueryError extends Error {
  readonly code = 'AUDIT_ERR_QUERY';
}

/**
 * A faster durable path into `audit_events` than a transaction per group of records, where the store has
 * one (SQLite: an append-only file per process, moved into the table off the event loop). A record is in
 * the trail once `append` returns; `settle` makes everything appended so far visible to queries.
 */
export interface AuditJournal {
  /** Durable against a crash of this process once it returns; throws when the write failed. */
  append(records: AuditRecord[]): void;
  /** Resolves once every record appended so far, by this process or one that stopped, is in `audit_events`. */
  settle(): Promise<void>;
  /** Settles and stops; later appends throw. */
  close(): Promise<void>;
  /** Told when records could not be moved on (they are kept and tried again); the server logs it. */
  onError: (err: Error) => void;
}

export interface AuditStoreOptions {
  /** The store's journal: queries settle it first, so they see every record already acknowledged. */
  journal?: AuditJournal;
}

export class AuditStore {
  readonly journal: AuditJournal | undefined;

  constructor(
    private readonly sql: SqlExecutor,
    options: AuditStoreOptions = {},
  ) {
    this.journal = options.journal;
  }

  /** Writes `records` in ONE transaction: all of them or none. */
  async append(records: AuditRecord[]): Promise<void> {
    if (!records.length) return;
    for (const r of records) {
      if (!r.id || !Number.isFinite(r.recorded) || !r.resource) throw new AuditQueryError('An audit record needs an id, a recorded time and its AuditEvent');
    }
    await this.sql.transaction(async (tx) => {
      let i = 0;
      for (const size of CHUNKS) {
        while (records.length - i >= size) {
          await tx.run(insertSql(size), records.slice(i, i + size).flatMap(auditRowValues));
          i += size;
        }
      }
    });
  }

  /**
   * Writes records that may already be stored (a journal replayed after a crash), skipping those whose id
   * is present; `INGEST_CHUNK` rows per transaction.
   */
  async ingest(records: AuditRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += INGEST_CHUNK) {
      const chunk = records.slice(start, start + INGEST_CHUNK);
      await this.sql.transaction(async (tx) => {
        for (const r of chunk) await tx.run(AUDIT_INGEST_SQL, auditRowValues(r));
      });
    }
  }

  /** Matching events in `recorded`, `id` order. */
  async query(q: AuditQuery = {}): Promise<AuditRecord[]> {
    await this.journal?.settle();
    if (q.afterId !== undefined) {
      const [row] = await this.sql.all<Row>('SELECT recorded FROM audit_events WHERE id = ?', [q.afterId]);
      if (!row) throw new AuditQueryError(`No audit event has the id '${q.afterId.slice(0, 64)}' to continue after`);
      return this.#page(q, { recorded: Number(row.recorded), id: q.afterId });
    }
    return this.#page(q);
  }

  /** Every matching event, in order, fetched `pageSize` rows at a time (for export). */
  async *iterate(q: Omit<AuditQuery, 'limit' | 'afterId'> = {}, pageSize = 500): AsyncGenerator<AuditRecord> {
    await this.journal?.settle();
    let after: { recorded: number; id: string } | undefined;
    for (;;) {
      const page = await this.#page({ ...q, limit: pageSize }, after);
      for (const r of page) yield r;
      if (page.length < pageSize) return;
      const last = page[page.length - 1];
      after = { recorded: last.recorded, id: last.id };
    }
  }

  async #page(q: AuditQuery, after?: { recorded: number; id: string }): Promise<AuditRecord[]> {
    const limit = q.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_QUERY_MAX_LIMIT) {
      throw new AuditQueryError(`limit must be a whole number from 1 to ${AUDIT_QUERY_MAX_LIMIT}`);
    }
    for (const [name, v] of [['since', q.since], ['until', q.until]] as const) {
      if (v !== undefined && !Number.isFinite(v)) throw new AuditQueryError(`${name} must be a time in epoch milliseconds`);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const eq = (column: string, v: string | undefined) => {
      if (v === undefined) return;
      where.push(`${column} = ?`);
      params.push(v);
    };
    eq('patient_id', q.patient);
    eq('client_id', q.client);
    eq('username', q.username);
    if (q.since !== undefined) {
      where.push('recorded >= ?');
      params.push(Math.floor(q.since));
    }
    if (q.until !== undefined) {
      where.push('recorded < ?');
      params.push(Math.ceil(q.until));
    }
    if (after) {
      where.push('(recorded > ? OR (recorded = ? AND id > ?))');
      params.push(after.recorded, after.recorded, after.id);
    }
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS.join(', ')} FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY recorded, id LIMIT ${limit}`,
      params,
    );
    return rows.map(toRecord);
  }
}
