import fs from 'node:fs';
import path from 'node:path';

/**
 * Notices when the database file stops being the one snip opened: deleted, replaced, or on a
 * filesystem that turned read-only. SQLite keeps writing to a deleted file through its open
 * descriptor, so without this a link "saved" after `rm database.sqlite3` would vanish at the next
 * start. Answers what is wrong, or null; in-memory databases are always fine.
 */
export type DatabaseFileCheck = () => string | null;

export function watchDatabaseFile(file: string): DatabaseFileCheck {
  if (file === ':memory:' || !fs.existsSync(file)) return () => null;
  const opened = fs.statSync(file);
  return () => {
    let now: fs.Stats;
    try {
      now = fs.statSync(file);
    } catch {
      return `the database file ${file} is gone`;
    }
    if (now.ino !== opened.ino || now.dev !== opened.dev) {
      return `the database file ${file} was replaced by another file`;
    }
    try {
      // The directory too: SQLite creates the -wal and -journal files beside the database.
      fs.accessSync(file, fs.constants.W_OK);
      fs.accessSync(path.dirname(file), fs.constants.W_OK);
    } catch (error) {
      return `the database file ${file} cannot be written (${(error as NodeJS.ErrnoException).code})`;
    }
    return null;
  };
}

/** Thrown instead of writing when the database file is not the one snip opened: a 503. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}
