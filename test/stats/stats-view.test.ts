import { describe, expect, it } from 'vitest';
import { englishOf, text } from '../../src/i18n/catalog.js';
import {
  buildBarList,
  buildRangeChart,
  parseStatsRange,
  rangeQuery,
  valueLabel,
} from '../../src/stats/stats-view.js';

/** 2026-06-15 13:30 UTC: "today" is 2026-06-15. */
const NOW = Date.UTC(2026, 5, 15, 13, 30);
const CREATED = Date.UTC(2026, 0, 2, 8);

describe('parseStatsRange', () => {
  it.each([
    [{}, { from: '2026-05-17', to: '2026-06-15', days: 30, preset: '30' }],
    [{ days: '7' }, { from: '2026-06-09', to: '2026-06-15', days: 7, preset: '7' }],
    [{ days: '90' }, { from: '2026-03-18', to: '2026-06-15', days: 90, preset: '90' }],
    [{ days: 'all' }, { from: '2026-01-02', to: '2026-06-15', days: 165, preset: 'all' }],
    [
      { from: '2026-06-01', to: '2026-06-01' },
      { from: '2026-06-01', to: '2026-06-01', days: 1, preset: null },
    ],
    [
      { from: '', to: '' },
      { from: '2026-01-02', to: '2026-06-15', days: 165, preset: null },
    ],
    [
      { from: '2016-06-08', to: '2026-06-15' },
      { from: '2016-06-08', to: '2026-06-15', days: 3660, preset: null },
    ],
  ])('when the query is %j, then the range is %j', (query, range) => {
    expect(parseStatsRange(query, CREATED, NOW)).toEqual({ ok: true, range });
  });

  it('when a link is older than ten years, then all time is the last 3660 days', () => {
    const range = parseStatsRange({ days: 'all' }, Date.UTC(2001, 0, 1), NOW);
    expect(range).toMatchObject({ ok: true, range: { from: '2016-06-08', days: 3660 } });
  });

  it.each([
    [{ days: '14' }, 'days'],
    [{ days: ['7', '30'] }, 'days'],
    [{ from: ['2026-06-01', '2026-06-02'] }, 'from'],
    [{ from: '2026-02-29' }, 'from'],
    [{ from: '2026-6-1' }, 'from'],
    [{ to: '2026-06-16' }, 'to'],
    [{ from: '2026-06-02', to: '2026-06-01' }, 'to'],
    [{ from: '2016-06-07' }, 'from'],
  ])('when the query is %j, then the field %s has an error', (query, field) => {
    const result = parseStatsRange(query, CREATED, NOW);
    expect(result.ok).toBe(false);
    expect(Object.keys(!result.ok ? result.errors : {})).toEqual([field]);
  });

  it('when a range is refused, then each error is a Text a page words and an API says in English', () => {
    const result = parseStatsRange(
      { days: '14', from: '2026-06-01', to: ['a', 'b'] },
      CREATED,
      NOW,
    );
    expect(result).toMatchObject({
      ok: false,
      errors: { days: text('stats.range.daysInvalid'), to: text('stats.range.toTwice') },
    });
    const late = parseStatsRange({ to: '2026-06-16' }, CREATED, NOW);
    expect(late.ok || englishOf(late.errors.to!)).toBe(
      'The last day can be today (2026-06-15, UTC) at the latest.',
    );
    const long = parseStatsRange({ from: '2016-06-07' }, CREATED, NOW);
    expect(long.ok || englishOf(long.errors.from!)).toBe(
      'A range has at most 3,660 days (ten years).',
    );
  });

  it('when the stored creation time is damaged or before 1970, then all time is the longest range', () => {
    for (const created of [-9e15, Number.NaN, 1e300]) {
      expect(parseStatsRange({ days: 'all' }, created, NOW)).toMatchObject({
        ok: true,
        range: { to: '2026-06-15' },
      });
    }
    expect(parseStatsRange({ from: '' }, -9e15, NOW)).toMatchObject({
      ok: true,
      range: { from: '2016-06-08', days: 3660 },
    });
  });

  it('when a range is parsed, then its query gives it back', () => {
    const queries: Record<string, string>[] = [
      { days: '7' },
      { from: '2026-06-01', to: '2026-06-03' },
    ];
    for (const query of queries) {
      const parsed = parseStatsRange(query, CREATED, NOW);
      expect(parsed.ok && rangeQuery(parsed.range)).toBe(new URLSearchParams(query).toString());
    }
  });
});

