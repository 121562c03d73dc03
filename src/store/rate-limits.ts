/**
 * @module store/rate-limits
 * Fixed-window request counters shared by every server process through the `rate_limits` table
 * (migration 3). One row per bucket holds the current window's start (epoch ms) and its count; adding
 * to a bucket whose stored window is older starts the new window. One portable upsert does it
 * atomically in SQLite (≥ 3.35, for RETURNING) and PostgreSQL.
 */
import type { SqlExecutor } from './types.js';

export interface RateLimitHit {
  bucket: string;
  /** Start of the fixed window (epoch ms) the hits belong to. */
  windowStart: number;
  count: number;
}

export interface RateLimitTotal {
  /** The window the total belongs to: newer than the one asked for when another process moved on. */
  windowStart: number;
  count: number;
}

/** Rows per statement: 3 parameters each, far below either database's parameter limit. */
const CHUNK = 200;

// A late batch for an older window (a slow flush across the boundary, a process whose clock lags) must
// not reset a newer window: it is dropped, and the stored window and count are returned unchanged.
const UPSERT_SET = `
  ON CONFLICT (bucket) DO UPDATE SET
    count = CASE
      WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + excluded.count
      WHEN rate_limits.window_start < excluded.window_start THEN excluded.count
      ELSE rate_limits.count END,
    window_start = CASE
      WHEN rate_limits.window_start < excluded.window_start THEN excluded.window_start
      ELSE rate_limits.window_start END
  RETURNING bucket, window_start, count`;

export class RateLimitStore {
  constructor(private readonly sql: SqlExecutor) {}

  /**
   * Adds `count` hits to `bucket` for the window starting at `windowStart` and returns the bucket's
   * new total for that window, other processes' hits included. When the bucket has already moved on
   * to a newer window the hits are dropped and 0 is returned: the asked-for window is over.
   */
  async hit(bucket: string, windowStart: number, count: number): Promise<number> {
    const t = (await this.hitMany([{ bucket, windowStart, count }])).get(bucket);
    return t && t.windowStart === windowStart ? t.count : 0;
  }

  /** Adds several buckets' hits (buckets distinct) in as few statements as possible; totals by bucket. */
  async hitMany(hits: readonly RateLimitHit[]): Promise<Map<string, RateLimitTotal>> {
    const out = new Map<string, RateLimitTotal>();
    for (let i = 0; i < hits.length; i += CHUNK) {
      const chunk = hits.slice(i, i + CHUNK);
      const params: unknown[] = [];
      for (const h of chunk) params.push(h.bucket, h.windowStart, h.count);
      const rows = await this.sql.all<{ bucket: string; window_start: unknown; count: unknown }>(
        `INSERT INTO rate_limits (bucket, window_start, count) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}${UPSERT_SET}`,
        params,
      );
      for (const r of rows) out.set(r.bucket, { windowStart: Number(r.window_start), count: Number(r.count) });
    }
    return out;
  }

  /** The current total of a bucket for a window (0 when the stored window is another one). */
  async total(bucket: string, windowStart: number): Promise<number> {
    const rows = await this.sql.all<{ count: unknown }>('SELECT count FROM rate_limits WHERE bucket = ? AND window_start = ?', [bucket, windowStart]);
    return rows.length ? Number(rows[0].count) : 0;
  }

  /** Deletes buckets whose window started before `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number> {
    return this.sql.run('DELETE FROM rate_limits WHERE window_start < ?', [before]);
  }
}
