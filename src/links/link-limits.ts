import type { Link } from './link.js';

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
  lastVisit: true,
  disabledAt: true,
  bannedAt: true,
  deletedAt: true,
} as const;

type CheckedLink = Pick<Link, keyof typeof INSTANT_FIELDS | 'maxVisits' | 'visits'>;

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

/** What the link service refuses to store, in the form's field names; empty when all is well. */
export function checkLinkLimits(options: {
  expiresAt: number | null;
  maxVisits: number | null;
}): Partial<Record<'expires_on' | 'max_visits', string>> {
  const errors: Partial<Record<'expires_on' | 'max_visits', string>> = {};
  if (options.expiresAt !== null && !isStorableInstant(options.expiresAt)) {
    errors.expires_on = `The expiry must be a time no later than ${LATEST_INSTANT_TEXT}.`;
  }
  if (options.maxVisits !== null && !isVisitLimit(options.maxVisits)) {
    errors.max_visits = `The visit limit must be a whole number from 1 to ${MAX_VISIT_LIMIT.toLocaleString('en')}.`;
  }
  return errors;
}
