import type { Awaitable } from '../db/awaitable.js';
import {
  DIMENSIONS,
  type Dimension,
  type DimensionCount,
  type VisitBatch,
  type VisitStore,
} from './visit-store.js';
import {
  addToSketch,
  encodeSketch,
  mergeSketches,
  newSketch,
  type Sketch,
  type VisitorHash,
} from './visitor-sketch.js';

export type VisitCounter = ReturnType<typeof createVisitCounter>;

const DAY_MS = 86_400_000;

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * What one visit says, worked out in memory for it and then dropped: its visitor's keyed hash
 * (visitor-key.ts) and its value of each dimension but the referrer, which `record` takes as a
 * host. A visit with `DNT: 1` or `Sec-GPC: 1` has none (null): it counts toward the total, the
 * day and the visit limit, and nothing else is derived from it.
 */
export type VisitFacts = { visitor: VisitorHash } & Record<Exclude<Dimension, 'referrer'>, string>;

/** The referrer dimension's value of a visit without a (usable) referrer. */
export const DIRECT = 'direct';

/** One value's visits and visitors, gathered in memory. */
type Tally = { count: number; visitors: Sketch };
/** One day of a link: its visitors, and per dimension, value → tally (fixed names: a visit touches each). */
type DayTally = { visitors: Sketch } & Record<Dimension, Map<string, Tally>>;

function newDayTally(): DayTally {
  return {
    visitors: newSketch(),
    country: new Map(),
    browser: new Map(),
    os: new Map(),
    device: new Map(),
    language: new Map(),
    referrer: new Map(),
  };
}

/**
 * The visits of one link since the last flush, with the sketches still open. `today` is the day
 * tally of `todayName`, kept at hand since nearly every visit falls on it.
 */
type Pending = VisitBatch & {
  days: Map<string, DayTally>;
  todayName: string;
  today: DayTally | null;
};

function newPending(urlId: number, now: number): Pending {
  return {
    urlId,
    count: 0,
    lastVisit: now,
    byDay: new Map(),
    byReferrer: new Map(),
    days: new Map(),
    todayName: '',
    today: null,
  };
}

function tally(table: Map<string, Tally>, value: string, visitor: VisitorHash): void {
  let entry = table.get(value);
  if (entry === undefined) {
    entry = { count: 0, visitors: newSketch() };
    table.set(value, entry);
  }
  entry.count += 1;
  addToSketch(entry.visitors, visitor);
}

/** A pending batch as the store takes it: each sketch encoded once, at the flush. */
function sealed(batch: Pending): VisitBatch {
  const dimensions: DimensionCount[] = [];
  const dayVisitors = new Map<string, Uint8Array>();
  for (const [day, tallies] of batch.days) {
    dayVisitors.set(day, encodeSketch(tallies.visitors));
    for (const dimension of DIMENSIONS) {
      for (const [value, entry] of tallies[dimension]) {
        const visitors = encodeSketch(entry.visitors);
        dimensions.push({ day, dimension, value, count: entry.count, visitors });
      }
    }
  }
  const { urlId, count, lastVisit, byDay, byReferrer } = batch;
  return { urlId, count, lastVisit, byDay, byReferrer, dayVisitors, dimensions };
}

/** Adds `from`'s tallies into `into`'s, merging the sketches of the values both have. */
function mergeDay(into: DayTally, from: DayTally): void {
  into.visitors = mergeSketches(into.visitors, from.visitors);
  for (const dimension of DIMENSIONS) {
    for (const [value, entry] of from[dimension]) {
      const kept = into[dimension].get(value);
      if (!kept) into[dimension].set(value, entry);
      else {
        kept.count += entry.count;
        kept.visitors = mergeSketches(kept.visitors, entry.visitors);
      }
    }
  }
}

/**
 * Counts visits in memory and writes them in one transaction per flush, so a redirect never
 * waits for a disk write. The server flushes every second and on shutdown; a hard crash loses at
 * most the counts of the last second, never a link.
 *
 * On SQLite a flush is done when `flush` returns. On PostgreSQL it is done later: until then its
 * batches are "in flight" — still counted for each link's visit limit — and a flush asked for
 * meanwhile writes nothing (it returns 0), so one machine's flushes never overtake each other.
 */
