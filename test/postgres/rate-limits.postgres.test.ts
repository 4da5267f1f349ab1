import { expect, it } from 'vitest';
import { loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { createPostgresLimiter } from '../../src/http/rate-limits.postgres.js';
import { createLimiter, parseRateLimit } from '../../src/http/rate-limits.js';
import {
  createTestPgDatabase,
  createTestPool,
  describeWithPostgres,
  withClient,
} from '../support/postgres.js';

// Rate limits shared through PostgreSQL: two machines (two pools, two limiters) count against one
// allowance, and a machine whose database goes away still limits on its own.

const PG_MIGRATIONS = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));
const FIVE_A_MINUTE = parseRateLimit('5/min')!;

async function migratedDatabase(): Promise<string> {
  const { url } = await createTestPgDatabase();
  await applyPostgresMigrations(url, PG_MIGRATIONS);
  return url;
}

describeWithPostgres('rate limits shared through PostgreSQL', () => {
  it('when one client alternates between two machines, then both count against one allowance', async () => {
    const url = await migratedDatabase();
    const machineA = createPostgresLimiter(createTestPool(url, 2), 'create', FIVE_A_MINUTE);
    const machineB = createPostgresLimiter(createTestPool(url, 2), 'create', FIVE_A_MINUTE);
    const verdicts = [];
    for (let i = 0; i < 8; i += 1) {
      verdicts.push(await (i % 2 === 0 ? machineA : machineB).hit('203.0.113.7'));
    }
    expect(verdicts.map((v) => v.limited)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(verdicts.slice(0, 5).map((v) => v.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(verdicts[5]!.resetSeconds).toBeGreaterThan(0);
    // Another client, and another limit, have allowances of their own.
    expect((await machineB.hit('198.51.100.1')).limited).toBe(false);
    const notFound = createPostgresLimiter(createTestPool(url, 2), 'notFound', FIVE_A_MINUTE);
    expect((await notFound.hit('203.0.113.7')).limited).toBe(false);
    const rows = await withClient(url, (client) =>
      client.query<{ key: string; points: number }>(
        'SELECT key, points FROM rate_limits ORDER BY key',
      ),
    );
    expect(rows.rows).toEqual([
      { key: 'create:198.51.100.1', points: 1 },
      { key: 'create:203.0.113.7', points: 8 },
      { key: 'notFound:203.0.113.7', points: 1 },
    ]);

    // The memory limiter of one machine alone would have let the client through on the other.
    const alone = createLimiter('create', FIVE_A_MINUTE);
    for (let i = 0; i < 4; i += 1) await alone.hit('203.0.113.7');
    expect((await alone.hit('203.0.113.7')).limited).toBe(false);
  });

  it('when a machine cannot reach PostgreSQL, then its own memory limits the client, and no request fails', async () => {
    const url = await migratedDatabase();
    // A pool that points at a port nothing listens on: every query fails to connect.
    const unreachable = new URL(url);
    unreachable.port = '1';
    const pool = createTestPool(unreachable.href, 2);
    const limiter = createPostgresLimiter(pool, 'create', FIVE_A_MINUTE);
    const verdicts = [];
    for (let i = 0; i < 7; i += 1) verdicts.push((await limiter.hit('203.0.113.9')).limited);
    expect(verdicts).toEqual([false, false, false, false, false, true, true]);
  });
});
