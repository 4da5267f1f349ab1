import type { Awaitable } from '../db/awaitable.js';

/** What a visit is counted by besides its day (the statistics' dimensions). */
export const DIMENSIONS = ['country', 'browser', 'os', 'device', 'language', 'referrer'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * An encoded sketch of unique visitors (src/stats/visitor-sketch.ts), or null for none: it is
 * merged with what is stored, never written over, so several flushes and machines add up.
 */
export type EncodedVisitors = Uint8Array | null;
/** Merges two encoded sketches: the sketch of the union of their visitors. */
export type MergeVisitors = (stored: EncodedVisitors, added: EncodedVisitors) => EncodedVisitors;

/** One value of one dimension on one UTC day, gathered since the last flush. */
export type DimensionCount = {
  day: string;
  dimension: Dimension;
  value: string;
  count: number;
  visitors: EncodedVisitors;
};

/**
 * One visit's facts as a flush hands them over untallied (VisitBatch.visits): its UTC day, its
 * visitor's keyed hash (two unsigned 32-bit words) and its value of each dimension, in
 * DIMENSIONS' order.
 */
export type RawVisit = { day: string; hi: number; lo: number; values: readonly string[] };

/** Visits of one link gathered in memory since the last flush. */
export type VisitBatch = {
  urlId: number;
  count: number;
  lastVisit: number;
  byDay: Map<string, number>;
  /** Referring host → visits; '' for visits without a (usable) referrer. */
  byReferrer: Map<string, number>;
  /** The unique visitors of each day with visits, encoded; a day without an entry adds none. */
  dayVisitors?: Map<string, EncodedVisitors>;
  /** Visits by dimension value per day, in the order first seen. */
  dimensions?: DimensionCount[];
  /**
   * Visits with facts not tallied yet (sealRawVisits in visit-batches.ts tallies them): a flush
   * into a visit log hands them over so, and the log's fold tallies a link's visits of a whole
   * pass at once. Their counts, days and referring hosts are in the fields above already.
   */
  visits?: RawVisit[];
  /**
   * The link has a visit limit, which reads its written visits: they are never left in a visit
   * log to be folded later (logVisits writes them as addVisits does).
   */
  limited?: boolean;
};

/** A batch's days with their visits: those counted, and those whose sketch alone it carries (0). */
export function daysOf(batch: VisitBatch): Map<string, number> {
  if (batch.dayVisitors === undefined) return batch.byDay;
  const days = new Map(batch.byDay);
  for (const day of batch.dayVisitors.keys()) if (!days.has(day)) days.set(day, 0);
  return days;
}

/** Values kept per link, day and dimension; the rest are counted under OTHER_VALUES. */
export const MAX_DIMENSION_VALUES = 100;
export const OTHER_VALUES = '(other)';

/** A stored row of one dimension: a value's visits on a day, and their visitors' sketch. */
export type DimensionRow = { day: string; value: string; count: number; visitors: EncodedVisitors };
/** A stored day of one link: its visits and their visitors' sketch. */
export type DayRow = { day: string; count: number; visitors: EncodedVisitors };

/** Referrer hosts kept per link; the rest are counted under OTHER_REFERRERS, so junk Referer headers cannot grow the table without bound. */
export const MAX_REFERRER_HOSTS = 100;
export const OTHER_REFERRERS = '(other)';

export type DailyCount = { day: string; count: number };

/**
 * A key of the whole site's statistics (a day, or a dimension's value) over every link: its
 * visits, summed by the database, and sketches whose union is its unique visitors — one merged
 * sketch where the engine merges them itself (SQLite), each stored one where it cannot
 * (PostgreSQL). Rows without a sketch add none.
 */
export type SiteRow = { key: string; count: number; visitors: Uint8Array[] };
/** A link among the most visited of a range: its visits and its days' sketches, as SiteRow's. */
export type TopLinkRow = {
  urlId: number;
  code: string;
  domainId: number | null;
  count: number;
  visitors: Uint8Array[];
};
/** Requests for unknown codes on one domain key (link.ts) on one UTC day, never which codes. */
export type NotFoundCount = { domainKey: number; day: string; count: number };
export type ReferrerCount = { host: string; count: number };

/**
 * Links whose statistics are summed together: every link, the links on one domain (its domain
 * key, link.ts), or the links carrying one tag (its key, tags.ts), on one domain when it is given.
 */
export type VisitGroup =
  | { kind: 'all' }
  | { kind: 'domain'; domainKey: number }
  | { kind: 'tag'; tagKey: string; domainKey?: number };

/** Which statement of visit-sql.ts a group reads with, and its parameters. */
export function groupStatement(group: VisitGroup): {
  kind: 'all' | 'domain' | 'tag' | 'tagOnDomain';
  params: Record<string, string | number>;
} {
  if (group.kind === 'all') return { kind: 'all', params: {} };
  if (group.kind === 'domain') return { kind: 'domain', params: { domainKey: group.domainKey } };
  return group.domainKey === undefined
    ? { kind: 'tag', params: { tagKey: group.tagKey } }
    : { kind: 'tagOnDomain', params: { tagKey: group.tagKey, domainKey: group.domainKey } };
}
/** A group's visits of one value of a dimension on one day. */
export type GroupDimensionRow = { day: string; value: string; count: number };

/**
 * The storage contract of visit counts and the statistics read from them, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface VisitStore {
  /** Adds the batches to every count and statistic they touch, in one transaction. */
  addVisits(batches: VisitBatch[]): Awaitable<void>;
  /**
   * Stores the batches durably, as addVisits does, but may leave them in a log whose rows are
   * folded into the statistics later, in batches in key order (ADR 045): the periodic flush's
   * way when visits are spread over many links. Only an engine with a log has it (SQLite); it
   * takes each batch from `batches` when it writes it, all before it returns, so a flush makes
   * each batch just in time and nothing of it is left for the garbage collector's old space.
   */
  logVisits?(batches: Iterable<VisitBatch>): void;
  /**
   * Where there is a visit log (SQLite): its rows waiting to be folded into the statistics, and
   * when the oldest of them was logged (ms since the epoch; null when none wait), for /metrics.
   */
  logBacklog?(): { rows: number; oldest: number | null };
  /** Visits per UTC day from `fromDay` (YYYY-MM-DD) on; days without visits are absent. */
  dailyCounts(urlId: number, fromDay: string): Awaitable<DailyCount[]>;
  topReferrers(urlId: number, limit: number): Awaitable<ReferrerCount[]>;
  /** A link's days from `fromDay` to `toDay` (both included), in order, with their sketches. */
  dayRows(urlId: number, fromDay: string, toDay: string): Awaitable<DayRow[]>;
  /** A link's rows of one dimension from `fromDay` to `toDay` (both included), by day and value. */
  dimensionRows(
    urlId: number,
    dimension: Dimension,
    fromDay: string,
    toDay: string,
  ): Awaitable<DimensionRow[]>;
  /** Every link's visits per day from `fromDay` to `toDay` (both included), in day order. */
  siteDayRows(fromDay: string, toDay: string): Awaitable<SiteRow[]>;
  /** Every link's visits per value of one dimension from `fromDay` to `toDay`, in no set order. */
  siteDimensionRows(dimension: Dimension, fromDay: string, toDay: string): Awaitable<SiteRow[]>;
  /**
   * The `limit` links with the most visits from `fromDay` to `toDay`, most first (ties by id);
   * links without a visit in the range are not among them.
   */
  topLinkRows(fromDay: string, toDay: string, limit: number): Awaitable<TopLinkRow[]>;
  /** Adds requests for unknown codes per domain key and day, all in one transaction. */
  addNotFound(counts: NotFoundCount[]): Awaitable<void>;
  /** Requests for unknown codes per domain key from `fromDay` to `toDay`, most first (ties by key). */
  notFoundCounts(fromDay: string, toDay: string): Awaitable<{ domainKey: number; count: number }[]>;
  /** A group's visits per day from `fromDay` to `toDay` (both included), in day order. */
  groupDayRows(group: VisitGroup, fromDay: string, toDay: string): Awaitable<DailyCount[]>;
  /**
   * A group's visits per day and value of one dimension from `fromDay` to `toDay` (both
   * included), by day and then value byte by byte.
   */
  groupDimensionRows(
    group: VisitGroup,
    dimension: Dimension,
    fromDay: string,
    toDay: string,
  ): Awaitable<GroupDimensionRow[]>;
  /**
   * Requests for unknown codes per day from `fromDay` to `toDay` (both included), in day order,
   * on one domain key or, when it is null, on every domain.
   */
  notFoundDays(domainKey: number | null, fromDay: string, toDay: string): Awaitable<DailyCount[]>;
}
