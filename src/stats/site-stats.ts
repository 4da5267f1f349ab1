import type { GroupBy, LinkStats } from './link-stats.js';
import type { VisitStore } from './visit-store.js';
import {
  decodeSketch,
  estimateSketch,
  mergeInto,
  newSketch,
  type Sketch,
} from './visitor-sketch.js';

/**
 * The whole site's statistics over a range of UTC days (both ends included), over every link
 * (a deleted link's visits are gone with it): the same shape and order as a link's (LinkStats).
 * A visitor's hash is made with the day's key, which every link shares, so one visitor of two
 * links on a day counts once: the site's unique visitors are the union of the links' sketches.
 */
export type SiteStats = LinkStats;

/** A link among the most visited of a range, with its visits and unique visitors there. */
export type TopLink = {
  urlId: number;
  code: string;
  domainId: number | null;
  visits: number;
  uniqueVisitors: number;
};

/** The union of sketches, merged into one without a copy per sketch; a damaged one adds none. */
function unionOf(sketches: Iterable<Uint8Array>, into: Sketch = newSketch()): Sketch {
  for (const encoded of sketches) {
    const sketch = decodeSketch(encoded);
    if (sketch !== null) mergeInto(into, sketch);
  }
  return into;
}

const estimate = (sketch: Sketch): number => Math.round(estimateSketch(sketch));

/** Most visits first, ties by key: a link's statistics' order (link-stats.ts). */
const byVisits = (a: { key: string; visits: number }, b: { key: string; visits: number }) =>
  b.visits - a.visits || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The site's statistics from `from` to `to`, grouped by day or by one dimension. The database
 * sums the counts of each day or value; the sketches of each are merged here (SQLite merges them
 * as it reads, so one per day or value arrives). Visits that asked not to be tracked count in the
 * total and the days, under no value of any dimension.
 */
export async function siteStats(
  visits: Pick<VisitStore, 'siteDayRows' | 'siteDimensionRows'>,
  groupBy: GroupBy,
  from: string,
  to: string,
): Promise<SiteStats> {
  const days = await visits.siteDayRows(from, to);
  const total = days.reduce((sum, day) => sum + day.count, 0);
  const dayUnions = days.map((day) => unionOf(day.visitors));
  const all = newSketch();
  for (const union of dayUnions) mergeInto(all, union);
  const uniqueVisitors = estimate(all);
  if (groupBy === 'day') {
    const data = days.map((day, i) => ({
      key: day.key,
      visits: day.count,
      uniqueVisitors: estimate(dayUnions[i]!),
    }));
    return { from, to, groupBy, visits: total, uniqueVisitors, data };
  }
  const rows = await visits.siteDimensionRows(groupBy, from, to);
  const data = rows
    .map((row) => ({
      key: row.key,
      visits: row.count,
      uniqueVisitors: estimate(unionOf(row.visitors)),
    }))
    .toSorted(byVisits);
  return { from, to, groupBy, visits: total, uniqueVisitors, data };
}

/**
 * The `limit` most visited links from `from` to `to`, most visits first (ties by id); links
 * without a visit in the range are not among them. Only their sketches are read.
 */
export async function topLinks(
  visits: Pick<VisitStore, 'topLinkRows'>,
  from: string,
  to: string,
  limit: number,
): Promise<TopLink[]> {
  if (!Number.isInteger(limit) || limit < 1) return [];
  const rows = await visits.topLinkRows(from, to, limit);
  return rows.map((row) => ({
    urlId: row.urlId,
    code: row.code,
    domainId: row.domainId,
    visits: row.count,
    uniqueVisitors: estimate(unionOf(row.visitors)),
  }));
}

/**
 * Requests for unknown codes per domain key (link.ts: DEFAULT_DOMAIN_KEY, 0, for the default
 * domain; an added domain's id; an alias counts under the domain it aliases) from `from` to
 * `to`, most first (ties by key). Which codes were asked, and by whom, is never stored.
 */
export async function notFoundByDomain(
  visits: Pick<VisitStore, 'notFoundCounts'>,
  from: string,
  to: string,
): Promise<{ domainKey: string; count: number }[]> {
  const rows = await visits.notFoundCounts(from, to);
  return rows.map((row) => ({ domainKey: String(row.domainKey), count: row.count }));
}
