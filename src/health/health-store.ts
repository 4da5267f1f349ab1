import type { Awaitable } from '../db/awaitable.js';

/**
 * The storage contract of the health check, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface HealthStore {
  /** True when the database answers a trivial query. */
  ping(): Awaitable<boolean>;
}
