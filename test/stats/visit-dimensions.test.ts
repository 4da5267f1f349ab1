import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { createLinkRepository, type LinkRepository } from '../../src/links/link-store.sqlite.js';
import { linkStats } from '../../src/stats/link-stats.js';
import {
  createVisitCounter,
  DIRECT,
  MAX_HELD_LINKS,
  TALLY_HOLD_MS,
  TALLY_ROWS_PER_SLICE,
  TALLY_LINKS_PER_SECOND,
  tallyHoldFor,
  type VisitFacts,
} from '../../src/stats/visit-counter.js';
import { createVisitRepository, type VisitRepository } from '../../src/stats/visit-store.sqlite.js';
import type { VisitStore } from '../../src/stats/visit-store.js';
import { insertLink } from '../support/inserted-links.js';
import { createTestDatabase } from '../support/test-app.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';

/** Visitors' keyed hashes under one fixed key: visitor n is the address 10.x.y.z numbered n. */
const VISITORS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 7) });
const visitorHash = (n: number) =>
  VISITORS.hashOf(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, 'Mozilla/5.0');

/**
 * The visit counter's dimensions and unique visitors, flushed into a real SQLite file and read
 * back as statistics: exact counts per value, the estimate of unique visitors, visits that asked
 * not to be tracked counted under their day only, and counts kept when a flush fails.
 */

/** 2026-06-15 12:00 UTC. */
const START = Date.UTC(2026, 5, 15, 12);
const DAY = 86_400_000;

let db: Db;
let links: LinkRepository;
let visits: VisitRepository;
let clock: number;

beforeEach(() => {
  db = createTestDatabase();
  links = createLinkRepository(db);
  visits = createVisitRepository(db);
  clock = START;
});

function addLink(code: string): number {
  return insertLink(links, code, clock);
}

/** Visitor `n`'s facts: a distinct hash per visitor, as the keyed hash gives them. */
function facts(n: number, values: Partial<Omit<VisitFacts, 'visitor'>> = {}): VisitFacts {
  return {
    visitor: visitorHash(n),
    country: 'DE',
    browser: 'firefox',
    os: 'linux',
    device: 'desktop',
    language: 'de',
    ...values,
  };
}

