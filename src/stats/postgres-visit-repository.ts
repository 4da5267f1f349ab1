import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { VisitStore } from '../db/store.js';
import {
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  type DailyCount,
  type ReferrerCount,
  type VisitBatch,
} from './visit-repository.js';

/**
 * The PostgreSQL twin of visit-repository.ts's `addVisits`, with the same rules: per link
 * `visits += count` and the latest visit, per UTC day, per referring host with the
 * MAX_REFERRER_HOSTS cap and the OTHER_REFERRERS bucket, and nothing for a deleted link.
 *
 * Several machines flush into one database at the same time, so:
 * - a flush is one transaction with one statement per table, built from arrays, its rows in
 *   key order;
 * - counts are always added to what is stored, never written over, so no machine loses
 *   another one's visits;
 * - a deadlock or serialization failure, after which PostgreSQL has rolled the whole
 *   transaction back, is retried a few times; any other error is thrown as it is, and the caller
 *   keeps the counts for its next flush.
 */

/** SQLSTATEs after which the transaction is rolled back and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
export const MAX_FLUSH_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 5;

export type PostgresVisitRepositoryOptions = {
  /** Called before each retry, with the error that caused it and the attempt that failed. */
  onRetry?: (error: unknown, attempt: number) => void;
};

export type PostgresVisitRepository = ReturnType<typeof createPostgresVisitRepository>;

/**
 * Locks the rows of the links still there (not deleted), in id order, for the rest of the flush.
 * With ORDER BY and FOR UPDATE, PostgreSQL locks each row as it leaves the sort, so every flush
 * takes the link locks in the same order and two flushes cannot wait for each other in a circle.
 * The lock also makes the referrer cap exact: while a flush holds a link's row, no other flush
 * adds referrer rows for that link, so the count it reads is the count it adds to. Flushes of the
 * same link therefore take turns; flushes of different links do not wait for each other.
 * A row deleted while this waits for it is checked again once the lock is granted, and left out.
 */
const LOCK_LIVE_LINKS = `SELECT id FROM urls
  WHERE id = ANY ($1::bigint[]) AND deleted_at IS NULL
  ORDER BY id
  FOR UPDATE`;

const ADD_TO_LINKS = `UPDATE urls
  SET visits = urls.visits + v.count,
      last_visit = GREATEST(COALESCE(urls.last_visit, 0), v.last_visit)
  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v (url_id, count, last_visit)
  WHERE urls.id = v.url_id`;

const ADD_DAILY = `INSERT INTO visits_daily (url_id, day, count)
  SELECT url_id, day, count
  FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v (url_id, day, count)
  ORDER BY url_id, day
  ON CONFLICT (url_id, day) DO UPDATE SET count = visits_daily.count + EXCLUDED.count`;

/**
 * SQLite's rule, in one statement: the batch's hosts are taken in their order (`ord`); the empty
 * host (direct visits) and hosts the link already has are stored as they are; a new host is
 * stored under its own name while the link has fewer than MAX_REFERRER_HOSTS rows, counting the
 * rows stored before and the new ones this batch adds ahead of it, and under OTHER_REFERRERS
 * after that. Until the cap is reached every new key adds a row, and from then on every new host
 * goes to OTHER_REFERRERS, so counting the new keys ahead of a host is exactly SQLite's running
 * row count. Hosts that end up under one key are summed, since one INSERT may not update a row
 * twice.
 */
const ADD_REFERRERS = `WITH v AS (
    SELECT v.url_id, v.host, v.count, v.ord,
           EXISTS (SELECT 1 FROM visits_referrers r
                    WHERE r.url_id = v.url_id AND r.host = v.host) AS known
    FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY AS v (url_id, host, count, ord)
  ), stored AS (
    SELECT url_id, COUNT(*) AS n FROM visits_referrers
    WHERE url_id IN (SELECT url_id FROM v)
    GROUP BY url_id
  ), placed AS (
    SELECT v.url_id, v.count,
           CASE
             WHEN v.host = '' OR v.known THEN v.host
             WHEN COALESCE(stored.n, 0)
                  + COUNT(*) FILTER (WHERE NOT v.known) OVER (
                      PARTITION BY v.url_id ORDER BY v.ord
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                  < $4 THEN v.host
             ELSE $5
           END AS host
    FROM v LEFT JOIN stored ON stored.url_id = v.url_id
  )
  INSERT INTO visits_referrers (url_id, host, count)
  SELECT url_id, host, SUM(count) FROM placed
  GROUP BY url_id, host
  ORDER BY url_id, host
  ON CONFLICT (url_id, host) DO UPDATE SET count = visits_referrers.count + EXCLUDED.count`;

// The reads return counts as they are: give the repository a pool from createPostgresPool, which
// reads BIGINT as a JavaScript number.
const DAILY = 'SELECT day, count FROM visits_daily WHERE url_id = $1 AND day >= $2 ORDER BY day';
/**
 * Ties sorted by the hosts' bytes, as SQLite does: the database's collation may differ (en_US
 * ignores dots and hyphens at first). Days need no such care: all have the form YYYY-MM-DD.
 */
const TOP_REFERRERS = `SELECT host, count FROM visits_referrers WHERE url_id = $1
  ORDER BY count DESC, host COLLATE "C" LIMIT $2`;

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

