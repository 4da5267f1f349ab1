import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { expect, it, onTestFinished } from 'vitest';
import { loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import type { RedirectTarget } from '../../src/links/link.js';
import {
  notifyAllLinksChanged,
  notifyLinkChanged,
  startCacheInvalidation,
  type CacheInvalidation,
  type InvalidationLogger,
} from '../../src/links/cache-invalidation.postgres.js';
import {
  createRedirectCache,
  linkKey,
  type RedirectCache,
} from '../../src/links/redirect-cache.js';
import { createTtlRedirectCache } from '../../src/links/redirect-cache-ttl.js';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import { createPostgresLinkRepository } from '../../src/links/link-store.postgres.js';
import { findFreePort } from '../support/server-process.js';
import { createTestPgDatabase, describeWithPostgres } from '../support/postgres.js';

// Several snip "machines" on one real PostgreSQL: each has its own cache, its own connection for
// reading links and, unless a test says otherwise, its own listener on its own connection. They
// read links from the `urls` table with a real query and fill their cache on a miss, as the
// redirect does. Only the clock of the TTL unit tests is fake; here everything runs in real time.

/** A default-domain link's key in a redirect cache (ADR 031). */
const keyOf = (code: string) => linkKey(0, code);
const PG_MIGRATIONS = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));
const STOP_FIXTURE = path.resolve('test/fixtures/cache-invalidation-stop.mjs');
const MACHINE_FIXTURE = path.resolve('test/fixtures/cache-machine.mjs');
const DIST_URL = `${pathToFileURL(path.resolve('dist')).href}/`;
const INVALIDATION_MODULE = pathToFileURL(
  path.resolve('dist/links/cache-invalidation.postgres.js'),
).href;

type LogEntry = { at: number; level: 'info' | 'warn'; message: string; fields: object };

type Machine = {
  name: string;
  applicationName: string;
  cache: RedirectCache;
  /** When the cache was cleared as a whole. */
  clears: number[];
  logs: LogEntry[];
  invalidation: CacheInvalidation | null;
  /** The link's target as this machine's redirect would see it: from the cache, or read and cached. */
  read(code: string): Promise<string | null>;
  /** Changes the target in the database and announces it, as the link service does. */
  edit(code: string, target: string): Promise<void>;
  /** The pid of this machine's listening backend, or null when none is connected. */
  listenerPid(): Promise<number | null>;
  query: pg.Client['query'];
};

type MachineOptions = {
  listen?: boolean;
  ttlMs?: number;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  reconnectDelayMs?: number;
};

async function startMachine(url: string, name: string, options: MachineOptions = {}) {
  const {
    listen = true,
    ttlMs = 60_000,
    heartbeatMs = 1000,
    heartbeatTimeoutMs,
    reconnectDelayMs = 100,
  } = options;
  const applicationName = `snip cache invalidation ${name}`;
  const clears: number[] = [];
  const logs: LogEntry[] = [];
  const ttlCache = createTtlRedirectCache(createRedirectCache(1000), ttlMs, Date.now);
  const cache: RedirectCache = {
    get: (code) => ttlCache.get(code),
    set: (code, link) => ttlCache.set(code, link),
    invalidate: (code) => ttlCache.invalidate(code),
    clear: () => {
      clears.push(Date.now());
      ttlCache.clear();
    },
    changes: () => ttlCache.changes(),
  };
  const logger: InvalidationLogger = {
    info: (fields, message) => logs.push({ at: Date.now(), level: 'info', message, fields }),
    warn: (fields, message) => logs.push({ at: Date.now(), level: 'warn', message, fields }),
  };
  const reader = new pg.Client({ connectionString: url, application_name: `snip reader ${name}` });
  await reader.connect();
  const invalidation = listen
    ? startCacheInvalidation({
        connectionString: url,
        cache,
        logger,
        heartbeatMs,
        heartbeatTimeoutMs,
        reconnectDelayMs,
        applicationName,
      })
    : null;
  onTestFinished(async () => {
    await invalidation?.stop();
    await reader.end();
  });
  await invalidation?.ready;

  const machine: Machine = {
    name,
    applicationName,
    cache,
    clears,
    logs,
    invalidation,
    query: reader.query.bind(reader) as pg.Client['query'],
    async read(code) {
      const hit = cache.get(keyOf(code));
      if (hit !== undefined) return hit.target;
      const { rows } = await reader.query<RedirectTarget>(
        `SELECT id::float8 AS id, target, redirect_status AS "redirectStatus",
           expires_at::float8 AS "expiresAt", max_visits::float8 AS "maxVisits",
           visits::float8 AS visits, disabled_at::float8 AS "disabledAt",
           deleted_at::float8 AS "deletedAt", banned_at::float8 AS "bannedAt"
         FROM urls WHERE code = $1 AND domain_id IS NULL`,
        [code],
      );
      const row = rows[0];
      if (row === undefined) return null;
      cache.set(keyOf(code), row);
      return row.target;
    },
    async edit(code, target) {
      await reader.query('BEGIN');
      await reader.query('UPDATE urls SET target = $1, updated = $2 WHERE code = $3', [
        target,
        Date.now(),
        code,
      ]);
      // A bare code, as a machine of the version before domains sends it: the default domain's.
      await notifyLinkChanged(reader, code);
      await reader.query('COMMIT');
      cache.invalidate(keyOf(code));
    },
    async listenerPid() {
      const { rows } = await reader.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      expect(rows.length).toBeLessThanOrEqual(1);
      return rows[0]?.pid ?? null;
    },
  };
  return machine;
}

