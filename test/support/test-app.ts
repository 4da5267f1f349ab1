import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig, requireSqliteFile, type Config } from '../../src/config.js';
import { watchDatabaseFile, type DatabaseFileCheck } from '../../src/db/database-file.js';
import { applyMigrations, loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrations-dir.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { buildServices, type ServiceOptions, type Services } from '../../src/services.js';
import { createSqliteStore } from '../../src/storage/store.sqlite.js';
import type { Store } from '../../src/storage/store.js';

export type TestApp = {
  app: Express;
  services: Services;
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

/** What a test may put in place of the real thing: the database, its file check, any option. */
export type TestOverrides = Partial<Omit<ServiceOptions, 'config' | 'store'>> & {
  db?: Db;
  /** Whether the database file is still the one opened; watched from the config's file otherwise. */
  databaseFile?: DatabaseFileCheck;
};

/** The SQLite store on `db`, as the server opens it for the config's file. */
export function createTestStore(
  db: Db,
  config: Config,
  options: { now?: () => number; databaseFile?: DatabaseFileCheck } = {},
): Store {
  const file = requireSqliteFile(config);
  return createSqliteStore({
    db,
    file,
    fileCheck: options.databaseFile ?? watchDatabaseFile(file),
    now: options.now ?? Date.now,
  });
}

/** The service graph on the SQLite database `db`, built as the server builds it. */
export function buildTestServices(
  config: Config,
  db: Db,
  overrides: Omit<TestOverrides, 'db'> = {},
): Services {
  const { databaseFile, ...options } = overrides;
  return buildServices({
    config,
    store: createTestStore(db, config, { now: options.now, databaseFile }),
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

export function buildTestApp(
  env: Record<string, string> = {},
  overrides: TestOverrides = {},
): TestApp {
  // Limits are on by default in production; tests that are not about them send many requests
  // from one address, so they opt in (test/http/rate-limits.test.ts).
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', RATE_LIMITS: 'off', ...env });
  const { db = createTestDatabase(), ...rest } = overrides;
  const services = buildTestServices(config, db, rest);
  const app = createApp(services);
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM urls');
  const last = db.prepare<[], { code: string }>('SELECT code FROM urls ORDER BY id DESC LIMIT 1');
  return {
    app,
    services,
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
