import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 2000;

/**
 * Opens the database with the only pragmas snip uses. Every connection (server, migration
 * command, tests) goes through here so the settings cannot drift apart.
 */
export function openDatabase(filename: string, options: { readonly?: boolean } = {}): Db {
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
  return db;
}
