/**
 * @module store/sqlite
 * The embedded store: one SQLite file in WAL mode through better-sqlite3. Several server processes may
 * share the file; writes are serialized by SQLite's lock (busy timeout), reads run concurrently.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteAuditJournal } from './audit-journal.js';
import { serializeVersion, storedResourceOf, toStoredResource, nextTimestamp, type ResourceRow, type ReadRowValues } from '../content.js';
import { DERIVED_TABLES, MIGRATIONS, RESOURCE_TABLES } from '../migrations.js';
import { connectionPragmas, type ConnectionOptions } from './pragmas.js';
import { RowBlock, type StatementSource } from './row-blocks.js';
import {
  renderCount,
  renderIncludeTargets,
  renderRead,
  renderIncludeReads,
  renderRevInclude,
  renderSearch,
  type Sql,
} from '../sql/render.js';
import type {
  Condition,
  IncludeRequest,
  PageRow,
  PreparedWrite,
  ResourceQuery,
  RevIncludeRequest,
  SqlExecutor,
  Store,
  StoredResource,
  WriteResult,
} from '../types.js';

type Statement = Database.Statement<unknown[], unknown>;

/** A write batch's rows for each derived table (`DERIVED_TABLES`), inserted in blocks. */
class DerivedRows {
  readonly tokens: RowBlock;
  readonly strings: RowBlock;
  readonly dates: RowBlock;
  readonly references: RowBlock;
  readonly numbers: RowBlock;
  readonly compartments: RowBlock;
  readonly #all: RowBlock[];

  constructor(statement: StatementSource) {
    this.tokens = new RowBlock('INSERT OR IGNORE INTO idx_token (seq, param, system, code, text) VALUES', 5, statement);
    this.strings = new RowBlock('INSERT OR IGNORE INTO idx_string (seq, param, norm, exact) VALUES', 4, statement);
    this.dates = new RowBlock('INSERT OR IGNORE INTO idx_date (seq, param, lo, hi) VALUES', 4, statement);
    this.references = new RowBlock('INSERT OR IGNORE INTO idx_reference (seq, param, target_type, target_id) VALUES', 4, statement);
    this.numbers = new RowBlock('INSERT OR IGNORE INTO idx_number (seq, param, value, system, code) VALUES', 5, statement);
    this.compartments = new RowBlock('INSERT OR IGNORE INTO compartment (patient_id, type, seq) VALUES', 3, statement);
    this.#all = [this.tokens, this.strings, this.dates, this.references, this.numbers, this.compartments];
  }

  flush(): void {
    for (const block of this.#all) block.flush();
  }

  clear(): void {
    for (const block of this.#all) block.clear();
  }
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Statement>();
  readonly #rawCache = new Map<string, Statement>();
  /** The index and compartment rows of the write batch in progress, inserted in blocks (see RowBlock). */
  readonly #derivedRows = new DerivedRows((text) => this.#stmt(text));
  #journal: SqliteAuditJournal | undefined;

  /**
   * One connection serves the whole process, so an open transaction must not interleave with other
   * async work: SQL through `sql` is queued behind this lock.
   */
  #lock: Promise<unknown> = Promise.resolve();

  readonly sql: SqlExecutor = {
    dialect: 'sqlite',
    all: (text, params = []) => this.#locked(async () => this.#stmt(text).all(...params) as never[]),
    run: (text, params = []) => this.#locked(async () => this.#stmt(text).run(...params).changes),
    transaction: (fn) =>
      this.#locked(async () => {
        this.#endSnapshot();
        this.#db.exec('BEGIN IMMEDIATE');
        const tx: SqlExecutor = {
          dialect: 'sqlite',
          all: async (text, params = []) => this.#stmt(text).all(...params) as never[],
          run: async (text, params = []) => this.#stmt(text).run(...params).changes,
          transaction: (inner) => inner(tx),
        };
        try {
          const out = await fn(tx);
          this.#db.exec('COMMIT');
          return out;
        } catch (err) {
          if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
          throw err;
        }
      }),
  };

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  constructor(
    readonly file: string,
    options: ConnectionOptions = {},
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    for (const pragma of connectionPragmas(options)) this.#db.pragma(pragma);
    this.#beginRead = this.#db.prepare('BEGIN DEFERRED');
    this.#endRead = this.#db.prepare('COMMIT');
  }

