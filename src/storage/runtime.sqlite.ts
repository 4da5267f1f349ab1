import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createLimiter } from '../http/rate-limits.js';
import { createSlicedFlush, FLUSH_SLICE_LINKS } from '../stats/sliced-flush.js';
import { foldPauseMs, LOG_FROM_LINKS, shouldFold } from '../stats/visit-log.sqlite.js';
import {
  TALLY_HOLD_MS,
  TALLY_LINKS_PER_SECOND,
  TALLY_ROWS_PER_SLICE,
  type VisitCounter,
} from '../stats/visit-counter.js';
import { watchDatabaseFile } from '../db/database-file.js';
import {
  findNewerSchema,
  loadMigrations,
  pendingOf,
  readAppliedVersions,
} from '../db/migrations.js';
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

/**
 * Links per slice of a flush into the visit log: a few microseconds each, so a slice holds the
 * event loop for a few milliseconds, one commit a slice. With a thousand, one slice in six of a
 * uniform load over a million links held every redirect for more than 12 ms (a garbage
 * collection or a WAL checkpoint landing in it) and p99 was 16–21 ms; with 500, one in twenty
 * and 15–16 ms, at the same throughput. Fewer (250) cost a tenth of it in per-slice work.
 */
const LOG_SLICE_LINKS = 500;
/**
 * Visits per slice into the visit log, after its first link: each is encoded and written, about
 * a microsecond, and under skewed traffic the first thousand links of a second can hold most of
 * its visits (40 ms in one slice).
 */
const LOG_SLICE_VISITS = 4000;
/**
 * Visits whose facts one step tallies into their links' sketches: about 1.5 µs each, more when
 * many of the sketches grow at once (a step of 2,000 then held redirects for 12–20 ms).
 */
export const DRAIN_STEP_VISITS = 500;
export const DRAIN_INTERVAL_MS = 50;
/**
 * A round of the drain takes the whole log once it holds this many visits, or once its oldest
 * has waited ROUND_AFTER_MS: the larger a round, the more visits each of its links has in one
 * step, worked while its sketches are in the CPU's caches (VisitCounter.drainSome).
 */
export const ROUND_VISITS = 131_072;
export const ROUND_AFTER_MS = 2000;

/** Whether the counter's visits are spread over more links than LOG_FROM_LINKS: a flush logs them. */
function spreadOut(counter: VisitCounter): boolean {
  return counter.pendingLinks() > LOG_FROM_LINKS;
}

