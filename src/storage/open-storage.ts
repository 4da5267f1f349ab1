import { postgresStorage } from './open-storage.postgres.js';
import { sqliteStorage } from './open-storage.sqlite.js';
import type { Storage, StorageConfig } from './storage.js';

/**
 * snip's storage as DATABASE_URL says: one SQLite file, the embedded default, or a PostgreSQL
 * database that several machines share. The one place that picks an engine, for the server and
 * for every command; above it, services see only the store contracts.
 */
export function openStorage(config: StorageConfig): Storage {
  return config.databaseFile === null
    ? postgresStorage(config.databaseUrl.trim(), config.databaseDirectUrl)
    : sqliteStorage(config.databaseFile);
}
