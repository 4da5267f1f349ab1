import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject, it, onTestFinished } from 'vitest';
import { CLUSTER_SUPERUSER } from '../../scripts/postgres-cluster.mjs';

/**
 * PostgreSQL for tests. The throw-away cluster itself (`initdb` into a temporary directory,
 * `pg_ctl` on 127.0.0.1 at a free port, as the `postgres` user when the tests run as root) is
 * scripts/postgres-cluster.mjs, plain ESM that the benchmark uses too; it is re-exported here.
 * test/support/postgres-global-setup.ts starts one cluster per run. What follows is vitest's
 * side: the run's cluster handed to the test files, and a fresh database per test.
 */
export {
  findPostgresBinDir,
  postgresUnavailable,
  startPostgresCluster,
} from '../../scripts/postgres-cluster.mjs';
export type { PostgresCluster } from '../../scripts/postgres-cluster.mjs';

/** The superuser of the test cluster; localhost connections are trusted, so it has no password. */
export const TEST_SUPERUSER = CLUSTER_SUPERUSER;

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

/**
 * A pool on a test's database, ended when the test finishes. The database is dropped then too,
 * which may end an idle connection before the pool does: pg reports that as an 'error' event,
 * which must not become an uncaught exception.
 */
export function createTestPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  onTestFinished(() => pool.end());
  return pool;
}
