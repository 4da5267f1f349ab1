import { z } from 'zod';
import { englishOf, text, translator, type Text, type Translate } from '../i18n/catalog.js';
import { formatsOf, type Formats } from '../i18n/formats.js';
import { SOURCE_LANGUAGE, supportedLanguage } from '../i18n/languages.js';
import { countryName } from './geo-country.js';
import type { GeoSource } from './geo-source.js';
import { linkStats, type StatsEntry } from './link-stats.js';
import { notFoundByDomain, siteStats, topLinks, type TopLink } from './site-stats.js';
import { DIRECT, utcDay } from './visit-counter.js';
import { DIMENSIONS, OTHER_VALUES, type Dimension, type VisitStore } from './visit-store.js';
import { decodeSketch, estimateSketch } from './visitor-sketch.js';

/**
 * What the statistics pages show, worked out here so the templates stay declarative: the range
 * a query asks for, the chart of visits and unique visitors over it, one bar list per dimension
 * with its values named in the page's language, and the CSV download. The management page, the
 * admin's link page and the admin's overview share it; views/partials/bar-list.ejs draws a list.
 * Its words come from the catalog and its dates from Intl, in the page's language.
 */

/**
 * The words and formats of a page in `pageLanguage`. Names from Intl (countries, languages) are
 * in any language the runtime knows; the catalog's words, in English where snip has no catalog.
 */
function wordsOf(pageLanguage: string): { t: Translate; fmt: Formats } {
  const language = supportedLanguage(pageLanguage) ?? SOURCE_LANGUAGE;
  return { t: translator(language), fmt: formatsOf(language) };
}

const DAY_MS = 86_400_000;

/** The periods offered as links: the last 7, 30 or 90 UTC days, or since the link was made. */
export const RANGE_PRESETS = ['7', '30', '90', 'all'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
/** Without a query: the last 30 days, as before there were ranges. */
export const DEFAULT_PRESET: RangePreset = '30';
/** The most days one page or download covers: ten years, as the API. */
export const MAX_RANGE_DAYS = 3660;
/** Values shown per bar list; the CSV download has them all. */
export const BAR_LIST_LIMIT = 10;

/** A range of UTC days, both ends included, and the preset it came from (null: from–to). */
export type StatsRange = { from: string; to: string; days: number; preset: RangePreset | null };
/** What is wrong with a range query, per form field (`days` is the preset links' parameter). */
export type RangeErrors = { days?: Text; from?: Text; to?: Text };
export type RangeResult =
  | { ok: true; range: StatsRange }
  | { ok: false; errors: RangeErrors; values: { from: string; to: string } };

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDay(text: string): boolean {
  if (!DAY_PATTERN.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(time) && utcDay(time) === text;
}

function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / DAY_MS;
}

function addDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

const RangeQuerySchema = z.object({
  days: z.enum(RANGE_PRESETS).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
});

/** What a field of the query that does not parse says (a preset that is none, a day given twice). */
const QUERY_ERRORS: Readonly<Record<keyof RangeErrors, Text>> = {
  days: text('stats.range.daysInvalid'),
  from: text('stats.range.fromTwice'),
  to: text('stats.range.toTwice'),
};

/**
 * The range a page's query asks for: `?days=7|30|90|all` (the links above the chart; `all`
 * starts on the day the link was made, `created`, at most MAX_RANGE_DAYS ago), or `?from=&to=`
 * (the form; an empty `from` is that first day too, an empty `to` today). No query: the last 30 days. Days are UTC. A
 * range that is not one (a day that does not exist, the last before the first, a day after
 * today, more than MAX_RANGE_DAYS) comes back as field errors, with what was typed.
 */
export function parseStatsRange(query: unknown, created: number, now: number): RangeResult {
  const parsed = RangeQuerySchema.safeParse(query ?? {});
  const typed = (value: unknown) => (typeof value === 'string' ? value.slice(0, 40) : '');
  const raw = (query ?? {}) as Record<string, unknown>;
  const values = { from: typed(raw.from), to: typed(raw.to) };
  if (!parsed.success) {
    const errors: RangeErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as keyof RangeErrors;
      errors[field] ??= QUERY_ERRORS[field];
    }
    return { ok: false, errors, values };
  }
  const today = utcDay(now);
  // The day the link was made, no longer ago than a range reaches (a damaged stored time, one
  // before 1970 or none at all, reads as that far back).
  const made = Number.isFinite(created) ? Math.min(Math.max(created, 0), now) : 0;
  const firstDay = [utcDay(made), addDays(today, 1 - MAX_RANGE_DAYS)].toSorted().at(-1)!;
  const { days, from, to } = parsed.data;
  if (from === undefined && to === undefined) {
    const preset = days ?? DEFAULT_PRESET;
    const start = preset === 'all' ? firstDay : addDays(today, 1 - Number(preset));
    return {
      ok: true,
      range: { from: start, to: today, days: dayNumber(today) - dayNumber(start) + 1, preset },
    };
  }
  const errors: RangeErrors = {};
  const first = from?.trim() || firstDay;
  const last = to?.trim() || today;
  if (!isCalendarDay(first)) errors.from = text('stats.range.fromInvalid');
  if (!isCalendarDay(last)) errors.to = text('stats.range.toInvalid');
  else if (last > today) errors.to = text('stats.range.toFuture', { today });
  if (errors.from === undefined && errors.to === undefined) {
    if (first > last) errors.to = text('stats.range.toBeforeFrom');
    else if (dayNumber(last) - dayNumber(first) + 1 > MAX_RANGE_DAYS)
      errors.from = text('stats.range.tooLong', { max: MAX_RANGE_DAYS });
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors, values };
  return {
    ok: true,
    range: { from: first, to: last, days: dayNumber(last) - dayNumber(first) + 1, preset: null },
  };
}

