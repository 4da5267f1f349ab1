import type { Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { onTestFinished } from 'vitest';
import { createApp, createRequestListener } from '../../src/app.js';
import { createKeyService } from '../../src/keys/key-service.js';
import type { RequestListener } from '../../src/links/redirect-fast-path.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { loadMigrations } from '../../src/db/migrations.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { createPostgresLimiter } from '../../src/http/rate-limits.postgres.js';
import type { LimiterFactory } from '../../src/http/rate-limits.js';
import { createPostgresStore } from '../../src/storage/store.postgres.js';
import { createSqliteStore } from '../../src/storage/store.sqlite.js';
import type { Store } from '../../src/storage/store.js';
import type { VisitCounter } from '../../src/stats/visit-counter.js';
import { buildServices, type ServiceOptions } from '../../src/services.js';
import { createTestPgDatabase } from './postgres.js';
import { createTestDatabase, SAME_ORIGIN } from './test-app.js';

export type Engine = 'sqlite' | 'postgres';

export type EngineApp = {
  engine: Engine;
  app: Express;
  /** What the server listens with: the redirect fast path in front of `app`, on the same services. */
  listener: RequestListener;
  store: Store;
  visitCounter: VisitCounter;
  /** Writes the visits counted in memory, as the server does every second. */
  flushVisits: () => Promise<number>;
  /** Writes the requests for unknown codes counted in memory, as the server does every second. */
  flushNotFound: () => Promise<number>;
  /** Runs SQL on the database directly, past every door: for rows snip would never write. */
  execute: (sql: string) => Promise<void>;
};

/**
 * The app on a fresh database of either engine, with the real migrations: SQLite in memory, or
 * a new PostgreSQL database on the run's cluster (dropped when the test ends). Call it inside a
 * test. Only time (and a logger to read) may be injected: everything else is what the server builds.
 */
export async function buildEngineApp(
  engine: Engine,
  env: Record<string, string> = {},
  overrides: Partial<Pick<ServiceOptions, 'now' | 'logger'>> = {},
): Promise<EngineApp> {
  const now = overrides.now ?? Date.now;
  let store: Store;
  let limiter: LimiterFactory | undefined;
  let execute: EngineApp['execute'];
  if (engine === 'sqlite') {
    const db = createTestDatabase();
    onTestFinished(() => {
      db.close();
    });
    store = createSqliteStore({ db, file: ':memory:', fileCheck: () => null, now });
    execute = async (sql) => void db.exec(sql);
  } else {
    const { url } = await createTestPgDatabase();
    await applyPostgresMigrations(
      url,
      loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR)),
    );
    const pool = createPostgresPool(url, { max: 4 });
    onTestFinished(() => pool.end());
    execute = async (sql) => void (await pool.query(sql));
    store = createPostgresStore(pool, { cacheTtlMs: 1000 });
    limiter = (name, rule) => createPostgresLimiter(pool, name, rule);
  }
  const config = loadConfig({
    DATABASE_URL: engine === 'sqlite' ? 'sqlite::memory:' : 'postgres://snip@127.0.0.1/snip',
    RATE_LIMITS: 'off',
    ...env,
  });
  const services = buildServices({
    config,
    store,
    limiter,
    logger: overrides.logger ?? pino({ level: 'silent' }),
    now,
  });
  const { visitCounter, notFoundCounter } = services;
  const app = createApp(services);
  return {
    engine,
    app,
    listener: createRequestListener(services),
    store,
    visitCounter,
    flushVisits: async () => {
      await visitCounter.idle();
      return visitCounter.flush();
    },
    flushNotFound: async () => {
      await notFoundCounter.idle();
      return notFoundCounter.flush();
    },
    execute,
  };
}

/** A new API key of `scope` on the app's store; its secret. */
export async function engineKey(
  s: EngineApp,
  name: string,
  scope: 'full' | 'create-only' = 'full',
): Promise<string> {
  const secret = await createKeyService({ keys: s.store.keys, now: Date.now }).createKey({
    name,
    scope,
    expiresAt: null,
  });
  return secret!;
}

/** Adds each domain through `POST /api/v1/domains` with a full key, expecting 201. */
export async function addEngineDomains(
  s: EngineApp,
  secret: string,
  domains: readonly object[],
): Promise<void> {
  for (const domain of domains) {
    await request(s.app).post('/api/v1/domains').set('X-Api-Key', secret).send(domain).expect(201);
  }
}

/** Signs in to the admin with `password` (the app's ADMIN_PASSWORD); the session cookie. */
export async function engineAdminCookie(s: EngineApp, password: string): Promise<string> {
  const signIn = await request(s.app)
    .post('/admin/sign-in')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password })
    .expect(303);
  return (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
}
