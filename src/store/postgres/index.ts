/**
 * @module store/postgres
 * The production store: PostgreSQL through `pg`. Writes are batched per table with UNNEST so an import
 * costs a few round trips per batch rather than per row. Several server processes may share the database.
 */
import pg from 'pg';
import { serializeVersion, storedResourceOf, toStoredResource, nextTimestamp, type ResourceRow } from '../content.js';
import { DERIVED_TABLES, MIGRATIONS, RESOURCE_TABLES } from '../migrations.js';
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

// BIGINT columns (seq, timestamps) fit in a JS number; parse them as numbers.
pg.types.setTypeParser(20, (v) => Number(v));

type Queryable = pg.Pool | pg.PoolClient;

/** Renumbers `?` placeholders as `$1…`. The rendered SQL has no `?` inside literals. */
export function toPostgres(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

const MIGRATION_LOCK = 7_410_336_210;

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;

  constructor(connectionString: string, options: { schema?: string; max?: number } = {}) {
    this.#pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client's error (e.g. the server restarting) must not crash the process; the pool replaces it.
    this.#pool.on('error', () => undefined);
  }

  readonly sql: SqlExecutor = {
    ...queries(() => this.#pool),
    transaction: (fn) =>
      this.#transaction((client) => {
        // Inside a transaction everything runs on its client; a nested transaction joins it.
        const tx: SqlExecutor = { ...queries(() => client), transaction: (inner) => inner(tx) };
        return fn(tx);
      }),
  };

  async #all<T>(sql: Sql, db: Queryable = this.#pool): Promise<T[]> {
    const res = await db.query(toPostgres(sql.text), sql.params as unknown[]);
    return res.rows as T[];
  }

  async migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const done = new Set((await client.query('SELECT id FROM schema_migrations')).rows.map((r) => Number(r.id)));
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.postgres);
          await client.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
            m.id,
            m.name,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /** None: a commit here costs the event loop only a round trip, and other hosts' files could not be reached. */
  auditJournal(): undefined {
    return undefined;
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async writeResources(writes: PreparedWrite[]): Promise<WriteResult[]> {
    return this.#transaction(async (client) => {
      const results: WriteResult[] = [];
      // A batch is written in runs of distinct (type, id) so a resource written twice gets two versions.
      let run: PreparedWrite[] = [];
      const keys = new Set<string>();
      for (const w of writes) {
        const key = `${w.type}/${w.id}`;
        if (keys.has(key)) {
          results.push(...(await this.#writeRun(client, run)));
          run = [];
          keys.clear();
        }
        keys.add(key);
        run.push(w);
      }
      if (run.length) results.push(...(await this.#writeRun(client, run)));
      return results;
    });
  }

  async #writeRun(client: pg.PoolClient, writes: PreparedWrite[]): Promise<WriteResult[]> {
    const existingRows = await client.query(
      `SELECT r.seq, r.type, r.id, r.version_id, r.last_updated, r.content_hash
         FROM resources r JOIN UNNEST($1::text[], $2::text[]) AS k(type, id) ON r.type = k.type AND r.id = k.id
         FOR UPDATE OF r`,
      [writes.map((w) => w.type), writes.map((w) => w.id)],
    );
    const existing = new Map<string, { seq: number; version_id: number; last_updated: number; content_hash: string }>();
    for (const row of existingRows.rows) existing.set(`${row.type}/${row.id}`, row);

    const results: WriteResult[] = [];
    const inserts: { w: PreparedWrite; content: string; now: number }[] = [];
    const changed: { w: PreparedWrite; seq: number; versionId: number; content: string; now: number }[] = [];
    for (const w of writes) {
      const prior = existing.get(`${w.type}/${w.id}`);
      if (prior && prior.content_hash === w.contentHash) {
        results.push({ type: w.type, id: w.id, versionId: String(prior.version_id), lastUpdated: new Date(Number(prior.last_updated)).toISOString(), outcome: 'unchanged' });
        continue;
      }
      const now = nextTimestamp();
      const versionId = prior ? prior.version_id + 1 : 1;
      const content = serializeVersion(w, versionId, now);
      if (prior) {
        // History keeps prior versions; the current one lives only in `resources`.
        await client.query(
          'INSERT INTO resource_history (seq, version_id, last_updated, content) SELECT seq, version_id, last_updated, content FROM resources WHERE seq = $1',
          [prior.seq],
        );
        await client.query('UPDATE resources SET version_id = $1, last_updated = $2, content_hash = $3, content = $4 WHERE seq = $5', [
          versionId,
          now,
          w.contentHash,
          content,
          prior.seq,
        ]);
        changed.push({ w, seq: prior.seq, versionId, content, now });
      } else inserts.push({ w, content, now });
      results.push({ type: w.type, id: w.id, versionId: String(versionId), lastUpdated: new Date(now).toISOString(), outcome: prior ? 'updated' : 'created' });
    }
    if (changed.length) {
      const seqs = changed.map((c) => c.seq);
      for (const table of DERIVED_TABLES) {
        await client.query(`DELETE FROM ${table} WHERE seq = ANY($1::bigint[])`, [seqs]);
      }
    }
    const written: { w: PreparedWrite; seq: number; versionId: number; content: string; now: number }[] = [...changed];
    if (inserts.length) {
      const res = await client.query(
        `INSERT INTO resources (type, id, version_id, last_updated, content_hash, content)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[])
         RETURNING seq, type, id`,
        [
          inserts.map((i) => i.w.type),
          inserts.map((i) => i.w.id),
          inserts.map(() => 1),
          inserts.map((i) => i.now),
          inserts.map((i) => i.w.contentHash),
          inserts.map((i) => i.content),
        ],
      );
      const seqByKey = new Map<string, number>(res.rows.map((r) => [`${r.type}/${r.id}`, Number(r.seq)]));
      for (const i of inserts) written.push({ w: i.w, seq: seqByKey.get(`${i.w.type}/${i.w.id}`)!, versionId: 1, content: i.content, now: i.now });
    }
    if (!written.length) return results;

    const tokens = written.flatMap((x) => x.w.indexes.tokens.map((t) => [x.seq, t.param, t.system ?? '', t.code ?? '', t.text] as const));
    if (tokens.length) {
      await client.query(
        'INSERT INTO idx_token (seq, param, system, code, text) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING',
        columns(tokens, 5),
      );
    }
    const strings = written.flatMap((x) => x.w.indexes.strings.map((t) => [x.seq, t.param, t.norm, t.exact] as const));
    if (strings.length) {
      await client.query(
        'INSERT INTO idx_string (seq, param, norm, exact) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING',
        columns(strings, 4),
      );
    }
    const dates = written.flatMap((x) => x.w.indexes.dates.map((t) => [x.seq, t.param, t.lo, t.hi] as const));
    if (dates.length) {
      await client.query(
        'INSERT INTO idx_date (seq, param, lo, hi) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) ON CONFLICT DO NOTHING',
        columns(dates, 4),
      );
    }
    const refs = written.flatMap((x) => x.w.indexes.references.map((t) => [x.seq, t.param, t.targetType, t.targetId] as const));
    if (refs.length) {
      await client.query(
        'INSERT INTO idx_reference (seq, param, target_type, target_id) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING',
        columns(refs, 4),
      );
    }
    const numbers = written.flatMap((x) => x.w.indexes.numbers.map((t) => [x.seq, t.param, t.value, t.system ?? '', t.code ?? ''] as const));
    if (numbers.length) {
      await client.query(
        'INSERT INTO idx_number (seq, param, value, system, code) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::float8[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING',
        columns(numbers, 5),
      );
    }
    const comps: (readonly [string, string, number])[] = [];
    for (const x of written) {
      for (const p of new Set(x.w.compartments)) comps.push([p, x.w.type, x.seq]);
    }
    await insertCompartments(client, comps);
    // Joined compartments are looked up after the direct ones are stored: targets may be in this run.
    const via = written.flatMap((x) => x.w.compartmentsOf.map((ref) => ({ x, ref })));
    if (via.length) {
      const res = await client.query(
        `SELECT DISTINCT k.i, c.patient_id FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS k(type, id, i)
           JOIN resources r ON r.type = k.type AND r.id = k.id JOIN compartment c ON c.seq = r.seq`,
        [via.map((v) => v.ref.type), via.map((v) => v.ref.id)],
      );
      await insertCompartments(
        client,
        res.rows.map((row) => {
          const v = via[Number(row.i) - 1];
          return [row.patient_id as string, v.x.w.type, v.x.seq] as const;
        }),
      );
    }
    return results;
  }

  async readResource(type: string, id: string, visible?: Condition): Promise<StoredResource | undefined> {
    const row = (await this.#all<Omit<ResourceRow, 'type' | 'id'>>(renderRead(type, id, visible)))[0];
    return row ? storedResourceOf(type, id, [row.seq, row.version_id, row.last_updated, row.content]) : undefined;
  }

  async readVersion(type: string, id: string, versionId: string, visible?: Condition): Promise<StoredResource | undefined> {
    const current = await this.readResource(type, id, visible);
    if (!current || !/^\d{1,9}$/.test(versionId)) return undefined;
    if (current.versionId === String(Number(versionId))) return current;
    const res = await this.#pool.query('SELECT version_id, last_updated, content FROM resource_history WHERE seq = $1 AND version_id = $2', [
      current.seq,
      Number(versionId),
    ]);
    const row = res.rows[0];
    return row
      ? storedResourceOf(type, id, [current.seq, row.version_id, row.last_updated, row.content])
      : undefined;
  }

  async search(query: ResourceQuery): Promise<PageRow[]> {
    const rows = await this.#all<ResourceRow & Record<string, number | string | null>>(renderSearch(query));
    return rows.map((row) => ({
      resource: toStoredResource(row),
      sortValues: query.sort.map((_, i) => (row[`sv${i}`] === null ? null : Number(row[`sv${i}`]))),
    }));
  }

  async count(type: string, where: Condition): Promise<number> {
    return Number((await this.#all<{ n: string }>(renderCount(type, where)))[0].n);
  }

  async include(
    fromSeqs: number[],
    request: IncludeRequest,
    visible: (targetType: string) => Condition | null,
  ): Promise<StoredResource[]> {
    if (!fromSeqs.length) return [];
    const targets = await this.#all<{ target_type: string; target_id: string }>(
      renderIncludeTargets(fromSeqs, request.param, request.targetType),
    );
    const out: StoredResource[] = [];
    for (const sql of renderIncludeReads(targets, visible)) out.push(...(await this.#all<ResourceRow>(sql)).map(toStoredResource));
    return out;
  }

  async revInclude(targets: { type: string; id: string }[], request: RevIncludeRequest, visible: Condition): Promise<StoredResource[]> {
    if (!targets.length) return [];
    return (await this.#all<ResourceRow>(renderRevInclude(request.sourceType, request.param, targets, visible))).map(toStoredResource);
  }

  async getSetting(key: string): Promise<string | undefined> {
    const res = await this.#pool.query('SELECT value FROM settings WHERE key = $1', [key]);
    return res.rows[0]?.value;
  }

  async initSetting(key: string, value: string): Promise<string> {
    await this.#pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getSetting(key)) as string;
  }

  async deleteResources(refs: { type: string; id: string }[]): Promise<number> {
    return this.#transaction(async (client) => {
      const res = await client.query(
        `SELECT r.seq FROM resources r JOIN UNNEST($1::text[], $2::text[]) AS k(type, id) ON r.type = k.type AND r.id = k.id`,
        [refs.map((r) => r.type), refs.map((r) => r.id)],
      );
      const seqs = res.rows.map((r) => Number(r.seq));
      for (const table of RESOURCE_TABLES) {
        await client.query(`DELETE FROM ${table} WHERE seq = ANY($1::bigint[])`, [seqs]);
      }
      return seqs.length;
    });
  }

  async countByType(): Promise<Record<string, number>> {
    const res = await this.#pool.query('SELECT type, COUNT(*) AS n FROM resources GROUP BY type ORDER BY type');
    return Object.fromEntries(res.rows.map((r) => [r.type, Number(r.n)]));
  }
}

function queries(db: () => Queryable): Omit<SqlExecutor, 'transaction'> {
  return {
    dialect: 'postgres',
    all: async (text, params = []) => (await db().query(toPostgres(text), params)).rows,
    run: async (text, params = []) => (await db().query(toPostgres(text), params)).rowCount ?? 0,
  };
}

async function insertCompartments(client: pg.PoolClient, rows: (readonly [string, string, number])[]): Promise<void> {
  if (!rows.length) return;
  await client.query(
    'INSERT INTO compartment (patient_id, type, seq) SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING',
    columns(rows, 3),
  );
}

/** Turns rows into per-column arrays for UNNEST. */
function columns(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i++) cols[i].push(row[i]);
  return cols;
}
