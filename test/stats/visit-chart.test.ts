import { describe, expect, it } from 'vitest';
import { buildVisitChart, type VisitChart } from '../../src/stats/visit-chart.js';

const DAY_MS = 86_400_000;
/** 2026-06-15 13:30 UTC: "today" is 2026-06-15. */
const NOW = Date.UTC(2026, 5, 15, 13, 30);

/** The bottom of the plot: where a bar of height zero stands and where the 0 tick lies. */
function baseline(chart: VisitChart): number {
  return chart.ticks[0]!.y;
}

function countsOf(chart: VisitChart): number[] {
  return chart.bars.map((bar) => bar.count);
}

describe('buildVisitChart: the days shown', () => {
  it('when 30 days are asked for, then there are 30 bars from today-29 to today (UTC)', () => {
    const chart = buildVisitChart([], 30, NOW);
    expect(chart.days).toBe(30);
    expect(chart.bars).toHaveLength(30);
    expect(chart.bars[0]!.day).toBe('2026-05-17');
    expect(chart.bars.at(-1)!.day).toBe('2026-06-15');
  });

  it('when 90 days are asked for, then there are 90 bars from today-89 to today (UTC)', () => {
    const chart = buildVisitChart([], 90, NOW);
    expect(chart.bars).toHaveLength(90);
    expect(chart.bars[0]!.day).toBe('2026-03-18');
    expect(chart.bars.at(-1)!.day).toBe('2026-06-15');
  });

  it.each([30, 90])(
    'when %i days are shown, then each bar is the day after the one before',
    (days) => {
      const chart = buildVisitChart([], days, NOW);
      const starts = chart.bars.map((bar) => Date.parse(`${bar.day}T00:00:00Z`));
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(DAY_MS);
    },
  );

  it('when it is one millisecond after UTC midnight, then the new day is the last bar', () => {
    const chart = buildVisitChart([], 30, Date.UTC(2026, 5, 16, 0, 0, 0, 1));
    expect(chart.bars.at(-1)!.day).toBe('2026-06-16');
    expect(chart.bars[0]!.day).toBe('2026-05-18');
  });

  it('when it is the last millisecond before UTC midnight, then today is still the last bar', () => {
    const chart = buildVisitChart([], 30, Date.UTC(2026, 5, 16) - 1);
    expect(chart.bars.at(-1)!.day).toBe('2026-06-15');
  });

  it('when the window spans a year boundary, then the days run across it', () => {
    const chart = buildVisitChart([], 30, Date.UTC(2027, 0, 10, 8));
    expect(chart.bars[0]!.day).toBe('2026-12-12');
    expect(chart.bars.map((bar) => bar.day)).toContain('2026-12-31');
    expect(chart.bars.map((bar) => bar.day)).toContain('2027-01-01');
  });

  it('when bars are laid out, then they go left to right and stay inside the chart', () => {
    const chart = buildVisitChart([{ day: '2026-06-15', count: 3 }], 90, NOW);
    for (let i = 1; i < chart.bars.length; i++) {
      expect(chart.bars[i]!.x).toBeGreaterThan(chart.bars[i - 1]!.x + chart.barWidth);
    }
    expect(chart.bars[0]!.x).toBeGreaterThanOrEqual(0);
    expect(chart.bars.at(-1)!.x + chart.barWidth).toBeLessThanOrEqual(chart.width);
  });
});

