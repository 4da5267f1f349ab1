import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.sqlite.js';
import { createNotFoundCounter } from '../../src/stats/not-found-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

/**
 * Requests for unknown codes, counted in memory per domain key and UTC day and written in one
 * transaction by the flush, on a real SQLite store; only time is injected.
 */

const DAY = Date.UTC(2026, 5, 15, 23, 59, 59);

function setUp() {
  const db = createTestDatabase();
  const visits = createVisitRepository(db);
  let now = DAY;
  const counter = createNotFoundCounter({ visits, now: () => now });
  return {
    db,
    visits,
    counter,
    setNow: (at: number) => {
      now = at;
    },
    stored: () => visits.notFoundCounts('2026-01-01', '2026-12-31'),
    rows: () => db.prepare('SELECT * FROM not_found_daily ORDER BY domain_key, day').all(),
  };
}

describe('the not-found counter', () => {
  it('counts per domain key and UTC day, and writes each count once', async () => {
    const { counter, setNow, rows } = setUp();
    expect(await counter.flush()).toBe(0);
    counter.count(0);
    counter.count(0);
    counter.count(4);
    setNow(DAY + 1000); // the next UTC day
    counter.count(0);
    expect(counter.pendingTotal()).toBe(4);
    expect(await counter.flush()).toBe(4);
    expect(counter.pendingTotal()).toBe(0);
    expect(await counter.flush()).toBe(0);
    counter.count(4);
    expect(await counter.flush()).toBe(1);
    // A domain key, a day and a count: nothing else is there to store.
    expect(rows()).toEqual([
      { domain_key: 0, day: '2026-06-15', count: 2 },
      { domain_key: 0, day: '2026-06-16', count: 1 },
      { domain_key: 4, day: '2026-06-15', count: 1 },
      { domain_key: 4, day: '2026-06-16', count: 1 },
    ]);
  });

  it('keeps the counts of a failed flush, with those counted since, for the next one', async () => {
    const { db, counter, stored } = setUp();
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON not_found_daily
             BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    counter.count(0);
    counter.count(7);
    await expect(counter.flush()).rejects.toThrow('refused');
    expect(counter.pendingTotal()).toBe(2);
    counter.count(7);
    db.exec('DROP TRIGGER refuse');
    expect(await counter.flush()).toBe(3);
    expect(await stored()).toEqual([
      { domainKey: 7, count: 2 },
      { domainKey: 0, count: 1 },
    ]);
  });

  it('writes all or nothing: a flush refused half way stores none of its counts', async () => {
    const { db, counter, stored } = setUp();
    db.exec(`CREATE TRIGGER refuse_seven BEFORE INSERT ON not_found_daily WHEN NEW.domain_key = 7
             BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    counter.count(0);
    counter.count(7);
    await expect(counter.flush()).rejects.toThrow('refused');
    expect(await stored()).toEqual([]);
    expect(counter.pendingTotal()).toBe(2);
  });

  it('never waits for another process’s lock on SQLite: the counts wait for the next flush', async () => {
    const file = path.join(createTempDir(), 'snip.sqlite3');
    const db = createTestDatabase(file);
    const visits = createVisitRepository(db);
    const counter = createNotFoundCounter({ visits, now: () => DAY });
    const other = openDatabase(file);
    other.exec('BEGIN IMMEDIATE');
    counter.count(0);
    const started = Date.now();
    await expect(counter.flush()).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(counter.pendingTotal()).toBe(1);
    other.exec('ROLLBACK');
    other.close();
    expect(await counter.flush()).toBe(1);
    expect(visits.notFoundCounts('2026-06-15', '2026-06-15')).toEqual([{ domainKey: 0, count: 1 }]);
    db.close();
  });

  it('lets one flush run at a time; the last one waits for it', async () => {
    const db = createTestDatabase();
    const visits = createVisitRepository(db);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A write that takes a while, as PostgreSQL's does.
    const counter = createNotFoundCounter({
      visits: {
        addNotFound: async (counts) => {
          await gate;
          visits.addNotFound(counts);
        },
      },
      now: () => DAY,
    });
    counter.count(1);
    const first = counter.flush();
    counter.count(1);
    expect(await counter.flush()).toBe(0);
    let idle = false;
    const waiting = counter.idle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    expect(idle).toBe(false);
    release();
    expect(await first).toBe(1);
    await waiting;
    expect(idle).toBe(true);
    expect(await counter.flush()).toBe(1);
    expect(visits.notFoundCounts('2026-06-15', '2026-06-15')).toEqual([{ domainKey: 1, count: 2 }]);
  });
});
