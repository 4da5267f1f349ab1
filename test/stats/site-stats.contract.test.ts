import { expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import { notFoundByDomain, siteStats, topLinks } from '../../src/stats/site-stats.js';
import type { DimensionCount, VisitBatch } from '../../src/stats/visit-store.js';
import { addToSketch, encodeSketch, newSketch } from '../../src/stats/visitor-sketch.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';

// The whole site's statistics and the unknown codes' counts, through the VisitStore interface
// only: the same expectations on every engine.

const VISITORS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 3) });
const visitorHash = (n: number) =>
  VISITORS.hashOf(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, 'Mozilla/5.0');

const NOW = Date.UTC(2026, 5, 15, 12);

async function addLink(s: ContractStores, code: string, domainId: number | null = null) {
  const result = await s.links.insertLink(
    {
      target: 'https://s.example/',
      ...DEFAULT_OPTIONS,
      code,
      domainId,
      manageTokenHash: Buffer.from(`${code}-${domainId}-token`),
    },
    NOW,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
  return result.link.id;
}

/** The encoded sketch of visitors numbered `from` to `to` - 1. */
function visitors(from: number, to: number): Buffer {
  const sketch = newSketch();
  for (let i = from; i < to; i++) addToSketch(sketch, visitorHash(i));
  return encodeSketch(sketch);
}

/**
 * A day's visits of a link: `count` visits by visitors `from` to `to` - 1 (none: no sketch, as
 * rows stored before sketches were kept), and its dimensions' entries.
 */
function day(
  urlId: number,
  date: string,
  count: number,
  who: [number, number] | null,
  dimensions: Omit<DimensionCount, 'day'>[] = [],
): VisitBatch {
  return {
    urlId,
    count,
    lastVisit: NOW,
    byDay: new Map([[date, count]]),
    byReferrer: new Map(),
    dayVisitors: new Map([[date, who === null ? null : visitors(...who)]]),
    dimensions: dimensions.map((d) => ({ ...d, day: date })),
  };
}

describeStoreContract('VisitStore: the whole site’s statistics', (open) => {
  it('sums every link’s days and counts a visitor of two links once', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    const c = await addLink(s, 'c');
    await s.visits.addVisits([
      day(a, '2026-06-14', 12, [0, 10]),
      day(b, '2026-06-14', 20, [5, 20]),
      day(a, '2026-06-15', 3, [0, 3]),
      // Visits without a sketch count; they add no visitor.
      day(c, '2026-06-15', 4, null),
      day(c, '2026-06-16', 7, [100, 107]),
      day(a, '2026-05-01', 9, [200, 209]),
    ]);
    const stats = await siteStats(s.visits, 'day', '2026-06-01', '2026-06-15');
    expect(stats).toEqual({
      from: '2026-06-01',
      to: '2026-06-15',
      groupBy: 'day',
      visits: 39,
      // Visitors 0 to 19 (the test's hashes do not change by day, a real day's key does).
      uniqueVisitors: 20,
      data: [
        { key: '2026-06-14', visits: 32, uniqueVisitors: 20 },
        { key: '2026-06-15', visits: 7, uniqueVisitors: 3 },
      ],
    });
    expect(await siteStats(s.visits, 'day', '2026-07-01', '2026-07-30')).toEqual({
      from: '2026-07-01',
      to: '2026-07-30',
      groupBy: 'day',
      visits: 0,
      uniqueVisitors: 0,
      data: [],
    });
  });

  it('groups every link’s values of a dimension, most visits first, ties by key', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.visits.addVisits([
      day(
        a,
        '2026-06-14',
        6,
        [0, 6],
        [
          { dimension: 'country', value: 'DE', count: 4, visitors: visitors(0, 4) },
          { dimension: 'country', value: 'FR', count: 2, visitors: visitors(4, 6) },
          { dimension: 'browser', value: 'firefox', count: 6, visitors: visitors(0, 6) },
        ],
      ),
      // Two visits asked not to be tracked: in the total, under no country.
      day(
        b,
        '2026-06-15',
        7,
        [2, 9],
        [
          { dimension: 'country', value: 'DE', count: 3, visitors: visitors(2, 5) },
          { dimension: 'country', value: 'AT', count: 2, visitors: visitors(5, 7) },
        ],
      ),
      day(
        b,
        '2026-06-20',
        5,
        [0, 5],
        [{ dimension: 'country', value: 'US', count: 5, visitors: visitors(0, 5) }],
      ),
    ]);
    const stats = await siteStats(s.visits, 'country', '2026-06-14', '2026-06-15');
    expect(stats).toEqual({
      from: '2026-06-14',
      to: '2026-06-15',
      groupBy: 'country',
      visits: 13,
      uniqueVisitors: 9,
      data: [
        // Visitors 2 and 3 came to both links from Germany: once.
        { key: 'DE', visits: 7, uniqueVisitors: 5 },
        { key: 'AT', visits: 2, uniqueVisitors: 2 },
        { key: 'FR', visits: 2, uniqueVisitors: 2 },
      ],
    });
    const browsers = await siteStats(s.visits, 'browser', '2026-06-01', '2026-06-30');
    expect(browsers.data).toEqual([{ key: 'firefox', visits: 6, uniqueVisitors: 6 }]);
    expect(browsers.visits).toBe(18);
  });

  it('ranks the most visited links of a range, with their unique visitors and domain', async () => {
    const s = await open();
    const inserted = await s.domains.insertDomain(
      {
        host: 'go.example',
        aliasOf: null,
        rootRedirect: null,
        notFoundRedirect: null,
        expiredRedirect: null,
      },
      NOW,
    );
    if (!inserted.ok) throw new Error('domain not added');
    const domainId = inserted.domain.id;
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b', domainId);
    const c = await addLink(s, 'c');
    const d = await addLink(s, 'd');
    const gone = await addLink(s, 'gone');
    await s.visits.addVisits([
      day(a, '2026-06-14', 5, [0, 5]),
      day(a, '2026-06-15', 5, [3, 7]),
      day(b, '2026-06-15', 10, [0, 8]),
      day(c, '2026-06-15', 3, [0, 3]),
      day(d, '2026-06-15', 50, [0, 50]),
      day(gone, '2026-06-15', 99, [0, 99]),
      // Outside the range.
      day(c, '2026-06-20', 100, [0, 100]),
    ]);
    await s.links.deleteLink(gone, NOW);
    expect(await topLinks(s.visits, '2026-06-14', '2026-06-15', 3)).toEqual([
      { urlId: d, code: 'd', domainId: null, visits: 50, uniqueVisitors: 50 },
      // A tie: the older link (the smaller id) first.
      { urlId: a, code: 'a', domainId: null, visits: 10, uniqueVisitors: 7 },
      { urlId: b, code: 'b', domainId, visits: 10, uniqueVisitors: 8 },
    ]);
    expect(await topLinks(s.visits, '2026-06-14', '2026-06-15', 10)).toHaveLength(4);
    expect(await topLinks(s.visits, '2026-07-01', '2026-07-30', 10)).toEqual([]);
    expect(await topLinks(s.visits, '2026-06-14', '2026-06-15', 0)).toEqual([]);
  });

  it('adds requests for unknown codes per domain key and day, and sums them over a range', async () => {
    const s = await open();
    await s.visits.addNotFound([]);
    await s.visits.addNotFound([
      { domainKey: 0, day: '2026-06-14', count: 3 },
      { domainKey: 7, day: '2026-06-14', count: 5 },
      { domainKey: 0, day: '2026-06-15', count: 1 },
    ]);
    // A second flush (or another machine's) adds to what is stored.
    await s.visits.addNotFound([
      { domainKey: 0, day: '2026-06-15', count: 2 },
      { domainKey: 9, day: '2026-06-15', count: 6 },
      { domainKey: 9, day: '2026-06-20', count: 40 },
    ]);
    expect(await notFoundByDomain(s.visits, '2026-06-14', '2026-06-15')).toEqual([
      { domainKey: '0', count: 6 },
      { domainKey: '9', count: 6 },
      { domainKey: '7', count: 5 },
    ]);
    expect(await s.visits.notFoundCounts('2026-06-15', '2026-06-15')).toEqual([
      { domainKey: 9, count: 6 },
      { domainKey: 0, count: 3 },
    ]);
    expect(await s.visits.notFoundCounts('2026-07-01', '2026-07-02')).toEqual([]);
    expect(await s.visits.notFoundDays(null, '2026-06-14', '2026-06-20')).toEqual([
      { day: '2026-06-14', count: 8 },
      { day: '2026-06-15', count: 9 },
      { day: '2026-06-20', count: 40 },
    ]);
    expect(await s.visits.notFoundDays(0, '2026-06-14', '2026-06-20')).toEqual([
      { day: '2026-06-14', count: 3 },
      { day: '2026-06-15', count: 3 },
    ]);
    expect(await s.visits.notFoundDays(9, '2026-06-16', '2026-06-30')).toEqual([
      { day: '2026-06-20', count: 40 },
    ]);
  });

  it("sums a group's visits per day and per day and value: every link's, a domain's, a tag's", async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    const c = await addLink(s, 'c');
    await s.tags.setTags(a, ['News'], NOW);
    await s.tags.setTags(b, ['news', 'other'], NOW);
    const country = (value: string, count: number) =>
      ({ dimension: 'country', value, count, visitors: null }) as const;
    await s.visits.addVisits([
      day(a, '2026-06-14', 2, null, [country('DE', 2)]),
      day(a, '2026-06-15', 1, null, [country('JP', 1)]),
      day(b, '2026-06-15', 3, null, [country('DE', 1), country('JP', 2)]),
      day(c, '2026-06-15', 4, null, [country('US', 4)]),
    ]);
    const range = ['2026-06-01', '2026-06-30'] as const;
    expect(await s.visits.groupDayRows({ kind: 'all' }, ...range)).toEqual([
      { day: '2026-06-14', count: 2 },
      { day: '2026-06-15', count: 8 },
    ]);
    expect(await s.visits.groupDayRows({ kind: 'tag', tagKey: 'news' }, ...range)).toEqual([
      { day: '2026-06-14', count: 2 },
      { day: '2026-06-15', count: 4 },
    ]);
    expect(
      await s.visits.groupDayRows({ kind: 'tag', tagKey: 'other', domainKey: 0 }, ...range),
    ).toEqual([{ day: '2026-06-15', count: 3 }]);
    expect(
      await s.visits.groupDayRows({ kind: 'tag', tagKey: 'news', domainKey: 7 }, ...range),
    ).toEqual([]);
    expect(await s.visits.groupDayRows({ kind: 'domain', domainKey: 0 }, ...range)).toEqual([
      { day: '2026-06-14', count: 2 },
      { day: '2026-06-15', count: 8 },
    ]);
    expect(await s.visits.groupDayRows({ kind: 'domain', domainKey: 7 }, ...range)).toEqual([]);
    expect(
      await s.visits.groupDimensionRows({ kind: 'tag', tagKey: 'news' }, 'country', ...range),
    ).toEqual([
      { day: '2026-06-14', value: 'DE', count: 2 },
      { day: '2026-06-15', value: 'DE', count: 1 },
      { day: '2026-06-15', value: 'JP', count: 3 },
    ]);
    expect(
      await s.visits.groupDimensionRows({ kind: 'all' }, 'country', '2026-06-15', '2026-06-15'),
    ).toEqual([
      { day: '2026-06-15', value: 'DE', count: 1 },
      { day: '2026-06-15', value: 'JP', count: 3 },
      { day: '2026-06-15', value: 'US', count: 4 },
    ]);
    // A deleted link's visits are gone with it.
    await s.links.deleteLink(c, NOW);
    expect(await s.visits.groupDayRows({ kind: 'all' }, ...range)).toEqual([
      { day: '2026-06-14', count: 2 },
      { day: '2026-06-15', count: 4 },
    ]);
  });
});
