import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open-database.sqlite.js';
import {
  decodeVisitBatch,
  encodeVisitBatch,
  mergeVisitBatches,
  NUMBERED_FROM,
  sealRawVisits,
} from '../../src/stats/visit-batches.js';
import {
  createVisitCounter,
  TALLY_HOLD_MS,
  type VisitCounter,
  type VisitFacts,
} from '../../src/stats/visit-counter.js';
import {
  createVisitLog,
  FOLD_AFTER_MS,
  FOLD_PASS_ROWS,
  shouldFold,
  foldPauseMs,
  FOLD_SHARE_WHILE_BUSY,
} from '../../src/stats/visit-log.sqlite.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  MAX_DIMENSION_VALUES,
  MAX_REFERRER_HOSTS,
  type RawVisit,
  type VisitBatch,
} from '../../src/stats/visit-store.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';
import { insertLinks } from '../support/inserted-links.js';
import { createTestDatabase } from '../support/test-app.js';

/**
 * The visit log (ADR 045): a flush into it, then its folds, store exactly what adding the same
 * visits at once stores — every count, day, referrer, dimension row and sketch, byte for byte —
 * and a fold that fails leaves its rows for the next one, so no visit is lost or counted twice.
 */

const START = Date.UTC(2026, 5, 15, 23, 59, 50);
const KEYS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 7) });

/** A raw visit; its six values separated by spaces. */
const raw = (day: string, hi: number, lo: number, values: string): RawVisit => ({
  day,
  hi,
  lo,
  values: values.split(' '),
});

function facts(visitor: number, i: number): VisitFacts {
  return {
    visitor: KEYS.hashOf(`10.0.${visitor >> 8}.${visitor & 255}`, 'Mozilla/5.0'),
    country: ['DE', 'FR', 'JP'][i % 3]!,
    browser: i % 2 ? 'firefox' : 'chrome',
    os: 'linux',
    device: i % 5 ? 'desktop' : 'mobile',
    // Over a hundred languages on one link and day: the cap's OTHER_VALUES.
    language: `l${i % 130}`,
  };
}

/** Every stored row a visit touches, in key order, sketches as hex. */
function snapshot(db: Db) {
  const all = (sql: string) =>
    db
      .prepare(sql)
      .all()
      .map((row) =>
        Object.fromEntries(
          Object.entries(row as Record<string, unknown>).map(([k, v]) => [
            k,
            Buffer.isBuffer(v) ? v.toString('hex') : v,
          ]),
        ),
      );
  return {
    urls: all('SELECT id, visits, last_visit FROM urls ORDER BY id'),
    daily: all('SELECT * FROM visits_daily ORDER BY url_id, day'),
    referrers: all('SELECT * FROM visits_referrers ORDER BY url_id, host'),
    dimensions: all('SELECT * FROM visit_dimensions ORDER BY url_id, dimension, day, value'),
  };
}

/**
 * The same visits, half of them at a time, over two UTC days: link 0 busy (many visitors, 150
 * referring hosts, 130 languages), the others a few times; some with DNT, some counted only.
 */
function recordVisits(
  counter: Pick<VisitCounter, 'record'>,
  ids: number[],
  at: { clock: number },
  half: number,
) {
  for (let i = half * 1500; i < (half + 1) * 1500; i++) {
    // Past midnight halfway through the first half: the second half adds to the second day's rows.
    if (i === 750) at.clock += 15_000;
    const id = i % 3 === 0 ? ids[0]! : ids[(i * 7919) % ids.length]!;
    const host = i % 4 === 0 ? '' : `site${i % 450}.example`;
    if (i % 50 === 0) counter.record(id, host, null);
    else if (i % 70 === 0) counter.record(id, host);
    else counter.record(id, host, facts(i % 400, i));
  }
}

/**
 * The same 300 links in two databases on one clock: the reference (`direct`), whose counter adds
 * its visits at once, and the database under test (`other`).
 */
function twoStores() {
  const direct = createTestDatabase();
  const other = createTestDatabase();
  const at = { clock: START };
  const now = () => at.clock;
  return {
    direct,
    other,
    directIds: insertLinks(direct, 300, START),
    otherIds: insertLinks(other, 300, START),
    at,
    now,
    directCounter: createVisitCounter({ visits: createVisitRepository(direct), now }),
  };
}

