import type { Storage, StorageConfig } from './storage.js';

/**
 * snip's storage as DATABASE_URL says: one SQLite file, the embedded default, or a PostgreSQL
 * database that several machines share. The one place that picks an engine, for the server and
 * for every command; above it, services see only the store contracts. Only the chosen engine's
 * code is loaded: a server on SQLite never loads the PostgreSQL driver, nor the other way round.
 */
export async function openStorage(config: StorageConfig): Promise<Storage> {
  if (config.databaseFile === null) {
    const { postgresStorage } = await import('./open-storage.postgres.js');
    return postgresStorage(config.databaseUrl.trim(), config.databaseDirectUrl);
  }
  const { sqliteStorage } = await import('./open-storage.sqlite.js');
  return sqliteStorage(config.databaseFile, config.walCheckpoints);
}
