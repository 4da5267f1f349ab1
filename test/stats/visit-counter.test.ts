import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { createLinkRepository, type LinkRepository } from '../../src/links/link-store.sqlite.js';
import { createVisitCounter, utcDay } from '../../src/stats/visit-counter.js';
import { createVisitRepository, type VisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  type VisitBatch,
} from '../../src/stats/visit-store.js';
import { createTestDatabase } from '../support/test-app.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

/** 2026-06-15 12:00 UTC. */
const START = Date.UTC(2026, 5, 15, 12);

let db: Db;
let links: LinkRepository;
let visits: VisitRepository;
/** The fake clock: tests move it by assigning. */
let clock: number;
let tokenSeed: number;

beforeEach(() => {
  db = createTestDatabase();
  links = createLinkRepository(db);
  visits = createVisitRepository(db);
  clock = START;
  tokenSeed = 0;
});

function newCounter(repository: VisitRepository = visits) {
  return createVisitCounter({ visits: repository, now: () => clock });
}

function addLink(code: string): number {
  tokenSeed += 1;
  const result = links.insertLink(
    {
      code,
      target: `https://example.com/${code}`,
      manageTokenHash: Buffer.alloc(32, tokenSeed),
      ...DEFAULT_OPTIONS,
    },
    clock,
  );
  if (!result.ok) throw new Error(`could not insert ${code}`);
  return result.link.id;
}

function linkRow(id: number): { visits: number; last_visit: number | null } {
  const row = db
    .prepare<[number], { visits: number; last_visit: number | null }>(
      'SELECT visits, last_visit FROM urls WHERE id = ?',
    )
    .get(id);
  if (!row) throw new Error(`no link ${id}`);
  return row;
}

function dailyRows(id: number): { day: string; count: number }[] {
  return db
    .prepare<[number], { day: string; count: number }>(
      'SELECT day, count FROM visits_daily WHERE url_id = ? ORDER BY day',
    )
    .all(id);
}

function referrerRows(id: number): Record<string, number> {
  const rows = db
    .prepare<[number], { host: string; count: number }>(
      'SELECT host, count FROM visits_referrers WHERE url_id = ?',
    )
    .all(id);
  return Object.fromEntries(rows.map((row) => [row.host, row.count]));
}

function tableCount(table: 'visits_daily' | 'visits_referrers'): number {
  return db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n;
}

function totalVisitsStored(): number {
  return db.prepare<[], { n: number }>('SELECT COALESCE(SUM(visits), 0) AS n FROM urls').get()!.n;
}

