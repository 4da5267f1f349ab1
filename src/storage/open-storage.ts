import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { RedirectCache } from '../links/redirect-cache.js';
import type { DatabaseRuntime } from './runtime.js';
import { openPostgres } from './runtime.postgres.js';
import { openSqlite } from './runtime.sqlite.js';

/**
 * Opens snip's storage as DATABASE_URL says: one SQLite file, the embedded default, or a
 * PostgreSQL database that several machines share. The one place that picks an engine; above
 * it, services see only the store contracts. Rejects with a StartupError for what the operator
 * can fix (pending migrations, an unreachable or unsupported server).
 */
export async function openStorage(
  config: Config,
  deps: {
    logger: Logger;
    /** The app's cache of redirect rows: on PostgreSQL, other machines' changes clear it. */
    redirectCache: RedirectCache;
  },
): Promise<DatabaseRuntime> {
  return config.databaseFile === null
    ? openPostgres(config, deps.logger, deps.redirectCache)
    : openSqlite(config, config.databaseFile, deps.logger);
}
