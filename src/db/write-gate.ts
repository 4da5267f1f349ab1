import { isStorageUnavailable } from './storage-unavailable.js';
import { StorageUnavailableError, type DatabaseFileCheck } from './database-file.js';
import { BUSY_TIMEOUT_MS, type Db } from './open-database.sqlite.js';

/** After a write found the database locked, writes stop waiting for the lock for this long. */
export const IMPATIENT_FOR_MS = 10_000;

/**
 * Every write of a request goes through here. better-sqlite3 waits for another process's lock
 * synchronously, so while a backup, the sqlite3 shell or a stuck script holds the write lock,
 * each write would stop the whole event loop — redirects and /healthz included — for
 * busy_timeout. After one write found the database busy, the writes of the next seconds do not
 * wait at all (busy_timeout 0): they succeed the moment the lock is gone and answer 503 while it
 * is held, so visitors wait at most one busy_timeout per ten seconds, not one per creation. A
 * database file that is gone or read-only refuses the write before it is tried (it would not last).
 */
export type WriteGate = <T>(write: () => T) => T;

export function createWriteGate(deps: {
  db: Db;
  fileCheck: DatabaseFileCheck;
  now: () => number;
}): WriteGate {
  let impatientUntil = Number.NEGATIVE_INFINITY;
  return (write) => {
    const problem = deps.fileCheck();
    if (problem !== null) throw new StorageUnavailableError(problem.message);
    const impatient = deps.now() < impatientUntil;
    try {
      return impatient ? writeWithoutWaiting(deps.db, write) : write();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (
        isStorageUnavailable(error) &&
        typeof code === 'string' &&
        code.startsWith('SQLITE_BUSY')
      ) {
        impatientUntil = deps.now() + IMPATIENT_FOR_MS;
      }
      throw error;
    }
  };
}

/**
 * Runs a write that must never wait for another process's lock: it fails at once with
 * SQLITE_BUSY instead (busy_timeout 0 for its duration). The visit flush uses it: its counts stay
 * in memory and go out a second later, while a waiting flush would stop every redirect.
 */
export function writeWithoutWaiting<T>(db: Db, write: () => T): T {
  db.pragma('busy_timeout = 0');
  try {
    return write();
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}
