import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withReadOnlyDatabase } from '../support/read-database.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/backup.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { childEnv } from '../support/server-process.js';

let tmp: string;
let file: string;
let db: Db;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-backup-'));
  file = path.join(tmp, 'db', 'database.sqlite3');
  // Stays open during the backup, as the server's connection would: rows sit in the WAL.
  db = openDatabase(file);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
  for (let i = 0; i < 50; i++) insert.run(`note ${i}`);
});

afterEach(() => {
  if (db.open) db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

function countNotes(snapshot: string): number {
  return withReadOnlyDatabase(snapshot, (copy) => {
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    return copy.prepare('SELECT COUNT(*) FROM notes').pluck().get() as number;
  });
}

describe('backup command', () => {
  it('when the database is in use, then it writes a consistent snapshot to backups/ and prints its path', async () => {
    const { out, err, output } = capture();

    const code = await runBackup({ DATABASE_URL: `sqlite:${file}` }, output);

    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const snapshot = out[0] ?? '';
    expect(path.dirname(snapshot)).toBe(path.join(tmp, 'db', 'backups'));
    expect(path.basename(snapshot)).toMatch(/^database-\d{8}T\d{6}Z-manual\.sqlite3$/);
    expect(countNotes(snapshot)).toBe(50);
  });

  it('when DATABASE_URL is empty, then it exits 1 and says what to set', async () => {
    const { err, output } = capture();

    expect(await runBackup({ DATABASE_URL: ' ' }, output)).toBe(1);
    expect(err).toEqual([
      'backup: DATABASE_URL is not set (example: sqlite:/data/db/database.sqlite3)',
    ]);
  });

  it('when DATABASE_URL is neither SQLite nor PostgreSQL, then it exits 1 without showing its password', async () => {
    const { err, output } = capture();

    expect(await runBackup({ DATABASE_URL: 'mysql://snip:hunter2@db/snip' }, output)).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('DATABASE_URL must look like');
    expect(err[0]).not.toContain('hunter2');
  });

  it('when the database file does not exist, then it exits 1 without creating one', async () => {
    const { err, output } = capture();
    const missing = path.join(tmp, 'other', 'database.sqlite3');

    expect(await runBackup({ DATABASE_URL: `sqlite:${missing}` }, output)).toBe(1);
    expect(err).toEqual([`backup: no database at ${missing}`]);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
  });

  it('when run as `node dist/backup.js`, then it prints the snapshot path', () => {
    const result = spawnSync('node', ['dist/backup.js'], {
      env: childEnv({ DATABASE_URL: `sqlite:${file}` }),
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(countNotes(result.stdout.trim())).toBe(50);
  });
});

describe('npm run backup', () => {
  it('when DATABASE_URL is unset, then it backs up the same local database as npm start and npm run migrate', () => {
    const { scripts } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    const fallback = (name: string) => /\$\{DATABASE_URL:-([^}]+)\}/.exec(scripts[name] ?? '')?.[1];
    expect(scripts.backup).toMatch(/node dist\/backup\.js$/);
    expect(fallback('backup')).toBe(loadConfig({}).databaseUrl);
    expect(fallback('migrate')).toBe(fallback('backup'));
    expect(fallback('start')).toBe(fallback('backup'));
  });
});
