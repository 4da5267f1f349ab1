import fs from 'node:fs';
import path from 'node:path';

/**
 * Why the database cannot take writes: `reason` in one word (what /healthz's JSON says, without
 * the file's path) and `message` in words for the log and the 503 (which may name it).
 */
export type WriteProblem = {
  reason: 'gone' | 'replaced' | 'read-only' | 'disk-full';
  message: string;
};

/**
 * Notices when the database file stops being the one snip opened: deleted, replaced, or on a
 * filesystem that turned read-only. SQLite keeps writing to a deleted file through its open
 * descriptor, so without this a link "saved" after `rm database.sqlite3` would vanish at the next
 * start. Answers what is wrong, or null; in-memory databases are always fine.
 */
export type DatabaseFileCheck = () => WriteProblem | null;

export function watchDatabaseFile(file: string): DatabaseFileCheck {
  if (file === ':memory:' || !fs.existsSync(file)) return () => null;
  const opened = fs.statSync(file);
  return () => {
    let now: fs.Stats;
    try {
      now = fs.statSync(file);
    } catch {
      return { reason: 'gone', message: `the database file ${file} is gone` };
    }
    if (now.ino !== opened.ino || now.dev !== opened.dev) {
      return {
        reason: 'replaced',
        message: `the database file ${file} was replaced by another file`,
      };
    }
    try {
      // The directory too: SQLite creates the -wal and -journal files beside the database.
      fs.accessSync(file, fs.constants.W_OK);
      fs.accessSync(path.dirname(file), fs.constants.W_OK);
    } catch (error) {
      return {
        reason: 'read-only',
        message: `the database file ${file} cannot be written (${(error as NodeJS.ErrnoException).code})`,
      };
    }
    return null;
  };
}

/**
 * Below this much free space for snip's user, the disk under the database counts as full: a
 * write of a few pages to the WAL (a link, a second of visits) may already fail with SQLITE_FULL,
 * and an import's batch certainly does (ADR 046).
 */
export const DISK_FULL_BELOW_BYTES = 1024 * 1024;

/**
 * Whether the filesystem of `file` has room for SQLite's next writes (statfs: the blocks an
 * unprivileged user may still take). Null when it has, or when it cannot be asked (the file
 * check says what is wrong then).
 */
export function checkDiskSpace(file: string): WriteProblem | null {
  if (file === ':memory:') return null;
  let free: number;
  try {
    const stats = fs.statfsSync(path.dirname(file));
    free = stats.bavail * stats.bsize;
  } catch {
    return null;
  }
  if (free >= DISK_FULL_BELOW_BYTES) return null;
  return {
    reason: 'disk-full',
    message: `the disk under the database file ${file} is full (${Math.floor(free / 1024)} KiB free, under ${DISK_FULL_BELOW_BYTES / 1024} KiB)`,
  };
}

/** Thrown instead of writing when the database file is not the one snip opened: a 503. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}
