import { StorageUnavailableError } from '../db/database-file.js';

/** The one error type for failures that map to a known HTTP status. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

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

/** The kinds of "storage unavailable": a primary SQLite code, or the write gate's refusal. */
export const STORAGE_UNAVAILABLE_CODES = [...STORAGE_UNAVAILABLE, 'DATABASE_FILE'] as const;
export type StorageUnavailableCode = (typeof STORAGE_UNAVAILABLE_CODES)[number];

export function isStorageUnavailable(error: unknown): boolean {
  return storageUnavailableCode(error) !== null;
}

/**
 * Which kind of "storage unavailable" an error is (extended SQLite codes reported by their
 * primary code; `DATABASE_FILE` when the write gate refused a write to a file that is gone,
 * replaced or read-only), or null when it is not one.
 */
export function storageUnavailableCode(error: unknown): StorageUnavailableCode | null {
  if (error instanceof StorageUnavailableError) return 'DATABASE_FILE';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  return (
    STORAGE_UNAVAILABLE.find((primary) => code === primary || code.startsWith(`${primary}_`)) ??
    null
  );
}
