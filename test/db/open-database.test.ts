import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, openDatabase } from '../../src/db/open-database.sqlite.js';
import { createTempDir } from '../support/test-app.js';

describe('openDatabase', () => {
  it('when a database file is opened, then WAL, synchronous=FULL, busy_timeout and foreign keys are set', () => {
    const file = path.join(createTempDir(), 'nested', 'dir', 'snip.sqlite3');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL; better-sqlite3 would otherwise leave a WAL database at NORMAL (1).
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('when an existing WAL database is opened again, then synchronous is still FULL', () => {
    // SQLite lowers synchronous to NORMAL when it opens a file that is already in WAL mode
    // (better-sqlite3 builds it with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1); a brand-new file does not
    // show that, so the setting is read on the second opening, as every server start does it.
    const file = path.join(createTempDir(), 'reopened.sqlite3');
    openDatabase(file).close();
    const plain = new Database(file);
    expect(plain.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(plain.pragma('synchronous', { simple: true })).toBe(1);
    plain.close();

    const db = openDatabase(file);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('when the directory is missing, then it is created', () => {
    const file = path.join(createTempDir(), 'a', 'b', 'c.sqlite3');
    openDatabase(file).close();
    expect(openDatabase(file, { readonly: true }).pragma('journal_mode', { simple: true })).toBe(
      'wal',
    );
  });

  it('when a foreign key is violated, then SQLite refuses the row', () => {
    const db = openDatabase(':memory:');
    db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent (id));',
    );
    expect(() => db.prepare('INSERT INTO child (p) VALUES (42)').run()).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
