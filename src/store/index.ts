/**
 * @module store
 * Opens the store the settings choose: PostgreSQL when DATABASE_URL is set, else the embedded SQLite file.
 */
import { join } from 'node:path';
import type { Settings } from '../config/index.js';
import { SqliteStore } from './sqlite/index.js';
import { PostgresStore } from './postgres/index.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

export const SQLITE_FILE_NAME = 'patient-access.db';

/** Opens and migrates the store. */
export async function openStore(settings: Pick<Settings, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  const store: Store = settings.databaseUrl
    ? new PostgresStore(settings.databaseUrl)
    : new SqliteStore(join(settings.dataDir, SQLITE_FILE_NAME));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
