import { DIMENSIONS, type EncodedVisitors, type VisitStore } from './visit-store.js';
import {
  decodeSketch,
  estimateSketch,
  mergeSketches,
  newSketch,
  type Sketch,
} from './visitor-sketch.js';

/** What a link's statistics can be grouped by: its days, or one dimension. */
export const GROUP_BY = ['day', ...DIMENSIONS] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** One key of a grouping: a day, or a dimension's value, with its visits and unique visitors. */
export type StatsEntry = { key: string; visits: number; uniqueVisitors: number };

/**
 * A link's statistics over a range of UTC days (both ends included): every visit of the range
 * and its unique visitors, and the entries of the grouping. Days come in order; the values of a
 * dimension by visits, most first (ties by key). Visits that asked not to be tracked count in
 * the range's total and its days, under no value of any dimension.
 */
export type LinkStats = {
  from: string;
  to: string;
  groupBy: GroupBy;
  visits: number;
  uniqueVisitors: number;
  data: StatsEntry[];
};

/** The estimate of a set of encoded sketches' union: a damaged one counts as empty. */
function uniqueOf(sketches: readonly EncodedVisitors[]): number {
  let union: Sketch = newSketch();
  for (const encoded of sketches) {
    const sketch = encoded === null ? null : decodeSketch(encoded);
    if (sketch !== null) union = mergeSketches(union, sketch);
  }
  return Math.round(estimateSketch(union));
}

/**
 * The statistics of one link (its id) from `from` to `to`, read from the store. A visitor is
 * one per day: the key their hash is made with changes every UTC day, so the range's unique
 * visitors are the sum of its days' at most, and the union of the days' sketches is what is
 * estimated.
 */
export async function linkStats(
  visits: Pick<VisitStore, 'dayRows' | 'dimensionRows'>,
  urlId: number,
  groupBy: GroupBy,
  from: string,
  to: string,
): Promise<LinkStats> {
  const days = await visits.dayRows(urlId, from, to);
  const total = days.reduce((sum, day) => sum + day.count, 0);
  const uniqueVisitors = uniqueOf(days.map((day) => day.visitors));
  if (groupBy === 'day') {
    const data = days.map((day) => ({
      key: day.day,
      visits: day.count,
      uniqueVisitors: uniqueOf([day.visitors]),
    }));
    return { from, to, groupBy, visits: total, uniqueVisitors, data };
  }
  const rows = await visits.dimensionRows(urlId, groupBy, from, to);
  const byValue = new Map<string, { visits: number; sketches: EncodedVisitors[] }>();
  for (const row of rows) {
    let entry = byValue.get(row.value);
    if (!entry) byValue.set(row.value, (entry = { visits: 0, sketches: [] }));
    entry.visits += row.count;
    entry.sketches.push(row.visitors);
  }
  const data = [...byValue]
    .map(([key, entry]) => ({
      key,
      visits: entry.visits,
      uniqueVisitors: uniqueOf(entry.sketches),
    }))
    .toSorted((a, b) => b.visits - a.visits || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { from, to, groupBy, visits: total, uniqueVisitors, data };
}