describe('buildVisitChart: counts, totals and the summary', () => {
  it('when only some days had visits, then the other days are zero bars', () => {
    const chart = buildVisitChart(
      [
        { day: '2026-06-10', count: 7 },
        { day: '2026-06-15', count: 3 },
      ],
      30,
      NOW,
    );
    const counts = countsOf(chart);
    expect(counts.filter((count) => count === 0)).toHaveLength(28);
    expect(chart.bars.find((bar) => bar.day === '2026-06-10')!.count).toBe(7);
    expect(chart.bars.at(-1)!.count).toBe(3);
    expect(chart.total).toBe(10);
    expect(chart.max).toBe(7);
    expect(chart.summary).toBe(
      '10 visits in the last 30 days; the busiest day was 2026-06-10 with 7.',
    );
  });

  it('when a row is older than the window, then it is not in the bars or the total', () => {
    const chart = buildVisitChart(
      [
        { day: '2026-05-16', count: 100 },
        { day: '2026-05-17', count: 2 },
      ],
      30,
      NOW,
    );
    expect(chart.total).toBe(2);
    expect(chart.max).toBe(2);
    expect(chart.bars[0]!.count).toBe(2);
  });

  it('when the same rows are shown over 90 days, then the older row counts too', () => {
    const daily = [
      { day: '2026-04-01', count: 100 },
      { day: '2026-06-01', count: 2 },
    ];
    const chart = buildVisitChart(daily, 90, NOW);
    expect(chart.total).toBe(102);
    expect(chart.summary).toBe(
      '102 visits in the last 90 days; the busiest day was 2026-04-01 with 100.',
    );
  });

  it('when there was exactly one visit, then the summary says "1 visit"', () => {
    const chart = buildVisitChart([{ day: '2026-06-01', count: 1 }], 30, NOW);
    expect(chart.summary).toBe(
      '1 visit in the last 30 days; the busiest day was 2026-06-01 with 1.',
    );
  });

  it('when two days tie for the most visits, then the earlier one is named the busiest', () => {
    const chart = buildVisitChart(
      [
        { day: '2026-06-02', count: 4 },
        { day: '2026-06-09', count: 4 },
        { day: '2026-06-12', count: 1 },
      ],
      30,
      NOW,
    );
    expect(chart.summary).toBe(
      '9 visits in the last 30 days; the busiest day was 2026-06-02 with 4.',
    );
  });

  it.each([30, 90])(
    'when there were no visits in %i days, then every bar is flat and the summary says so',
    (days) => {
      const chart = buildVisitChart([], days, NOW);
      expect(chart.total).toBe(0);
      expect(chart.max).toBe(0);
      expect(chart.summary).toBe(`No visits in the last ${days} days.`);
      for (const bar of chart.bars) {
        expect(bar.count).toBe(0);
        expect(bar.height).toBe(0);
        expect(bar.y).toBe(baseline(chart));
      }
      const values = chart.ticks.map((tick) => tick.value);
      expect(values.every(Number.isFinite)).toBe(true);
      expect(chart.ticks.every((tick) => Number.isFinite(tick.y))).toBe(true);
    },
  );
});

describe('buildVisitChart: geometry', () => {
  const daily = [
    { day: '2026-06-01', count: 2 },
    { day: '2026-06-05', count: 4 },
    { day: '2026-06-09', count: 8 },
    { day: '2026-06-13', count: 1 },
  ];

  it('when days have different counts, then bar heights are proportional to the counts', () => {
    const chart = buildVisitChart(daily, 30, NOW);
    const visited = chart.bars.filter((bar) => bar.count > 0);
    expect(visited).toHaveLength(4);
    const perVisit = visited[0]!.height / visited[0]!.count;
    expect(perVisit).toBeGreaterThan(0);
    for (const bar of visited) expect(bar.height).toBeCloseTo(bar.count * perVisit, 9);
    const byDay = new Map(chart.bars.map((bar) => [bar.day, bar.height]));
    expect(byDay.get('2026-06-09')).toBeCloseTo(2 * byDay.get('2026-06-05')!, 9);
    expect(byDay.get('2026-06-05')).toBeCloseTo(4 * byDay.get('2026-06-13')!, 9);
  });

  it('when bars are drawn, then every bar stands on the baseline (the 0 tick)', () => {
    const chart = buildVisitChart(daily, 30, NOW);
    for (const bar of chart.bars) expect(bar.y + bar.height).toBeCloseTo(baseline(chart), 9);
    expect(baseline(chart)).toBeLessThanOrEqual(chart.height);
  });

  it.each([1, 4, 5, 7, 8, 99, 1234, 1_000_000])(
    'when the busiest day has %i visits, then the tallest bar fits inside the plot',
    (peak) => {
      const chart = buildVisitChart([{ day: '2026-06-10', count: peak }], 30, NOW);
      const tallest = chart.bars.find((bar) => bar.count === peak)!;
      const topTick = chart.ticks.at(-1)!;
      expect(tallest.y).toBeGreaterThanOrEqual(0);
      expect(tallest.y).toBeGreaterThanOrEqual(topTick.y - 1e-9);
      expect(tallest.height).toBeGreaterThan(0);
      expect(topTick.value).toBeGreaterThanOrEqual(peak);
    },
  );

  it.each([0, 3, 8, 1234])(
    'when the busiest day has %i visits, then the ticks ascend from 0 and go up the chart',
    (peak) => {
      const rows = peak === 0 ? [] : [{ day: '2026-06-10', count: peak }];
      const chart = buildVisitChart(rows, 30, NOW);
      expect(chart.ticks[0]!.value).toBe(0);
      expect(chart.ticks.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < chart.ticks.length; i++) {
        expect(chart.ticks[i]!.value).toBeGreaterThan(chart.ticks[i - 1]!.value);
        expect(chart.ticks[i]!.y).toBeLessThan(chart.ticks[i - 1]!.y);
      }
      expect(chart.ticks.at(-1)!.y).toBeGreaterThanOrEqual(0);
    },
  );

  it('when the busiest day has 1234 visits, then the axis is rounded up to 2000', () => {
    const chart = buildVisitChart([{ day: '2026-06-10', count: 1234 }], 30, NOW);
    expect(chart.ticks.map((tick) => tick.value)).toEqual([0, 1000, 2000]);
  });
});