describe('createVisitCounter', () => {
  it('when visits to two links are flushed, then totals, last visits, days and referrers are stored', () => {
    const a = addLink('alpha');
    const b = addLink('beta');
    const counter = newCounter();

    counter.record(a, 'news.example.com');
    counter.record(a, '');
    clock += 60_000;
    counter.record(a, 'news.example.com');
    counter.record(b, 'forum.example.net');
    clock += 1_000;
    counter.record(a, 'mail.example.org');

    expect(counter.flush()).toBe(5);
    expect(counter.pendingTotal()).toBe(0);
    expect(linkRow(a)).toEqual({ visits: 4, last_visit: START + 61_000 });
    expect(linkRow(b)).toEqual({ visits: 1, last_visit: START + 60_000 });
    expect(dailyRows(a)).toEqual([{ day: '2026-06-15', count: 4 }]);
    expect(dailyRows(b)).toEqual([{ day: '2026-06-15', count: 1 }]);
    expect(referrerRows(a)).toEqual({ 'news.example.com': 2, '': 1, 'mail.example.org': 1 });
    expect(referrerRows(b)).toEqual({ 'forum.example.net': 1 });
  });

  it('when visits cross UTC midnight, then they are counted on both days', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    clock = Date.UTC(2026, 5, 16) - 1;
    counter.record(a, '');
    counter.record(a, '');
    clock += 1;
    counter.record(a, '');
    counter.record(a, '');
    counter.record(a, '');

    expect(counter.flush()).toBe(5);
    expect(dailyRows(a)).toEqual([
      { day: '2026-06-15', count: 2 },
      { day: '2026-06-16', count: 3 },
    ]);
    expect(linkRow(a)).toEqual({ visits: 5, last_visit: Date.UTC(2026, 5, 16) });
  });

  it('when the clock steps back to the previous day, then the visit is counted on that day', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    clock = Date.UTC(2026, 5, 16, 8);
    counter.record(a, '');
    clock = Date.UTC(2026, 5, 15, 23);
    counter.record(a, '');
    counter.flush();
    expect(dailyRows(a)).toEqual([
      { day: '2026-06-15', count: 1 },
      { day: '2026-06-16', count: 1 },
    ]);
    expect(linkRow(a).last_visit).toBe(Date.UTC(2026, 5, 16, 8));
  });

  it('when visits are pending, then pendingFor counts them per link until the flush', () => {
    const a = addLink('alpha');
    const b = addLink('beta');
    const counter = newCounter();
    for (let i = 0; i < 3; i++) counter.record(a, '');
    counter.record(b, 'x.example');

    expect(counter.pendingFor(a)).toBe(3);
    expect(counter.pendingFor(b)).toBe(1);
    expect(counter.pendingFor(9999)).toBe(0);
    expect(counter.pendingTotal()).toBe(4);
    expect(linkRow(a).visits).toBe(0);

    expect(counter.flush()).toBe(4);
    expect(counter.pendingFor(a)).toBe(0);
    expect(counter.pendingFor(b)).toBe(0);
    expect(counter.pendingTotal()).toBe(0);
    expect(linkRow(a).visits).toBe(3);
  });

  it('when nothing was recorded, then a flush returns 0 and does not touch the database', () => {
    addLink('alpha');
    const calls: VisitBatch[][] = [];
    const counter = newCounter({
      ...visits,
      addVisits(batches) {
        calls.push(batches);
        visits.addVisits(batches);
      },
    });
    const changesBefore = db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()!.n;

    expect(counter.flush()).toBe(0);
    expect(calls).toEqual([]);
    expect(db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()!.n).toBe(
      changesBefore,
    );
    expect(tableCount('visits_daily')).toBe(0);
    expect(totalVisitsStored()).toBe(0);
  });

  it('when two flushes run back to back, then the second writes nothing more', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    counter.record(a, 'x.example');
    counter.record(a, 'x.example');
    expect(counter.flush()).toBe(2);
    expect(counter.flush()).toBe(0);
    expect(linkRow(a).visits).toBe(2);
    expect(dailyRows(a)).toEqual([{ day: '2026-06-15', count: 2 }]);
    expect(referrerRows(a)).toEqual({ 'x.example': 2 });
  });

  it('when a flush is limited to some links, then it writes those recorded first and keeps the rest for the next', () => {
    const [a, b, c] = [addLink('alpha'), addLink('beta'), addLink('gamma')];
    const counter = newCounter();
    counter.record(a, '');
    counter.record(b, '');
    counter.record(b, '');
    counter.record(c, '');
    counter.record(a, '');
    expect(counter.pendingLinks()).toBe(3);

    expect(counter.flush(2)).toBe(4);
    expect([linkRow(a).visits, linkRow(b).visits, linkRow(c).visits]).toEqual([2, 2, 0]);
    expect(counter.pendingLinks()).toBe(1);
    expect(counter.pendingTotal()).toBe(1);
    expect(counter.pendingFor(c)).toBe(1);

    expect(counter.flush(2)).toBe(1);
    expect(counter.pendingTotal()).toBe(0);
    expect(totalVisitsStored()).toBe(5);
  });

  it('when a limited flush fails, then the links it took are kept with the others', () => {
    const [a, b] = [addLink('alpha'), addLink('beta')];
    const failing: VisitRepository = {
      ...visits,
      addVisits() {
        throw new Error('SQLITE_FULL: database or disk is full');
      },
    };
    const counter = newCounter(failing);
    counter.record(a, '');
    counter.record(b, '');
    counter.record(b, '');
    expect(() => counter.flush(1)).toThrow('disk is full');
    expect([counter.pendingLinks(), counter.pendingTotal()]).toEqual([2, 3]);
    expect([counter.pendingFor(a), counter.pendingFor(b)]).toEqual([1, 2]);
  });

  it('when a flush fails once, then every count is kept and the next flush writes each visit exactly once', () => {
    const a = addLink('alpha');
    const b = addLink('beta');
    let failuresLeft = 1;
    const flaky: VisitRepository = {
      ...visits,
      addVisits(batches) {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('SQLITE_BUSY: database is locked');
        }
        visits.addVisits(batches);
      },
    };
    const counter = newCounter(flaky);
    counter.record(a, 'news.example.com');
    counter.record(a, 'news.example.com');
    counter.record(a, '');
    counter.record(b, '');
    counter.record(b, 'forum.example.net');

    expect(() => counter.flush()).toThrow('database is locked');
    expect(counter.pendingTotal()).toBe(5);
    expect(counter.pendingFor(a)).toBe(3);
    expect(counter.pendingFor(b)).toBe(2);
    expect(totalVisitsStored()).toBe(0);

    // Visits keep arriving while the database is unavailable, some of them the next day.
    clock = Date.UTC(2026, 5, 16, 0, 0, 5);
    counter.record(a, 'news.example.com');
    expect(counter.pendingFor(a)).toBe(4);

    expect(counter.flush()).toBe(6);
    expect(counter.pendingTotal()).toBe(0);
    expect(linkRow(a)).toEqual({ visits: 4, last_visit: Date.UTC(2026, 5, 16, 0, 0, 5) });
    expect(linkRow(b)).toEqual({ visits: 2, last_visit: START });
    expect(dailyRows(a)).toEqual([
      { day: '2026-06-15', count: 3 },
      { day: '2026-06-16', count: 1 },
    ]);
    expect(referrerRows(a)).toEqual({ 'news.example.com': 3, '': 1 });
    expect(referrerRows(b)).toEqual({ '': 1, 'forum.example.net': 1 });

    expect(counter.flush()).toBe(0);
    expect(totalVisitsStored()).toBe(6);
  });

  it('when a link is deleted before the flush, then its visits are dropped and the others are written', () => {
    const a = addLink('alpha');
    const b = addLink('beta');
    const counter = newCounter();
    counter.record(a, 'news.example.com');
    counter.record(a, '');
    counter.record(b, '');
    links.deleteLink(a, clock);

    counter.flush();
    expect(counter.pendingTotal()).toBe(0);
    expect(linkRow(a)).toEqual({ visits: 0, last_visit: null });
    expect(dailyRows(a)).toEqual([]);
    expect(referrerRows(a)).toEqual({});
    expect(linkRow(b).visits).toBe(1);
    expect(dailyRows(b)).toEqual([{ day: '2026-06-15', count: 1 }]);
  });

  it('when a link is deleted between flushes, then its earlier statistics are gone and later visits are not stored', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    counter.record(a, 'news.example.com');
    counter.flush();
    expect(dailyRows(a)).toHaveLength(1);

    links.deleteLink(a, clock);
    counter.record(a, 'news.example.com');
    counter.flush();
    expect(dailyRows(a)).toEqual([]);
    expect(referrerRows(a)).toEqual({});
  });

  /*
   * One transaction per flush. Counting BEGINs would only re-read how addVisits is written; what
   * matters is the behaviour a single transaction guarantees: a flush is all or nothing. A trigger
   * (test-only, added to this test database) makes the UPDATE of the sixth of ten links fail with
   * a constraint error. Had each link, or each statement, been written in its own transaction, the
   * five links before it would keep their counts; with one transaction nothing at all is written.
   * Then the trigger is dropped and the next flush must write every visit exactly once.
   */
  it('when one link in the middle of a flush fails, then no link gets partial counts and the retry writes all once', () => {
    const ids = Array.from({ length: 10 }, (_, i) => addLink(`link-${i}`));
    const failing = ids[5]!;
    const counter = newCounter();
    clock = Date.UTC(2026, 5, 15, 23, 59, 59);
    for (const [i, id] of ids.entries()) {
      for (let n = 0; n <= i; n++) counter.record(id, `site-${n}.example`);
    }
    clock = Date.UTC(2026, 5, 16, 0, 0, 1);
    for (const id of ids) counter.record(id, '');
    const expectedTotal = 55 + 10;
    expect(counter.pendingTotal()).toBe(expectedTotal);

    db.exec(`CREATE TRIGGER fail_flush BEFORE UPDATE OF visits ON urls WHEN NEW.id = ${failing}
             BEGIN SELECT RAISE(ABORT, 'forced flush failure'); END`);
    expect(() => counter.flush()).toThrow('forced flush failure');

    expect(totalVisitsStored()).toBe(0);
    expect(tableCount('visits_daily')).toBe(0);
    expect(tableCount('visits_referrers')).toBe(0);
    expect(db.prepare('SELECT last_visit FROM urls WHERE last_visit IS NOT NULL').all()).toEqual(
      [],
    );
    expect(db.inTransaction).toBe(false);
    expect(counter.pendingTotal()).toBe(expectedTotal);

    db.exec('DROP TRIGGER fail_flush');
    expect(counter.flush()).toBe(expectedTotal);
    expect(totalVisitsStored()).toBe(expectedTotal);
    for (const [i, id] of ids.entries()) {
      expect(linkRow(id)).toEqual({ visits: i + 2, last_visit: Date.UTC(2026, 5, 16, 0, 0, 1) });
      expect(dailyRows(id)).toEqual([
        { day: '2026-06-15', count: i + 1 },
        { day: '2026-06-16', count: 1 },
      ]);
      expect(Object.keys(referrerRows(id))).toHaveLength(i + 2);
    }
  });
});

