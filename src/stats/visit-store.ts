import type { Awaitable } from '../db/awaitable.js';

/** Visits of one link gathered in memory since the last flush. */
export type VisitBatch = {
  urlId: number;
  count: number;
  lastVisit: number;
  byDay: Map<string, number>;
  /** Referring host → visits; '' for visits without a (usable) referrer. */
  byReferrer: Map<string, number>;
};

/** Referrer hosts kept per link; the rest are counted under OTHER_REFERRERS, so junk Referer headers cannot grow the table without bound. */
export const MAX_REFERRER_HOSTS = 100;
export const OTHER_REFERRERS = '(other)';

export type DailyCount = { day: string; count: number };
export type ReferrerCount = { host: string; count: number };

/**
 * The storage contract of visit counts and the statistics read from them, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface VisitStore {
  addVisits(batches: VisitBatch[]): Awaitable<void>;
  /** Visits per UTC day from `fromDay` (YYYY-MM-DD) on; days without visits are absent. */
  dailyCounts(urlId: number, fromDay: string): Awaitable<DailyCount[]>;
  topReferrers(urlId: number, limit: number): Awaitable<ReferrerCount[]>;
}
