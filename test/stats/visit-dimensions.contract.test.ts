import { expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import {
  MAX_DIMENSION_VALUES,
  OTHER_VALUES,
  type DimensionCount,
  type VisitBatch,
} from '../../src/stats/visit-store.js';
import {
  addToSketch,
  decodeSketch,
  encodeSketch,
  estimateSketch,
  newSketch,
} from '../../src/stats/visitor-sketch.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';

/** Visitors' keyed hashes under one fixed key: visitor n is the address 10.x.y.z numbered n. */
const VISITORS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 7) });
const visitorHash = (n: number) =>
  VISITORS.hashOf(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, 'Mozilla/5.0');

// Visits by dimension and their unique visitors' sketches, through the VisitStore interface
// only: the same expectations on every engine.

const NOW = Date.UTC(2026, 5, 15, 12);

async function addLink(s: ContractStores, code: string): Promise<number> {
  const result = await s.links.insertLink(
    {
      target: 'https://s.example/',
      ...DEFAULT_OPTIONS,
      code,
      manageTokenHash: Buffer.from(`${code}-token`),
    },
    NOW,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
  return result.link.id;
}

/** The encoded sketch of visitors numbered `from` to `to` - 1 (a stand-in for their hashes). */
function visitors(from: number, to: number): Buffer {
  const sketch = newSketch();
  for (let i = from; i < to; i++) {
    // Two well-mixed 32-bit words per visitor, as a keyed hash gives them.
    addToSketch(sketch, visitorHash(i));
  }
  return encodeSketch(sketch);
}

function estimate(encoded: Uint8Array | null): number {
  const sketch = encoded === null ? null : decodeSketch(encoded);
  return sketch === null ? 0 : Math.round(estimateSketch(sketch));
}

function batch(urlId: number, day: string, dimensions: Omit<DimensionCount, 'day'>[]): VisitBatch {
  const count = dimensions
    .filter((d) => d.dimension === 'country')
    .reduce((sum, d) => sum + d.count, 0);
  return {
    urlId,
    count,
    lastVisit: NOW,
    byDay: new Map([[day, count]]),
    byReferrer: new Map(),
    dayVisitors: new Map([[day, visitors(0, count)]]),
    dimensions: dimensions.map((d) => ({ ...d, day })),
  };
}

describeStoreContract('VisitStore: dimensions and unique visitors', (open) => {
  it('adds counts per day, dimension and value, and merges the visitors’ sketches with what is stored', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.visits.addVisits([
      batch(a, '2026-06-15', [
        { dimension: 'country', value: 'DE', count: 3, visitors: visitors(0, 3) },
        { dimension: 'country', value: 'FR', count: 1, visitors: visitors(3, 4) },
        { dimension: 'browser', value: 'firefox', count: 4, visitors: visitors(0, 4) },
      ]),
      batch(b, '2026-06-15', [
        { dimension: 'country', value: 'DE', count: 1, visitors: visitors(100, 101) },
      ]),
    ]);
    // A second flush (or machine): visitors 2–5 in Germany, two of them seen before.
    await s.visits.addVisits([
      batch(a, '2026-06-15', [
        { dimension: 'country', value: 'DE', count: 4, visitors: visitors(2, 6) },
      ]),
      batch(a, '2026-06-16', [
        { dimension: 'country', value: 'DE', count: 2, visitors: visitors(0, 2) },
      ]),
    ]);

    const countries = await s.visits.dimensionRows(a, 'country', '2026-06-15', '2026-06-16');
    expect(countries.map((row) => [row.day, row.value, row.count, estimate(row.visitors)])).toEqual(
      [
        ['2026-06-15', 'DE', 7, 6],
        ['2026-06-15', 'FR', 1, 1],
        ['2026-06-16', 'DE', 2, 2],
      ],
    );
    expect(
      (await s.visits.dimensionRows(a, 'browser', '2026-06-15', '2026-06-15')).map((row) => [
        row.value,
        row.count,
      ]),
    ).toEqual([['firefox', 4]]);
    // The range is inclusive at both ends and the link's own.
    expect(await s.visits.dimensionRows(a, 'country', '2026-06-16', '2026-06-16')).toHaveLength(1);
    expect(
      (await s.visits.dimensionRows(b, 'country', '2026-06-01', '2026-06-30')).map((r) => r.count),
    ).toEqual([1]);
    const days = await s.visits.dayRows(a, '2026-06-01', '2026-06-30');
    expect(days.map((day) => [day.day, day.count, estimate(day.visitors)])).toEqual([
      ['2026-06-15', 8, 4],
      ['2026-06-16', 2, 2],
    ]);
  });

  it('a batch with a day’s count and no sketch keeps the stored sketch, and one with a sketch and no visit adds it (tallies written later than counts)', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    await s.visits.addVisits([batch(a, '2026-06-15', [])]);
    await s.visits.addVisits([
      { ...batch(a, '2026-06-15', []), dayVisitors: new Map([['2026-06-15', visitors(0, 3)]]) },
    ]);
    // Counts alone: 2 more visits that day, their visitors not yet sent.
    await s.visits.addVisits([
      {
        urlId: a,
        count: 2,
        lastVisit: NOW,
        byDay: new Map([['2026-06-15', 2]]),
        byReferrer: new Map(),
      },
    ]);
    // Their tallies, later, without a visit: the day's sketch grows, its count does not.
    await s.visits.addVisits([
      {
        urlId: a,
        count: 0,
        lastVisit: NOW,
        byDay: new Map(),
        byReferrer: new Map(),
        dayVisitors: new Map([
          ['2026-06-15', visitors(2, 5)],
          ['2026-06-16', visitors(7, 8)],
        ]),
        dimensions: [
          {
            day: '2026-06-15',
            dimension: 'country',
            value: 'DE',
            count: 2,
            visitors: visitors(2, 5),
          },
        ],
      },
    ]);
    const days = await s.visits.dayRows(a, '2026-06-01', '2026-06-30');
    expect(days.map((day) => [day.day, day.count, estimate(day.visitors)])).toEqual([
      ['2026-06-15', 2, 5],
      ['2026-06-16', 0, 1],
    ]);
    expect((await s.links.findLink('a'))?.visits).toBe(2);
  });

  it('keeps MAX_DIMENSION_VALUES values per link, day and dimension, and counts the rest under OTHER_VALUES', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const hosts = Array.from({ length: MAX_DIMENSION_VALUES + 5 }, (_, i) => `h${i}.example`);
    // Half in one flush, half in another, so the cap counts what is stored too.
    const half = Math.floor(hosts.length / 2);
    for (const part of [hosts.slice(0, half), hosts.slice(half)]) {
      await s.visits.addVisits([
        {
          ...batch(a, '2026-06-15', []),
          count: part.length,
          byDay: new Map([['2026-06-15', part.length]]),
          dimensions: part.map((value, i) => ({
            day: '2026-06-15',
            dimension: 'referrer' as const,
            value,
            count: 1,
            visitors: visitors(i, i + 1),
          })),
        },
      ]);
    }
    const rows = await s.visits.dimensionRows(a, 'referrer', '2026-06-15', '2026-06-15');
    expect(rows).toHaveLength(MAX_DIMENSION_VALUES + 1);
    expect(rows.find((row) => row.value === OTHER_VALUES)?.count).toBe(5);
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(hosts.length);
    // A known value still counts under its own name once the cap is reached.
    await s.visits.addVisits([
      {
        ...batch(a, '2026-06-15', []),
        count: 1,
        byDay: new Map([['2026-06-15', 1]]),
        dimensions: [
          {
            day: '2026-06-15',
            dimension: 'referrer',
            value: 'h0.example',
            count: 1,
            visitors: null,
          },
        ],
      },
    ]);
    const after = await s.visits.dimensionRows(a, 'referrer', '2026-06-15', '2026-06-15');
    expect(after.find((row) => row.value === 'h0.example')?.count).toBe(2);
  });

  it('keeps no statistics of a link deleted before the flush', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    await s.links.deleteLink(a, NOW);
    await s.visits.addVisits([
      batch(a, '2026-06-15', [
        { dimension: 'country', value: 'DE', count: 1, visitors: visitors(0, 1) },
      ]),
    ]);
    expect(await s.visits.dimensionRows(a, 'country', '2026-06-01', '2026-06-30')).toEqual([]);
    expect(await s.visits.dayRows(a, '2026-06-01', '2026-06-30')).toEqual([]);
  });
});