type ProcessMachine = {
  /** The target, and whether it came from that process's cache. */
  read(code: string): Promise<{ target: string | null; cached: boolean }>;
};

/**
 * A machine in its own process (test/fixtures/cache-machine.mjs): its cache, its reader and its
 * listener live there, and it is asked for links over its stdin and stdout.
 */
async function startProcessMachine(url: string, name: string): Promise<ProcessMachine> {
  const child = spawn(process.execPath, [MACHINE_FIXTURE, DIST_URL, url, name], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  onTestFinished(async () => {
    child.stdin.end();
    const code = await Promise.race([exited, sleep(5000).then(() => 'still running' as const)]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code, `machine ${name} after its stdin closed: ${stderr}`).toBe(0);
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await Promise.race([
      lines.next(),
      exited.then((code) => {
        throw new Error(`machine ${name} exited with ${code}: ${stderr}`);
      }),
    ]);
    if (line.done === true) throw new Error(`machine ${name} closed its output: ${stderr}`);
    return line.value;
  };
  expect(await next()).toBe('ready');
  return {
    async read(code) {
      child.stdin.write(`read ${code}\n`);
      return JSON.parse(await next()) as { target: string | null; cached: boolean };
    },
  };
}

async function migratedDatabase(): Promise<string> {
  const { url } = await createTestPgDatabase();
  await applyPostgresMigrations(url, PG_MIGRATIONS);
  return url;
}

async function insertLink(machine: Machine, code: string, target: string): Promise<void> {
  const now = Date.now();
  await machine.query('INSERT INTO urls (code, target, created, updated) VALUES ($1, $2, $3, $3)', [
    code,
    target,
    now,
  ]);
}

/** Calls `probe` every 2 ms until it returns true; the milliseconds that took, or null. */
async function waitFor(probe: () => Promise<boolean> | boolean, withinMs: number) {
  const started = performance.now();
  while (performance.now() - started <= withinMs) {
    if (await probe()) return performance.now() - started;
    await sleep(2);
  }
  return null;
}

const OLD = 'https://example.com/old';
const NEW = 'https://example.com/new';

describeWithPostgres('cache invalidation across machines through LISTEN/NOTIFY', () => {
  it('when machine A edits a link, then machines B and C, each in its own process, serve the new target within a second', async () => {
    const url = await migratedDatabase();
    const a = await startMachine(url, 'A');
    const [b, c] = await Promise.all([
      startProcessMachine(url, 'B'),
      startProcessMachine(url, 'C'),
    ]);
    await insertLink(a, 'spread', OLD);
    expect(await a.read('spread')).toBe(OLD);
    for (const machine of [b, c]) {
      expect(await machine.read('spread')).toEqual({ target: OLD, cached: false });
      // Cached: with a TTL of a minute, only the notification can make them read it again.
      expect(await machine.read('spread')).toEqual({ target: OLD, cached: true });
    }

    await a.edit('spread', NEW);
    const [latencyB, latencyC] = await Promise.all(
      [b, c].map((machine) =>
        waitFor(async () => (await machine.read('spread')).target === NEW, 1000),
      ),
    );

    console.log(
      `edit spreads: B served the new target ${latencyB?.toFixed(1)} ms after the commit, C ${latencyC?.toFixed(1)} ms`,
    );
    expect(latencyB).not.toBeNull();
    expect(latencyC).not.toBeNull();
    expect(await a.read('spread')).toBe(NEW);
  });

  it('when a link on a domain changes, then the notification names its domain and code, and only that key leaves the other machine’s cache', async () => {
    const url = await migratedDatabase();
    const a = await startMachine(url, 'A');
    const b = await startMachine(url, 'B');
    await a.query(
      "INSERT INTO domains (host, created, updated) VALUES ('go.example', 1, 1) RETURNING id",
    );
    const { rows } = await a.query<{ id: number }>(
      "SELECT id::float8 AS id FROM domains WHERE host = 'go.example'",
    );
    const go = rows[0]!.id;
    const pool = createPostgresPool(url, { max: 1 });
    onTestFinished(() => pool.end());
    const links = createPostgresLinkRepository(pool);
    const made = await links.insertLink(
      {
        ...DEFAULT_OPTIONS,
        code: 'same',
        domainId: go,
        target: OLD,
        manageTokenHash: Buffer.from('t'),
      },
      Date.now(),
    );
    if (!made.ok) throw new Error('taken');
    await insertLink(a, 'same', OLD);
    const row = { id: 1, target: OLD } as RedirectTarget;
    b.cache.set(linkKey(go, 'same'), row);
    b.cache.set(keyOf('same'), row);

    await links.updateSettings(made.link.id, { ...DEFAULT_OPTIONS, target: NEW }, Date.now());

    expect(
      await waitFor(() => b.cache.get(linkKey(go, 'same')) === undefined, 1000),
    ).not.toBeNull();
    // The default domain's link of the same code stays cached.
    expect(b.cache.get(keyOf('same'))).toEqual(row);
  });

  it('when a bulk change is announced, then every listening machine clears its whole cache', async () => {
    const url = await migratedDatabase();
    const a = await startMachine(url, 'A');
    const b = await startMachine(url, 'B');
    await insertLink(a, 'one', OLD);
    await insertLink(a, 'two', OLD);
    expect(await b.read('one')).toBe(OLD);
    expect(await b.read('two')).toBe(OLD);

    await a.query("UPDATE urls SET target = 'https://example.com/new'");
    // `*` means every link, so it cannot be sent as one link's code.
    await expect(notifyLinkChanged(a, '*')).rejects.toThrow(/not a link key/);
    await notifyAllLinksChanged(a);

    expect(await waitFor(() => b.cache.get(keyOf('one')) === undefined, 1000)).not.toBeNull();
    expect(b.cache.get(keyOf('two'))).toBeUndefined();
    expect(await b.read('one')).toBe(NEW);
  });

  it('when B’s listening backend is terminated and a link changes during the gap, then B serves the new target once it listens again, well within the TTL', async () => {
    const url = await migratedDatabase();
    const ttlMs = 10_000;
    const reconnectDelayMs = 300;
    const a = await startMachine(url, 'A');
    const b = await startMachine(url, 'B', { ttlMs, reconnectDelayMs });
    await insertLink(a, 'gap', OLD);
    expect(await b.read('gap')).toBe(OLD);
    const pid = await b.listenerPid();
    expect(pid).not.toBeNull();

    const killedAt = Date.now();
    await a.query('SELECT pg_terminate_backend($1)', [pid]);
    // It notices at once and clears; then it waits before reconnecting.
    expect(
      await waitFor(() => b.logs.some((log) => log.level === 'warn' && log.at >= killedAt), 2000),
    ).not.toBeNull();
    expect(b.clears.some((at) => at >= killedAt)).toBe(true);
    expect(await b.listenerPid()).toBeNull();
    // During the gap B reads the link again and caches it; then A changes it, and nobody hears.
    expect(await b.read('gap')).toBe(OLD);
    await a.edit('gap', NEW);
    const editedAt = performance.now();
    expect(await b.read('gap')).toBe(OLD);

    const staleMs = await waitFor(async () => (await b.read('gap')) === NEW, ttlMs);
    const servedOldFor = performance.now() - editedAt;
    const back = b.logs.find((log) => log.level === 'info' && log.at > killedAt);
    console.log(
      `killed listener: B was not listening for ${JSON.stringify(back?.fields)} and served the old target for ${servedOldFor.toFixed(1)} ms after the edit (TTL ${ttlMs} ms)`,
    );
    expect(staleMs).not.toBeNull();
    // The reconnect's clear did it, not the TTL.
    expect(servedOldFor).toBeLessThan(reconnectDelayMs + 1000);
    expect(back?.message).toMatch(/listening/);
    const newPid = await b.listenerPid();
    expect(newPid).not.toBeNull();
    expect(newPid).not.toBe(pid);
    // Each transition is logged once: one loss, one return.
    expect(b.logs.filter((log) => log.at >= killedAt).map((log) => log.level)).toEqual([
      'warn',
      'info',
    ]);

    // And it listens again: the next edit spreads by notification.
    await a.edit('gap', OLD);
    expect(await waitFor(async () => (await b.read('gap')) === OLD, 1000)).not.toBeNull();
  });

  it('when B’s listening backend stops answering without closing, then the heartbeat notices within about twice its period and the cache is cleared', async () => {
    const url = await migratedDatabase();
    const heartbeatMs = 300;
    const a = await startMachine(url, 'A');
    const b = await startMachine(url, 'B', { heartbeatMs, reconnectDelayMs: 100 });
    await insertLink(a, 'hang', OLD);
    expect(await b.read('hang')).toBe(OLD);
    const pid = await b.listenerPid();
    expect(pid).not.toBeNull();

    // SIGSTOP freezes the backend: its socket stays open, nothing errors, nothing ends.
    const stoppedAt = Date.now();
    execFileSync('kill', ['-STOP', String(pid)]);
    let noticedMs: number | null;
    try {
      noticedMs = await waitFor(() => b.clears.some((at) => at >= stoppedAt), 4 * heartbeatMs);
    } finally {
      execFileSync('kill', ['-CONT', String(pid)]);
    }

    const lost = b.logs.find((log) => log.level === 'warn' && log.at >= stoppedAt);
    console.log(
      `heartbeat: a frozen listening backend was noticed and the cache cleared ${noticedMs?.toFixed(1)} ms after SIGSTOP (heartbeat ${heartbeatMs} ms)`,
    );
    expect(noticedMs).not.toBeNull();
    expect(noticedMs).toBeLessThanOrEqual(2 * heartbeatMs + 200);
    expect(lost?.fields).toMatchObject({ reason: 'heartbeat failed' });
    expect(b.cache.get(keyOf('hang'))).toBeUndefined();
    // It listens again on a new backend.
    expect(
      await waitFor(async () => ![null, pid].includes(await b.listenerPid()), 3000),
    ).not.toBeNull();
  });

  it('when no machine listens, then the TTL alone bounds how long a changed link is served', async () => {
    const url = await migratedDatabase();
    const ttlMs = 800;
    const a = await startMachine(url, 'A', { listen: false });
    const c = await startMachine(url, 'C', { listen: false, ttlMs });
    await insertLink(a, 'nolisten', OLD);
    const cachedAt = performance.now();
    expect(await c.read('nolisten')).toBe(OLD);

    await a.edit('nolisten', NEW);
    const editedAt = performance.now();
    expect(await c.read('nolisten')).toBe(OLD);
    await sleep(ttlMs / 2);
    expect(await c.read('nolisten')).toBe(OLD);

    expect(await waitFor(async () => (await c.read('nolisten')) === NEW, ttlMs)).not.toBeNull();
    const servedOldFor = performance.now() - editedAt;
    const cacheAge = performance.now() - cachedAt;
    console.log(
      `no LISTEN: C served the old target for ${servedOldFor.toFixed(1)} ms after the edit; the row was ${cacheAge.toFixed(1)} ms old (TTL ${ttlMs} ms)`,
    );
    // The cache stamps rows with Date.now(): whole milliseconds of the wall clock, which NTP may
    // slew against performance.now(). Two milliseconds cover both; a TTL not kept is far more.
    expect(cacheAge).toBeGreaterThanOrEqual(ttlMs - 2);
    expect(cacheAge).toBeLessThan(ttlMs + 150);
  });

  it('when stop() is called while listening or while waiting to reconnect, then the process exits by itself with nothing left open', async () => {
    const url = await migratedDatabase();
    const closedPort = await findFreePort();
    const closedUrl = `postgres://nobody@127.0.0.1:${closedPort}/nothing`;
    for (const [mode, connectionString] of [
      ['listening', url],
      ['reconnecting', closedUrl],
    ] as const) {
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [STOP_FIXTURE, INVALIDATION_MODULE, connectionString, mode],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const code = await Promise.race([exit, sleep(5000).then(() => 'still running' as const)]);
      if (code === 'still running') child.kill('SIGKILL');
      const took = performance.now() - started;
      console.log(`clean stop (${mode}): the process exited ${took.toFixed(0)} ms after its start`);

      expect(code, stderr).toBe(0);
      const report = JSON.parse(stdout) as {
        stopped: boolean;
        cleared: number;
        stopMs: number;
        resources: string[];
      };
      console.log(`clean stop (${mode}): stop() took ${report.stopMs} ms`);
      expect(report.stopped).toBe(true);
      expect(report.cleared).toBeGreaterThan(0);
      expect(report.resources).toEqual([]);
    }
  });
});
