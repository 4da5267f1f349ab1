import type { Logger } from 'pino';
import type { LimiterFactory } from '../http/rate-limits.js';
import type { VisitCounter } from '../stats/visit-counter.js';
import type { Store } from './store.js';

/** PRODUCT §4: visit counts reach the database at least once a second. */
export const VISIT_FLUSH_INTERVAL_MS = 1000;

/** A reason not to start that the operator can fix, said in one line without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The server's database, opened and checked: its store, and how visits reach it. */
export type DatabaseRuntime = {
  store: Store;
  /**
   * The rate limits' counters, handed to the HTTP layer: in memory on one machine, in a table
   * every machine on the database shares on PostgreSQL.
   */
  limiter: LimiterFactory;
  /** Where the data is, for the start log: a file, or a URL without its password. */
  location: string;
  /** Flushes the visit counts every VISIT_FLUSH_INTERVAL_MS; returns what stops it. */
  startFlushing(counter: VisitCounter): () => void;
  /** The last flush, at shutdown: it may wait. Resolves with the visits written. */
  finalFlush(counter: VisitCounter): Promise<number>;
  close(): Promise<void>;
};

/** A failed flush: its counts stay in memory and go out with the next one. */
export function flushFailed(logger: Logger, counter: VisitCounter, error: unknown): null {
  logger.warn({ err: error, pending: counter.pendingTotal() }, 'visit flush failed');
  return null;
}