/** The range as a query for a link or the CSV download: `days=…`, or `from=…&to=…`. */
export function rangeQuery(range: StatsRange): string {
  return range.preset !== null
    ? `days=${range.preset}`
    : `from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`;
}

/** The days of a range in the page's language: "Jan 1, 2026 to Jan 31, 2026", or the one day. */
function describeDays(range: Pick<StatsRange, 'from' | 'to'>, t: Translate, fmt: Formats): string {
  return range.from === range.to
    ? fmt.day(range.from)
    : t('stats.range.fromTo', { from: fmt.day(range.from), to: fmt.day(range.to) });
}

/** "the last 30 days", "all time (since Jan 2, 2026)", "Jan 1, 2026 to Jan 31, 2026", in the page's language. */
export function describeRange(range: StatsRange, pageLanguage: string = SOURCE_LANGUAGE): string {
  const { t, fmt } = wordsOf(pageLanguage);
  if (range.preset === 'all') return t('stats.range.allTimeSince', { day: fmt.day(range.from) });
  if (range.preset !== null) return t('stats.range.lastDays', { days: Number(range.preset) });
  return describeDays(range, t, fmt);
}

// ---------------------------------------------------------------------------------------------
// The chart: visits and unique visitors over the range, per day, week or month.

export type ChartUnit = 'day' | 'week' | 'month';
export type ChartBar = {
  /** The first day of the bar's period (YYYY-MM-DD); a month as YYYY-MM. */
  label: string;
  /** The same for people, in the page's language: "Jun 1, 2026", "Jun 2026". */
  name: string;
  visits: number;
  uniqueVisitors: number;
  x: number;
  y: number;
  height: number;
  /** The inner bar of unique visitors. */
  uniqueY: number;
  uniqueHeight: number;
};
export type RangeChart = {
  unit: ChartUnit;
  title: string;
  /** One sentence for screen readers and the caption: the chart's text alternative. */
  summary: string;
  bars: ChartBar[];
  ticks: { value: number; y: number }[];
  width: number;
  height: number;
  left: number;
  barWidth: number;
  uniqueWidth: number;
};

const WIDTH = 600;
const HEIGHT = 180;
const LEFT = 36;
const BOTTOM = 20;
const TOP = 8;
/** Bars per day up to about a quarter, per week up to three years, per month beyond. */
const DAILY_UP_TO = 92;
const WEEKLY_UP_TO = 3 * 366;

