import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { createVisitCounter } from '../../src/stats/visit-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  buildTestServices,
  createTempDir,
  createTestDatabase,
  SAME_ORIGIN,
} from '../support/test-app.js';

/**
 * A lock held past busy_timeout (PRODUCT §4): another connection holds the write lock with
 * BEGIN IMMEDIATE, so every write of snip's own connection ends in a real SQLITE_BUSY. The app
 * runs on the connection openDatabase made, exactly as in production; only its busy_timeout is
 * lowered from 5 s so the fast suite does not wait 5 s per write.
 */
const TEST_BUSY_TIMEOUT_MS = 150;

let file: string;
let db: Db;
let locker: Db;

beforeEach(() => {
  file = path.join(createTempDir(), 'busy.sqlite3');
  createTestDatabase(file).close();
  db = openDatabase(file);
  db.pragma(`busy_timeout = ${TEST_BUSY_TIMEOUT_MS}`);
  locker = openDatabase(file);
});

afterEach(() => {
  if (locker.inTransaction) locker.exec('ROLLBACK');
  locker.close();
  db.close();
});

function appOn(connection: Db) {
  const now = () => Date.UTC(2026, 10, 29, 12);
  const visitCounter = createVisitCounter({ visits: createVisitRepository(connection), now });
  const app = createApp(
    buildTestServices(
      loadConfig({ DATABASE_URL: `sqlite:${file}`, RATE_LIMITS: 'off' }),
      connection,
      { visitCounter, now },
    ),
  );
  return { app, visitCounter };
}

function shorten(app: ReturnType<typeof appOn>['app'], fields: Record<string, string>) {
  return request(app).post('/shorten').set(SAME_ORIGIN).type('form').send(fields);
}

const rows = () => locker.prepare('SELECT COUNT(*) FROM urls').pluck().get();

describe('a database locked by another connection past busy_timeout', () => {
  it('when a link is created, changed or disabled under the lock, then each answers 503 with Retry-After, nothing is written, redirects keep working, and writes succeed once the lock is gone', async () => {
    const { app, visitCounter } = appOn(db);
    const created = await shorten(app, { url: 'https://a.example/', alias: 'before' }).expect(303);
    const manage = created.headers.location!.replace('?created=1', '');

    locker.exec('BEGIN IMMEDIATE');
    const answers = [
      await shorten(app, { url: 'https://a.example/locked', alias: 'locked' }),
      await request(app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://b.example/' }),
      await request(app).post(`${manage}/disable`).set(SAME_ORIGIN),
    ];
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.text).toContain('busy or full');
      expect(res.text).not.toMatch(/\n\s+at /);
      expect(res.text).not.toContain('SQLITE_BUSY');
    }
    // WAL readers are not blocked by a writer: the existing link still redirects, and is counted.
    const follow = await request(app).get('/before').set('User-Agent', 'Mozilla/5.0 Firefox/130.0');
    expect(follow.status).toBe(302);
    expect(follow.headers.location).toBe('https://a.example/');
    expect(() => visitCounter.flush()).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    expect(visitCounter.pendingTotal()).toBe(1);
    expect(rows()).toBe(1);
    locker.exec('ROLLBACK');

    // No partial row, and the refused changes were not made.
    expect(rows()).toBe(1);
    expect(
      locker.prepare("SELECT target, disabled_at FROM urls WHERE code = 'before'").get(),
    ).toEqual({
      target: 'https://a.example/',
      disabled_at: null,
    });
    await shorten(app, { url: 'https://a.example/locked', alias: 'locked' }).expect(303);
    expect(visitCounter.flush()).toBe(1);
    expect(locker.prepare("SELECT visits FROM urls WHERE code = 'before'").pluck().get()).toBe(1);
  });
});
