import type { DailyCount } from './visit-store.js';
import { utcDay } from './visit-counter.js';

export type ChartBar = { day: string; count: number; x: number; y: number; height: number };

export type VisitChart = {
  days: number;
  bars: ChartBar[];
  total: number;
  max: number;
  /** Gridline values, from 0 up to the rounded maximum. */
  ticks: { value: number; y: number }[];
  width: number;
  height: number;
  barWidth: number;
  /** One sentence for screen readers: the chart's text alternative. */
  summary: string;
};

const DAY_MS = 86_400_000;
const WIDTH = 600;
const HEIGHT = 180;
const LEFT = 36;
const BOTTOM = 20;
const TOP = 8;

/** A "nice" upper bound for the axis: 1, 2 or 5 times a power of ten. */
function niceCeiling(value: number): number {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** The first UTC day (YYYY-MM-DD) of a chart of `days` days that ends today. */
export function firstChartDay(days: number, now: number): string {
  return utcDay(now - (now % DAY_MS) - (days - 1) * DAY_MS);
}

/**
 * The geometry of a bar chart of visits per UTC day, ending today. The view draws it as SVG on
 * the server; days without visits get a bar of height zero so the time axis stays even.
 */
export function buildVisitChart(daily: DailyCount[], days: number, now: number): VisitChart {
  const counts = new Map(daily.map((d) => [d.day, d.count]));
  const today = now - (now % DAY_MS);
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / days;
  const series = Array.from({ length: days }, (_, i) => {
    const day = utcDay(today - (days - 1 - i) * DAY_MS);
    return { day, count: counts.get(day) ?? 0 };
  });
  const max = Math.max(0, ...series.map((d) => d.count));
  const top = niceCeiling(max);
  const scale = plotHeight / top;
  const bars = series.map((d, i) => ({
    ...d,
    x: LEFT + i * slot + slot * 0.15,
    y: TOP + plotHeight - d.count * scale,
    height: d.count * scale,
  }));
  const ticks = [0, top / 2, top]
    .filter(Number.isInteger)
    .map((value) => ({ value, y: TOP + plotHeight - value * scale }));
  const total = series.reduce((sum, d) => sum + d.count, 0);
  const peak = series.reduce((best, d) => (d.count > best.count ? d : best), series[0]!);
  const summary =
    total === 0
      ? `No visits in the last ${days} days.`
      : `${total} visit${total === 1 ? '' : 's'} in the last ${days} days; the busiest day was ${peak.day} with ${peak.count}.`;
  return {
    days,
    bars,
    total,
    max,
    ticks,
    width: WIDTH,
    height: HEIGHT,
    barWidth: slot * 0.7,
    summary,
  };
}