describe('buildRangeChart', () => {
  it('when the range is short, then there is a bar per day with the unique visitors inside', () => {
    const chart = buildRangeChart(
      [
        { key: '2026-06-02', visits: 8, uniqueVisitors: 4 },
        { key: '2026-06-03', visits: 2, uniqueVisitors: 2 },
      ],
      { from: '2026-06-01', to: '2026-06-03', days: 3 },
    );
    expect(chart.unit).toBe('day');
    expect(chart.bars.map((b) => [b.label, b.visits, b.uniqueVisitors])).toEqual([
      ['2026-06-01', 0, 0],
      ['2026-06-02', 8, 4],
      ['2026-06-03', 2, 2],
    ]);
    // The axis tops out at 10: the busiest bar reaches 80% of the plot, its unique half of it.
    expect(chart.ticks.map((tick) => tick.value)).toEqual([0, 5, 10]);
    expect(chart.bars[1]!.height).toBeCloseTo(152 * 0.8);
    expect(chart.bars[1]!.uniqueHeight).toBeCloseTo(152 * 0.4);
    expect(chart.summary).toBe(
      '10 visits from Jun 1, 2026 to Jun 3, 2026; the busiest day was Jun 2, 2026 with 8.',
    );
    expect(chart.title).toBe('Visits and unique visitors per day, Jun 1, 2026 to Jun 3, 2026');
    expect(chart.bars.map((b) => b.name)).toEqual(['Jun 1, 2026', 'Jun 2, 2026', 'Jun 3, 2026']);
  });

  it('when the range is longer than 92 days, then a bar is a week from the first day; beyond three years, a month', () => {
    const weeks = buildRangeChart(
      [
        { key: '2026-01-07', visits: 1, uniqueVisitors: 1 },
        { key: '2026-01-08', visits: 2, uniqueVisitors: 2 },
      ],
      { from: '2026-01-01', to: '2026-06-15', days: 166 },
    );
    expect(weeks.unit).toBe('week');
    expect(weeks.bars).toHaveLength(24);
    expect(weeks.bars.slice(0, 2).map((b) => [b.label, b.visits])).toEqual([
      ['2026-01-01', 1],
      ['2026-01-08', 2],
    ]);
    expect(weeks.summary).toContain('the busiest week was the week from Jan 8, 2026 with 2.');
    const months = buildRangeChart([], { from: '2020-01-15', to: '2026-06-15', days: 2344 });
    expect(months.unit).toBe('month');
    expect(months.bars[0]!.label).toBe('2020-01');
    expect(months.bars[0]!.name).toBe('Jan 2020');
    expect(months.bars.at(-1)!.label).toBe('2026-06');
    expect(months.summary).toBe('No visits from Jan 15, 2020 to Jun 15, 2026.');
    expect(months.bars).toHaveLength(78);
  });
});

describe('valueLabel and buildBarList', () => {
  it('names countries and languages in the page language, families by their names, special keys in words', () => {
    expect(valueLabel('country', 'DE', 'en')).toBe('Germany');
    expect(valueLabel('country', 'DE', 'fr')).toBe('Allemagne');
    expect(valueLabel('country', 'XZ', 'en')).toBe('XZ');
    expect(valueLabel('country', 'unknown', 'en')).toBe('Unknown');
    expect(valueLabel('language', 'pt', 'en')).toBe('Portuguese');
    expect(valueLabel('language', 'qqq', 'en')).toBe('qqq');
    expect(valueLabel('browser', 'samsung', 'en')).toBe('Samsung Internet');
    expect(valueLabel('os', 'macos', 'en')).toBe('macOS');
    expect(valueLabel('device', 'tablet', 'en')).toBe('Tablet');
    expect(valueLabel('referrer', 'direct', 'en')).toBe('Direct (no referrer)');
    expect(valueLabel('referrer', '(other)', 'en')).toBe('Others');
    expect(valueLabel('referrer', 'constructor', 'en')).toBe('constructor');
    expect(valueLabel('browser', 'toString', 'en')).toBe('toString');
  });

  it('cuts the list at its limit and sizes bars against the most visited value', () => {
    const list = buildBarList(
      { id: 'x', title: 'X', keyHeading: 'X' },
      [
        { key: 'a', visits: 8, uniqueVisitors: 6 },
        { key: 'b', visits: 2, uniqueVisitors: 1 },
        { key: 'c', visits: 1, uniqueVisitors: 1 },
      ],
      (key) => key.toUpperCase(),
      2,
    );
    expect(list.rows).toEqual([
      { key: 'a', label: 'A', visits: 8, uniqueVisitors: 6, visitsWidth: 100, uniqueWidth: 75 },
      { key: 'b', label: 'B', visits: 2, uniqueVisitors: 1, visitsWidth: 25, uniqueWidth: 12.5 },
    ]);
    expect(list.more).toBe(1);
  });
});