function addTo(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * One batch per link: one statement may not change a row twice. SQLite takes two batches of a
 * link one after the other, which stores the same as their sum (hosts in first-seen order).
 */
function mergeByLink(batches: VisitBatch[]): VisitBatch[] {
  const byLink = new Map<number, VisitBatch>();
  for (const batch of batches) {
    const seen = byLink.get(batch.urlId);
    if (!seen) {
      byLink.set(batch.urlId, batch);
      continue;
    }
    const merged: VisitBatch = {
      urlId: batch.urlId,
      count: seen.count + batch.count,
      lastVisit: Math.max(seen.lastVisit, batch.lastVisit),
      byDay: new Map(seen.byDay),
      byReferrer: new Map(seen.byReferrer),
    };
    for (const [day, n] of batch.byDay) addTo(merged.byDay, day, n);
    for (const [host, n] of batch.byReferrer) addTo(merged.byReferrer, host, n);
    byLink.set(batch.urlId, merged);
  }
  return [...byLink.values()];
}

export function createPostgresVisitRepository(
  pool: pg.Pool,
  options: PostgresVisitRepositoryOptions = {},
) {
  async function writeOnce(client: pg.PoolClient, batches: VisitBatch[]): Promise<void> {
    const locked = await client.query<{ id: string }>(LOCK_LIVE_LINKS, [
      batches.map((batch) => batch.urlId),
    ]);
    // A link deleted since the visit keeps no statistics.
    const live = new Set(locked.rows.map((row) => Number(row.id)));
    const kept = batches.filter((batch) => live.has(batch.urlId));
    if (kept.length === 0) return;

    await client.query(ADD_TO_LINKS, [
      kept.map((batch) => batch.urlId),
      kept.map((batch) => batch.count),
      kept.map((batch) => batch.lastVisit),
    ]);

    const daily: [number[], string[], number[]] = [[], [], []];
    const referrers: [number[], string[], number[]] = [[], [], []];
    for (const batch of kept) {
      for (const [day, count] of batch.byDay) {
        daily[0].push(batch.urlId);
        daily[1].push(day);
        daily[2].push(count);
      }
      // Kept in the batch's order: which new hosts fit under the cap depends on it, as on SQLite.
      for (const [host, count] of batch.byReferrer) {
        referrers[0].push(batch.urlId);
        referrers[1].push(host);
        referrers[2].push(count);
      }
    }
    if (daily[0].length > 0) await client.query(ADD_DAILY, daily);
    if (referrers[0].length > 0) {
      await client.query(ADD_REFERRERS, [...referrers, MAX_REFERRER_HOSTS, OTHER_REFERRERS]);
    }
  }

  /**
   * One attempt in one transaction. On failure it is rolled back and the error thrown as it is;
   * `rolledBack` says whether the rollback is certain (it is not when ROLLBACK itself failed:
   * then the connection is dropped, and the flush must not run again).
   */
  async function attempt(
    batches: VisitBatch[],
  ): Promise<{ error: unknown; rolledBack: boolean } | null> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await writeOnce(client, batches);
      await client.query('COMMIT');
      return null;
    } catch (error) {
      // After a failed COMMIT PostgreSQL has already rolled back; ROLLBACK then only warns.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      return { error, rolledBack: broken === undefined };
    } finally {
      // With an error, the pool closes the connection instead of handing it out again.
      client.release(broken);
    }
  }

  return {
    /**
     * Adds every batch in one transaction. Retries, up to MAX_FLUSH_ATTEMPTS in all, only after a
     * deadlock or serialization failure whose transaction has been rolled back, so no visit is
     * ever counted twice; waits a few milliseconds, more each time and at random, first.
     * A connection lost during COMMIT leaves unknown whether the flush was stored; that error is
     * thrown like any other, so the caller's next flush may count those visits a second time.
     */
    async addVisits(batches: VisitBatch[]): Promise<void> {
      if (batches.length === 0) return;
      const sorted = mergeByLink(batches).toSorted((a, b) => a.urlId - b.urlId);
      for (let attemptNo = 1; ; attemptNo++) {
        const failure = await attempt(sorted);
        if (failure === null) return;
        const { error, rolledBack } = failure;
        if (!rolledBack || !isRetryable(error) || attemptNo >= MAX_FLUSH_ATTEMPTS) throw error;
        options.onRetry?.(error, attemptNo);
        await sleep(BACKOFF_BASE_MS * 2 ** (attemptNo - 1) * (0.5 + Math.random()));
      }
    },
    /** Visits per UTC day from `fromDay` (YYYY-MM-DD) on; days without visits are absent. */
    async dailyCounts(urlId: number, fromDay: string): Promise<DailyCount[]> {
      const { rows } = await pool.query<DailyCount>(DAILY, [urlId, fromDay]);
      return rows;
    },
    async topReferrers(urlId: number, limit: number): Promise<ReferrerCount[]> {
      const { rows } = await pool.query<ReferrerCount>(TOP_REFERRERS, [urlId, limit]);
      return rows;
    },
  };
}

createPostgresVisitRepository satisfies (pool: pg.Pool) => VisitStore;
