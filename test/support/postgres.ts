import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, inject, it, onTestFinished } from 'vitest';
import { findFreePort } from './server-process.js';

/**
 * A throw-away PostgreSQL cluster for tests: `initdb` into a fresh temporary directory, `pg_ctl`
 * to start it on 127.0.0.1 at a free port, and everything removed at the end. PostgreSQL refuses
 * to run as root, so a root test process runs both as the unprivileged `postgres` user that
 * Debian's package creates. test/support/postgres-global-setup.ts starts one per run.
 */

/** The superuser of the test cluster; localhost connections are trusted, so it has no password. */
export const TEST_SUPERUSER = 'snip_test';

const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres'];
/** Runs the cluster when the test process is root (Debian's server package creates this user). */
const UNPRIVILEGED_USER = 'postgres';

export type PostgresCluster = {
  /** A superuser URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  dir: string;
  /** Stops the server and deletes the directory; a second call does nothing. */
  stop: () => void;
};

function hasBinaries(dir: string): boolean {
  return REQUIRED_BINARIES.every((name) => fs.existsSync(path.join(dir, name)));
}

function versionOf(dir: string): number {
  return Number(/postgresql\/(\d+)\/bin/.exec(dir)?.[1] ?? 0);
}

/**
 * The directory with initdb, pg_ctl and postgres, or null: Debian's /usr/lib/postgresql/<n>/bin
 * (the newest version), then what `pg_config --bindir` says, then initdb's directory on PATH.
 */
export function findPostgresBinDir(): string | null {
  const candidates: string[] = [];
  const debianRoot = '/usr/lib/postgresql';
  if (fs.existsSync(debianRoot)) {
    const versions = fs
      .readdirSync(debianRoot)
      .map((version) => path.join(debianRoot, version, 'bin'))
      .sort((a, b) => versionOf(b) - versionOf(a));
    candidates.push(...versions);
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0) candidates.push(path.dirname(onPath.stdout.trim()));
  return candidates.find((dir) => dir !== '' && hasBinaries(dir)) ?? null;
}

/** Why the PostgreSQL tests cannot run on this machine, or null when they can. */
export function postgresUnavailable(): string | null {
  if (findPostgresBinDir() === null) {
    return 'no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; install them with `apt-get install postgresql`';
  }
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', UNPRIVILEGED_USER]).status !== 0) {
    return `the tests run as root, and PostgreSQL needs an unprivileged "${UNPRIVILEGED_USER}" user to run as`;
  }
  return null;
}

type Runner = { run: (command: string, args: string[]) => string; owner: string | null };

/** Runs the server's tools as `postgres` when this process is root, as itself otherwise. */
function runnerFor(): Runner {
  const asRoot = process.getuid?.() === 0;
  return {
    owner: asRoot ? UNPRIVILEGED_USER : null,
    run: (command, args) => {
      const [file, argv] = asRoot
        ? ['runuser', ['-u', UNPRIVILEGED_USER, '--', command, ...args]]
        : [command, args];
      try {
        return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        const { stderr, stdout } = error as { stderr?: string; stdout?: string };
        throw new Error(`${path.basename(command)} failed: ${stderr || stdout || String(error)}`, {
          cause: error,
        });
      }
    },
  };
}

/** Starts a new cluster; `stop()` shuts it down and deletes its directory. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = findPostgresBinDir();
  if (bin === null) throw new Error(postgresUnavailable() ?? 'no PostgreSQL binaries');
  const { run, owner } = runnerFor();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-postgres-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  let started = false;
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    if (owner !== null) execFileSync('chown', [`${owner}:`, dir]);
    run(path.join(bin, 'initdb'), [
      '--pgdata',
      data,
      '--username',
      TEST_SUPERUSER,
      '--auth',
      'trust',
      '--encoding',
      'UTF8',
      '--locale',
      'C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ]);
    // Settings for a test cluster: nothing here has to survive a crash of the machine.
    const settings = [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'max_connections = 100',
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
    ];
    // Another program may take the free port between the question and the start: try again.
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      fs.appendFileSync(
        path.join(data, 'postgresql.conf'),
        `\n${[...settings, `port = ${port}`].join('\n')}\n`,
      );
      try {
        run(pgCtl, ['--pgdata', data, '--log', log, '--wait', '--timeout', '60', 'start']);
      } catch (error) {
        if (attempt < 3) continue;
        const serverLog = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
        throw new Error(`${(error as Error).message}\n${serverLog}`, { cause: error });
      }
      started = true;
      return {
        url: `postgres://${TEST_SUPERUSER}@127.0.0.1:${port}/postgres`,
        port,
        dir,
        stop: () => {
          if (!fs.existsSync(dir)) return;
          try {
            // Immediate: a test cluster has nothing to write back before it goes.
            run(pgCtl, ['--pgdata', data, '--mode', 'immediate', '--wait', 'stop']);
          } finally {
            removeDir();
          }
        },
      };
    }
  } finally {
    if (!started) removeDir();
  }
}

/**
 * What the global setup hands the test files (vitest's provide/inject): the cluster's URL, or
 * why there is none.
 */
export type PostgresTestContext = { url: string; skipped: null } | { url: null; skipped: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresTestContext;
  }
}

/** The run's cluster, from the global setup. */
export function testPostgres(): PostgresTestContext {
  return inject('postgres');
}

const ci = process.env.CI;
const inCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';

/**
 * `describe` for tests that need the run's cluster. Without PostgreSQL on this machine they are
 * skipped with the reason; with CI set they fail instead, since a skip there would pass silently.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  const { skipped } = testPostgres();
  if (skipped !== null && inCi) {
    describe(name, () => {
      it('needs PostgreSQL', () => {
        throw new Error(`CI is set, but this machine cannot run PostgreSQL: ${skipped}`);
      });
    });
    return;
  }
  if (skipped !== null) console.warn(`PostgreSQL tests skipped (${name}): ${skipped}`);
  describe.skipIf(skipped !== null)(name, body);
}

/** The run's cluster URL; throws when the global setup started none. */
export function requirePostgresUrl(): string {
  const context = testPostgres();
  if (context.url === null) throw new Error(`no PostgreSQL for this test: ${context.skipped}`);
  return context.url;
}

/** `url` with another database name in its path. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

export type TestPgDatabase = { name: string; url: string };

/**
 * A new, empty database with a unique name on the run's cluster, dropped when the current test
 * finishes (with any connection still open to it), so tests never see each other's tables.
 */
export async function createTestPgDatabase(): Promise<TestPgDatabase> {
  const adminUrl = requirePostgresUrl();
  const name = `snip_test_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  onTestFinished(async () => {
    await withClient(adminUrl, (client) => client.query(`DROP DATABASE ${name} WITH (FORCE)`));
  });
  return { name, url: withDatabase(adminUrl, name) };
}

/** Connects, runs `use`, and always disconnects. */
export async function withClient<T>(
  url: string,
  use: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
