import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { requireStorageConfig } from '../../src/cli.js';
import { BUSY_TIMEOUT_MS, openDatabase } from '../../src/db/open-database.sqlite.js';
import { openStorage } from '../../src/storage/open-storage.js';
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

describe('who checkpoints the WAL', () => {
  it('when Litestream replicates the file, then no connection snip opens checkpoints by itself', () => {
    const file = path.join(createTempDir(), 'replicated.sqlite3');
    const db = openDatabase(file, { walCheckpoints: 'litestream' });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // 1000 pages in the WAL and more: SQLite would have checkpointed after the commit that
    // crossed them; here the pages stay for Litestream to copy and checkpoint.
    db.exec('CREATE TABLE t (x BLOB)');
    const insert = db.prepare('INSERT INTO t (x) VALUES (randomblob(4096))');
    for (let i = 0; i < 1200; i++) insert.run();
    const [busy, log, checkpointed] = Object.values(
      (db.pragma('wal_checkpoint(PASSIVE)') as Record<string, number>[])[0]!,
    );
    expect(busy).toBe(0);
    expect(log).toBeGreaterThan(1000);
    // Nothing had been copied back before this explicit checkpoint.
    expect(checkpointed).toBe(log);
    db.close();
  });

  it('when nothing replicates it, then SQLite checkpoints after 1000 pages, as by default', () => {
    const db = openDatabase(path.join(createTempDir(), 'plain.sqlite3'));
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });

  it('when a command runs with LITESTREAM_REPLICA_URL set, then its connection leaves the checkpoints to Litestream too', async () => {
    const dir = createTempDir();
    const file = path.join(dir, 'db', 'snip.sqlite3');
    // Three migrations of 1200 pages each, each its own transaction: a connection that
    // checkpoints by itself backfills the WAL after each and starts it again from the top, so
    // it never holds much more than one; one that leaves checkpoints to Litestream holds all.
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    for (const n of [1, 2, 3]) {
      fs.writeFileSync(
        path.join(migrations, `2099010100000${n}_fill_${n}.sql`),
        `-- migrate:up\nCREATE TABLE fill_${n} (x BLOB);\n` +
          `WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1200) ` +
          `INSERT INTO fill_${n} SELECT randomblob(4000) FROM r;\n\n-- migrate:down\nDROP TABLE fill_${n};\n`,
      );
    }
    const walPages = async (env: Record<string, string>) => {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      // Litestream keeps a connection open: closing the command's is then not the last close,
      // which would checkpoint and delete the WAL whoever asked.
      const beside = openDatabase(file);
      beside.prepare('SELECT count(*) FROM sqlite_master').get();
      try {
        const config = requireStorageConfig({ DATABASE_URL: `sqlite:${file}`, ...env }, dir);
        await (await openStorage(config)).migrations(migrations).up(() => {}, {
          lockTimeoutMs: 1000,
        });
        return Math.round(fs.statSync(`${file}-wal`).size / 4096);
      } finally {
        beside.close();
      }
    };
    const replicated = await walPages({ LITESTREAM_REPLICA_URL: 'file:///srv/replica' });
    const plain = await walPages({});
    expect(replicated).toBeGreaterThan(3600);
    expect(plain).toBeLessThan(2000);
  });
});
