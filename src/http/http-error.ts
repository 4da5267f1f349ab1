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
];

export function isStorageUnavailable(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return STORAGE_UNAVAILABLE.some((primary) => code === primary || code.startsWith(`${primary}_`));
}
