import type pg from 'pg';
import { expect, it } from 'vitest';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import {
  COMMIT_OUTCOME_WAIT_MS,
  createPostgresVisitRepository,
} from '../../src/stats/visit-store.postgres.js';
import type { VisitBatch } from '../../src/stats/visit-store.js';
import { createMachinesDatabase } from '../support/machines.js';
import { describeWithPostgres, withClient } from '../support/postgres.js';

/**
 * A COMMIT whose answer never arrives: the connection breaks while PostgreSQL is committing. A
 * deferred trigger makes COMMIT take `seconds`, and the client's socket is destroyed meanwhile.
 */
async function slowCommits(url: string, seconds: number): Promise<void> {
  await withClient(url, (client) =>
    client.query(`
      CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(${seconds}); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON visit_flushes
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();`),
  );
}

/** Destroys the socket of the next connection the pool hands out, `afterMs` later. */
function breakNextConnection(pool: pg.Pool, afterMs: number): void {
  pool.once('acquire', (client) => {
    setTimeout(() => {
      (
        client as unknown as { connection: { stream: { destroy(): void } } }
      ).connection.stream.destroy();
    }, afterMs);
  });
}

async function setUp() {
  const url = await createMachinesDatabase();
  const id = await withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO urls (code, target, created, updated) VALUES ('lost', 'https://a.example/', 1, 1)
       RETURNING id`,
    );
    return Number(rows[0]!.id);
  });
  const pool = createPostgresPool(url, { max: 2 });
  const batch = (): VisitBatch => ({
    urlId: id,
    count: 7,
    lastVisit: Date.UTC(2026, 10, 29),
    byDay: new Map([['2026-11-29', 7]]),
    byReferrer: new Map([['', 7]]),
  });
  const stored = () =>
    withClient(url, async (client) => {
      const { rows } = await client.query<{ visits: string; daily: string; flushes: string }>(
        `SELECT (SELECT visits FROM urls WHERE code = 'lost') AS visits,
           (SELECT COALESCE(SUM(count), 0) FROM visits_daily) AS daily,
           (SELECT count(*) FROM visit_flushes) AS flushes`,
      );
      return {
        visits: Number(rows[0]!.visits),
        daily: Number(rows[0]!.daily),
        flushes: Number(rows[0]!.flushes),
      };
    });
  return { url, pool, batch, stored };
}

describeWithPostgres('a visit flush whose COMMIT gets no answer', () => {
  it('when it committed all the same, then it counts as done and its visits are stored once', async () => {
    const { url, pool, batch, stored } = await setUp();
    try {
      const visits = createPostgresVisitRepository(pool);
      await slowCommits(url, 0.4);
      breakNextConnection(pool, 150);
      // Resolves: the caller keeps nothing to flush again.
      await visits.addVisits([batch()]);
      expect(await stored()).toEqual({ visits: 7, daily: 7, flushes: 1 });
    } finally {
      await pool.end();
    }
  });

  it('when it did not commit, then it fails, nothing is stored, and the next flush stores the visits once', async () => {
    const { url, pool, batch, stored } = await setUp();
    try {
      const visits = createPostgresVisitRepository(pool);
      // Longer than the wait for the backend: it is ended mid-COMMIT, which rolls back.
      await slowCommits(url, (COMMIT_OUTCOME_WAIT_MS + 3000) / 1000);
      breakNextConnection(pool, 150);
      await expect(visits.addVisits([batch()])).rejects.toThrow();
      expect(await stored()).toEqual({ visits: 0, daily: 0, flushes: 0 });
      await withClient(url, (client) => client.query('DROP TRIGGER slow_commit ON visit_flushes'));
      await visits.addVisits([batch()]);
      expect(await stored()).toEqual({ visits: 7, daily: 7, flushes: 1 });
    } finally {
      await pool.end();
    }
  });
});
