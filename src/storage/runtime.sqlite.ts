import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createLimiter } from '../http/rate-limits.js';
import { createSlicedFlush } from '../stats/sliced-flush.js';
import { TALLY_HOLD_MS, type VisitCounter } from '../stats/visit-counter.js';
import { watchDatabaseFile } from '../db/database-file.js';
import { loadMigrations, pendingMigrations } from '../db/migrations.js';
import { openDatabase } from '../db/open-database.sqlite.js';
import {
  flushFailed,
  StartupError,
  VISIT_FLUSH_INTERVAL_MS,
  type DatabaseRuntime,
} from './runtime.js';
import { createSqliteStore } from './store.sqlite.js';
import { undoUnfinishedImports } from '../transfer/transfer-store.sqlite.js';
import { writeWithoutWaiting } from '../db/write-gate.js';

/** snip's embedded default: one SQLite file, opened once, its migrations checked. */
export function openSqlite(config: Config, file: string, logger: Logger): DatabaseRuntime {
  const db = openDatabase(file);
  // Migrations run before the server (scripts/launch.sh); never serve a schema they have not reached.
  const pending = pendingMigrations(db, loadMigrations(config.migrationsDir));
  if (pending.length > 0) {
    db.close();
    throw new StartupError(
      `database has pending migrations (${pending.map((m) => m.version).join(', ')}); run \`npm run migrate\` (scripts/launch.sh does this at start)`,
    );
  }
  // An import a crash stopped while it wrote its links is taken back before anyone is served.
  const undone = undoUnfinishedImports(db);
  if (undone > 0) logger.warn({ links: undone }, 'links of an unfinished import deleted');
  const databaseFile = watchDatabaseFile(file);
  const store = createSqliteStore({ db, file, fileCheck: databaseFile, now: Date.now });

  let postponedFor: string | null = null;
  // The flush every second never waits for a lock another process holds (it would stop every
  // redirect); the last one, at shutdown, may wait busy_timeout rather than lose the counts.
  const flushVisits = (
    counter: VisitCounter,
    options: { wait: boolean; maxLinks?: number },
  ): number | null => {
    const problem = databaseFile();
    if (problem !== null) {
      // Counts written to a deleted or replaced file would be lost: keep them in memory.
      if (problem !== postponedFor) {
        logger.warn({ problem, pending: counter.pendingTotal() }, 'visit flushes postponed');
      }
      postponedFor = problem;
      return null;
    }
    postponedFor = null;
    try {
      // SQLite writes synchronously: the flush is done when it returns.
      return (
        options.wait
          ? counter.flush()
          : writeWithoutWaiting(db, () => counter.flush(options.maxLinks, TALLY_HOLD_MS))
      ) as number;
    } catch (error) {
      return flushFailed(logger, counter, error);
    }
  };

  return {
    store,
    limiter: createLimiter,
    location: file,
    startFlushing(counter) {
      const flushInSlices = createSlicedFlush({
        flushSlice: (maxLinks) => flushVisits(counter, { wait: false, maxLinks }) !== null,
        pendingLinks: () => counter.pendingLinks(),
      });
      const timer = setInterval(flushInSlices, VISIT_FLUSH_INTERVAL_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
    async finalFlush(counter) {
      return flushVisits(counter, { wait: true }) ?? 0;
    },
    async close() {
      db.close();
    },
  };
}
