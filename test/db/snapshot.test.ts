import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readColumn, withReadOnlyDatabase } from '../support/read-database.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { writeSnapshot } from '../../src/db/snapshot.sqlite.js';

let tmp: string;
let file: string;
let db: Db;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-'));
  file = path.join(tmp, 'db', 'database.sqlite3');
  db = openDatabase(file);
  db.exec('CREATE TABLE urls (id INTEGER PRIMARY KEY, code TEXT NOT NULL, target TEXT NOT NULL)');
});

afterEach(() => {
  if (db.open) db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function readCodes(dbFile: string): string[] {
  return withReadOnlyDatabase(dbFile, (copy) => {
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    return copy.prepare('SELECT code FROM urls ORDER BY id').pluck().all() as string[];
  });
}

/** What a plain file copy of database.sqlite3 (without its -wal) would contain. */
function tablesInMainFileAlone(): string[] {
  const copy = path.join(tmp, 'main-file-only.sqlite3');
  fs.copyFileSync(file, copy);
  return readColumn<string>(copy, "SELECT name FROM sqlite_master WHERE type = 'table'");
}

describe('writeSnapshot', () => {
  it('when writes are still in the WAL, then the snapshot holds them and opens as its own database', async () => {
    const insert = db.prepare('INSERT INTO urls (code, target) VALUES (?, ?)');
    const codes = Array.from({ length: 50 }, (_, i) => `code${i}`);
    for (const code of codes) insert.run(code, `https://example.com/${code}`);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // Nothing has been checkpointed yet: the rows exist only in database.sqlite3-wal.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(tablesInMainFileAlone()).toEqual([]);

    const snapshot = await writeSnapshot(db, file, {
      now: new Date('2026-11-25T12:00:00.500Z'),
      label: 'before-20261201000000',
    });

    expect(snapshot).toBe(
      path.join(tmp, 'db', 'backups', 'database-20261125T120000Z-before-20261201000000.sqlite3'),
    );
    expect(readCodes(snapshot)).toEqual(codes);
    expect(fs.readdirSync(path.dirname(snapshot))).toEqual([path.basename(snapshot)]);
  });

  it('when there are more snapshots than keep, then only the newest remain', async () => {
    const base = Date.parse('2026-11-25T12:00:00Z');
    const written: string[] = [];
    for (let i = 0; i < 7; i++) {
      db.prepare('INSERT INTO urls (code, target) VALUES (?, ?)').run(`c${i}`, 'https://e.com/');
      written.push(await writeSnapshot(db, file, { keep: 3, now: new Date(base + i * 60_000) }));
    }

    const left = fs.readdirSync(path.join(tmp, 'db', 'backups')).sort();

    expect(left).toEqual(written.slice(4).map((p) => path.basename(p)));
    expect(readCodes(written[6] as string)).toHaveLength(7);
  });

  it('when another database shares the backups folder, then its snapshots are left alone', async () => {
    const backups = path.join(tmp, 'db', 'backups');
    fs.mkdirSync(backups, { recursive: true });
    const others = ['database-old-20200101T000000Z.sqlite3', 'notes.txt'];
    for (const name of others) fs.writeFileSync(path.join(backups, name), 'x');

    await writeSnapshot(db, file, { keep: 1, now: new Date('2026-01-01T00:00:00Z') });
    await writeSnapshot(db, file, { keep: 1, now: new Date('2026-01-02T00:00:00Z') });

    expect(fs.readdirSync(backups).sort()).toEqual(
      [...others, 'database-20260102T000000Z.sqlite3'].sort(),
    );
  });

  it('when keep or label is invalid, then nothing is written', async () => {
    await expect(writeSnapshot(db, file, { keep: 0 })).rejects.toThrow('keep must be 1 or more');
    await expect(writeSnapshot(db, file, { label: '../x' })).rejects.toThrow('label');
    expect(fs.existsSync(path.join(tmp, 'db', 'backups'))).toBe(false);
  });
});

describe('snapshots of different kinds', () => {
  it('when backups are downloaded many times after a migration, then the snapshot taken before the migration survives, and each kind keeps its own newest five', async () => {
    const base = Date.parse('2026-11-25T12:00:00Z');
    const at = (minutes: number) => new Date(base + minutes * 60_000);
    const migration = await writeSnapshot(db, file, { label: 'before-20261201000000', now: at(0) });
    const manual = await writeSnapshot(db, file, { label: 'manual', now: at(1) });
    const downloads: string[] = [];
    for (let i = 0; i < 12; i++) {
      downloads.push(await writeSnapshot(db, file, { label: 'download', now: at(10 + i) }));
    }
    const left = fs.readdirSync(path.join(tmp, 'db', 'backups')).sort();
    expect(left).toEqual(
      [migration, manual, ...downloads.slice(-5)].map((p) => path.basename(p)).sort(),
    );
    expect(readCodes(migration)).toEqual([]);

    // Migrations and rollbacks are one kind, pruned among themselves.
    const befores = [migration];
    for (let i = 0; i < 6; i++) {
      const label = i % 2 === 0 ? `before-rollback-2026120${i}000000` : `before-2026120${i}000000`;
      befores.push(await writeSnapshot(db, file, { label, now: at(30 + i) }));
    }
    const after = fs.readdirSync(path.join(tmp, 'db', 'backups')).sort();
    expect(after).toEqual(
      [...befores.slice(-5), manual, ...downloads.slice(-5)].map((p) => path.basename(p)).sort(),
    );
  });
});