/** snip's embedded default: one SQLite file, opened once, its migrations checked. */
export function openSqlite(config: Config, file: string, logger: Logger): DatabaseRuntime {
  const db = openDatabase(file, { walCheckpoints: config.walCheckpoints });
  // Migrations run before the server (scripts/launch.sh); never serve a schema they have not reached.
  const migrations = loadMigrations(config.migrationsDir);
  const applied = readAppliedVersions(db);
  // An older build on a schema a newer one migrated: its queries would meet columns it does not know.
  const newer = findNewerSchema(applied, migrations);
  if (newer !== null) {
    db.close();
    throw new StartupError(newer.message);
  }
  const pending = pendingOf(applied, migrations);
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
    options: {
      wait: boolean;
      maxLinks?: number;
      maxVisits?: number;
      logged: boolean;
      last?: boolean;
    },
  ): number | null => {
    const problem = databaseFile()?.message ?? null;
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
      if (options.wait) return counter.flush(Number.POSITIVE_INFINITY, 0, options.logged) as number;
      // A slice with more of the same second after it commits without waiting for the disk;
      // the last one's commit syncs the WAL, every earlier slice's pages with it. A process
      // that dies loses none of them (they are in the WAL); a power cut, at most this second's.
      if (options.last === false) db.pragma('synchronous = NORMAL');
      try {
        return writeWithoutWaiting(db, () =>
          counter.flush(
            options.maxLinks,
            TALLY_HOLD_MS,
            options.logged,
            options.maxVisits,
            TALLY_ROWS_PER_SLICE,
          ),
        ) as number;
      } finally {
        if (options.last === false) db.pragma('synchronous = FULL');
      }
    } catch (error) {
      return flushFailed(logger, counter, error);
    }
  };

  return {
    store,
    limiter: createLimiter,
    location: file,
    startFlushing(counter) {
      // Each second: the visits of many links go to the visit log, in larger slices (appending
      // a link costs a few microseconds; each slice is a commit); those of a few links are
      // added at once. The log is folded in steps between requests (visit-log.sqlite.ts).
      let logging = false;
      const flushInSlices = createSlicedFlush({
        flushSlice: (maxLinks, last) =>
          flushVisits(counter, {
            wait: false,
            maxLinks,
            maxVisits: LOG_SLICE_VISITS,
            logged: logging,
            last,
          }) !== null,
        pendingLinks: () => counter.pendingLinks(),
        sliceLinks: () => (logging ? LOG_SLICE_LINKS : FLUSH_SLICE_LINKS),
        sliceVisits: () => (logging ? LOG_SLICE_VISITS : Number.POSITIVE_INFINITY),
        pendingVisits: () => counter.loggedVisits(),
        // A slice writes TALLY_ROWS_PER_SLICE rows of due tallies: as many more as those need.
        extraSlices: () =>
          Math.ceil(counter.dueTallyRows(TALLY_LINKS_PER_SECOND) / TALLY_ROWS_PER_SLICE),
      });
      let stopped = false;
      let folding = false;
      // While visits go to a few links, their facts are tallied between requests, a step at a
      // time (DRAIN_STEP_VISITS, a few milliseconds each), in rounds of the whole log once it
      // holds ROUND_VISITS visits or has waited ROUND_AFTER_MS; the flush leaves them to it
      // (tallyBetweenFlushes): a whole second of visits at once held every redirect. A round
      // is drained to its end; the visits logged meanwhile wait for the next. Visits spread
      // over many links go to the visit log at the next flush, whose fold tallies them: no
      // round is opened once they are (spreadOut, checked then, not only each second). The first
      // second of a burst over a million links had made tallies for every link it visited, tens
      // of megabytes of objects for that second, whose pages V8 then kept.
      counter.tallyBetweenFlushes();
      let draining = false;
      const drainSteps = () => {
        if (stopped || counter.drainSome(DRAIN_STEP_VISITS) === 0 || counter.roundLeft() === 0) {
          draining = false;
          return;
        }
        setImmediate(drainSteps);
      };
      // While visits go to the visit log, an open round is still tallied to its end (its visits
      // are not the visit log's), but no new one is opened.
      const roundDue = () => {
        if (counter.roundLeft() > 0) return true;
        if (logging || spreadOut(counter)) return false;
        const log = counter.logWaiting();
        return log.visits >= ROUND_VISITS || (log.visits > 0 && log.waitedMs >= ROUND_AFTER_MS);
      };
      let foldFailure: string | null = null;
      let visitsAfterStep = Number.NaN;
      const foldSteps = () => {
        if (stopped || databaseFile() !== null) {
          folding = false;
          return;
        }
        // Visits recorded since the last step ended: redirects are being answered.
        const busy = counter.pendingTotal() !== visitsAfterStep;
        try {
          const started = performance.now();
          const step = writeWithoutWaiting(db, () => store.visitLog.foldStep());
          foldFailure = null;
          if (step.unreadable > 0) {
            logger.error({ rows: step.unreadable }, 'unreadable visit log rows dropped');
          }
          visitsAfterStep = counter.pendingTotal();
          if (step.more) {
            const pause = foldPauseMs(performance.now() - started, busy);
            if (pause === 0) setImmediate(foldSteps);
            else setTimeout(foldSteps, pause).unref();
            return;
          }
        } catch (error) {
          // Nothing of the step was written; the next second tries again.
          const message = error instanceof Error ? error.message : String(error);
          if (message !== foldFailure) logger.warn({ err: error }, 'visit log fold postponed');
          foldFailure = message;
        }
        folding = false;
      };
      const timer = setInterval(() => {
        logging = spreadOut(counter);
        flushInSlices();
        if (folding || databaseFile() !== null) return;
        try {
          if (!shouldFold(store.visitLog.status(), Date.now(), logging)) return;
        } catch {
          return;
        }
        folding = true;
        setImmediate(foldSteps);
      }, VISIT_FLUSH_INTERVAL_MS);
      timer.unref();
      const drainTimer = setInterval(() => {
        if (draining || !roundDue()) return;
        draining = true;
        setImmediate(drainSteps);
      }, DRAIN_INTERVAL_MS);
      drainTimer.unref();
      return () => {
        stopped = true;
        clearInterval(timer);
        clearInterval(drainTimer);
      };
    },
    async finalFlush(counter) {
      return (
        flushVisits(counter, {
          wait: true,
          logged: spreadOut(counter),
        }) ?? 0
      );
    },
    async close() {
      db.close();
    },
  };
}
