import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { startCacheInvalidation } from '../links/cache-invalidation.postgres.js';
import type { RedirectCache } from '../links/redirect-cache.js';
import { TALLY_HOLD_MS, type VisitCounter } from '../stats/visit-counter.js';
import { redactDatabaseUrl } from '../db/database-url.js';
import { postgresMigrationsDir } from '../db/migrations-dir.js';
import { findNewerSchema, loadMigrations } from '../db/migrations.js';
import { createPostgresLimiter } from '../http/rate-limits.postgres.js';
import { createPostgresPool } from '../db/pool.postgres.js';
import { readPostgresMigrationStatus } from '../db/migrations.postgres.js';
import { createPostgresStore } from './store.postgres.js';
import {
  flushFailed,
  StartupError,
  VISIT_FLUSH_INTERVAL_MS,
  type DatabaseRuntime,
} from './runtime.js';

/** The listener asks `SELECT 1` this often, and counts the connection dead after as long. */
const HEARTBEAT_MS = 5000;
/** The first wait before the listener reconnects; it doubles up to 30 times this. */
const RECONNECT_DELAY_MS = 250;
/** Attempts of the last visit flush, at shutdown, before the counts are given up (and logged). */
const FINAL_FLUSH_ATTEMPTS = 5;

/**
 * Wire-compatible engines that lack what several machines need: LISTEN/NOTIFY (the caches) and
 * session advisory locks (the migrations). Refused at start rather than half working.
 */
const UNSUPPORTED_ENGINES = [
  { pattern: /CockroachDB/i, name: 'CockroachDB' },
  // YugabyteDB answers as PostgreSQL, with -YB- in its version.
  { pattern: /YugabyteDB|-YB-/i, name: 'YugabyteDB' },
];

/**
 * Why snip will not run on the server that answered `version()` and `server_version_num`, or
 * null when it will.
 */
export function refuseEngine(version: string, versionNum: number): string | null {
  const unsupported = UNSUPPORTED_ENGINES.find((engine) => engine.pattern.test(version));
  if (unsupported) {
    return `${unsupported.name} is not supported: snip needs LISTEN/NOTIFY and session advisory locks, which it lacks; use PostgreSQL 15 or newer`;
  }
  if (!(versionNum >= 150000)) return `PostgreSQL 15 or newer is needed; this server is ${version}`;
  return null;
}

/**
 * snip on PostgreSQL 15 or newer, one of several machines on one database. Checks the engine and
 * the migrations (on the direct URL), then opens a pool on DATABASE_URL (a pooler is fine there)
 * and, unless CACHE_INVALIDATION=ttl, the listener that clears cached links other machines
 * change.
 */
export async function openPostgres(
  config: Config,
  logger: Logger,
  redirectCache: RedirectCache,
): Promise<DatabaseRuntime> {
  const direct = createPostgresPool(config.databaseDirectUrl, { max: 1 });
  try {
    const { rows } = await direct
      .query<{ version: string; server_version_num: string }>(
        `SELECT version() AS version, current_setting('server_version_num') AS server_version_num`,
      )
      .catch((error: unknown) => {
        throw new StartupError(
          `cannot reach PostgreSQL at ${redactDatabaseUrl(config.databaseDirectUrl)}: ${(error as Error).message}`,
        );
      });
    const refusal = refuseEngine(rows[0]!.version, Number(rows[0]!.server_version_num));
    if (refusal !== null) throw new StartupError(refusal);
  } finally {
    await direct.end();
  }
  const migrations = loadMigrations(postgresMigrationsDir(config.migrationsDir));
  const status = await readPostgresMigrationStatus(config.databaseDirectUrl, migrations);
  const applied = status.filter((migration) => migration.applied).map((m) => m.version);
  const newer = findNewerSchema(applied, migrations);
  if (newer !== null) throw new StartupError(newer.message);
  const pending = status.filter((migration) => !migration.applied);
  if (pending.length > 0) {
    throw new StartupError(
      `database has pending migrations (${pending.map((m) => m.version).join(', ')}); run \`npm run migrate\` (scripts/launch.sh and Fly's release_command do this)`,
    );
  }

  const pool = createPostgresPool(config.databaseUrl);
  const store = createPostgresStore(pool, {
    cacheTtlMs: config.redirectCacheTtlMs,
    visits: {
      onRetry: (error, attempt) =>
        logger.info({ err: error, attempt }, 'visit flush retried after a deadlock or conflict'),
    },
  });
  const invalidation =
    config.cacheInvalidation === 'listen'
      ? startCacheInvalidation({
          connectionString: config.databaseDirectUrl,
          cache: redirectCache,
          logger,
          heartbeatMs: HEARTBEAT_MS,
          reconnectDelayMs: RECONNECT_DELAY_MS,
        })
      : null;
  // Starting does not wait for LISTEN: until it runs, cached rows expire after the TTL anyway.
  invalidation?.ready.catch(() => {});

  /** One flush (the periodic one holds tallies back; the last one does not); null when it failed. */
  const flushOnce = async (counter: VisitCounter, holdMs = 0): Promise<number | null> => {
    try {
      return await counter.flush(Number.POSITIVE_INFINITY, holdMs);
    } catch (error) {
      return flushFailed(logger, counter, error);
    }
  };

  return {
    store,
    limiter: (name, rule) => createPostgresLimiter(pool, name, rule),
    location: redactDatabaseUrl(config.databaseUrl),
    startFlushing(counter) {
      // PostgreSQL works off the event loop: one flush of everything, never two at once.
      const timer = setInterval(
        () => void flushOnce(counter, TALLY_HOLD_MS),
        VISIT_FLUSH_INTERVAL_MS,
      );
      timer.unref();
      return () => clearInterval(timer);
    },
    async finalFlush(counter) {
      await counter.idle();
      let written = 0;
      const waiting = () => counter.pendingTotal() > 0 || counter.pendingLinks() > 0;
      for (let attempt = 1; waiting(); attempt++) {
        written += (await flushOnce(counter)) ?? 0;
        if (!waiting()) break;
        if (attempt >= FINAL_FLUSH_ATTEMPTS) {
          logger.error({ lost: counter.pendingTotal() }, 'visit counts could not be written');
          break;
        }
        await sleep(200 * attempt);
      }
      return written;
    },
    async close() {
      await invalidation?.stop();
      await pool.end();
    },
  };
}