/** A "nice" upper bound for the axis: 1, 2 or 5 times a power of ten, at least 4. */
function niceCeiling(value: number): number {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function unitOf(days: number): ChartUnit {
  return days <= DAILY_UP_TO ? 'day' : days <= WEEKLY_UP_TO ? 'week' : 'month';
}

/**
 * The chart of a range from the entries of its days (`linkStats(…, 'day', …)`, or the site's).
 * Days without visits get a bar of height zero so the time axis stays even. A visitor is counted
 * once per day (the key their hash is made with changes every UTC day), so a week's or a month's
 * unique visitors are the sum of its days'.
 */
export function buildRangeChart(
  entries: readonly StatsEntry[],
  range: Pick<StatsRange, 'from' | 'to' | 'days'>,
  pageLanguage: string = SOURCE_LANGUAGE,
): RangeChart {
  const { t, fmt } = wordsOf(pageLanguage);
  const unit = unitOf(range.days);
  const byDay = new Map(entries.map((entry) => [entry.key, entry]));
  const buckets: { label: string; visits: number; uniqueVisitors: number }[] = [];
  for (let i = 0; i < range.days; i++) {
    const day = addDays(range.from, i);
    const label =
      unit === 'day' ? day : unit === 'week' ? addDays(range.from, i - (i % 7)) : day.slice(0, 7);
    if (buckets.at(-1)?.label !== label) buckets.push({ label, visits: 0, uniqueVisitors: 0 });
    const entry = byDay.get(day);
    if (entry) {
      buckets.at(-1)!.visits += entry.visits;
      buckets.at(-1)!.uniqueVisitors += entry.uniqueVisitors;
    }
  }
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / buckets.length;
  const top = niceCeiling(Math.max(0, ...buckets.map((b) => b.visits)));
  const scale = plotHeight / top;
  const barWidth = slot * 0.7;
  const bars = buckets.map((bucket, i) => ({
    ...bucket,
    name: unit === 'month' ? fmt.month(bucket.label) : fmt.day(bucket.label),
    x: LEFT + i * slot + slot * 0.15,
    y: TOP + plotHeight - bucket.visits * scale,
    height: bucket.visits * scale,
    uniqueY: TOP + plotHeight - bucket.uniqueVisitors * scale,
    uniqueHeight: bucket.uniqueVisitors * scale,
  }));
  const ticks = [0, top / 2, top]
    .filter(Number.isInteger)
    .map((value) => ({ value, y: TOP + plotHeight - value * scale }));
  const total = buckets.reduce((sum, b) => sum + b.visits, 0);
  const peak = bars.reduce((best, b) => (b.visits > best.visits ? b : best), bars[0]!);
  const period = describeDays(range, t, fmt);
  const busiest = { total, period, peak: peak.name, peakVisits: peak.visits };
  const summary =
    total === 0
      ? t('stats.chart.summaryNone', { period })
      : {
          day: () => t('stats.chart.summaryDay', busiest),
          week: () => t('stats.chart.summaryWeek', busiest),
          month: () => t('stats.chart.summaryMonth', busiest),
        }[unit]();
  const title = {
    day: () => t('stats.chart.titleDay', { period }),
    week: () => t('stats.chart.titleWeek', { period }),
    month: () => t('stats.chart.titleMonth', { period }),
  }[unit]();
  return {
    unit,
    title,
    summary,
    bars,
    ticks,
    width: WIDTH,
    height: HEIGHT,
    left: LEFT,
    barWidth,
    uniqueWidth: barWidth * 0.5,
  };
}

// ---------------------------------------------------------------------------------------------
// Bar lists: the values of one dimension, named for people.

export type BarRow = {
  key: string;
  label: string;
  visits: number;
  uniqueVisitors: number;
  /** Where the value's own page is (the overview's top links); none: plain text. */
  href?: string;
  /** The bars' lengths, 0–100, relative to the list's most visited value. */
  visitsWidth: number;
  uniqueWidth: number;
};
export type BarList = {
  id: string;
  title: string;
  /** The heading of the first column: what a row is. */
  keyHeading: string;
  rows: BarRow[];
  /** Values past BAR_LIST_LIMIT, not shown (the CSV has them). */
  more: number;
};

/** Browsers' and systems' own names, the same in every language. */
const FAMILY_NAMES: Readonly<Record<string, string>> = {
  chrome: 'Chrome',
  chromium: 'Chromium',
  edge: 'Edge',
  firefox: 'Firefox',
  safari: 'Safari',
  opera: 'Opera',
  samsung: 'Samsung Internet',
  brave: 'Brave',
  vivaldi: 'Vivaldi',
  yandex: 'Yandex Browser',
  uc: 'UC Browser',
  duckduckgo: 'DuckDuckGo',
  silk: 'Silk',
  ie: 'Internet Explorer',
  android: 'Android',
  ios: 'iOS',
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
  chromeos: 'ChromeOS',
  harmonyos: 'HarmonyOS',
};

/** Each dimension's list in the page's language: its title and what a row is. */
function dimensionTitles(t: Translate): Record<Dimension, { title: string; keyHeading: string }> {
  return {
    country: { title: t('stats.list.countries'), keyHeading: t('stats.list.country') },
    browser: { title: t('stats.list.browsers'), keyHeading: t('stats.list.browser') },
    os: { title: t('stats.list.systems'), keyHeading: t('stats.list.system') },
    device: { title: t('stats.list.devices'), keyHeading: t('stats.list.device') },
    language: { title: t('stats.list.languages'), keyHeading: t('stats.list.language') },
    referrer: { title: t('stats.list.referrers'), keyHeading: t('stats.list.referrer') },
  };
}

const LANGUAGE_TAG = /^[a-z]{2,3}$/;
const languageNames = new Map<string, Intl.DisplayNames | null>();

/** A language's name in the page's language (`de` → German); the tag where there is none. */
function languageName(tag: string, pageLanguage: string): string {
  if (!LANGUAGE_TAG.test(tag)) return tag;
  let names = languageNames.get(pageLanguage);
  if (names === undefined) {
    try {
      names = new Intl.DisplayNames([pageLanguage], { type: 'language', fallback: 'code' });
    } catch {
      names = null;
    }
    languageNames.set(pageLanguage, names);
  }
  return names?.of(tag) ?? tag;
}

/**
 * A value of a dimension as the page shows it: a country or language by its name in
 * `pageLanguage` (the code where the runtime knows none), a browser, OS or device by its usual
 * name, a referring host as it is, and `direct`, `unknown` and `(other)` in words.
 */
export function valueLabel(dimension: Dimension, key: string, pageLanguage: string): string {
  const { t } = wordsOf(pageLanguage);
  if (key === DIRECT && dimension === 'referrer') return t('stats.value.direct');
  if (key === 'unknown') return t('stats.value.unknown');
  if (key === OTHER_VALUES) return t('stats.value.others');
  switch (dimension) {
    case 'country':
      return countryName(key, pageLanguage, t('stats.value.unknown'));
    case 'language':
      return languageName(key, pageLanguage);
    case 'referrer':
      return key;
    default:
      if (key === 'other') return t('stats.value.other');
      if (key === 'desktop') return t('stats.value.desktop');
      if (key === 'mobile') return t('stats.value.mobile');
      if (key === 'tablet') return t('stats.value.tablet');
      return Object.hasOwn(FAMILY_NAMES, key) ? FAMILY_NAMES[key]! : key;
  }
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
}

/** A bar list of entries (most visited first), cut at `limit`, each named with `labelOf`. */
export function buildBarList(
  list: { id: string; title: string; keyHeading: string },
  entries: readonly StatsEntry[],
  labelOf: (key: string) => string,
  limit = BAR_LIST_LIMIT,
): BarList {
  const shown = entries.slice(0, limit);
  const max = Math.max(0, ...shown.map((entry) => entry.visits));
  return {
    ...list,
    rows: shown.map((entry) => ({
      key: entry.key,
      label: labelOf(entry.key),
      visits: entry.visits,
      uniqueVisitors: entry.uniqueVisitors,
      visitsWidth: percent(entry.visits, max),
      uniqueWidth: percent(Math.min(entry.uniqueVisitors, entry.visits), max),
    })),
    more: Math.max(0, entries.length - shown.length),
  };
}

// ---------------------------------------------------------------------------------------------
// A link's statistics section and its download.

/** The country database and where to read about it, as its licence asks (null: none). */
export type StatsNotes = { geoSource: GeoSource | null };

export type LinkStatsView = {
  range: StatsRange;
  rangeText: string;
  /** The range's query (`days=30`, `from=…&to=…`) for the download link. */
  query: string;
  visits: number;
  uniqueVisitors: number;
  chart: RangeChart;
  lists: BarList[];
};

/**
 * Everything a link's statistics section shows for `range`: its totals, the chart and one bar
 * list per dimension, the values named in `pageLanguage`.
 */
export async function buildLinkStatsView(
  visits: Pick<VisitStore, 'dayRows' | 'dimensionRows'>,
  urlId: number,
  range: StatsRange,
  pageLanguage: string,
): Promise<LinkStatsView> {
  const [days, ...byDimension] = await Promise.all([
    linkStats(visits, urlId, 'day', range.from, range.to),
    ...DIMENSIONS.map((dimension) => linkStats(visits, urlId, dimension, range.from, range.to)),
  ]);
  const titles = dimensionTitles(wordsOf(pageLanguage).t);
  return {
    range,
    rangeText: describeRange(range, pageLanguage),
    query: rangeQuery(range),
    visits: days!.visits,
    uniqueVisitors: days!.uniqueVisitors,
    chart: buildRangeChart(days!.data, range, pageLanguage),
    lists: DIMENSIONS.map((dimension, i) =>
      buildBarList({ id: dimension, ...titles[dimension] }, byDimension[i]!.data, (key) =>
        valueLabel(dimension, key, pageLanguage),
      ),
    ),
  };
}

/** The header of the statistics download. */
export const STATS_CSV_HEADER = ['day', 'dimension', 'value', 'visits', 'unique_visitors'];

function uniqueOf(encoded: Uint8Array | null): number {
  const sketch = encoded === null ? null : decodeSketch(encoded);
  return sketch === null ? 0 : Math.round(estimateSketch(sketch));
}

/**
 * The rows of a link's statistics download for a range, header first: per day with visits, a
 * `day` row (its value the day itself), then one row per stored dimension value of that day, in
 * the order of DIMENSIONS. Values are as stored (codes, not names): the door writes each row
 * with snip's CSV writer, which defuses formulas.
 */
export async function statsCsvRows(
  visits: Pick<VisitStore, 'dayRows' | 'dimensionRows'>,
  urlId: number,
  range: Pick<StatsRange, 'from' | 'to'>,
): Promise<string[][]> {
  const [days, ...byDimension] = await Promise.all([
    visits.dayRows(urlId, range.from, range.to),
    ...DIMENSIONS.map((dimension) => visits.dimensionRows(urlId, dimension, range.from, range.to)),
  ]);
  const byDay = new Map<string, string[][]>();
  const rowsOf = (day: string) => {
    let list = byDay.get(day);
    if (!list) byDay.set(day, (list = []));
    return list;
  };
  for (const day of days!) {
    rowsOf(day.day).push([
      day.day,
      'day',
      day.day,
      String(day.count),
      String(uniqueOf(day.visitors)),
    ]);
  }
  DIMENSIONS.forEach((dimension, i) => {
    for (const row of byDimension[i]!) {
      rowsOf(row.day).push([
        row.day,
        dimension,
        row.value,
        String(row.count),
        String(uniqueOf(row.visitors)),
      ]);
    }
  });
  const rows: string[][] = [STATS_CSV_HEADER];
  for (const day of [...byDay.keys()].toSorted()) rows.push(...byDay.get(day)!);
  return rows;
}

/** The download's file name: `snip-<code>-stats-<from>-<to>.csv`. */
export function statsCsvName(code: string, range: Pick<StatsRange, 'from' | 'to'>): string {
  return `snip-${code}-stats-${range.from}-to-${range.to}.csv`;
}

/**
 * A link's statistics download for a page's query (its range, as the page takes it): the file's
 * name and rows, or what is wrong with the range, in English (the door answers 400 with it). The
 * download is data, like an API: its columns and values are not translated.
 */
export async function statsCsvDownload(
  visits: Pick<VisitStore, 'dayRows' | 'dimensionRows'>,
  link: { id: number; code: string; created: number },
  query: unknown,
  now: number,
): Promise<{ ok: true; name: string; rows: string[][] } | { ok: false; problem: string }> {
  const parsed = parseStatsRange(query, link.created, now);
  if (!parsed.ok)
    return { ok: false, problem: Object.values(parsed.errors).map(englishOf).join(' ') };
  const rows = await statsCsvRows(visits, link.id, parsed.range);
  return { ok: true, name: statsCsvName(link.code, parsed.range), rows };
}

/** A link's statistics section for a page's query: the view, or the range's errors (then 400). */
export type LinkStatsSection = {
  stats: LinkStatsView | null;
  errors: RangeErrors;
  values: { from: string; to: string };
};

/**
 * The statistics section of a link's page for the range its query asks for
 * (parseStatsRange): its view, or, for a range that is no range, no view and the field errors.
 */
export async function linkStatsSection(
  visits: Pick<VisitStore, 'dayRows' | 'dimensionRows'>,
  link: { id: number; created: number },
  query: unknown,
  now: number,
  pageLanguage: string,
): Promise<LinkStatsSection> {
  const parsed = parseStatsRange(query, link.created, now);
  if (!parsed.ok) return { stats: null, errors: parsed.errors, values: parsed.values };
  return {
    stats: await buildLinkStatsView(visits, link.id, parsed.range, pageLanguage),
    errors: {},
    values: { from: '', to: '' },
  };
}

// ---------------------------------------------------------------------------------------------
// The admin's overview: the whole site.

export type SiteStatsView = {
  range: StatsRange;
  rangeText: string;
  visits: number;
  uniqueVisitors: number;
  chart: RangeChart;
  topLinks: BarList;
  /** Countries and referrers over every link. */
  lists: BarList[];
  /** Requests for unknown codes per domain, most first. */
  notFound: { domain: string; count: number }[];
  notFoundTotal: number;
};

/** Where the overview finds a link's and a domain's names. */
export type SiteNames = {
  /** A top link's label (`/code`, or `host/code` on an added domain) and its admin page. */
  link: (link: TopLink) => { label: string; href: string };
  /** A domain key's host (link.ts: 0 is the default domain). */
  domain: (domainKey: string) => string;
};

/**
 * The admin's overview of the whole site for `range`: visits and unique visitors over time, the
 * most visited links, countries and referrers, and requests for unknown codes per domain. All
 * time starts on the first day with a visit.
 */
export async function buildSiteStatsView(
  visits: Pick<VisitStore, 'siteDayRows' | 'siteDimensionRows' | 'topLinkRows' | 'notFoundCounts'>,
  asked: StatsRange,
  pageLanguage: string,
  names: SiteNames,
): Promise<SiteStatsView> {
  let days = await siteStats(visits, 'day', asked.from, asked.to);
  let range = asked;
  if (asked.preset === 'all' && days.data.length > 0 && days.data[0]!.key > asked.from) {
    const from = days.data[0]!.key;
    range = { ...asked, from, days: dayNumber(asked.to) - dayNumber(from) + 1 };
    days = { ...days, from };
  }
  const [countries, referrers, top, notFound] = await Promise.all([
    siteStats(visits, 'country', range.from, range.to),
    siteStats(visits, 'referrer', range.from, range.to),
    topLinks(visits, range.from, range.to, BAR_LIST_LIMIT),
    notFoundByDomain(visits, range.from, range.to),
  ]);
  const { t } = wordsOf(pageLanguage);
  const titles = dimensionTitles(t);
  const linkNames = new Map(top.map((link) => [String(link.urlId), names.link(link)]));
  const topList = buildBarList(
    { id: 'links', title: t('stats.list.topLinks'), keyHeading: t('stats.list.link') },
    top.map((link) => ({
      key: String(link.urlId),
      visits: link.visits,
      uniqueVisitors: link.uniqueVisitors,
    })),
    (key) => linkNames.get(key)!.label,
  );
  for (const row of topList.rows) row.href = linkNames.get(row.key)!.href;
  return {
    range,
    rangeText: describeRange(range, pageLanguage),
    visits: days.visits,
    uniqueVisitors: days.uniqueVisitors,
    chart: buildRangeChart(days.data, range, pageLanguage),
    topLinks: topList,
    lists: (['country', 'referrer'] as const).map((dimension) =>
      buildBarList(
        { id: dimension, ...titles[dimension] },
        (dimension === 'country' ? countries : referrers).data,
        (key) => valueLabel(dimension, key, pageLanguage),
      ),
    ),
    notFound: notFound.map((row) => ({ domain: names.domain(row.domainKey), count: row.count })),
    notFoundTotal: notFound.reduce((sum, row) => sum + row.count, 0),
  };
}
