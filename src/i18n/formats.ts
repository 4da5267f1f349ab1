import type { LanguageTag } from './languages.js';

/** Dates, times and numbers as a page in `language` writes them, through Intl; made once per language. */
export type Formats = Readonly<{
  /** 1,234 · 1.234 · 1 234 */
  count(n: number): string;
  /** A moment to the minute, its time zone (UTC) stated: "25 Nov 2026, 14:03 UTC". */
  time(epochMs: number): string;
  /** A UTC day given as `YYYY-MM-DD`. */
  day(isoDay: string): string;
  /** A UTC month given as `YYYY-MM`: "Nov 2026". */
  month(isoMonth: string): string;
}>;

/** A moment to the minute, in UTC, its zone written out. */
export const TIME_OPTIONS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
  timeZoneName: 'short',
};
/** A UTC day. */
export const DATE_OPTIONS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
};

const made = new Map<LanguageTag, Formats>();
/** Days kept formatted per language: more than a year of a chart's days. */
const MAX_DAYS = 1000;

export function formatsOf(language: LanguageTag): Formats {
  const known = made.get(language);
  if (known) return known;
  const number = new Intl.NumberFormat(language);
  const time = new Intl.DateTimeFormat(language, TIME_OPTIONS);
  const date = new Intl.DateTimeFormat(language, DATE_OPTIONS);
  const month = new Intl.DateTimeFormat(language, {
    year: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
  const days = new Map<string, string>();
  const formats: Formats = {
    count: (n) => number.format(n),
    time: (epochMs) => time.format(epochMs),
    day: (isoDay) => {
      // A chart names the same few hundred days on every page: each is formatted once.
      let named = days.get(isoDay);
      if (named === undefined) {
        const epochMs = Date.parse(`${isoDay}T00:00:00Z`);
        named = Number.isNaN(epochMs) ? isoDay : date.format(epochMs);
        if (days.size >= MAX_DAYS) days.clear();
        days.set(isoDay, named);
      }
      return named;
    },
    month: (isoMonth) => {
      const epochMs = Date.parse(`${isoMonth}-01T00:00:00Z`);
      return Number.isNaN(epochMs) ? isoMonth : month.format(epochMs);
    },
  };
  made.set(language, formats);
  return formats;
}
