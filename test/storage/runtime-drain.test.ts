import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createVisitCounter } from '../../src/stats/visit-counter.js';
import { LOG_FROM_LINKS } from '../../src/stats/visit-log.sqlite.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';
import { VISIT_FLUSH_INTERVAL_MS } from '../../src/storage/runtime.js';
import {
  DRAIN_INTERVAL_MS,
  DRAIN_STEP_VISITS,
  openSqlite,
  ROUND_AFTER_MS,
  ROUND_VISITS,
} from '../../src/storage/runtime.sqlite.js';
import { insertLinks } from '../support/inserted-links.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

/**
 * The SQLite runtime tallies the facts of visits to a few links between requests, in rounds of
 * the whole log once it holds ROUND_VISITS visits or has waited ROUND_AFTER_MS, so its flush
 * finds nothing to tally; visits spread over more than LOG_FROM_LINKS links go to the visit log
 * at the next flush instead, and are not tallied first: tallies for every link of a burst over a
 * million links were tens of megabytes of objects held for that second (ADR 045).
 */

const KEYS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 3) });

/** A runtime on a migrated file with `links` links, flushing a new counter on fake timers. */
function flushingRuntime(links: number) {
  const dir = createTempDir();
  const file = path.join(dir, 'snip.sqlite3');
  const setup = createTestDatabase(file);
  const ids = insertLinks(setup, links, Date.now());
  setup.close();
  vi.useFakeTimers({
    toFake: ['setInterval', 'clearInterval', 'setImmediate', 'setTimeout', 'Date'],
  });
  const config = loadConfig({ DATABASE_URL: `sqlite:${file}` });
  const runtime = openSqlite(config, file, pino({ level: 'silent' }));
  const counter = createVisitCounter({ visits: runtime.store.visits, now: Date.now });
  const stop = runtime.startFlushing(counter);
  const logRows = () => {
    const reader = createTestDatabase(file);
    try {
      return (reader.prepare('SELECT count(*) AS n FROM visit_log').get() as { n: number }).n;
    } finally {
      reader.close();
    }
  };
  cleanups.push(async () => {
    stop();
    await runtime.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  /** A visit to each of the first `links` links, `times` times. */
  const visitEach = (times = 1, links = ids.length) => {
    for (let n = 0; n < times; n++) {
      ids.slice(0, links).forEach((id, i) =>
        counter.record(id, '', {
          visitor: KEYS.hashOf(`10.${n}.${i >> 8}.${i & 255}`, 'Mozilla/5.0'),
          country: 'DE',
          browser: 'firefox',
          os: 'linux',
          device: 'desktop',
          language: 'de',
        }),
      );
    }
  };
  return { counter, visitEach, logRows };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('the SQLite runtime between flushes', () => {
  it('writes the counts of LOG_FROM_LINKS links at the flush, and tallies their visits between requests once they have waited ROUND_AFTER_MS', () => {
    const { counter, visitEach, logRows } = flushingRuntime(LOG_FROM_LINKS);
    visitEach();
    expect(counter.loggedVisits()).toBe(LOG_FROM_LINKS);
    vi.advanceTimersByTime(VISIT_FLUSH_INTERVAL_MS + 100);
    expect(counter.pendingTotal()).toBe(0);
    expect(logRows()).toBe(0);
    // The flush leaves the visits' facts to the next round.
    expect(counter.loggedVisits()).toBe(LOG_FROM_LINKS);
    vi.advanceTimersByTime(ROUND_AFTER_MS - VISIT_FLUSH_INTERVAL_MS - 200);
    expect(counter.loggedVisits()).toBe(LOG_FROM_LINKS);
    vi.advanceTimersByTime(200);
    expect(counter.loggedVisits()).toBe(0);
    expect(logRows()).toBe(0);
  });

  it('opens a round as soon as the log holds ROUND_VISITS visits, and tallies it to its end in steps', () => {
    const links = 64;
    const { counter, visitEach } = flushingRuntime(links);
    visitEach(Math.ceil(ROUND_VISITS / links));
    const logged = counter.loggedVisits();
    expect(logged).toBeGreaterThanOrEqual(ROUND_VISITS);
    vi.advanceTimersByTime(DRAIN_INTERVAL_MS - 1);
    expect(counter.loggedVisits()).toBe(logged);
    // The drain's timer, then its first step: the round took the whole log and tallied a part.
    vi.advanceTimersToNextTimer();
    vi.advanceTimersToNextTimer();
    expect(counter.roundLeft()).toBeGreaterThan(0);
    expect(counter.roundLeft()).toBeLessThan(logged);
    expect(counter.logWaiting().visits).toBe(0);
    let steps = 1;
    for (; counter.roundLeft() > 0 && steps < 1000; steps++) vi.advanceTimersToNextTimer();
    expect(steps).toBe(Math.ceil(logged / DRAIN_STEP_VISITS));
    expect(counter.loggedVisits()).toBe(0);
  });

  it('tallies an open round to its end once visits are spread over more links, and opens no other', () => {
    const few = 64;
    const { counter, visitEach, logRows } = flushingRuntime(LOG_FROM_LINKS + 1);
    visitEach(Math.ceil(ROUND_VISITS / few), few);
    vi.advanceTimersByTime(DRAIN_INTERVAL_MS - 1);
    vi.advanceTimersToNextTimer();
    vi.advanceTimersToNextTimer();
    expect(counter.roundLeft()).toBeGreaterThan(0);
    // As many visits as make a round, over every link.
    const spread = Math.ceil(ROUND_VISITS / (LOG_FROM_LINKS + 1));
    visitEach(spread);
    for (let steps = 0; counter.roundLeft() > 0 && steps < 1000; steps++) {
      vi.advanceTimersToNextTimer();
    }
    expect(counter.roundLeft()).toBe(0);
    vi.advanceTimersByTime(DRAIN_INTERVAL_MS);
    expect(counter.roundLeft()).toBe(0);
    expect(counter.logWaiting().visits).toBe(spread * (LOG_FROM_LINKS + 1));
    vi.advanceTimersByTime(VISIT_FLUSH_INTERVAL_MS);
    expect(counter.loggedVisits()).toBe(0);
    expect(logRows()).toBeGreaterThan(0);
  });

  it('leaves the visits of more links untallied until the flush writes them to the visit log', () => {
    const { counter, visitEach, logRows } = flushingRuntime(LOG_FROM_LINKS + 1);
    visitEach();
    vi.advanceTimersByTime(VISIT_FLUSH_INTERVAL_MS - 100);
    expect(counter.loggedVisits()).toBe(LOG_FROM_LINKS + 1);
    vi.advanceTimersByTime(200);
    expect(counter.loggedVisits()).toBe(0);
    expect(counter.pendingTotal()).toBe(0);
    expect(logRows()).toBeGreaterThan(0);
  });
});