export function createVisitCounter(deps: { visits: VisitStore; now: () => number }) {
  let pending = new Map<number, Pending>();
  let pendingTotal = 0;
  let inFlight: { batches: Map<number, Pending>; done: Promise<unknown> } | null = null;
  // The day's name is computed once per UTC day, not once per visit.
  let dayStart = Number.NEGATIVE_INFINITY;
  let dayName = '';
  // A visit's facts wait here until the next flush tallies them (drain): the redirect only
  // appends, and the sketches are worked in one loop. Each visit is its day tally, its
  // visitor's hash, and its six values in DIMENSIONS' order.
  let logTallies: DayTally[] = [];
  let logHashes: VisitorHash[] = [];
  let logValues: string[] = [];

  /** Tallies every logged visit into its day: before a flush looks at the tallies. */
  function drain(): void {
    const tallies = logTallies;
    const hashes = logHashes;
    const values = logValues;
    logTallies = [];
    logHashes = [];
    logValues = [];
    for (let i = 0; i < tallies.length; i++) {
      const today = tallies[i]!;
      const visitor = hashes[i]!;
      const at = i * 6;
      addToSketch(today.visitors, visitor);
      tally(today.country, values[at]!, visitor);
      tally(today.browser, values[at + 1]!, visitor);
      tally(today.os, values[at + 2]!, visitor);
      tally(today.device, values[at + 3]!, visitor);
      tally(today.language, values[at + 4]!, visitor);
      tally(today.referrer, values[at + 5]!, visitor);
    }
  }

  function merge(into: Map<number, Pending>, batch: Pending): void {
    const existing = into.get(batch.urlId);
    if (!existing) {
      into.set(batch.urlId, batch);
      return;
    }
    existing.count += batch.count;
    existing.lastVisit = Math.max(existing.lastVisit, batch.lastVisit);
    for (const [day, n] of batch.byDay) increment(existing.byDay, day, n);
    for (const [host, n] of batch.byReferrer) increment(existing.byReferrer, host, n);
    for (const [day, tallies] of batch.days) {
      const kept = existing.days.get(day);
      if (kept) mergeDay(kept, tallies);
      else existing.days.set(day, tallies);
    }
  }

  return {
    /**
     * Counts a visit of a link: its day always; its referring host ('' for none) unless the visit
     * asked not to be tracked (`facts` null: DNT or GPC); and, with its facts, its visitor and
     * every dimension's value, each into a sketch of that day's unique visitors.
     */
    record(urlId: number, referrerHost: string, facts?: VisitFacts | null): void {
      const now = deps.now();
      if (now < dayStart || now >= dayStart + DAY_MS) {
        dayStart = now - (now % DAY_MS);
        dayName = utcDay(now);
      }
      let batch = pending.get(urlId);
      if (!batch) {
        batch = newPending(urlId, now);
        pending.set(urlId, batch);
      }
      batch.count += 1;
      batch.lastVisit = Math.max(batch.lastVisit, now);
      increment(batch.byDay, dayName);
      pendingTotal += 1;
      if (facts === null) return;
      increment(batch.byReferrer, referrerHost);
      if (facts === undefined) return;
      let today = batch.today;
      if (today === null || batch.todayName !== dayName) {
        today = batch.days.get(dayName) ?? newDayTally();
        batch.days.set(dayName, today);
        batch.today = today;
        batch.todayName = dayName;
      }
      logTallies.push(today);
      logHashes.push(facts.visitor);
      logValues.push(
        facts.country,
        facts.browser,
        facts.os,
        facts.device,
        facts.language,
        referrerHost === '' ? DIRECT : referrerHost,
      );
    },

    /** Visits recorded for this link and not yet written. */
    pendingFor(urlId: number): number {
      return (pending.get(urlId)?.count ?? 0) + (inFlight?.batches.get(urlId)?.count ?? 0);
    },

    /** Settles when no flush is in flight (at once on SQLite). */
    async idle(): Promise<void> {
      while (inFlight !== null) await inFlight.done.catch(() => {});
    },

    pendingTotal(): number {
      return pendingTotal;
    },

    /** Links with visits not yet written. */
    pendingLinks(): number {
      return pending.size;
    },

    /**
     * Writes what is pending — the visits of at most `maxLinks` links, those recorded first —
     * and returns how many visits it handed to the database (visits of links deleted meanwhile
     * are dropped there). If the write fails (database busy or full), the counts go back into
     * memory for the next flush.
     */
    flush(maxLinks = Number.POSITIVE_INFINITY): Awaitable<number> {
      if (pending.size === 0 || inFlight !== null) return 0;
      drain();
      let batches: Pending[];
      if (pending.size <= maxLinks) {
        batches = [...pending.values()];
        pending = new Map();
      } else {
        batches = [];
        for (const [urlId, batch] of pending) {
          if (batches.length === maxLinks) break;
          batches.push(batch);
          pending.delete(urlId);
        }
      }
      let total = 0;
      for (const batch of batches) total += batch.count;
      pendingTotal -= total;
      const restore = (error: unknown): never => {
        for (const batch of batches) merge(pending, batch);
        pendingTotal += total;
        throw error;
      };
      let written;
      try {
        written = deps.visits.addVisits(batches.map(sealed));
      } catch (error) {
        return restore(error);
      }
      if (!(written instanceof Promise)) return total;
      const done = written.then(
        () => {
          inFlight = null;
          return total;
        },
        (error: unknown) => {
          inFlight = null;
          return restore(error);
        },
      );
      inFlight = { batches: new Map(batches.map((batch) => [batch.urlId, batch])), done };
      return done;
    },
  };
}
