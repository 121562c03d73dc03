/**
 * Store fixtures: a fresh SQLite file, or a fresh PostgreSQL schema, per test run. Suites call
 * `forEachStore` to run the same tests against both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

export interface StoreFixture {
  name: 'sqlite' | 'postgres';
  store: Store;
  cleanup(): Promise<void>;
}

export async function sqliteFixture(): Promise<StoreFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-test-'));
  const store = new SqliteStore(join(dir, 'test.db'));
  await store.migrate();
  return {
    name: 'sqlite',
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresFixture(): Promise<StoreFixture> {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL configured');
  const schema = `test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const store = new PostgresStore(POSTGRES_URL, { schema });
  await store.migrate();
  return {
    name: 'postgres',
    store,
    async cleanup() {
      await store.close();
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** The store kinds to test: SQLite always, PostgreSQL when a database URL is configured. */
export function storeKinds(): { name: 'sqlite' | 'postgres'; create: () => Promise<StoreFixture>; skip: string | false }[] {
  return [
    { name: 'sqlite', create: sqliteFixture, skip: false },
    {
      name: 'postgres',
      create: postgresFixture,
      skip: POSTGRES_URL ? false : 'PostgreSQL tests skipped: set TEST_DATABASE_URL (or DATABASE_URL) to run them',
    },
  ];
}

if (!POSTGRES_URL) {
  process.stderr.write('# PostgreSQL tests skipped: set TEST_DATABASE_URL (or DATABASE_URL) to run them\n');
}