describe('utcDay', () => {
  it.each([
    [Date.UTC(2026, 5, 15), '2026-06-15'],
    [Date.UTC(2026, 5, 16) - 1, '2026-06-15'],
    [Date.UTC(2027, 0, 1) - 1, '2026-12-31'],
    [Date.UTC(2028, 1, 29, 12), '2028-02-29'],
  ])('when the time is %i, then the UTC day is %s', (time, day) => {
    expect(utcDay(time)).toBe(day);
  });
});

describe('createVisitRepository: referrer cap', () => {
  const hosts = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => `site-${String(from + i).padStart(3, '0')}.example`);

  it(`when a link has more than ${MAX_REFERRER_HOSTS} referring hosts, then the first ${MAX_REFERRER_HOSTS} are kept and the rest are counted as "${OTHER_REFERRERS}"`, () => {
    expect(MAX_REFERRER_HOSTS).toBe(100);
    const a = addLink('alpha');
    const counter = newCounter();
    for (const host of hosts(105)) counter.record(a, host);
    counter.record(a, 'site-000.example');
    counter.flush();

    const rows = referrerRows(a);
    expect(Object.keys(rows)).toHaveLength(101);
    expect(rows['site-000.example']).toBe(2);
    expect(rows['site-099.example']).toBe(1);
    expect(rows['site-100.example']).toBeUndefined();
    expect(rows[OTHER_REFERRERS]).toBe(5);
    expect(linkRow(a).visits).toBe(106);
  });

  it('when the cap was reached in an earlier flush, then known hosts still grow and new ones go to the overflow', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    for (const host of hosts(100)) counter.record(a, host);
    counter.flush();
    expect(referrerRows(a)[OTHER_REFERRERS]).toBeUndefined();

    counter.record(a, 'site-042.example');
    counter.record(a, 'late.example');
    counter.record(a, 'later.example');
    counter.flush();
    const rows = referrerRows(a);
    expect(Object.keys(rows)).toHaveLength(101);
    expect(rows['site-042.example']).toBe(2);
    expect(rows['late.example']).toBeUndefined();
    expect(rows[OTHER_REFERRERS]).toBe(2);
  });

  it('when one link is at the cap, then another link still keeps its own hosts', () => {
    const a = addLink('alpha');
    const b = addLink('beta');
    const counter = newCounter();
    for (const host of hosts(120)) counter.record(a, host);
    counter.record(b, 'site-119.example');
    counter.flush();
    expect(referrerRows(b)).toEqual({ 'site-119.example': 1 });
  });

  // Direct visits ('') are one fixed key that cannot grow the table, so the cap never applies to
  // them: a link with 100 referring hosts still shows its "Direct" row.
  it('when direct visits arrive after the cap is reached, then they are still counted as direct', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    for (const host of hosts(100)) counter.record(a, host);
    counter.flush();

    counter.record(a, '');
    counter.record(a, '');
    counter.flush();
    const rows = referrerRows(a);
    expect(rows['']).toBe(2);
    expect(rows[OTHER_REFERRERS]).toBeUndefined();
  });
});

