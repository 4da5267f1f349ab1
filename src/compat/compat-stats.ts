import { countryName } from '../stats/geo-country.js';
import { DIRECT, utcDay } from '../stats/visit-counter.js';
import {
  OTHER_VALUES,
  type Dimension,
  type VisitGroup,
  type VisitStore,
} from '../stats/visit-store.js';

/**
 * snip's statistics (daily aggregates per link, src/stats/link-stats.ts) in the shapes of the
 * products the compatible APIs imitate: Kutt's stats of a link, and Shlink's list of a short
 * URL's visits, built from the aggregates (ADR 034). Nothing here reads more than the aggregate
 * rows: snip stores no single visit.
 */

const DAY_MS = 86_400_000;

type Store = Pick<VisitStore, 'dayRows' | 'dimensionRows'>;

/** Whole days from `from` to `to` (YYYY-MM-DD). */
function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
}

/** Whole months from `from` to `to` (YYYY-MM-DD), counted as date-fns' differenceInMonths does. */
function monthsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
  return (ty - fy) * 12 + (tm - fm) - (td < fd ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Kutt.

/** Kutt's browser and OS names (its stats handler's fixed lists), in its order. */
export const KUTT_BROWSERS = ['chrome', 'edge', 'firefox', 'ie', 'opera', 'other', 'safari'];
export const KUTT_OS = ['android', 'ios', 'linux', 'macos', 'other', 'windows'];

/** The Kutt dimensions and how snip's keys become Kutt's names. */
const KUTT_DIMENSIONS: readonly { name: KuttDimension; dimension: Dimension }[] = [
  { name: 'browser', dimension: 'browser' },
  { name: 'os', dimension: 'os' },
  { name: 'country', dimension: 'country' },
  { name: 'referrer', dimension: 'referrer' },
];
type KuttDimension = 'browser' | 'os' | 'country' | 'referrer';

/**
 * A key of snip's as Kutt names it: a browser or OS Kutt does not list is `other` (snip's
 * `unknown` too); a country is Kutt's lower-case code; a referring host loses `www.` and has its
 * dots written `[dot]`, as Kutt stores it (its clients turn `[dot]` back into dots).
 */
export function kuttName(dimension: KuttDimension, key: string): string {
  switch (dimension) {
    case 'browser':
      return KUTT_BROWSERS.includes(key) ? key : 'other';
    case 'os':
      return KUTT_OS.includes(key) ? key : 'other';
    case 'country':
      return key.toLowerCase();
    case 'referrer':
      return key === DIRECT || key === OTHER_VALUES
        ? key
        : key.replace(/^www\./, '').replaceAll('.', '[dot]');
  }
}

type KuttEntry = { name: string; value: number };
type KuttPeriod = {
  stats: Record<KuttDimension, KuttEntry[]>;
  views: number[];
  total: number;
};
export type KuttStats = {
  lastYear: KuttPeriod;
  lastDay: KuttPeriod;
  lastMonth: KuttPeriod;
  lastWeek: KuttPeriod;
  updatedAt: string;
};

type PeriodName = 'lastDay' | 'lastWeek' | 'lastMonth' | 'lastYear';
const PERIOD_BARS: Record<PeriodName, number> = {
  lastDay: 24,
  lastWeek: 7,
  lastMonth: 30,
  lastYear: 12,
};

/**
 * The bar of a period's `views` a UTC day's visits go to, or null when the day is outside the
 * period. Kutt counts the last 24 hours by the hour, the last 7 and 30 days by the day and the
 * last 12 months by the month, the last bar being now's. snip counts by the UTC day: the last
 * day is today (its visits in the last bar, the hours unknown), a week and a month are today
 * and the days before, a year the days less than twelve whole months before today.
 */
function barOf(period: PeriodName, day: string, today: string): number | null {
  const days = daysBetween(day, today);
  if (days < 0) return null;
  switch (period) {
    case 'lastDay':
      return days === 0 ? 23 : null;
    case 'lastWeek':
      return days < 7 ? 6 - days : null;
    case 'lastMonth':
      return days < 30 ? 29 - days : null;
    case 'lastYear': {
      const months = monthsBetween(day, today);
      return months < 12 ? 11 - months : null;
    }
  }
}

/**
 * A link's statistics as Kutt's `GET /api/v2/links/{id}/stats` answers them (without the link's
 * fields, which the route adds): per period its total, its views per bar and its visits by
 * browser, OS, country and referrer as `[{ name, value }]`, most first. Every browser and OS of
 * Kutt's lists is named, with 0 when it has no visits, as Kutt answers. Visits that asked not
 * to be tracked (DNT, GPC) count in the totals and views and under no name.
 */
export async function kuttStats(visits: Store, urlId: number, now: number): Promise<KuttStats> {
  const today = utcDay(now);
  // Wide enough for twelve whole months back; barOf keeps the days of each period.
  const first = utcDay(now - 366 * DAY_MS);
  const periods = Object.keys(PERIOD_BARS) as PeriodName[];
  const tally = new Map(
    periods.map((period) => [
      period,
      {
        views: new Array<number>(PERIOD_BARS[period]).fill(0),
        total: 0,
        counts: new Map<KuttDimension, Map<string, number>>(
          KUTT_DIMENSIONS.map(({ name }) => [name, new Map()]),
        ),
      },
    ]),
  );
  for (const row of await visits.dayRows(urlId, first, today)) {
    for (const period of periods) {
      const bar = barOf(period, row.day, today);
      if (bar === null) continue;
      const entry = tally.get(period)!;
      entry.views[bar]! += row.count;
      entry.total += row.count;
    }
  }
  for (const { name, dimension } of KUTT_DIMENSIONS) {
    for (const row of await visits.dimensionRows(urlId, dimension, first, today)) {
      const kutt = kuttName(name, row.value);
      for (const period of periods) {
        if (barOf(period, row.day, today) === null) continue;
        const counts = tally.get(period)!.counts.get(name)!;
        counts.set(kutt, (counts.get(kutt) ?? 0) + row.count);
      }
    }
  }
  const block = (period: PeriodName): KuttPeriod => {
    const { views, total, counts } = tally.get(period)!;
    const entries = (name: KuttDimension, fixed: readonly string[]): KuttEntry[] => {
      const found = counts.get(name)!;
      // Kutt's fixed names first in its order, then the others by name; then most first (a
      // stable sort, as Kutt's, so ties keep that order).
      const names = [...fixed, ...[...found.keys()].filter((n) => !fixed.includes(n)).sort()];
      return names
        .map((n) => ({ name: n, value: found.get(n) ?? 0 }))
        .sort((a, b) => b.value - a.value);
    };
    return {
      stats: {
        browser: entries('browser', KUTT_BROWSERS),
        os: entries('os', KUTT_OS),
        country: entries('country', []),
        referrer: entries('referrer', []),
      },
      views,
      total,
    };
  };
  return {
    lastYear: block('lastYear'),
    lastDay: block('lastDay'),
    lastMonth: block('lastMonth'),
    lastWeek: block('lastWeek'),
    updatedAt: new Date(now).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Shlink.

/** Shlink's VisitLocation, of which snip knows the country only. */
type ShlinkLocation = {
  countryCode: string;
  countryName: string;
  regionName: string;
  cityName: string;
  latitude: number;
  longitude: number;
  timezone: string;
  isEmpty: boolean;
};

/** Shlink's Visit, built from the aggregates (ADR 034); an orphan one has its `type` too. */
export type ShlinkVisit = {
  referer: string;
  date: string;
  userAgent: string;
  visitLocation: ShlinkLocation | null;
  potentialBot: boolean;
  visitedUrl: string | null;
  redirectUrl: string | null;
  type?: 'invalid_short_url';
};

/**
 * What a list of visits is built from: visits per UTC day, and per day and value of the
 * dimensions it shows (country, referrer), for one link, a group of links, or none (orphans).
 */
export type VisitsSource = {
  days(from: string, to: string): Promise<{ day: string; count: number }[]>;
  values(
    dimension: Dimension,
    from: string,
    to: string,
  ): Promise<{ day: string; value: string; count: number }[]>;
};

/** One link's aggregates. */
export function linkVisitsSource(visits: Store, urlId: number): VisitsSource {
  return {
    days: async (from, to) => visits.dayRows(urlId, from, to),
    values: async (dimension, from, to) => visits.dimensionRows(urlId, dimension, from, to),
  };
}

/** A group's aggregates, summed by the store: every link's, a domain's or a tag's. */
export function groupVisitsSource(
  visits: Pick<VisitStore, 'groupDayRows' | 'groupDimensionRows'>,
  group: VisitGroup,
): VisitsSource {
  return {
    days: async (from, to) => visits.groupDayRows(group, from, to),
    values: async (dimension, from, to) => visits.groupDimensionRows(group, dimension, from, to),
  };
}

/**
 * The requests for unknown codes, on one domain key or (null) every domain: per day only, so
 * their visits have no country and no referrer.
 */
export function orphanVisitsSource(
  visits: Pick<VisitStore, 'notFoundDays'>,
  domainKey: number | null,
): VisitsSource {
  return {
    days: async (from, to) => visits.notFoundDays(domainKey, from, to),
    values: async () => [],
  };
}

/** Most visits first, then by value: the order a day's values are handed to its visits. */
type ValueCount = { value: string; count: number };

/** The values of the visits numbered `from` to `to` (excluded) of a day, null past the last. */
function valuesOf(entries: readonly ValueCount[], from: number, to: number): (string | null)[] {
  const out: (string | null)[] = [];
  let entry = 0;
  let end = entries[0]?.count ?? 0;
  for (let i = from; i < to; i++) {
    while (entry < entries.length && i >= end) {
      entry++;
      end += entries[entry]?.count ?? 0;
    }
    out.push(entry < entries.length ? entries[entry]!.value : null);
  }
  return out;
}

/** A dimension's rows of a range, per day, each day's values most first. */
async function valuesByDay(
  source: VisitsSource,
  dimension: Dimension,
  from: string,
  to: string,
): Promise<Map<string, ValueCount[]>> {
  const byDay = new Map<string, ValueCount[]>();
  for (const row of await source.values(dimension, from, to)) {
    let list = byDay.get(row.day);
    if (!list) byDay.set(row.day, (list = []));
    const same = list.find((entry) => entry.value === row.value);
    if (same) same.count += row.count;
    else list.push({ value: row.value, count: row.count });
  }
  for (const list of byDay.values()) {
    list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }
  return byDay;
}

function locationOf(country: string | null): ShlinkLocation | null {
  if (country === null || !/^[A-Za-z]{2}$/.test(country)) return null;
  const code = country.toUpperCase();
  return {
    countryCode: code,
    countryName: countryName(code, 'en', code),
    regionName: '',
    cityName: '',
    latitude: 0,
    longitude: 0,
    timezone: '',
    isEmpty: false,
  };
}

/**
 * One page of visits from `from` to `to` (UTC days, both included), newest day first, as Shlink
 * lists them, and how many visits the range has. Each day's visits are made
 * from its aggregates (ADR 034): as many as the day counted, dated at its midnight UTC; the
 * day's countries and referring hosts are handed out to them, most frequent first, so that
 * every count per day and country or referrer is the real one, while which country goes with
 * which referrer in one row is not known and means nothing. Visits with DNT/GPC, or past the
 * counted values, have no location and no referrer; the values past snip's hundred a day are
 * the referrer `(other)` and no location. The User-Agent is never stored: it is ''.
 */
export async function shlinkVisitsPage(
  source: VisitsSource,
  range: { from: string; to: string },
  page: { offset: number; limit: number },
  visitedUrl: string | null,
  orphan = false,
): Promise<{ data: ShlinkVisit[]; total: number }> {
  const days = (await source.days(range.from, range.to)).toReversed();
  const total = days.reduce((sum, day) => sum + day.count, 0);
  const end = page.offset + page.limit;
  const slices: { day: string; from: number; to: number }[] = [];
  let before = 0;
  for (const day of days) {
    const from = Math.max(page.offset - before, 0);
    const to = Math.min(end - before, day.count);
    if (from < to) slices.push({ day: day.day, from, to });
    before += day.count;
    if (before >= end) break;
  }
  if (slices.length === 0) return { data: [], total };
  const newest = slices[0]!.day;
  const oldest = slices.at(-1)!.day;
  const countries = await valuesByDay(source, 'country', oldest, newest);
  const referrers = await valuesByDay(source, 'referrer', oldest, newest);
  const data: ShlinkVisit[] = [];
  for (const { day, from, to } of slices) {
    const country = valuesOf(countries.get(day) ?? [], from, to);
    const referrer = valuesOf(referrers.get(day) ?? [], from, to);
    for (let i = 0; i < to - from; i++) {
      const host = referrer[i] ?? null;
      data.push({
        referer: host === null || host === DIRECT ? '' : host,
        date: `${day}T00:00:00+00:00`,
        userAgent: '',
        visitLocation: locationOf(country[i] ?? null),
        potentialBot: false,
        visitedUrl,
        redirectUrl: null,
        ...(orphan ? { type: 'invalid_short_url' as const } : {}),
      });
    }
  }
  return { data, total };
}
