import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { watchDatabaseFile } from '../../src/db/database-file.js';
import type { Db } from '../../src/db/open-database.sqlite.js';
import {
  buildTestServices,
  createTempDir,
  createTestDatabase,
  SAME_ORIGIN,
} from '../support/test-app.js';
import { smallDiskUnavailable } from '../support/small-disk.js';

let dir: string | undefined;
let readOnly = false;
let db: Db | undefined;
afterEach(() => {
  if (db?.open) db.close();
  if (readOnly && dir) execFileSync('umount', [dir]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = db = undefined;
  readOnly = false;
});

function databaseIn(folder: string): string {
  const file = path.join(folder, 'snip.sqlite3');
  db = createTestDatabase(file);
  return file;
}

/** The app as the server builds it, with a log the test can read. */
function appOn(file: string) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const app = createApp(
    buildTestServices(loadConfig({ DATABASE_URL: `sqlite:${file}` }), db!, { logger }),
  );
  return { app, lines };
}

describe('watchDatabaseFile', () => {
  it('when the file is the one opened and writable, then nothing is wrong', () => {
    dir = createTempDir();
    const check = watchDatabaseFile(databaseIn(dir));
    expect(check()).toBeNull();
  });

  it('when the file is deleted, then it says the file is gone', () => {
    dir = createTempDir();
    const file = databaseIn(dir);
    const check = watchDatabaseFile(file);
    fs.rmSync(file);
    expect(check()).toBe(`the database file ${file} is gone`);
  });

  it('when another file is put in its place, then it says so', () => {
    dir = createTempDir();
    const file = databaseIn(dir);
    const check = watchDatabaseFile(file);
    fs.copyFileSync(file, `${file}.copy`);
    fs.renameSync(`${file}.copy`, file);
    expect(check()).toBe(`the database file ${file} was replaced by another file`);
  });

  it.skipIf(smallDiskUnavailable() !== null)(
    'when its filesystem turns read-only, then it says the file cannot be written',
    () => {
      dir = createTempDir();
      const file = databaseIn(dir);
      const check = watchDatabaseFile(file);
      // A read-only bind mount of the folder over itself: what a volume remounted read-only
      // looks like to new opens (root ignores file modes, so chmod would prove nothing here).
      execFileSync('mount', ['--bind', dir, dir]);
      readOnly = true;
      execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
      expect(check()).toBe(`the database file ${file} cannot be written (EROFS)`);
    },
  );
});

describe('a database file deleted under a running snip', () => {
  it('when the file is deleted, then /healthz turns 503, the log says why, and a new link is refused with 503 rather than saved into the void', async () => {
    dir = createTempDir();
    const file = databaseIn(dir);
    const { app, lines } = appOn(file);
    await request(app).get('/healthz').expect(200);
    const created = await request(app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'kept' })
      .expect(303);
    const manage = created.headers.location!.replace('?created=1', '');
    fs.rmSync(file);

    await request(app).get('/healthz').expect(503);
    const refused = await request(app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://b.example/' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    // Changes to the link are refused the same way, none of them "saved" into the deleted file.
    for (const [path, fields] of [
      [manage, { url: 'https://c.example/' }],
      [`${manage}/disable`, {}],
      [`${manage}/delete`, {}],
    ] as const) {
      const change = await request(app).post(path).set(SAME_ORIGIN).type('form').send(fields);
      expect(change.status, path).toBe(503);
    }
    await request(app).get('/kept').expect(302).expect('Location', 'https://a.example/');
    // Reading what is open still works: existing links keep redirecting.
    await request(app).get('/kept').expect(302);
    const unhealthy = lines
      .map((line) => JSON.parse(line))
      .filter((l) => l.msg.startsWith('unhealthy'));
    expect(unhealthy).toHaveLength(1);
    expect(unhealthy[0].msg).toBe(`unhealthy: the database file ${file} is gone`);
  });
});