describe('createVisitRepository: reading statistics', () => {
  function recordOn(counter: ReturnType<typeof newCounter>, id: number, day: string, n: number) {
    clock = Date.parse(`${day}T10:00:00Z`);
    for (let i = 0; i < n; i++) counter.record(id, '');
  }

  it('when days are asked for from a given day, then only that day and later come back, in order', () => {
    const a = addLink('alpha');
    const b = addLink('beta');
    const counter = newCounter();
    recordOn(counter, a, '2026-06-15', 3);
    recordOn(counter, a, '2026-06-13', 1);
    recordOn(counter, a, '2026-06-14', 2);
    recordOn(counter, b, '2026-06-14', 9);
    counter.flush();

    expect(visits.dailyCounts(a, '2026-06-14')).toEqual([
      { day: '2026-06-14', count: 2 },
      { day: '2026-06-15', count: 3 },
    ]);
    expect(visits.dailyCounts(a, '2026-01-01')).toHaveLength(3);
    expect(visits.dailyCounts(a, '2026-06-16')).toEqual([]);
    expect(visits.dailyCounts(b, '2026-06-01')).toEqual([{ day: '2026-06-14', count: 9 }]);
  });

  it('when a day is flushed twice, then its counts add up in one row', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    recordOn(counter, a, '2026-06-15', 2);
    counter.flush();
    recordOn(counter, a, '2026-06-15', 3);
    counter.flush();
    expect(visits.dailyCounts(a, '2026-06-15')).toEqual([{ day: '2026-06-15', count: 5 }]);
  });

  it('when top referrers are asked for, then the busiest come first, ties by name, up to the limit', () => {
    const a = addLink('alpha');
    const counter = newCounter();
    const visitsByHost: [string, number][] = [
      ['a.example', 3],
      ['b.example', 5],
      ['c.example', 3],
      ['', 1],
      ['d.example', 2],
    ];
    for (const [host, n] of visitsByHost) for (let i = 0; i < n; i++) counter.record(a, host);
    counter.flush();

    expect(visits.topReferrers(a, 3)).toEqual([
      { host: 'b.example', count: 5 },
      { host: 'a.example', count: 3 },
      { host: 'c.example', count: 3 },
    ]);
    expect(visits.topReferrers(a, 10).map((row) => row.host)).toEqual([
      'b.example',
      'a.example',
      'c.example',
      'd.example',
      '',
    ]);
    expect(visits.topReferrers(a, 0)).toEqual([]);
  });

  it('when a batch carries an older last visit, then the stored last visit does not go back', () => {
    const a = addLink('alpha');
    const batch = (lastVisit: number): VisitBatch => ({
      urlId: a,
      count: 1,
      lastVisit,
      byDay: new Map([[utcDay(lastVisit), 1]]),
      byReferrer: new Map([['', 1]]),
    });
    visits.addVisits([batch(START + 5_000)]);
    visits.addVisits([batch(START)]);
    expect(linkRow(a)).toEqual({ visits: 2, last_visit: START + 5_000 });
  });

  it('when a batch names a link that does not exist, then it is skipped without an error', () => {
    const a = addLink('alpha');
    const batch = (urlId: number): VisitBatch => ({
      urlId,
      count: 2,
      lastVisit: START,
      byDay: new Map([['2026-06-15', 2]]),
      byReferrer: new Map([['', 2]]),
    });
    expect(() => visits.addVisits([batch(9999), batch(a)])).not.toThrow();
    expect(linkRow(a).visits).toBe(2);
    expect(tableCount('visits_daily')).toBe(1);
  });
});
