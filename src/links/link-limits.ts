/**
 * The range of every time and visit limit snip stores, in one place for every door (the form,
 * `/api/v1` and its OpenAPI document, Shlink, Kutt, the import) and for the link service, which
 * refuses anything outside it whatever door it came through (ADR 019).
 *
 * The latest instant is the end of 9999-12-31 UTC: the last one that ISO 8601 writes with a
 * four-digit year. Later ones come out of `toISOString()` as `+010000-…`, which the API's schema,
 * other tools and snip's own import refuse, and past ±8.64e15 ms `toISOString()` throws.
 */
export const EARLIEST_INSTANT = 0;
export const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** How the latest instant is written, for messages and the API's description. */
export const LATEST_INSTANT_TEXT = '9999-12-31T23:59:59.999Z';
export const LATEST_DAY_TEXT = '9999-12-31';

/** The largest visit limit: far above any real use, far below SQLite's integer range. */
export const MAX_VISIT_LIMIT = 1_000_000_000;

const DAY_MS = 86_400_000;

/** A whole number of epoch milliseconds from 1970 to the end of 9999 (UTC). */
export function isStorableInstant(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= EARLIEST_INSTANT &&
    value <= LATEST_INSTANT
  );
}

/** A whole number of visits from 1 to MAX_VISIT_LIMIT. */
export function isVisitLimit(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_VISIT_LIMIT
  );
}

/**
 * When a link that works through the UTC day starting at `dayStart` stops: the next midnight,
 * or the latest instant for 9999-12-31, whose next midnight is in year 10000.
 */
export function endOfUtcDay(dayStart: number): number {
  return Math.min(dayStart + DAY_MS, LATEST_INSTANT);
}

/**
 * The last UTC day (YYYY-MM-DD) on which a link that stops at `expiresAt` still works, as the
 * form shows it: the day before its midnight, and 9999-12-31 for the latest instant. '' for a
 * stored value no door could have written.
 */
export function lastDayBefore(expiresAt: number): string {
  if (!isStorableInstant(expiresAt)) return '';
  const stop = expiresAt === LATEST_INSTANT ? LATEST_INSTANT + 1 : expiresAt;
  return new Date(stop - DAY_MS).toISOString().slice(0, 10);
}

/**
 * An instant as ISO 8601 in UTC (`2026-12-06T12:00:00.000Z`); null for null and for a stored
 * value that is no storable instant (written into the database by hand), which would otherwise
 * make `toISOString()` throw or write a six-digit year. Never throws.
 */
export function formatInstant(value: number | null): string | null {
  return isStorableInstant(value) ? new Date(value).toISOString() : null;
}

/** The times of a link, and whether each may be empty. */
const INSTANT_FIELDS = {
  created: false,
  updated: false,
  expiresAt: true,
  startsAt: true,
  lastVisit: true,
  disabledAt: true,
  bannedAt: true,
  deletedAt: true,
} as const;

type CheckedLink = Record<keyof typeof INSTANT_FIELDS, number | null> & {
  maxVisits: number | null;
  visits: number;
};

/**
 * The fields of a stored link that hold what no door accepts: a time outside the range above
 * or not a number, a visit limit or count out of range. Empty for every link snip wrote itself.
 */
export function unstorableFields(link: CheckedLink): string[] {
  const fields: string[] = [];
  for (const [field, optional] of Object.entries(INSTANT_FIELDS)) {
    const value = link[field as keyof typeof INSTANT_FIELDS];
    if (optional && value === null) continue;
    if (!isStorableInstant(value)) fields.push(field);
  }
  if (link.maxVisits !== null && !isVisitLimit(link.maxVisits)) fields.push('maxVisits');
  if (!Number.isSafeInteger(link.visits) || link.visits < 0) fields.push('visits');
  return fields;
}

/** A text read as a value, or what is wrong with it, in words for the person who wrote it. */
export type Reading<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * A time as snip's export writes it: ISO 8601 in UTC, '' for none. One that no door accepts
 * (written into the database by other means) is written as stored, so that the export goes on
 * and an import reports that row rather than reading it as "never".
 */
export function exportTime(epochMs: number | null): string {
  return epochMs === null ? '' : (formatInstant(epochMs) ?? String(epochMs));
}

/** A time as exports write it (see parseTimestamp); '' is none. */
export function readTime(text: string): Reading<number | null> {
  if (text === '') return { ok: true, value: null };
  const parsed = parseTimestamp(text);
  return parsed === null
    ? {
        ok: false,
        problem: `“${text}” is not a date and time (ISO 8601, such as 2026-01-31T12:00:00Z).`,
      }
    : { ok: true, value: parsed };
}

// ISO 8601 as exporters write it: date, optional time (T or a space), optional fraction and
// offset (Z, +01:00, +0100 or +01). Without an offset the time is UTC: YOURLS and Kutt (on
// SQLite) store UTC without saying so.
const TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch ms of an ISO 8601 date or date-time, or null when it is not one (or not a real date). */
export function parseTimestamp(value: string): number | null {
  const match = TIME.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const fraction = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
  const time = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, fraction);
  const date = new Date(time);
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!real) return null;
  // The instant, not the written year, must lie in the range every door stores (1970 to the
  // end of 9999, UTC), so that an export writes it back as it was read.
  const instant = time - offsetMinutes(match[8]) * 60_000;
  return isStorableInstant(instant) ? instant : null;
}

function offsetMinutes(offset: string | undefined): number {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return offset.startsWith('-') ? -minutes : minutes;
}
