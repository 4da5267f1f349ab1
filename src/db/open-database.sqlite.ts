import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 2000;

export type OpenOptions = {
  readonly?: boolean;
  /**
   * `litestream`: this connection never checkpoints the WAL (wal_autocheckpoint = 0), because
   * Litestream, which replicates the file, must copy every page of the WAL before a checkpoint
   * lets SQLite start it again, and so runs the checkpoints itself (ADR 049). `sqlite`, the
   * default: SQLite's own automatic checkpoint after a commit leaves 1000 pages in the WAL.
   */
  walCheckpoints?: 'sqlite' | 'litestream';
};

/**
 * Opens the database with the only pragmas snip uses. Every connection (server, migration
 * command, tests) goes through here so the settings cannot drift apart.
 */
export function openDatabase(filename: string, options: OpenOptions = {}): Db {
  if (filename !== ':memory:' && !options.readonly) {
    fs.mkdirSync(path.dirname(filename), { recursive: true });
  }
  const db = new Database(filename, {
    readonly: options.readonly ?? false,
    timeout: BUSY_TIMEOUT_MS,
  });
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  // better-sqlite3 leaves WAL databases at synchronous=NORMAL, which can lose the last
  // transactions on power loss. FULL makes every acknowledged link durable (ADR 002).
  db.pragma('synchronous = FULL');
  if (options.walCheckpoints === 'litestream') db.pragma('wal_autocheckpoint = 0');
  return db;
}
