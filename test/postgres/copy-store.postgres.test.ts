import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { runCopyStore } from '../../src/copy-store.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { loadMigrations } from '../../src/db/migrations.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { createPostgresLimiter } from '../../src/http/rate-limits.postgres.js';
import { buildServices } from '../../src/services.js';
import { COPIED_TABLES, MIGRATION_LEDGER } from '../../src/storage/copied-tables.js';
import { createPostgresStore } from '../../src/storage/store.postgres.js';
import {
  dumpPostgres,
  dumpSqlite,
  EVERY_ROW_ENV,
  fillEveryTable,
  splitDump,
  type FillableApp,
  type Filled,
} from '../support/every-row.js';
import { createTestPgDatabase, describeWithPostgres, withClient } from '../support/postgres.js';
import { childEnv } from '../support/server-process.js';
import { buildTestServices, createTempDir, createTestDatabase } from '../support/test-app.js';

// copy-store between SQLite and PostgreSQL, both ways, on the run's throw-away cluster: a
// database with a row in every table, made through snip's own doors, copied and compared table
// by table; the copy then served by snip (tokens, keys, unlock cookies, new ids); a non-empty
// target refused; a copy killed midway.

let tmp: string;

beforeEach(() => {
  tmp = createTempDir();
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function copyStore(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCopyStore(
    args,
    {},
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    tmp,
  );
  return { code, out, err };
}

/** snip on a new SQLite file, filled with a row in every table; the file is closed after. */
async function filledSqlite(name: string): Promise<{ file: string; filled: Filled }> {
  const file = path.join(tmp, name);
  const db = createTestDatabase(file);
  try {
    const config = loadConfig({ DATABASE_URL: `sqlite:${file}`, ...EVERY_ROW_ENV });
    const services = buildTestServices(config, db);
    const filled = await fillEveryTable({
      app: createApp(services),
      keys: services.store.keys,
      visitCounter: services.visitCounter,
      notFoundCounter: services.notFoundCounter,
    });
    return { file, filled };
  } finally {
    db.close();
  }
}

/** snip on the PostgreSQL database `url`, as the server builds it (its pool ends with the test). */
function postgresApp(url: string): FillableApp {
  // The server's pool: BIGINT as numbers (src/db/pool.postgres.ts).
  const pool = createPostgresPool(url, { max: 4 });
  onTestFinished(() => pool.end());
  const services = buildServices({
    config: loadConfig({ DATABASE_URL: url, ...EVERY_ROW_ENV }),
    store: createPostgresStore(pool, { cacheTtlMs: 1000 }),
    limiter: (name, rule) => createPostgresLimiter(pool, name, rule),
    logger: pino({ level: 'silent' }),
  });
  return {
    app: createApp(services),
    keys: services.store.keys,
    visitCounter: services.visitCounter,
    notFoundCounter: services.notFoundCounter,
  };
}

/** snip on the SQLite file `file` (a copy), to try what the copy lets a person do. */
function sqliteApp(file: string): FillableApp {
  const db = createTestDatabase(file);
  const services = buildTestServices(
    loadConfig({ DATABASE_URL: `sqlite:${file}`, ...EVERY_ROW_ENV }),
    db,
  );
  return {
    app: createApp(services),
    keys: services.store.keys,
    visitCounter: services.visitCounter,
    notFoundCounter: services.notFoundCounter,
  };
}

/** Everything a person did on the original works on the copy, and new rows get new ids. */
async function expectServedAsBefore(t: FillableApp, filled: Filled, newest: () => Promise<number>) {
  const page = await request(t.app).get(filled.manage).expect(200);
  expect(page.text).toContain('https://a.example/managed');
  await request(t.app)
    .get('/locked')
    .set('Cookie', filled.unlockCookie)
    .expect(302)
    .expect('Location', 'https://a.example/locked');
  const full = await request(t.app)
    .get('/api/v1/links/full')
    .set('X-Api-Key', filled.apiKey)
    .expect(200);
  expect(full.body).toMatchObject({
    title: 'Everything',
    note: 'Set on purpose',
    crawlable: true,
    redirectType: 301,
    maxVisits: 1000,
    tags: ['Green', 'blue'],
  });
  const stats = await request(t.app)
    .get('/api/v1/links/spread/stats')
    .set('X-Api-Key', filled.apiKey)
    .expect(200);
  expect(stats.body.visits).toBe(filled.loggedVisits);
  await request(t.app).get('/gone').expect(410);
  await request(t.app).get('/bait').expect(410);
  await request(t.app).get('/guide').set('Host', 'go.example').expect(302);
  // A link, a tag, a key and a domain made now take ids after the copied ones.
  const before = await newest();
  await request(t.app)
    .post('/api/v1/links')
    .set('X-Api-Key', filled.apiKey)
    .send({ url: 'https://a.example/after', alias: 'after', tags: ['new-tag'] })
    .expect(201);
  await request(t.app)
    .post('/api/v1/domains')
    .set('X-Api-Key', filled.apiKey)
    .send({ host: 'new.example' })
    .expect(201);
  expect(await newest()).toBe(before + 1);
}

describeWithPostgres('copy-store between SQLite and PostgreSQL', () => {
  it('when a database with every kind of row goes SQLite → PostgreSQL → SQLite, then every table holds the same rows at each step, and snip serves each copy', async () => {
    const { file, filled } = await filledSqlite('source.sqlite3');
    const { url } = await createTestPgDatabase();

    const there = await copyStore('--from', `sqlite:${file}`, '--to', url);
    expect(there.err).toEqual([]);
    expect(there.code).toBe(0);
    console.log(there.out.join('\n'));

    const source = splitDump(dumpSqlite(file));
    const onPostgres = splitDump(await dumpPostgres(url));
    expect(onPostgres.copied).toEqual(source.copied);
    for (const table of COPIED_TABLES.filter((t) => t.copy && t.name !== 'visit_log')) {
      expect(source.copied[table.name]!.length, table.name).toBeGreaterThan(0);
    }
    expect(onPostgres.left).toEqual({ admin_sessions: [], rate_limits: [], visit_flushes: [] });

    // And back, with the command as operators run it, in a process of its own.
    const back = path.join(tmp, 'back', 'database.sqlite3');
    const result = spawnSync(
      process.execPath,
      ['dist/copy-store.js', '--from', url, '--to', `sqlite:${back}`],
      { env: childEnv({}), encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^urls\s+10\s+10$/m);
    expect(splitDump(dumpSqlite(back)).copied).toEqual(source.copied);

    await expectServedAsBefore(postgresApp(url), filled, async () =>
      withClient(url, async (client) => {
        const { rows } = await client.query<{ id: string }>('SELECT max(id) AS id FROM urls');
        return Number(rows[0]!.id);
      }),
    );
  });

  it('when a database made on PostgreSQL goes to SQLite, then every table holds the same rows, and snip serves the copy', async () => {
    const { url } = await createTestPgDatabase();
    await applyPostgresMigrations(
      url,
      loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR)),
    );
    const filled = await fillEveryTable(postgresApp(url));
    // What several machines keep in the database and the copy leaves out.
    const original = splitDump(await dumpPostgres(url));
    expect(original.left.admin_sessions!.length).toBeGreaterThan(0);
    expect(original.left.visit_flushes!.length).toBeGreaterThan(0);

    const file = path.join(tmp, 'copy.sqlite3');
    const result = await copyStore('--from', url, '--to', `sqlite:${file}`);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out).not.toContainEqual(expect.stringMatching(/^folded/));

    const copy = splitDump(dumpSqlite(file));
    expect(copy.copied).toEqual(original.copied);
    expect(copy.left).toEqual({ admin_sessions: [], rate_limits: [], visit_flushes: [] });
    const t = sqliteApp(file);
    await expectServedAsBefore(t, filled, async () => {
      const db = createTestDatabase(file);
      try {
        return Number(db.prepare('SELECT max(id) FROM urls').pluck().get());
      } finally {
        db.close();
      }
    });
  });

  it('when the PostgreSQL target holds a row, then it refuses naming it, exits 1, and writes nothing', async () => {
    const { file } = await filledSqlite('source.sqlite3');
    const { url } = await createTestPgDatabase();
    // Migrated up to the visit dimensions only, with one blocked host: not migrated further either.
    const migrations = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));
    await applyPostgresMigrations(url, migrations.slice(0, -3));
    await withClient(url, (client) =>
      client.query("INSERT INTO blocked_hosts (host, reason, created) VALUES ('x.example', '', 1)"),
    );
    const before = await withClient(url, async (client) => {
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY 1');
      return rows;
    });

    const result = await copyStore('--from', `sqlite:${file}`, '--to', url);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      expect.stringMatching(
        /^copy-store: the target \(postgres:\/\/.*\) is not empty: blocked_hosts \(1 row\); .*nothing was written$/,
      ),
    ]);
    await withClient(url, async (client) => {
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY 1');
      expect(rows).toEqual(before);
      expect((await client.query('SELECT count(*)::int AS n FROM urls')).rows[0].n).toBe(0);
    });
  });

  it('when the copy into PostgreSQL is killed midway, then the target holds no copied row, and a second run copies everything with ids that go on', async () => {
    const { file, filled } = await filledSqlite('source.sqlite3');
    const db = createTestDatabase(file);
    db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
      INSERT INTO visits_daily (url_id, day, count)
        SELECT (SELECT id FROM urls WHERE code = 'managed'), printf('%07d', i), i FROM n`);
    db.close();
    const { url } = await createTestPgDatabase();
    const args = ['dist/copy-store.js', '--from', `sqlite:${file}`, '--to', url];

    const child = spawn(process.execPath, args, {
      env: childEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stdout.on('data', (chunk) => {
        output += chunk.toString();
        if (/^copied urls: /m.test(output)) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await killed).toBe('SIGKILL');
    expect(output).not.toMatch(/^copied visits_daily/m);
    const counts = async () =>
      withClient(url, async (client) => {
        const found: Record<string, number> = {};
        for (const table of COPIED_TABLES) {
          const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table.name}`);
          found[table.name] = rows[0].n;
        }
        return found;
      });
    // PostgreSQL rolls back the transaction of a session whose client is gone.
    expect(Object.values(await counts()).every((n) => n === 0)).toBe(true);

    const again = spawnSync(process.execPath, args, {
      env: childEnv({}),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    console.log(again.stdout.split('\n').slice(-20).join('\n'));
    expect((await counts()).visits_daily).toBeGreaterThan(300_000);
    expect(splitDump(await dumpPostgres(url)).copied).toEqual(splitDump(dumpSqlite(file)).copied);
    await expectServedAsBefore(postgresApp(url), filled, async () =>
      withClient(url, async (client) => {
        const { rows } = await client.query<{ id: string }>('SELECT max(id) AS id FROM urls');
        return Number(rows[0]!.id);
      }),
    );
  });

  it('when the migrations have run on PostgreSQL, then copy-store knows every table they made', async () => {
    const { url } = await createTestPgDatabase();
    await applyPostgresMigrations(
      url,
      loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR)),
    );
    const tables = await withClient(url, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      );
      return rows.map((row) => row.name).filter((name) => name !== MIGRATION_LEDGER);
    });
    expect(COPIED_TABLES.map((t) => t.name).toSorted()).toEqual(tables.toSorted());
  });
});
