import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createWriteGate, IMPATIENT_FOR_MS } from '../../src/db/write-gate.js';
import { BUSY_TIMEOUT_MS, type Db } from '../../src/db/open-database.sqlite.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

let dir: string;
let db: Db;
let holder: Database.Database | undefined;
afterEach(() => {
  holder?.close();
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function setup() {
  dir = createTempDir();
  const file = path.join(dir, 'snip.sqlite3');
  db = createTestDatabase(file);
  holder = new Database(file);
  return db.prepare(
    "INSERT INTO urls (code, target, created, updated) VALUES (?, 'https://a.example/', 1, 1)",
  );
}

describe('the write gate', () => {
  it('when a write found the database locked, then writes stop waiting: they fail at once while the lock is held and succeed the moment it goes', () => {
    const insert = setup();
    let now = 0;
    const gate = createWriteGate({ db, fileCheck: () => null, now: () => now });
    holder!.exec('BEGIN IMMEDIATE');

    // The first write waits busy_timeout, then fails.
    let started = performance.now();
    expect(() => gate(() => insert.run('one'))).toThrow(
      expect.objectContaining({ code: 'SQLITE_BUSY' }),
    );
    const firstWait = performance.now() - started;
    expect(firstWait).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS * 0.9);

    // The next ones fail without waiting (a tenth of busy_timeout is generous on any machine).
    started = performance.now();
    for (let i = 0; i < 5; i++) expect(() => gate(() => insert.run(`x${i}`))).toThrow();
    expect(performance.now() - started).toBeLessThan(BUSY_TIMEOUT_MS / 10);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);

    // The lock goes: the next write succeeds at once, still within the impatient window.
    holder!.exec('ROLLBACK');
    now = IMPATIENT_FOR_MS - 1;
    gate(() => insert.run('after'));
    expect(db.prepare("SELECT COUNT(*) FROM urls WHERE code = 'after'").pluck().get()).toBe(1);
  });

  it('when a write fails for another reason, then writes keep waiting as usual', () => {
    const insert = setup();
    const gate = createWriteGate({ db, fileCheck: () => null, now: () => 0 });
    insert.run('dup');
    expect(() => gate(() => insert.run('dup'))).toThrow(/UNIQUE/);
    holder!.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    expect(() => gate(() => insert.run('waits'))).toThrow();
    expect(performance.now() - started).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS * 0.9);
    holder!.exec('ROLLBACK');
  });

  it('when the database file is gone, then the write is refused before it is tried', () => {
    setup();
    let tried = false;
    const gate = createWriteGate({
      db,
      fileCheck: () => ({ reason: 'gone', message: 'the database file x is gone' }),
      now: () => 0,
    });
    expect(() => gate(() => (tried = true))).toThrow('the database file x is gone');
    expect(tried).toBe(false);
  });
});
