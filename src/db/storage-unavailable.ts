import { StorageUnavailableError } from './database-file.js';

/*
 * Which errors mean "storage is unavailable right now" rather than "snip is broken": the floor
 * classifies them, so the write gate (here) and every door's error handler (above) agree.
 */

/**
 * SQLite result codes that mean "storage is unavailable right now" (a lock held past
 * busy_timeout, a full disk), not "snip is broken". Extended codes such as
 * SQLITE_IOERR_WRITE or SQLITE_BUSY_SNAPSHOT share the primary code's prefix.
 */
const STORAGE_UNAVAILABLE = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
] as const;

/**
 * PostgreSQL that cannot answer now: the connection failed or broke, the server is shutting down
 * or starting, out of connections or disk (SQLSTATE classes 08 and 53, and 57P01–57P03), or the
 * pool waited too long for a connection.
 */
const POSTGRES_UNAVAILABLE_SQLSTATE = /^(08|53|57P0[123])/;
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const POOL_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect)/;

/**
 * The kinds of "storage unavailable": a primary SQLite code, the write gate's refusal, or a
 * PostgreSQL that does not answer.
 */
export const STORAGE_UNAVAILABLE_CODES = [
  ...STORAGE_UNAVAILABLE,
  'DATABASE_FILE',
  'POSTGRES_UNAVAILABLE',
] as const;
export type StorageUnavailableCode = (typeof STORAGE_UNAVAILABLE_CODES)[number];

export function isStorageUnavailable(error: unknown): boolean {
  return storageUnavailableCode(error) !== null;
}

/**
 * Which kind of "storage unavailable" an error is (extended SQLite codes reported by their
 * primary code; `DATABASE_FILE` when the write gate refused a write to a file that is gone,
 * replaced or read-only; `POSTGRES_UNAVAILABLE` when PostgreSQL cannot be reached), or null
 * when it is not one.
 */
export function storageUnavailableCode(error: unknown): StorageUnavailableCode | null {
  if (error instanceof StorageUnavailableError) return 'DATABASE_FILE';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    const message = error instanceof Error ? error.message : '';
    return POOL_MESSAGES.test(message) ? 'POSTGRES_UNAVAILABLE' : null;
  }
  if (NETWORK_ERRORS.has(code)) return 'POSTGRES_UNAVAILABLE';
  if (/^[0-9A-Z]{5}$/.test(code) && POSTGRES_UNAVAILABLE_SQLSTATE.test(code)) {
    return 'POSTGRES_UNAVAILABLE';
  }
  return (
    STORAGE_UNAVAILABLE.find((primary) => code === primary || code.startsWith(`${primary}_`)) ??
    null
  );
}
