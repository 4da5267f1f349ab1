import { utcDay } from './visit-counter.js';
import type { NotFoundCount, VisitStore } from './visit-store.js';

/**
 * Requests for unknown codes, counted in memory per domain key (link.ts) and UTC day, and written
 * with the visits' flush once a second. Nothing else about a request is kept: not the code asked
 * for, not the address, not the User-Agent. Every such request counts, a bot's as much as a
 * person's: probing for codes is what the count is there to show. A domain key and a day are
 * all a count is kept under, so the counts in memory stay as few as the domains.
 */
export type NotFoundCounter = {
  /** One request for an unknown code on the domain with this key, now. */
  count(domainKey: number): void;
  /**
   * Writes what was counted since the last flush in one transaction, and resolves with the
   * requests written. On failure the counts stay for the next flush and the error is thrown.
   * While a flush runs, another one writes nothing.
   */
  flush(): Promise<number>;
  /** Requests counted and not yet written. */
  pendingTotal(): number;
  /** Resolves once no flush runs: the last flush, at shutdown, waits for one under way. */
  idle(): Promise<void>;
};

export function createNotFoundCounter(deps: {
  visits: Pick<VisitStore, 'addNotFound'>;
  now: () => number;
  /** Runs the store's write (SQLite's write gate); the write itself without it. */
  write?: <T>(write: () => T) => T;
}): NotFoundCounter {
  const write = deps.write ?? ((run) => run());
  let pending = new Map<string, NotFoundCount>();
  let flushing: Promise<unknown> | null = null;

  function add(into: Map<string, NotFoundCount>, domainKey: number, day: string, by: number) {
    const key = `${domainKey} ${day}`;
    const known = into.get(key);
    if (known) known.count += by;
    else into.set(key, { domainKey, day, count: by });
  }

  const total = (counts: Iterable<NotFoundCount>) => {
    let sum = 0;
    for (const entry of counts) sum += entry.count;
    return sum;
  };

  async function writeCounts(counts: NotFoundCount[]): Promise<number> {
    try {
      await write(() => deps.visits.addNotFound(counts));
      return total(counts);
    } catch (error) {
      // Those counted since are added to those that could not be written.
      for (const entry of counts) add(pending, entry.domainKey, entry.day, entry.count);
      throw error;
    }
  }

  return {
    count(domainKey) {
      add(pending, domainKey, utcDay(deps.now()), 1);
    },
    async flush() {
      if (flushing !== null || pending.size === 0) return 0;
      const batch = pending;
      pending = new Map();
      const counts = [...batch.values()];
      const written = writeCounts(counts);
      flushing = written;
      // Registered first, so the flush is over before its caller goes on.
      const done = () => {
        flushing = null;
      };
      written.then(done, done);
      return written;
    },
    async idle() {
      await flushing?.catch(() => {});
    },
    pendingTotal() {
      return total(pending.values());
    },
  };
}
