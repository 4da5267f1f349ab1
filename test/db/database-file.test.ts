import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import {
  checkDiskSpace,
  DISK_FULL_BELOW_BYTES,
  watchDatabaseFile,
} from '../../src/db/database-file.js';
import type { Db } from '../../src/db/open-database.sqlite.js';
import {
  buildTestServices,
  createTempDir,
  createTestDatabase,
  SAME_ORIGIN,
} from '../support/test-app.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from '../support/small-disk.js';

let dir: string | undefined;
let readOnly = false;
let readOnlyFile: string | undefined;
let disk: SmallDisk | undefined;
let db: Db | undefined;
afterEach(() => {
  if (db?.open) db.close();
  if (readOnly && dir) execFileSync('umount', [dir]);
  if (readOnlyFile) execFileSync('umount', [readOnlyFile]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  disk?.unmount();
  dir = db = readOnlyFile = disk = undefined;
  readOnly = false;
});

const MOUNTS = smallDiskUnavailable();

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
    expect(check()).toEqual({ reason: 'gone', message: `the database file ${file} is gone` });
  });

  it('when another file is put in its place, then it says so', () => {
    dir = createTempDir();
    const file = databaseIn(dir);
    const check = watchDatabaseFile(file);
    fs.copyFileSync(file, `${file}.copy`);
    fs.renameSync(`${file}.copy`, file);
    expect(check()).toEqual({
      reason: 'replaced',
      message: `the database file ${file} was replaced by another file`,
    });
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
      expect(check()).toEqual({
        reason: 'read-only',
        message: `the database file ${file} cannot be written (EROFS)`,
      });
    },
  );
});

describe('a database file deleted under a running snip', () => {
  it('when the file is deleted, then /healthz says it cannot be written while redirects go on, the log says why, and a new link is refused with 503 rather than saved into the void', async () => {
    dir = createTempDir();
    const file = databaseIn(dir);
    const { app, lines } = appOn(file);
    const healthy = await request(app).get('/healthz').expect(200);
    expect(healthy.body).toEqual({ status: 'ok', database: { answers: true, writable: true } });
    const created = await request(app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'kept' })
      .expect(303);
    const manage = created.headers.location!.replace('?created=1', '');
    fs.rmSync(file);

    // 200: the redirects are still served, and a restart would lose the open file's links.
    const health = await request(app).get('/healthz').expect(200);
    expect(health.body).toEqual({
      status: 'degraded',
      database: { answers: true, writable: false, problem: 'gone' },
    });
    expect(health.text).not.toContain(file);
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

describe('/healthz on the database', () => {
  it('when the database no longer answers, then it answers 503 and says so', async () => {
    dir = createTempDir();
    const { app } = appOn(databaseIn(dir));
    db!.close();
    const health = await request(app).get('/healthz').expect(503);
    expect(health.headers['cache-control']).toBe('no-store');
    expect(health.body).toEqual({
      status: 'unavailable',
      database: { answers: false, writable: false, problem: 'no-answer' },
    });
  });

  it.skipIf(MOUNTS !== null)(
    'when the database file alone turns read-only, then /healthz says it cannot be written, creation answers 503 and redirects go on, until it is writable again',
    async () => {
      dir = createTempDir();
      const file = databaseIn(dir);
      const { app, lines } = appOn(file);
      await request(app)
        .post('/shorten')
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://a.example/', alias: 'kept' })
        .expect(303);
      // The file bind-mounted read-only over itself: new opens of it cannot write (root ignores
      // file modes, so chmod would prove nothing here).
      execFileSync('mount', ['--bind', file, file]);
      readOnlyFile = file;
      execFileSync('mount', ['-o', 'remount,bind,ro', file]);

      const health = await request(app).get('/healthz').expect(200);
      expect(health.body).toEqual({
        status: 'degraded',
        database: { answers: true, writable: false, problem: 'read-only' },
      });
      const refused = await request(app)
        .post('/shorten')
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://b.example/', alias: 'refused' });
      expect(refused.status).toBe(503);
      await request(app).get('/kept').expect(302).expect('Location', 'https://a.example/');

      execFileSync('umount', [file]);
      readOnlyFile = undefined;
      const again = await request(app).get('/healthz').expect(200);
      expect(again.body).toEqual({ status: 'ok', database: { answers: true, writable: true } });
      const messages = lines
        .map((line) => (JSON.parse(line) as { msg: string }).msg)
        .filter((msg) => /^(unhealthy|healthy)/.test(msg));
      expect(messages).toEqual([
        `unhealthy: the database file ${file} cannot be written (EROFS)`,
        'healthy again: the database answers and can be written',
      ]);
    },
  );

  it.skipIf(MOUNTS !== null)(
    'when the disk under the database fills up, then /healthz says it cannot be written while redirects go on, and writable again once space returns',
    async () => {
      disk = mountSmallDisk(4096);
      const file = databaseIn(disk.dir);
      const { app } = appOn(file);
      await request(app)
        .post('/shorten')
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://a.example/', alias: 'kept' })
        .expect(303);
      expect(checkDiskSpace(file)).toBeNull();

      disk.fill();
      expect(checkDiskSpace(file)).toEqual({
        reason: 'disk-full',
        message: expect.stringMatching(
          new RegExp(
            `^the disk under the database file ${file} is full \\(\\d+ KiB free, under ${DISK_FULL_BELOW_BYTES / 1024} KiB\\)$`,
          ),
        ) as string,
      });
      const health = await request(app).get('/healthz').expect(200);
      expect(health.body).toEqual({
        status: 'degraded',
        database: { answers: true, writable: false, problem: 'disk-full' },
      });
      await request(app).get('/kept').expect(302).expect('Location', 'https://a.example/');

      disk.free();
      const again = await request(app).get('/healthz').expect(200);
      expect(again.body).toEqual({ status: 'ok', database: { answers: true, writable: true } });
    },
  );
});
