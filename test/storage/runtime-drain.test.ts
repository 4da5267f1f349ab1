import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createVisitCounter } from '../../src/stats/visit-counter.js';
import { LOG_FROM_LINKS } from '../../src/stats/visit-log.sqlite.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';
import { VISIT_FLUSH_INTERVAL_MS } from '../../src/storage/runtime.js';
import { openSqlite } from '../../src/storage/runtime.sqlite.js';
import { insertLinks } from '../support/inserted-links.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

/**
 * The SQLite runtime tallies the facts of visits to a few links between requests, so its flush
 * finds little left to do; visits spread over more than LOG_FROM_LINKS links go to the visit log
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
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setImmediate', 'setTimeout'] });
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
  const visitEach = () =>
    ids.forEach((id, i) =>
      counter.record(id, '', {
        visitor: KEYS.hashOf(`10.1.${i >> 8}.${i & 255}`, 'Mozilla/5.0'),
        country: 'DE',
        browser: 'firefox',
        os: 'linux',
        device: 'desktop',
        language: 'de',
      }),
    );
  return { counter, visitEach, logRows };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('the SQLite runtime between flushes', () => {
  it('tallies the visits of LOG_FROM_LINKS links between requests, before the flush', () => {
    const { counter, visitEach, logRows } = flushingRuntime(LOG_FROM_LINKS);
    visitEach();
    expect(counter.loggedVisits()).toBe(LOG_FROM_LINKS);
    vi.advanceTimersByTime(VISIT_FLUSH_INTERVAL_MS - 100);
    expect(counter.loggedVisits()).toBe(0);
    vi.advanceTimersByTime(200);
    expect(counter.pendingTotal()).toBe(0);
    expect(logRows()).toBe(0);
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