describe('visits by dimension', () => {
  it('counts each dimension exactly and estimates unique visitors per value, day and range', async () => {
    const id = addLink('a');
    const counter = createVisitCounter({ visits, now: () => clock });
    // Visitor 0 three times from Germany; visitor 1 from France with a referrer; visitor 2 twice
    // on an iPhone in Japan.
    for (let i = 0; i < 3; i++) counter.record(id, '', facts(0));
    counter.record(id, 'news.example', facts(1, { country: 'FR', language: 'fr' }));
    for (let i = 0; i < 2; i++) {
      counter.record(
        id,
        '',
        facts(2, { country: 'JP', browser: 'safari', os: 'ios', device: 'mobile', language: 'ja' }),
      );
    }
    await counter.flush();
    // The next day, visitor 0 again: a new day's key makes another hash; here the same numbers.
    clock += DAY;
    counter.record(id, '', facts(0));
    await counter.flush();

    const from = '2026-06-15';
    const to = '2026-06-16';
    const byCountry = await linkStats(visits, id, 'country', from, to);
    expect(byCountry).toEqual({
      from,
      to,
      groupBy: 'country',
      visits: 7,
      uniqueVisitors: 3,
      data: [
        { key: 'DE', visits: 4, uniqueVisitors: 1 },
        { key: 'JP', visits: 2, uniqueVisitors: 1 },
        { key: 'FR', visits: 1, uniqueVisitors: 1 },
      ],
    });
    expect((await linkStats(visits, id, 'referrer', from, to)).data).toEqual([
      { key: DIRECT, visits: 6, uniqueVisitors: 2 },
      { key: 'news.example', visits: 1, uniqueVisitors: 1 },
    ]);
    expect((await linkStats(visits, id, 'device', from, from)).data).toEqual([
      { key: 'desktop', visits: 4, uniqueVisitors: 2 },
      { key: 'mobile', visits: 2, uniqueVisitors: 1 },
    ]);
    expect((await linkStats(visits, id, 'day', from, to)).data).toEqual([
      { key: '2026-06-15', visits: 6, uniqueVisitors: 3 },
      { key: '2026-06-16', visits: 1, uniqueVisitors: 1 },
    ]);
  });

  it('a visit that asked not to be tracked counts in its day and the total only: no referrer, no dimension, no visitor', async () => {
    const id = addLink('a');
    const counter = createVisitCounter({ visits, now: () => clock });
    counter.record(id, 'news.example', null);
    counter.record(id, 'news.example', null);
    counter.record(id, '', facts(5));
    await counter.flush();
    const day = '2026-06-15';
    const stats = await linkStats(visits, id, 'country', day, day);
    expect(stats).toMatchObject({ visits: 3, uniqueVisitors: 1 });
    expect(stats.data).toEqual([{ key: 'DE', visits: 1, uniqueVisitors: 1 }]);
    expect((await linkStats(visits, id, 'referrer', day, day)).data).toEqual([
      { key: DIRECT, visits: 1, uniqueVisitors: 1 },
    ]);
    expect(visits.topReferrers(id, 10)).toEqual([{ host: '', count: 1 }]);
    expect(links.findLink('a')?.visits).toBe(3);
  });

  for (const way of ['tallied at once', 'through the visit log'] as const) {
    it(`links whose ids are too large to sort with the place in one number are counted apart all the same (${way})`, async () => {
      // Ids above 2^53 / 2^k: the counter's log sorts them with a comparison function instead.
      const ids = [2 ** 52 + 3, 2 ** 52 + 1];
      for (const [i, code] of ['a', 'b'].entries()) {
        db.prepare('UPDATE urls SET id = ? WHERE id = ?').run(ids[i], addLink(code));
      }
      const counter = createVisitCounter({ visits, now: () => clock });
      for (let i = 0; i < 6; i++) {
        counter.record(ids[i % 2]!, '', facts(i, { country: i % 2 === 0 ? 'DE' : 'FR' }));
      }
      counter.record(ids[0]!, '', facts(0, { country: 'AT' }));
      if (way === 'tallied at once') {
        expect(counter.drainSome(100)).toBe(7);
        await counter.flush();
      } else {
        expect(counter.flush(Number.POSITIVE_INFINITY, 0, true)).toBe(7);
        visits.log.foldAll();
      }
      const day = '2026-06-15';
      expect((await linkStats(visits, ids[0]!, 'country', day, day)).data).toEqual([
        { key: 'DE', visits: 3, uniqueVisitors: 3 },
        { key: 'AT', visits: 1, uniqueVisitors: 1 },
      ]);
      expect((await linkStats(visits, ids[1]!, 'country', day, day)).data).toEqual([
        { key: 'FR', visits: 3, uniqueVisitors: 3 },
      ]);
    });
  }

  it('estimates 10,000 distinct visitors within 3%, and 99 exactly', async () => {
    const id = addLink('a');
    const counter = createVisitCounter({ visits, now: () => clock });
    for (let i = 0; i < 99; i++) counter.record(id, '', facts(i, { country: 'BR' }));
    for (let i = 0; i < 10_000; i++) counter.record(id, '', facts(1000 + i, { country: 'US' }));
    await counter.flush();
    const day = '2026-06-15';
    const { data } = await linkStats(visits, id, 'country', day, day);
    const us = data.find((entry) => entry.key === 'US')!;
    expect(Math.abs(us.uniqueVisitors - 10_000) / 10_000).toBeLessThan(0.03);
    expect(data.find((entry) => entry.key === 'BR')).toEqual({
      key: 'BR',
      visits: 99,
      uniqueVisitors: 99,
    });
  });

  it('a failed flush keeps every count and sketch for the next one', async () => {
    const id = addLink('a');
    let fail = true;
    const failing: VisitStore = {
      ...visits,
      addVisits(batches) {
        if (fail) throw new Error('disk full');
        visits.addVisits(batches);
      },
    };
    const counter = createVisitCounter({ visits: failing, now: () => clock });
    counter.record(id, '', facts(1));
    expect(() => counter.flush()).toThrow('disk full');
    counter.record(id, '', facts(2, { country: 'AT' }));
    counter.record(id, '', facts(1));
    fail = false;
    await counter.flush();
    const day = '2026-06-15';
    expect(await linkStats(visits, id, 'country', day, day)).toMatchObject({
      visits: 3,
      uniqueVisitors: 2,
      data: [
        { key: 'DE', visits: 2, uniqueVisitors: 1 },
        { key: 'AT', visits: 1, uniqueVisitors: 1 },
      ],
    });
  });

  describe('the periodic flush, which holds tallies back for TALLY_HOLD_MS', () => {
    const day = '2026-06-15';
    const hold = (counter: ReturnType<typeof createVisitCounter>) =>
      counter.flush(Number.POSITIVE_INFINITY, TALLY_HOLD_MS);
    /** A counter whose writes, once `fail` is set, stay in flight until `reject` (as on PostgreSQL). */
    const counterWithWritesInFlight = () => {
      const writes = { fail: false, reject: (_error: Error) => {} };
      const slow: VisitStore = {
        ...visits,
        addVisits(batches) {
          if (!writes.fail) return visits.addVisits(batches);
          return new Promise<void>((_resolve, rejectWrite) => (writes.reject = rejectWrite));
        },
      };
      return { counter: createVisitCounter({ visits: slow, now: () => clock }), writes };
    };

    it('writes the counts every time and the dimensions and visitors once they are due, with no visit lost or counted twice', async () => {
      const id = addLink('a');
      const counter = createVisitCounter({ visits, now: () => clock });
      counter.record(id, '', facts(1));
      counter.record(id, '', facts(2, { country: 'AT' }));
      expect(await hold(counter)).toBe(2);
      expect(links.findLink('a')?.visits).toBe(2);
      expect(await linkStats(visits, id, 'country', day, day)).toMatchObject({
        visits: 2,
        uniqueVisitors: 0,
        data: [],
      });
      clock += TALLY_HOLD_MS - 1;
      counter.record(id, '', facts(1));
      await hold(counter);
      expect((await linkStats(visits, id, 'country', day, day)).data).toEqual([]);
      clock += 1;
      counter.record(id, '', facts(3, { country: 'AT' }));
      await hold(counter);
      expect(await linkStats(visits, id, 'country', day, day)).toEqual({
        from: day,
        to: day,
        groupBy: 'country',
        visits: 4,
        uniqueVisitors: 3,
        data: [
          { key: 'AT', visits: 2, uniqueVisitors: 2 },
          { key: 'DE', visits: 2, uniqueVisitors: 1 },
        ],
      });
      expect(links.findLink('a')?.visits).toBe(4);
    });

    it(`writes the due tallies of at most ${TALLY_LINKS_PER_SECOND} links a call, with or without new visits, and all of them at the last flush`, async () => {
      const ids = Array.from({ length: 2 * TALLY_LINKS_PER_SECOND + 10 }, (_, i) =>
        addLink(`t${i}`),
      );
      const counter = createVisitCounter({ visits, now: () => clock });
      for (const id of ids) counter.record(id, '', facts(id));
      expect(await hold(counter)).toBe(ids.length);
      expect(counter.dueTallyRows(Number.POSITIVE_INFINITY)).toBe(0);
      clock += TALLY_HOLD_MS;
      expect(counter.dueTallyRows(Number.POSITIVE_INFINITY)).toBe(7 * ids.length);
      expect(counter.dueTallyRows(TALLY_LINKS_PER_SECOND)).toBe(7 * TALLY_LINKS_PER_SECOND);
      const linksWithRows = () =>
        (
          db.prepare('SELECT COUNT(DISTINCT url_id) AS n FROM visit_dimensions').get() as {
            n: number;
          }
        ).n;
      await hold(counter);
      expect(linksWithRows()).toBe(TALLY_LINKS_PER_SECOND);
      // Every link visited again: the links written with their visits are as many.
      for (const id of ids) counter.record(id, '', facts(id));
      await hold(counter);
      expect(linksWithRows()).toBe(2 * TALLY_LINKS_PER_SECOND);
      expect(links.findLink('t0')?.visits).toBe(2);
      expect(links.findLink(`t${ids.length - 1}`)?.visits).toBe(2);
      // At shutdown every tally is written, however many.
      await counter.flush();
      expect(linksWithRows()).toBe(ids.length);
      expect(counter.pendingLinks()).toBe(0);
      expect(counter.dueTallyRows(Number.POSITIVE_INFINITY)).toBe(0);
    });

    it(`holds tallies for up to ${MAX_HELD_LINKS} links with the budgets above, and past them writes every link's at the next flush`, async () => {
      const many = Array.from({ length: MAX_HELD_LINKS + 1 }, (_, i) => addLink(`m${i}`));
      const writtenLinks = () =>
        (
          db.prepare('SELECT COUNT(DISTINCT url_id) AS n FROM visit_dimensions').get() as {
            n: number;
          }
        ).n;
      const atLimit = createVisitCounter({ visits, now: () => clock });
      for (const id of many.slice(0, MAX_HELD_LINKS)) atLimit.record(id, '', facts(id));
      await hold(atLimit);
      expect(writtenLinks()).toBe(0);
      clock += tallyHoldFor(MAX_HELD_LINKS);
      await hold(atLimit);
      expect(writtenLinks()).toBe(TALLY_LINKS_PER_SECOND);
      await atLimit.flush();
      const past = createVisitCounter({ visits, now: () => clock });
      for (const id of many) past.record(id, '', facts(id));
      // The flush tallies them first: more links than MAX_HELD_LINKS hold tallies, so it
      // writes them all at once.
      await hold(past);
      expect(past.pendingLinks()).toBe(0);
      expect(writtenLinks()).toBe(MAX_HELD_LINKS + 1);
    });

    it(`writes due tallies up to ${TALLY_ROWS_PER_SLICE} rows a call after the first link, with or without new visits, and a link with more rows alone`, async () => {
      const ids = Array.from({ length: 40 }, (_, i) => addLink(`r${i}`));
      const counter = createVisitCounter({ visits, now: () => clock });
      // Each link: one visit, its day's visitors and six values, 7 rows; the first has 24 more
      // referrers, 31 rows. visit_dimensions holds the values (the day's visitors are elsewhere).
      for (const id of ids) counter.record(id, '', facts(id));
      for (let n = 0; n < 24; n++) counter.record(ids[0]!, `r${n}.example`, facts(n));
      await hold(counter);
      clock += TALLY_HOLD_MS;
      const written = () =>
        (db.prepare('SELECT COUNT(*) AS n FROM visit_dimensions').get() as { n: number }).n;
      const flushRows = () =>
        counter.flush(Number.POSITIVE_INFINITY, TALLY_HOLD_MS, false, Infinity, 10);
      // The first link alone goes past the budget: it is written whole, and nothing after it.
      await flushRows();
      expect(written()).toBe(30);
      // Then two links a call: 7 rows, then 14, which reaches 10.
      await flushRows();
      expect(written()).toBe(30 + 2 * 6);
      // A link visited again goes first, and one more due link after it.
      counter.record(ids[5]!, '', facts(ids[5]!));
      await flushRows();
      expect(written()).toBe(42 + 2 * 6);
      expect(await linkStats(visits, ids[5]!, 'country', day, day)).toMatchObject({
        data: [{ key: 'DE', visits: 2, uniqueVisitors: 1 }],
      });
      expect((await linkStats(visits, ids[4]!, 'country', day, day)).data).toEqual([]);
      // A budget met exactly stops there: two links of 7 rows for 14.
      await counter.flush(Number.POSITIVE_INFINITY, TALLY_HOLD_MS, false, Infinity, 14);
      expect(written()).toBe(54 + 2 * 6);
      // And a call that may take 2 links takes the due tallies of 2.
      await counter.flush(2, TALLY_HOLD_MS);
      expect(written()).toBe(66 + 2 * 6);
    });

    it('holds the tallies longer while more links hold some than it writes in TALLY_HOLD_MS, and not at all past MAX_HELD_LINKS', () => {
      const busy = (TALLY_HOLD_MS / 1000) * TALLY_LINKS_PER_SECOND;
      expect(tallyHoldFor(0)).toBe(TALLY_HOLD_MS);
      expect(tallyHoldFor(busy)).toBe(TALLY_HOLD_MS);
      expect(tallyHoldFor(2 * busy)).toBe(2 * TALLY_HOLD_MS);
      expect(tallyHoldFor(MAX_HELD_LINKS)).toBe((MAX_HELD_LINKS * 1000) / TALLY_LINKS_PER_SECOND);
      // Memory, not time, bounds the tallies of visits spread over many links.
      expect(tallyHoldFor(MAX_HELD_LINKS + 1)).toBe(0);
      expect(tallyHoldFor(1_000_000)).toBe(0);
      // The final flush (no hold) writes everything, however busy.
      expect(tallyHoldFor(1_000_000, 0)).toBe(0);
    });

    it(`with twice as many busy links as TALLY_HOLD_MS allows, writes their tallies after twice the hold, ${TALLY_LINKS_PER_SECOND} links a call`, async () => {
      const busy = 2 * (TALLY_HOLD_MS / 1000) * TALLY_LINKS_PER_SECOND;
      const ids = Array.from({ length: busy }, (_, n) => addLink(`l${n}`));
      const counter = createVisitCounter({ visits, now: () => clock });
      for (const id of ids) counter.record(id, '', facts(id));
      await hold(counter);
      clock += 2 * TALLY_HOLD_MS - 1;
      await hold(counter);
      expect(await linkStats(visits, ids[0]!, 'country', day, day)).toMatchObject({
        visits: 1,
        data: [],
      });
      clock += 1;
      // The first call writes the first links' tallies, each later call the next ones.
      await hold(counter);
      expect((await linkStats(visits, ids[0]!, 'country', day, day)).data).toHaveLength(1);
      expect((await linkStats(visits, ids.at(-1)!, 'country', day, day)).data).toEqual([]);
      for (let calls = 1; calls < Math.ceil(busy / TALLY_LINKS_PER_SECOND); calls++) {
        await hold(counter);
      }
      expect(counter.pendingLinks()).toBe(0);
      for (const id of [ids[0]!, ids.at(-1)!]) {
        expect((await linkStats(visits, id, 'country', day, day)).data).toEqual([
          { key: 'DE', visits: 1, uniqueVisitors: 1 },
        ]);
      }
    });

    it('writes the due tallies of a link no longer visited without adding a visit, and a flush without a hold writes every tally', async () => {
      const quiet = addLink('q');
      const busy = addLink('b');
      const counter = createVisitCounter({ visits, now: () => clock });
      counter.record(quiet, 'news.example', facts(1));
      await hold(counter);
      clock += TALLY_HOLD_MS;
      counter.record(busy, '', facts(2));
      await hold(counter);
      expect(links.findLink('q')?.visits).toBe(1);
      expect(await linkStats(visits, quiet, 'referrer', day, day)).toMatchObject({
        visits: 1,
        uniqueVisitors: 1,
        data: [{ key: 'news.example', visits: 1, uniqueVisitors: 1 }],
      });
      // The busy link's tallies are new: held, until a flush without a hold.
      expect((await linkStats(visits, busy, 'country', day, day)).data).toEqual([]);
      expect(counter.pendingLinks()).toBe(1);
      await counter.flush();
      expect(counter.pendingLinks()).toBe(0);
      expect((await linkStats(visits, busy, 'country', day, day)).data).toEqual([
        { key: 'DE', visits: 1, uniqueVisitors: 1 },
      ]);
      expect(links.findLink('b')?.visits).toBe(1);
    });

    it('a failed write puts the taken tallies back, merged with those gathered meanwhile (a write in flight, as on PostgreSQL)', async () => {
      const id = addLink('a');
      const { counter, writes } = counterWithWritesInFlight();
      counter.record(id, '', facts(1));
      await hold(counter);
      clock += TALLY_HOLD_MS;
      writes.fail = true;
      counter.record(id, '', facts(2, { browser: 'chrome' }));
      const inFlight = hold(counter);
      // Visits while the write is in flight go into new tallies…
      counter.record(id, '', facts(1));
      counter.record(id, '', facts(3, { browser: 'chrome' }));
      writes.reject(new Error('could not serialize access'));
      await expect(inFlight).rejects.toThrow('could not serialize access');
      // …which the failed write's tallies are merged into: due at once, as the older ones were.
      writes.fail = false;
      await hold(counter);
      expect(links.findLink('a')?.visits).toBe(4);
      expect(await linkStats(visits, id, 'browser', day, day)).toMatchObject({
        visits: 4,
        uniqueVisitors: 3,
        data: [
          { key: 'chrome', visits: 2, uniqueVisitors: 2 },
          { key: 'firefox', visits: 2, uniqueVisitors: 1 },
        ],
      });
      expect(counter.pendingLinks()).toBe(0);
    });

    it("a failed write's tallies and newer ones, each with one value per dimension (sharing its day's visitors), merge into exact visitors per value", async () => {
      const id = addLink('a');
      const { counter, writes } = counterWithWritesInFlight();
      counter.record(id, '', facts(1, { country: 'AT' }));
      counter.record(id, '', facts(2, { country: 'AT' }));
      await hold(counter);
      clock += TALLY_HOLD_MS;
      writes.fail = true;
      const inFlight = hold(counter);
      // Tallied while the write is in flight, into new tallies: Germany only.
      counter.record(id, '', facts(3));
      counter.record(id, '', facts(3));
      counter.record(id, '', facts(5));
      counter.drainSome(10);
      writes.reject(new Error('could not serialize access'));
      await expect(inFlight).rejects.toThrow('could not serialize access');
      counter.record(id, '', facts(4, { country: 'AT' }));
      writes.fail = false;
      await counter.flush();
      expect(await linkStats(visits, id, 'country', day, day)).toMatchObject({
        visits: 6,
        uniqueVisitors: 5,
        data: [
          { key: 'AT', visits: 3, uniqueVisitors: 3 },
          { key: 'DE', visits: 3, uniqueVisitors: 2 },
        ],
      });
      expect((await linkStats(visits, id, 'browser', day, day)).data).toEqual([
        { key: 'firefox', visits: 6, uniqueVisitors: 5 },
      ]);
    });
  });
});
