import type { Awaitable } from '../db/awaitable.js';
import type { VisitBatch, VisitStore } from './visit-store.js';

export type VisitCounter = ReturnType<typeof createVisitCounter>;

const DAY_MS = 86_400_000;

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
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
  let pending = new Map<number, VisitBatch>();
  let pendingTotal = 0;
  let inFlight: { batches: Map<number, VisitBatch>; done: Promise<unknown> } | null = null;
  // The day's name is computed once per UTC day, not once per visit.
  let dayStart = Number.NEGATIVE_INFINITY;
  let dayName = '';

  function merge(into: Map<number, VisitBatch>, batch: VisitBatch): void {
    const existing = into.get(batch.urlId);
    if (!existing) {
      into.set(batch.urlId, batch);
      return;
    }
    existing.count += batch.count;
    existing.lastVisit = Math.max(existing.lastVisit, batch.lastVisit);
    for (const [day, n] of batch.byDay) increment(existing.byDay, day, n);
    for (const [host, n] of batch.byReferrer) increment(existing.byReferrer, host, n);
  }

  return {
    record(urlId: number, referrerHost: string): void {
      const now = deps.now();
      if (now < dayStart || now >= dayStart + DAY_MS) {
        dayStart = now - (now % DAY_MS);
        dayName = utcDay(now);
      }
      let batch = pending.get(urlId);
      if (!batch) {
        batch = { urlId, count: 0, lastVisit: now, byDay: new Map(), byReferrer: new Map() };
        pending.set(urlId, batch);
      }
      batch.count += 1;
      batch.lastVisit = Math.max(batch.lastVisit, now);
      increment(batch.byDay, dayName);
      increment(batch.byReferrer, referrerHost);
      pendingTotal += 1;
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
      let batches: VisitBatch[];
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
        written = deps.visits.addVisits(batches);
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
