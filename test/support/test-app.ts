import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { createApp, type AppDeps } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { applyMigrations, loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrations-dir.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';

export type TestApp = {
  app: Express;
  db: Db;
  config: Config;
  countLinks: () => number;
  /** The code of the link created last. */
  lastCode: () => string | undefined;
};

/** A management page URL as the shortening form redirects to it. */
export const MANAGE_LOCATION = /^\/manage\/[A-Za-z0-9_-]{32}\?created=1$/;

/** Headers a browser sends with a form post from snip's own page. */
export const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' } as const;

/** A fresh database with the real migrations applied: `:memory:` unless a file is asked for. */
export function createTestDatabase(filename = ':memory:'): Db {
  const db = openDatabase(filename);
  applyMigrations(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  return db;
}

export function createTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'snip-test-'));
}

export function buildTestApp(
  env: Record<string, string> = {},
  overrides: Partial<Omit<AppDeps, 'config'>> = {},
): TestApp {
  // Limits are on by default in production; tests that are not about them send many requests
  // from one address, so they opt in (test/http/rate-limits.test.ts).
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', RATE_LIMITS: 'off', ...env });
  const db = overrides.db ?? createTestDatabase();
  const app = createApp({ config, db, logger: pino({ level: 'silent' }), ...overrides });
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM urls');
  const last = db.prepare<[], { code: string }>('SELECT code FROM urls ORDER BY id DESC LIMIT 1');
  return {
    app,
    db,
    config,
    countLinks: () => count.get()?.n ?? 0,
    lastCode: () => last.get()?.code,
  };
}

/** Creates a link through the form and returns its management path and token. */
export async function createManagedLink(
  app: Express,
  alias = 'qr-link',
): Promise<{ manage: string; token: string }> {
  const res = await request(app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: 'https://a.example/', alias })
    .expect(303);
  expect(res.headers.location).toMatch(MANAGE_LOCATION);
  const manage = res.headers.location!.replace('?created=1', '');
  return { manage, token: manage.split('/')[2]! };
}

/** Signs in to the admin through its form and returns the session cookie (`name=value`). */
export async function signInAdmin(app: Express, password: string): Promise<string> {
  const res = await request(app)
    .post('/admin/sign-in')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password });
  expect(res.status).toBe(303);
  return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
}