describe('the visit log', () => {
  it('a batch survives its encoding exactly; bytes it did not write are refused', () => {
    const batch: VisitBatch = {
      urlId: 9_007_199_254,
      count: 3,
      lastVisit: START,
      byDay: new Map([
        ['2026-06-15', 2],
        ['2026-06-16', 1],
      ]),
      byReferrer: new Map([
        ['', 1],
        ['bücher.example', 2],
      ]),
      dayVisitors: new Map<string, Uint8Array | null>([
        ['2026-06-15', Buffer.from([1, 14, 1, 0])],
        ['2026-06-16', null],
      ]),
      dimensions: [
        { day: '2026-06-15', dimension: 'referrer', value: 'ﾃｽﾄ', count: 2, visitors: null },
        {
          day: '2026-06-16',
          dimension: 'country',
          value: 'DE',
          count: 1,
          visitors: Buffer.from([9]),
        },
      ],
      visits: [
        raw('2026-06-15', 0xffffffff, 0, 'DE chrome linux desktop de direct'),
        raw('2026-06-16', 7, 0x80000000, 'unknown chrome ios mobile de bücher.example'),
        raw('2026-06-16', 7, 1, 'DE chrome linux desktop de direct'),
        raw('2026-06-16', 0, 0xffffffff, 'DE chrome linux desktop de direct'),
      ],
    };
    // Four visits and more name their texts by number; fewer write them out.
    expect(batch.visits).toHaveLength(NUMBERED_FROM);
    const bytes = encodeVisitBatch(batch);
    const back = decodeVisitBatch(bytes);
    const few = { ...batch, visits: batch.visits!.slice(1) };
    expect(decodeVisitBatch(encodeVisitBatch(few)).visits).toEqual(few.visits);
    expect({
      ...back,
      dayVisitors: [...back.dayVisitors!].map(([d, v]) => [d, v && [...v]]),
    }).toEqual({
      ...batch,
      dayVisitors: [...batch.dayVisitors!].map(([d, v]) => [d, v && [...v]]),
      dimensions: batch.dimensions!.map((d) => ({
        ...d,
        visitors: d.visitors && new Uint8Array(d.visitors),
      })),
    });
    expect(
      decodeVisitBatch(
        encodeVisitBatch({
          urlId: 1,
          count: 1,
          lastVisit: 2,
          byDay: new Map(),
          byReferrer: new Map(),
        }),
      ),
    ).toEqual({
      urlId: 1,
      count: 1,
      lastVisit: 2,
      byDay: new Map(),
      byReferrer: new Map(),
    });
    expect(() => decodeVisitBatch(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeVisitBatch(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeVisitBatch(Buffer.from([2, 0]))).toThrow(/format/);
    // The last visit's referrer named by a number past the batch's twelve texts.
    const unknownText = Buffer.from(bytes);
    unknownText[bytes.length - 1] = 12;
    expect(() => decodeVisitBatch(unknownText)).toThrow(/unknown text/);
  });

  it('reads the batches an earlier version logged, texts written out for each visit', () => {
    // Two visits of link 7, one from a referring site, as every batch was written before
    // texts were numbered (and a batch of fewer than NUMBERED_FROM visits still is).
    const format1 = Buffer.from(
      '0104070380a0e9edec33010a323032362d30362d3135030200020b6578616d706c652e6f726701020a3230' +
        '32362d30362d3135ffffffff0f010244450766697265666f78056c696e7578076465736b746f7002646506' +
        '6469726563740a323032362d30362d313505959aef3a024a500673616661726903696f73066d6f62696c65' +
        '026a610b6578616d706c652e6f7267',
      'hex',
    );
    expect(decodeVisitBatch(format1)).toEqual({
      urlId: 7,
      count: 3,
      lastVisit: Date.UTC(2026, 5, 16),
      byDay: new Map([['2026-06-15', 3]]),
      byReferrer: new Map([
        ['', 2],
        ['example.org', 1],
      ]),
      visits: [
        raw('2026-06-15', 0xffffffff, 1, 'DE firefox linux desktop de direct'),
        raw('2026-06-15', 5, 123456789, 'JP safari ios mobile ja example.org'),
      ],
    });
  });

  it('logged and folded in small passes, the visits are stored exactly as when added at once', () => {
    const {
      direct,
      other: logged,
      directIds,
      otherIds: loggedIds,
      at,
      now,
      directCounter,
    } = twoStores();
    const loggedVisits = createVisitRepository(logged, undefined, now, {
      passRows: 700,
      readRows: 64,
      sliceLinks: 17,
      // A few rows a step: the busy link's rows go over several.
      sliceBytes: 600,
    });
    const loggedCounter = createVisitCounter({ visits: loggedVisits, now });

    // Two halves, each written and folded before the next: the second adds to rows the first
    // stored (a link's and a day's later visits), the first finds none (their first visits).
    for (const half of [0, 1]) {
      at.clock = START + half * 20_000;
      recordVisits(directCounter, directIds, at, half);
      at.clock = START + half * 20_000;
      recordVisits(loggedCounter, loggedIds, at, half);
      directCounter.flush();
      // In slices, as the server flushes: each slice a transaction of its own.
      while (loggedCounter.pendingLinks() > 0) loggedCounter.flush(40, 0, true);
      expect(loggedCounter.pendingTotal()).toBe(0);
      const rows = logged.prepare('SELECT COUNT(*) AS n FROM visit_log').get() as { n: number };
      expect(rows.n).toBeGreaterThan(100);
      expect(loggedVisits.log.foldAll()).toBe(0);
      expect(loggedVisits.log.status()).toEqual({ rows: 0, oldest: null, folding: false });
    }
    const stored = snapshot(logged);
    expect(stored).toEqual(snapshot(direct));
    expect(stored.urls.reduce((sum, row) => sum + (row.visits as number), 0)).toBe(3000);
    // The caps hold across writes: at most MAX values and the one OTHER row per key.
    const most = (
      rows: Record<string, unknown>[],
      key: (row: Record<string, unknown>) => string,
    ) => {
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
      return Math.max(...counts.values());
    };
    expect(most(stored.referrers, (r) => String(r.url_id))).toBe(MAX_REFERRER_HOSTS + 1);
    expect(most(stored.dimensions, (r) => `${r.url_id} ${r.dimension} ${r.day}`)).toBe(
      MAX_DIMENSION_VALUES + 1,
    );
    expect(stored.dimensions.some((row) => row.value === '(other)')).toBe(true);
    expect(stored.referrers.some((row) => row.host === '(other)')).toBe(true);
  });

  it('a slice into the log, then a flush that adds at once, store each visit once, as adding it all at once does', () => {
    const {
      direct,
      other: mixed,
      directIds,
      otherIds: mixedIds,
      at,
      now,
      directCounter,
    } = twoStores();
    const mixedVisits = createVisitRepository(mixed, undefined, now);
    const mixedCounter = createVisitCounter({ visits: mixedVisits, now });
    recordVisits(directCounter, directIds, at, 0);
    at.clock = START;
    recordVisits(mixedCounter, mixedIds, at, 0);
    directCounter.flush();

    // One slice goes to the log raw; the links left keep their visits' facts in memory, and
    // the flush after it (the spread-out visits are over) tallies them and adds them at once.
    const pendingBefore = mixedCounter.pendingTotal();
    const logged = mixedCounter.flush(40, 0, true) as number;
    expect(logged).toBeGreaterThan(0);
    expect(mixedCounter.pendingTotal()).toBe(pendingBefore - logged);
    expect(mixedCounter.flush()).toBe(pendingBefore - logged);
    expect(mixedVisits.log.status().rows).toBe(40);
    expect(mixedVisits.log.foldAll()).toBe(0);
    expect(snapshot(mixed)).toEqual(snapshot(direct));
  });

  it('slices into the log, then a round of what they left, store each visit once: a round never takes what a slice took', () => {
    const { direct, other, directIds, otherIds, at, now, directCounter } = twoStores();
    const visits = createVisitRepository(other, undefined, now);
    const counter = createVisitCounter({ visits, now });
    recordVisits(directCounter, directIds, at, 0);
    at.clock = START;
    recordVisits(counter, otherIds, at, 0);
    directCounter.flush();

    // Small slices: each takes a few links whose visits are spread over the whole log.
    const waiting = counter.loggedVisits();
    for (let slice = 0; slice < 3; slice += 1) counter.flush(2, 0, true);
    const left = counter.loggedVisits();
    expect(left).toBeLessThan(waiting);
    expect(left).toBeGreaterThan(waiting / 2);
    // The visits no longer spread out: a round tallies exactly the visits the slices left.
    expect(counter.drainSome(Number.POSITIVE_INFINITY)).toBe(left);
    expect(counter.loggedVisits()).toBe(0);
    counter.flush();
    expect(visits.log.foldAll()).toBe(0);
    expect(snapshot(other)).toEqual(snapshot(direct));
  });

  it('a slice into the log stops once its links hold maxVisits visits; such slices store each visit once', () => {
    const stores = twoStores();
    const { at, now } = stores;
    const loggedCounter = createVisitCounter({
      visits: createVisitRepository(stores.other, undefined, now),
      now,
    });
    recordVisits(stores.directCounter, stores.directIds, at, 0);
    at.clock = START;
    recordVisits(loggedCounter, stores.otherIds, at, 0);
    const perLink = stores.otherIds.map((id) => loggedCounter.pendingFor(id));
    const total = loggedCounter.pendingTotal();
    stores.directCounter.flush();
    const slices: number[] = [];
    while (loggedCounter.pendingLinks() > 0) {
      slices.push(loggedCounter.flush(1000, 0, true, 25) as number);
    }
    expect(slices.reduce((sum, n) => sum + n, 0)).toBe(total);
    // Each slice stops at the first link that brings it to 25 visits, or takes one busier link.
    expect(Math.max(...slices)).toBeLessThan(25 + Math.max(...perLink));
    expect(slices.length).toBeGreaterThanOrEqual(Math.floor(total / (25 + Math.max(...perLink))));
    expect(slices.length).toBeGreaterThan(1);
    createVisitRepository(stores.other, undefined, now).log.foldAll();
    expect(snapshot(stores.other)).toEqual(snapshot(stores.direct));
  });

  it('a slice into the log that reaches maxVisits exactly stops there', () => {
    const db = createTestDatabase();
    const ids = insertLinks(db, 3, START);
    const counter = createVisitCounter({ visits: createVisitRepository(db), now: () => START });
    for (const id of ids) for (let i = 0; i < 2; i++) counter.record(id, '', facts(i, i));
    expect(counter.flush(1000, 0, true, 4)).toBe(4);
    expect(counter.flush(1000, 0, true, 4)).toBe(2);
    expect(counter.pendingTotal()).toBe(0);
  });

  it('visits tallied a few at a time between flushes are stored as when tallied at the flush', () => {
    const {
      direct: whole,
      other: stepped,
      directIds: wholeIds,
      otherIds: steppedIds,
      at,
      now,
      directCounter: wholeCounter,
    } = twoStores();
    const steppedCounter = createVisitCounter({ visits: createVisitRepository(stepped), now });
    for (const half of [0, 1]) {
      at.clock = START + half * 20_000;
      recordVisits(wholeCounter, wholeIds, at, half);
      at.clock = START + half * 20_000;
      recordVisits(steppedCounter, steppedIds, at, half);
      const waiting = steppedCounter.loggedVisits();
      expect(waiting).toBeGreaterThan(1000);
      let drained = 0;
      for (let step; (step = steppedCounter.drainSome(97)) > 0;) drained += step;
      expect(drained).toBe(waiting);
      expect(steppedCounter.loggedVisits()).toBe(0);
      wholeCounter.flush();
      steppedCounter.flush();
    }
    expect(snapshot(stepped)).toEqual(snapshot(whole));
  });

  for (const last of ['tallies the rest', 'sends the log to the visit log'] as const) {
    it(`visits tallied in rounds, opened while others are recorded, between periodic flushes that leave the log to them, are stored as when tallied at the flush (the last flush ${last})`, () => {
      const { direct, other, directIds, otherIds, at, now, directCounter } = twoStores();
      const visits = createVisitRepository(other, undefined, now);
      const stepped = createVisitCounter({ visits, now });
      stepped.tallyBetweenFlushes();
      let recorded = 0;
      let opened = 0;
      const interleaved: Pick<VisitCounter, 'record'> = {
        record(...visit) {
          stepped.record(...visit);
          recorded += 1;
          if (recorded % 250 === 50) {
            if (stepped.roundLeft() === 0 && stepped.loggedVisits() > 0) opened += 1;
            stepped.drainSome(97);
          }
          if (recorded % 400 === 0) {
            const logged = stepped.loggedVisits();
            stepped.flush(Number.POSITIVE_INFINITY, TALLY_HOLD_MS);
            expect(stepped.loggedVisits()).toBe(logged);
          }
        },
      };
      for (const half of [0, 1]) {
        at.clock = START + half * 20_000;
        recordVisits(directCounter, directIds, at, half);
        at.clock = START + half * 20_000;
        recordVisits(interleaved, otherIds, at, half);
      }
      expect(opened).toBeGreaterThan(1);
      // An open round, and visits in the log after it.
      if (stepped.roundLeft() === 0) stepped.drainSome(5);
      directCounter.record(directIds[1]!, '', facts(1, 1));
      stepped.record(otherIds[1]!, '', facts(1, 1));
      expect(stepped.roundLeft()).toBeGreaterThan(0);
      expect(stepped.logWaiting().visits).toBeGreaterThan(0);
      directCounter.flush();
      // The last flush writes every tally, the open round's with them; the log's visits are
      // tallied too, or go to the visit log as they are.
      if (last === 'tallies the rest') stepped.flush();
      else {
        stepped.flush(Number.POSITIVE_INFINITY, 0, true);
        expect(visits.log.status().rows).toBeGreaterThan(0);
        expect(visits.log.foldAll()).toBe(0);
      }
      expect(stepped.loggedVisits()).toBe(0);
      expect(snapshot(other)).toEqual(snapshot(direct));
    });
  }

  it('a flush into the log that fails halfway keeps every visit, and the next stores each once', () => {
    const {
      direct,
      other: logged,
      directIds,
      otherIds: loggedIds,
      at,
      now,
      directCounter,
    } = twoStores();
    const real = createVisitRepository(logged, undefined, now);
    let failures = 1;
    const failing = {
      ...real,
      logVisits(batches: Iterable<VisitBatch>) {
        if (failures === 0) return real.logVisits(batches);
        failures -= 1;
        // The disk fills up after 20 links were appended: the transaction rolls back.
        real.logVisits(
          (function* () {
            let n = 0;
            for (const batch of batches) {
              if (++n === 20) throw new Error('SQLITE_FULL: database or disk is full');
              yield batch;
            }
          })(),
        );
      },
    };
    const loggedCounter = createVisitCounter({ visits: failing, now });
    recordVisits(directCounter, directIds, at, 0);
    at.clock = START;
    recordVisits(loggedCounter, loggedIds, at, 0);
    directCounter.flush();

    const pendingBefore = [loggedCounter.pendingTotal(), loggedCounter.pendingLinks()];
    expect(() => loggedCounter.flush(40, 0, true)).toThrow('disk is full');
    expect([loggedCounter.pendingTotal(), loggedCounter.pendingLinks()]).toEqual(pendingBefore);
    expect(real.log.status().rows).toBe(0);
    while (loggedCounter.pendingLinks() > 0) loggedCounter.flush(40, 0, true);
    expect(real.log.foldAll()).toBe(0);
    expect(snapshot(logged)).toEqual(snapshot(direct));
  });

  it('a fold whose write fails writes nothing of its slice and keeps its rows for the next step', () => {
    const db = createTestDatabase();
    const ids = insertLinks(db, 20, START);
    const visits = createVisitRepository(db, undefined, () => START);
    let failOn: number | null = ids[13]!;
    const apply = (batch: VisitBatch) => {
      if (batch.urlId === failOn) {
        failOn = null;
        throw new Error('disk full');
      }
      // Adds through the real store: the log's transaction holds it.
      visits.addVisits([batch]);
    };
    const log = createVisitLog(
      db,
      { apply, now: () => START },
      { passRows: 1000, readRows: 8, sliceLinks: 5, sliceBytes: Number.POSITIVE_INFINITY },
    );
    for (const id of ids)
      for (let n = 0; n < 2; n++)
        log.append({
          urlId: id,
          count: 1,
          lastVisit: START,
          byDay: new Map([['2026-06-15', 1]]),
          byReferrer: new Map([['', 1]]),
        });

    const total = () => (db.prepare('SELECT SUM(visits) AS n FROM urls').get() as { n: number }).n;
    const logged = () =>
      (db.prepare('SELECT COUNT(*) AS n FROM visit_log').get() as { n: number }).n;
    let failures = 0;
    for (;;) {
      try {
        if (!log.foldStep().more) break;
      } catch (error) {
        failures += 1;
        expect((error as Error).message).toBe('disk full');
        // The slice of links 11–15 was rolled back whole: their visits and rows are where they were.
        expect(total()).toBe(20);
        expect(logged()).toBe(20);
      }
    }
    expect(failures).toBe(1);
    expect(total()).toBe(40);
    expect(logged()).toBe(0);
  });

  it('the visits of a busy link name their shared texts once: a few bytes a visit', () => {
    const visit = (i: number) => ({
      day: '2026-06-15',
      hi: i,
      lo: i,
      values: ['DE', i % 2 ? 'firefox' : 'chrome', 'linux', 'desktop', 'de', 'direct'],
    });
    const batch = (n: number): VisitBatch => ({
      urlId: 1,
      count: n,
      lastVisit: START,
      byDay: new Map([['2026-06-15', n]]),
      byReferrer: new Map([['', n]]),
      visits: Array.from({ length: n }, (_, i) => visit(i)),
    });
    const perVisit = (n: number) => encodeVisitBatch(batch(n)).length / n;
    // Texts written out: about 50 bytes a visit; numbered: the hash's two words (two bytes
    // each here) and seven one-byte numbers.
    expect(perVisit(NUMBERED_FROM - 1)).toBeGreaterThan(45);
    expect(perVisit(1000)).toBeLessThan(12);
    expect(decodeVisitBatch(encodeVisitBatch(batch(1000))).visits).toEqual(batch(1000).visits);
  });

  it('a writing step stops once the rows it read reach sliceBytes; the next goes on in the same link', () => {
    const db = createTestDatabase();
    const [busy, quiet] = insertLinks(db, 2, START) as [number, number];
    const visits = createVisitRepository(db, undefined, () => START);
    const row = (urlId: number): VisitBatch => ({
      urlId,
      count: 1,
      lastVisit: START,
      byDay: new Map([['2026-06-15', 1]]),
      byReferrer: new Map([['', 1]]),
    });
    const size = encodeVisitBatch(row(busy)).length;
    const logged = () =>
      (db.prepare('SELECT COUNT(*) AS n FROM visit_log').get() as { n: number }).n;
    const total = () => (db.prepare('SELECT SUM(visits) AS n FROM urls').get() as { n: number }).n;
    const rowsLeftAfterEachStep = (sliceBytes: number) => {
      const log = createVisitLog(
        db,
        { apply: (batch) => visits.addVisits([batch]), now: () => START },
        { passRows: 1000, readRows: 100, sliceLinks: 50, sliceBytes },
      );
      for (let n = 0; n < 5; n++) log.append(row(busy));
      log.append(row(quiet));
      const left: number[] = [];
      while (log.foldStep().more) left.push(logged());
      left.push(logged());
      return left;
    };
    // The first step reads the pass's link ids; each writing step then stops at the row that
    // reaches the budget: three rows of the busy link, then its last two and the quiet link's.
    expect(rowsLeftAfterEachStep(2 * size + 1)).toEqual([6, 3, 0]);
    expect(total()).toBe(6);
    // A step whose rows reach the budget exactly stops there.
    expect(rowsLeftAfterEachStep(2 * size)).toEqual([6, 4, 2, 0]);
    expect(total()).toBe(12);
    // At least one row a step, however small the budget.
    expect(rowsLeftAfterEachStep(1)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(total()).toBe(18);
  });

  it('adds a link with a visit limit at once, and drops rows it cannot read, saying how many', () => {
    const db = createTestDatabase();
    const [limited, other] = insertLinks(db, 2, START);
    const visits = createVisitRepository(db, undefined, () => START);
    const batch = (urlId: number, extra: Partial<VisitBatch> = {}): VisitBatch => ({
      urlId,
      count: 2,
      lastVisit: START,
      byDay: new Map([['2026-06-15', 2]]),
      byReferrer: new Map([['', 2]]),
      ...extra,
    });
    visits.logVisits([batch(limited!, { limited: true }), batch(other!)]);
    const visitsOf = (id: number) =>
      (db.prepare('SELECT visits FROM urls WHERE id = ?').get(id) as { visits: number }).visits;
    expect(visitsOf(limited!)).toBe(2);
    expect(visitsOf(other!)).toBe(0);
    expect(visits.log.status()).toMatchObject({ rows: 1, oldest: START });

    db.prepare('INSERT INTO visit_log (url_id, logged, batch) VALUES (?, ?, ?)').run(
      other,
      START,
      Buffer.from([1, 0, 9]),
    );
    expect(visits.log.foldAll()).toBe(1);
    expect(visitsOf(other!)).toBe(2);
    expect(visits.log.status().rows).toBe(0);
  });

  it('raw visits of one day are tallied as the counter tallies them; merged batches add up', () => {
    const db = createTestDatabase();
    const [id] = insertLinks(db, 1, START);
    const hash = KEYS.hashOf('10.0.0.1', 'Mozilla/5.0');
    const raw = (count: number): VisitBatch => ({
      urlId: id!,
      count,
      lastVisit: START + count,
      byDay: new Map([['2026-06-15', count]]),
      byReferrer: new Map([['', count]]),
      visits: Array.from({ length: count }, () => ({
        day: '2026-06-15',
        hi: hash.hi,
        lo: hash.lo,
        values: ['DE', 'chrome', 'linux', 'desktop', 'de', 'direct'],
      })),
    });
    const merged = mergeVisitBatches([raw(1), raw(2)]);
    expect(merged).toMatchObject({
      count: 3,
      lastVisit: START + 2,
      byDay: new Map([['2026-06-15', 3]]),
    });
    const sealed = sealRawVisits(merged);
    expect(sealed.visits).toBeUndefined();
    expect(sealed.dimensions).toHaveLength(6);
    expect(sealed.dimensions!.every((d) => d.count === 3)).toBe(true);
    // One visitor three times: the same sketch as one visit's.
    const one = sealRawVisits(raw(1));
    expect(Buffer.from(sealed.dayVisitors!.get('2026-06-15')!)).toEqual(
      Buffer.from(one.dayVisitors!.get('2026-06-15')!),
    );
  });

  it('starts a pass when the spread-out visits are over, when a pass is full, or when a row has waited', () => {
    const status = (rows: number, oldest: number | null, folding = false) => ({
      rows,
      oldest,
      folding,
    });
    expect(shouldFold(status(0, null), START, false)).toBe(false);
    expect(shouldFold(status(5, START), START, false)).toBe(true);
    expect(shouldFold(status(5, START), START + FOLD_AFTER_MS - 1, true)).toBe(false);
    expect(shouldFold(status(5, START), START + FOLD_AFTER_MS, true)).toBe(true);
    expect(shouldFold(status(FOLD_PASS_ROWS, START), START, true)).toBe(true);
    expect(shouldFold(status(5, START, true), START, true)).toBe(true);
  });

  it(`takes the idle time whole, and ${FOLD_SHARE_WHILE_BUSY * 100}% of a busy server's: it waits after a step as long as the share leaves`, () => {
    expect(foldPauseMs(12.3, false)).toBe(0);
    for (const stepMs of [0.2, 1, 4.5, 12.3, 40]) {
      const pause = foldPauseMs(stepMs, true);
      expect(pause).toBeGreaterThanOrEqual(1);
      // Whole milliseconds, as timers take them: never less than the share leaves.
      expect(stepMs / (stepMs + pause)).toBeLessThanOrEqual(FOLD_SHARE_WHILE_BUSY);
      expect(stepMs / (stepMs + pause - 1)).toBeGreaterThan(
        stepMs < 1 ? 0 : FOLD_SHARE_WHILE_BUSY - 0.01,
      );
    }
  });
});