  /** A prepared statement, kept by its text; `raw` ones return rows as arrays (kept apart: a mode is per statement). */
  #cached(text: string, raw = false): Statement {
    const cache = raw ? this.#rawCache : this.#cache;
    let s = cache.get(text);
    if (!s) {
      s = this.#db.prepare(text);
      if (raw) s.raw(true);
      if (cache.size > 1000) cache.clear();
      cache.set(text, s);
    }
    return s;
  }

  /** A statement for anything but a FHIR read: it ends the read snapshot first, so it sees every commit. */
  #stmt(text: string): Statement {
    this.#endSnapshot();
    return this.#cached(text);
  }

  /** A FHIR read's statement: it runs in this turn's read snapshot. */
  #readStmt(text: string, raw = false): Statement {
    this.#joinSnapshot();
    return this.#cached(text, raw);
  }

  #all<T>(sql: Sql): T[] {
    return this.#readStmt(sql.text).all(...(sql.params as unknown[])) as T[];
  }

  /** Runs `fn` in a write transaction (BEGIN IMMEDIATE), on the latest data. */
  #write<T>(fn: () => T): T {
    this.#endSnapshot();
    return this.#db.transaction(fn).immediate();
  }

  /**
   * FHIR reads (and only they) share one read transaction per turn of the event loop, ended by
   * `setImmediate`. Outside a transaction every statement takes and releases SQLite's WAL read lock
   * (two fcntl calls and an fstat), which on a virtual machine costs more than the lookup itself; under
   * load many requests are answered in one turn and now pay for it once. The snapshot is at most one
   * turn old, as if those requests had been answered a moment earlier. Every other statement — the
   * auth, audit and rate-limit stores, writes, settings — first ends the snapshot (`#stmt`, `#write`), so
   * it sees every commit, and a write never upgrades a stale read transaction.
   */
  #snapshot = false;
  readonly #beginRead: Statement;
  readonly #endRead: Statement;

  #joinSnapshot(): void {
    if (this.#snapshot || this.#db.inTransaction) return;
    this.#beginRead.run();
    this.#snapshot = true;
    setImmediate(this.#endSnapshot);
  }

  readonly #endSnapshot = (): void => {
    if (!this.#snapshot) return;
    this.#snapshot = false;
    this.#endRead.run();
  };

  async migrate(): Promise<void> {
    this.#stmt('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)').run();
    this.#write(() => {
      const done = new Set(
        (this.#db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        this.#db.exec(m.sqlite);
        this.#db
          .prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)')
          .run(m.id, m.name, new Date().toISOString());
      }
    });
  }

  async close(): Promise<void> {
    try {
      // Records it could not move stay in its file, for the next process to move.
      await this.#journal?.close();
    } finally {
      this.#endSnapshot();
      this.#cache.clear();
      this.#rawCache.clear();
      this.#db.close();
    }
  }

  /** The journal of the database file (none in memory), made on first use. */
  auditJournal(): SqliteAuditJournal | undefined {
    if (this.file === ':memory:') return undefined;
    this.#journal ??= new SqliteAuditJournal(this.file);
    return this.#journal;
  }

  async ping(): Promise<void> {
    this.#stmt('SELECT 1').get();
  }

  async writeResources(writes: PreparedWrite[]): Promise<WriteResult[]> {
    return this.#locked(async () =>
      this.#write(() => {
        // A batch that failed midway left its rows behind (its transaction was rolled back).
        this.#derivedRows.clear();
        const results = writes.map((w) => this.#writeOne(w));
        this.#derivedRows.flush();
        return results;
      }),
    );
  }

  #writeOne(w: PreparedWrite): WriteResult {
    const now = nextTimestamp();
    const rows = this.#derivedRows;
    // Most writes of an import are new resources: try the insert first and look up only on conflict.
    const inserted = this.#stmt(
      'INSERT INTO resources (type, id, version_id, last_updated, content_hash, content) VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (type, id) DO NOTHING',
    ).run(w.type, w.id, now, w.contentHash, serializeVersion(w, 1, now));
    let seq: number;
    let versionId = 1;
    if (inserted.changes === 1) {
      seq = Number(inserted.lastInsertRowid);
    } else {
      const existing = this.#stmt('SELECT seq, version_id, last_updated, content_hash FROM resources WHERE type = ? AND id = ?').get(
        w.type,
        w.id,
      ) as { seq: number; version_id: number; last_updated: number; content_hash: string };
      if (existing.content_hash === w.contentHash) {
        return {
          type: w.type,
          id: w.id,
          versionId: String(existing.version_id),
          lastUpdated: new Date(existing.last_updated).toISOString(),
          outcome: 'unchanged',
        };
      }
      seq = existing.seq;
      versionId = existing.version_id + 1;
      // History keeps prior versions; the current one lives only in `resources`.
      this.#stmt(
        'INSERT INTO resource_history (seq, version_id, last_updated, content) SELECT seq, version_id, last_updated, content FROM resources WHERE seq = ?',
      ).run(seq);
      this.#stmt('UPDATE resources SET version_id = ?, last_updated = ?, content_hash = ?, content = ? WHERE seq = ?').run(
        versionId,
        now,
        w.contentHash,
        serializeVersion(w, versionId, now),
        seq,
      );
      // The same resource earlier in this batch left rows not yet inserted; they go before the delete.
      rows.flush();
      for (const table of DERIVED_TABLES) {
        this.#stmt(`DELETE FROM ${table} WHERE seq = ?`).run(seq);
      }
    }
    const ix = w.indexes;
    for (const t of ix.tokens) {
      rows.tokens.values.push(seq, t.param, t.system ?? '', t.code ?? '', t.text);
      rows.tokens.added();
    }
    for (const t of ix.strings) {
      rows.strings.values.push(seq, t.param, t.norm, t.exact);
      rows.strings.added();
    }
    for (const t of ix.dates) {
      rows.dates.values.push(seq, t.param, t.lo, t.hi);
      rows.dates.added();
    }
    for (const t of ix.references) {
      rows.references.values.push(seq, t.param, t.targetType, t.targetId);
      rows.references.added();
    }
    for (const t of ix.numbers) {
      rows.numbers.values.push(seq, t.param, t.value, t.system ?? '', t.code ?? '');
      rows.numbers.added();
    }
    const patients = new Set(w.compartments);
    // Joined compartments (Provenance): its targets may be earlier in this batch, their rows not yet inserted.
    if (w.compartmentsOf.length) rows.compartments.flush();
    // One query per batch of targets rather than one per target.
    for (let i = 0; i < w.compartmentsOf.length; i += 50) {
      const refs = w.compartmentsOf.slice(i, i + 50);
      const found = this.#stmt(
        `SELECT DISTINCT c.patient_id FROM resources r JOIN compartment c ON c.seq = r.seq WHERE ${refs.map(() => '(r.type = ? AND r.id = ?)').join(' OR ')}`,
      ).all(...refs.flatMap((r) => [r.type, r.id])) as { patient_id: string }[];
      for (const r of found) patients.add(r.patient_id);
    }
    for (const p of patients) {
      rows.compartments.values.push(p, w.type, seq);
      rows.compartments.added();
    }
    return {
      type: w.type,
      id: w.id,
      versionId: String(versionId),
      lastUpdated: new Date(now).toISOString(),
      outcome: versionId === 1 ? 'created' : 'updated',
    };
  }

  async readResource(type: string, id: string, visible?: Condition): Promise<StoredResource | undefined> {
    const sql = renderRead(type, id, visible);
    // As an array (columns in READ_COLUMNS order): the point read is the hottest query, and a row
    // object made only to be copied into the StoredResource cost it a tenth of its time.
    const row = this.#readStmt(sql.text, true).get(...(sql.params as unknown[])) as ReadRowValues | undefined;
    return row ? storedResourceOf(type, id, row) : undefined;
  }

  async readVersion(type: string, id: string, versionId: string, visible?: Condition): Promise<StoredResource | undefined> {
    const current = await this.readResource(type, id, visible);
    if (!current || !/^\d{1,9}$/.test(versionId)) return undefined;
    if (current.versionId === String(Number(versionId))) return current;
    const row = this.#readStmt('SELECT version_id, last_updated, content FROM resource_history WHERE seq = ? AND version_id = ?').get(
      current.seq,
      Number(versionId),
    ) as { version_id: number; last_updated: number; content: string } | undefined;
    return row
      ? storedResourceOf(type, id, [current.seq, row.version_id, row.last_updated, row.content])
      : undefined;
  }

  async search(query: ResourceQuery): Promise<PageRow[]> {
    const rows = this.#all<ResourceRow & Record<string, number>>(renderSearch(query));
    return rows.map((row) => ({
      resource: toStoredResource(row),
      sortValues: query.sort.map((_, i) => (row[`sv${i}`] === null ? null : Number(row[`sv${i}`]))),
    }));
  }

  async count(type: string, where: Condition): Promise<number> {
    return Number(this.#all<{ n: number }>(renderCount(type, where))[0].n);
  }

  async include(
    fromSeqs: number[],
    request: IncludeRequest,
    visible: (targetType: string) => Condition | null,
  ): Promise<StoredResource[]> {
    if (!fromSeqs.length) return [];
    const targets = this.#all<{ target_type: string; target_id: string }>(
      renderIncludeTargets(fromSeqs, request.param, request.targetType),
    );
    return renderIncludeReads(targets, visible).flatMap((sql) => this.#all<ResourceRow>(sql).map(toStoredResource));
  }

  async revInclude(
    targets: { type: string; id: string }[],
    request: RevIncludeRequest,
    visible: Condition,
  ): Promise<StoredResource[]> {
    if (!targets.length) return [];
    return this.#all<ResourceRow>(renderRevInclude(request.sourceType, request.param, targets, visible)).map(toStoredResource);
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = this.#stmt('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  async initSetting(key: string, value: string): Promise<string> {
    this.#stmt('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    return (await this.getSetting(key)) as string;
  }

  async deleteResources(refs: { type: string; id: string }[]): Promise<number> {
    return this.#write(() => {
      let n = 0;
      for (const ref of refs) {
        const row = this.#stmt('SELECT seq FROM resources WHERE type = ? AND id = ?').get(ref.type, ref.id) as
          | { seq: number }
          | undefined;
        if (!row) continue;
        for (const table of RESOURCE_TABLES) {
          this.#stmt(`DELETE FROM ${table} WHERE seq = ?`).run(row.seq);
        }
        n++;
      }
      return n;
    });
  }

  async countByType(): Promise<Record<string, number>> {
    const rows = this.#stmt('SELECT type, COUNT(*) AS n FROM resources GROUP BY type ORDER BY type').all() as {
      type: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  }
}
