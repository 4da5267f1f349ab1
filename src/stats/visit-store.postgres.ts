import { mergeVisitBatches } from './visit-batches.js';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import {
  DAILY_COUNTS,
  DAY_ROWS,
  DIMENSION_ROWS_POSTGRES,
  groupDayRowsSql,
  groupDimensionRowsSql,
  NOT_FOUND_COUNTS,
  NOT_FOUND_DAYS,
  GROUP_KINDS,
  SITE_DAY_ROWS,
  SITE_DIMENSION_ROWS,
  TOP_LINK_ROWS,
} from './visit-sql.js';
import { mergeEncoded } from './visitor-sketch.js';
import {
  MAX_DIMENSION_VALUES,
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  OTHER_VALUES,
  type DailyCount,
  type DayRow,
  type Dimension,
  type DimensionCount,
  type DimensionRow,
  type EncodedVisitors,
  type GroupDimensionRow,
  type MergeVisitors,
  type NotFoundCount,
  type ReferrerCount,
  daysOf,
  groupStatement,
  type SiteRow,
  type TopLinkRow,
  type VisitBatch,
  type VisitGroup,
  type VisitStore,
} from './visit-store.js';

/** A group's statements (visit-sql.ts), one pair per kind of group, built once. */
const GROUP_DAYS = new Map(GROUP_KINDS.map((k) => [k, groupDayRowsSql(k, 'SUM(count)::bigint')]));
const GROUP_DIMENSIONS = new Map(
  GROUP_KINDS.map((k) => [k, groupDimensionRowsSql(k, 'SUM(count)::bigint', ' COLLATE "C"')]),
);

/**
 * The PostgreSQL twin of visit-store.sqlite.ts's `addVisits`, with the same rules: per link
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
 *   keeps the counts for its next flush;
 * - each flush records its id in `visit_flushes` in the same transaction, so when a COMMIT gets
 *   no answer (the connection broke while it ran), the flush looks itself up — once the backend
 *   that ran it is gone — and either counts as done or is certainly not stored: never twice.
 */

/** SQLSTATEs after which the transaction is rolled back and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
export const MAX_FLUSH_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 5;
/** How long a backend whose COMMIT got no answer may take to end on its own before it is ended. */
export const COMMIT_OUTCOME_WAIT_MS = 2000;
/** How long to keep asking an unreachable database whether a COMMIT happened. */
const OUTCOME_QUESTION_MS = 60_000;
/** Flush ids are kept a day; the old ones are deleted every this many flushes. */
const FORGET_FLUSHES_EVERY = 100;
const DAY_MS = 86_400_000;

const RECORD_FLUSH = 'INSERT INTO visit_flushes (id, created) VALUES ($1, $2)';
const FLUSH_COMMITTED = 'SELECT 1 FROM visit_flushes WHERE id = $1';
const FORGET_OLD_FLUSHES = 'DELETE FROM visit_flushes WHERE created < $1';
const BACKEND_ALIVE = 'SELECT 1 FROM pg_stat_activity WHERE pid = $1';
const END_BACKEND = 'SELECT pg_terminate_backend($1)';

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

/**
 * The days' counts are added; their sketches are written as the flush merged them with the
 * stored ones, read under the links' row locks (STORED_DAYS), so no other flush changed them since.
 */
const ADD_DAILY = `INSERT INTO visits_daily (url_id, day, count, visitors)
  SELECT url_id, day, count, visitors
  FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[]) AS v (url_id, day, count, visitors)
  ORDER BY url_id, day
  ON CONFLICT (url_id, day) DO UPDATE SET count = visits_daily.count + EXCLUDED.count,
    visitors = COALESCE(EXCLUDED.visitors, visits_daily.visitors)`;

const STORED_DAYS = `SELECT d.url_id, d.day, d.visitors FROM visits_daily d
  JOIN unnest($1::bigint[], $2::text[]) AS v (url_id, day) ON d.url_id = v.url_id AND d.day = v.day
  WHERE d.visitors IS NOT NULL`;

/** Every stored value of the (link, dimension, day) groups a flush touches, with its sketch. */
const STORED_DIMENSIONS = `SELECT s.url_id, s.dimension, s.day, s.value, s.visitors
  FROM visit_dimensions s
  JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS v (url_id, dimension, day)
    ON s.url_id = v.url_id AND s.dimension = v.dimension AND s.day = v.day`;

const ADD_DIMENSIONS = `INSERT INTO visit_dimensions (url_id, dimension, day, value, count, visitors)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bytea[])
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (url_id, dimension, day, value) DO UPDATE
    SET count = visit_dimensions.count + EXCLUDED.count, visitors = EXCLUDED.visitors`;

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

/**
 * The reads return counts as they are: give the repository a pool from createPostgresPool, which
 * reads BIGINT as a JavaScript number. The top referrers have their own text: ties sorted by the
 * hosts' bytes, as SQLite does, where the database's collation may differ (en_US ignores dots and
 * hyphens at first). Days need no such care: all have the form YYYY-MM-DD.
 */
const TOP_REFERRERS = `SELECT host, count FROM visits_referrers WHERE url_id = $1
  ORDER BY count DESC, host COLLATE "C" LIMIT $2`;

/**
 * Requests for unknown codes, added per domain key and day: one statement, so one transaction;
 * rows in key order, so two machines' flushes never wait for each other in a circle.
 */
const ADD_NOT_FOUND = `INSERT INTO not_found_daily (domain_key, day, count)
  SELECT domain_key, day, SUM(count) FROM unnest($1::bigint[], $2::text[], $3::bigint[])
    AS v (domain_key, day, count)
  GROUP BY domain_key, day
  ORDER BY domain_key, day
  ON CONFLICT (domain_key, day) DO UPDATE SET count = not_found_daily.count + EXCLUDED.count`;

/** A site row as pg reads it: the sketches' array is null for a group without any. */
function withSketches<T extends { visitors: Uint8Array[] }>(
  row: Omit<T, 'visitors'> & { visitors: Buffer[] | null },
): T {
  return { ...row, visitors: row.visitors ?? [] } as unknown as T;
}

/**
 * Whether the server answered COMMIT with an error of the transaction (then it rolled back),
 * rather than the connection breaking, or the backend being shut down (class 08, 57P0x), after
 * which the commit may or may not have happened.
 */
function rolledBackByServer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    !code.startsWith('08') &&
    !code.startsWith('57P0')
  );
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/**
 * One batch per link: one statement may not change a row twice. SQLite takes two batches of a
 * link one after the other, which stores the same as their sum (hosts in first-seen order).
 */
function mergeByLink(batches: VisitBatch[]): VisitBatch[] {
  const byLink = new Map<number, VisitBatch[]>();
  for (const batch of batches) {
    const same = byLink.get(batch.urlId);
    if (same) same.push(batch);
    else byLink.set(batch.urlId, [batch]);
  }
  return [...byLink.values()].map(mergeVisitBatches);
}

/** A sketch as pg sends it in a bytea[] parameter. */
function toBytes(visitors: EncodedVisitors): Buffer | null {
  if (visitors === null) return null;
  return Buffer.isBuffer(visitors)
    ? visitors
    : Buffer.from(visitors.buffer, visitors.byteOffset, visitors.byteLength);
}

/**
 * `mergeVisitors` merges a stored sketch of unique visitors with the one a flush adds: the flush
 * reads the stored sketches under its links' row locks, merges them here and writes the result.
 */
export function createPostgresVisitRepository(
  pool: pg.Pool,
  options: PostgresVisitRepositoryOptions = {},
  mergeVisitors: MergeVisitors = mergeEncoded,
) {
  /** The days' counts and merged sketches of the links kept, as ADD_DAILY takes them. */
  async function dailyRows(client: pg.PoolClient, kept: VisitBatch[]) {
    const rows: [number[], string[], number[], (Buffer | null)[]] = [[], [], [], []];
    const withVisitors: [number[], string[]] = [[], []];
    for (const batch of kept) {
      for (const [day, count] of daysOf(batch)) {
        rows[0].push(batch.urlId);
        rows[1].push(day);
        rows[2].push(count);
        rows[3].push(toBytes(batch.dayVisitors?.get(day) ?? null));
        if (batch.dayVisitors?.get(day)) {
          withVisitors[0].push(batch.urlId);
          withVisitors[1].push(day);
        }
      }
    }
    const stored = new Map<string, EncodedVisitors>();
    if (withVisitors[0].length > 0) {
      const found = await client.query<{ url_id: string; day: string; visitors: Buffer }>(
        STORED_DAYS,
        withVisitors,
      );
      for (const row of found.rows) stored.set(`${Number(row.url_id)} ${row.day}`, row.visitors);
    }
    // A day without an added sketch keeps its stored one (null: ADD_DAILY leaves it).
    for (let i = 0; i < rows[0].length; i++) {
      const added = rows[3][i] ?? null;
      if (added === null) continue;
      rows[3][i] = toBytes(mergeVisitors(stored.get(`${rows[0][i]} ${rows[1][i]}`) ?? null, added));
    }
    return rows;
  }

  /**
   * The dimensions' rows of the links kept: each value under its own name while its link has
   * fewer than MAX_DIMENSION_VALUES values of that dimension that day (counting those stored and
   * those this flush adds ahead of it, as SQLite does one at a time), under OTHER_VALUES after
   * that; entries that end up under one key summed, their sketches merged with the stored one.
   */
  async function dimensionRows(client: pg.PoolClient, kept: VisitBatch[]) {
    const groups = new Map<string, { urlId: number; dimension: string; day: string }>();
    for (const batch of kept) {
      for (const entry of batch.dimensions ?? []) {
        const key = `${batch.urlId} ${entry.dimension} ${entry.day}`;
        if (!groups.has(key))
          groups.set(key, { urlId: batch.urlId, dimension: entry.dimension, day: entry.day });
      }
    }
    if (groups.size === 0) return null;
    const list = [...groups.values()];
    const found = await client.query<{
      url_id: string;
      dimension: string;
      day: string;
      value: string;
      visitors: Buffer | null;
    }>(STORED_DIMENSIONS, [
      list.map((g) => g.urlId),
      list.map((g) => g.dimension),
      list.map((g) => g.day),
    ]);
    /** Per group: its values (stored and new) and their sketches, stored first. */
    const values = new Map<string, Map<string, EncodedVisitors>>();
    for (const row of found.rows) {
      const key = `${Number(row.url_id)} ${row.dimension} ${row.day}`;
      let known = values.get(key);
      if (!known) values.set(key, (known = new Map()));
      known.set(row.value, row.visitors);
    }
    const out = new Map<string, { urlId: number; entry: DimensionCount }>();
    for (const batch of kept) {
      for (const entry of batch.dimensions ?? []) {
        const key = `${batch.urlId} ${entry.dimension} ${entry.day}`;
        let known = values.get(key);
        if (!known) values.set(key, (known = new Map()));
        const value =
          known.has(entry.value) || known.size < MAX_DIMENSION_VALUES ? entry.value : OTHER_VALUES;
        const rowKey = `${key} ${value}`;
        const before = out.get(rowKey);
        const stored = before ? before.entry.visitors : (known.get(value) ?? null);
        if (!known.has(value)) known.set(value, null);
        const visitors =
          stored === null && entry.visitors === null ? null : mergeVisitors(stored, entry.visitors);
        out.set(rowKey, {
          urlId: batch.urlId,
          entry: { ...entry, value, count: (before?.entry.count ?? 0) + entry.count, visitors },
        });
      }
    }
    const rows = [...out.values()];
    return [
      rows.map((r) => r.urlId),
      rows.map((r) => r.entry.dimension),
      rows.map((r) => r.entry.day),
      rows.map((r) => r.entry.value),
      rows.map((r) => r.entry.count),
      rows.map((r) => toBytes(r.entry.visitors)),
    ];
  }

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

    const daily = await dailyRows(client, kept);
    const referrers: [number[], string[], number[]] = [[], [], []];
    for (const batch of kept) {
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
    const dimensions = await dimensionRows(client, kept);
    if (dimensions !== null) await client.query(ADD_DIMENSIONS, dimensions);
  }

  type Failure =
    | { error: unknown; outcome: 'rolled back' | 'broken' }
    | { error: unknown; outcome: 'unknown'; backendPid: number | null };

  /**
   * One attempt in one transaction. On failure it says what became of the transaction: rolled
   * back (certain); broken (ROLLBACK itself failed before any COMMIT was sent: the connection is
   * dropped, and with it the transaction, but the flush must not run again at once); or unknown
   * (COMMIT was sent and no answer came: it may have committed).
   */
  async function attempt(batches: VisitBatch[], flushId: string): Promise<Failure | null> {
    const client = await pool.connect();
    const backendPid = (client as unknown as { processID: number | null }).processID;
    let broken: Error | undefined;
    let commitSent = false;
    try {
      await client.query('BEGIN');
      await client.query(RECORD_FLUSH, [flushId, Date.now()]);
      await writeOnce(client, batches);
      commitSent = true;
      await client.query('COMMIT');
      return null;
    } catch (error) {
      // An answer from the server (an SQLSTATE) to COMMIT means it rolled back; no answer at all
      // (a broken connection) leaves the outcome with the server.
      if (commitSent && !rolledBackByServer(error)) {
        broken = error instanceof Error ? error : new Error(String(error));
        return { error, outcome: 'unknown', backendPid };
      }
      // After a failed COMMIT PostgreSQL has already rolled back; ROLLBACK then only warns.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      return { error, outcome: broken === undefined ? 'rolled back' : 'broken' };
    } finally {
      // With an error, the pool closes the connection instead of handing it out again.
      client.release(broken);
    }
  }

  /**
   * Whether the flush `flushId` committed, asked once the backend that ran it has ended: until
   * then its COMMIT may still be running. It may end on its own; after COMMIT_OUTCOME_WAIT_MS it
   * is ended. While the database cannot be reached, the question is asked again.
   */
  async function committed(flushId: string, backendPid: number | null): Promise<boolean> {
    const started = Date.now();
    for (let wait = 20; ; wait = Math.min(wait * 2, 1000)) {
      try {
        if (backendPid !== null && (await pool.query(BACKEND_ALIVE, [backendPid])).rowCount) {
          if (Date.now() - started >= COMMIT_OUTCOME_WAIT_MS) {
            await pool.query(END_BACKEND, [backendPid]);
          }
        } else {
          return ((await pool.query(FLUSH_COMMITTED, [flushId])).rowCount ?? 0) > 0;
        }
      } catch (error) {
        if (Date.now() - started >= OUTCOME_QUESTION_MS) throw error;
      }
      await sleep(wait);
    }
  }

  let flushes = 0;
  async function forgetOldFlushes(): Promise<void> {
    if (++flushes % FORGET_FLUSHES_EVERY !== 0) return;
    await pool.query(FORGET_OLD_FLUSHES, [Date.now() - DAY_MS]).catch(() => {});
  }

  /**
   * Adds every batch in one transaction. Retries, up to MAX_FLUSH_ATTEMPTS in all, only after a
   * deadlock or serialization failure whose transaction has been rolled back; waits a few
   * milliseconds, more each time and at random, first. A COMMIT without an answer resolves
   * as whatever the database did: done if it committed, thrown (the counts go back to the
   * caller) if it did not. No visit is ever counted twice.
   */
  async function addVisits(batches: VisitBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const sorted = mergeByLink(batches).toSorted((a, b) => a.urlId - b.urlId);
    const flushId = randomUUID();
    for (let attemptNo = 1; ; attemptNo++) {
      const failure = await attempt(sorted, flushId);
      if (failure === null) return forgetOldFlushes();
      const { error } = failure;
      if (failure.outcome === 'unknown') {
        if (await committed(flushId, failure.backendPid)) return forgetOldFlushes();
        throw error;
      }
      if (failure.outcome === 'broken' || !isRetryable(error) || attemptNo >= MAX_FLUSH_ATTEMPTS)
        throw error;
      options.onRetry?.(error, attemptNo);
      await sleep(BACKOFF_BASE_MS * 2 ** (attemptNo - 1) * (0.5 + Math.random()));
    }
  }

  return {
    addVisits,
    /** Visits per UTC day from `fromDay` (YYYY-MM-DD) on; days without visits are absent. */
    async dailyCounts(urlId: number, fromDay: string): Promise<DailyCount[]> {
      const { rows } = await pool.query<DailyCount>(
        postgresQuery(DAILY_COUNTS, { urlId, fromDay }),
      );
      return rows;
    },
    async topReferrers(urlId: number, limit: number): Promise<ReferrerCount[]> {
      const { rows } = await pool.query<ReferrerCount>(TOP_REFERRERS, [urlId, limit]);
      return rows;
    },
    async dayRows(urlId: number, fromDay: string, toDay: string): Promise<DayRow[]> {
      const { rows } = await pool.query<DayRow>(postgresQuery(DAY_ROWS, { urlId, fromDay, toDay }));
      return rows;
    },
    async dimensionRows(
      urlId: number,
      dimension: Dimension,
      fromDay: string,
      toDay: string,
    ): Promise<DimensionRow[]> {
      const { rows } = await pool.query<DimensionRow>(
        postgresQuery(DIMENSION_ROWS_POSTGRES, { urlId, dimension, fromDay, toDay }),
      );
      return rows;
    },
    async siteDayRows(fromDay: string, toDay: string): Promise<SiteRow[]> {
      const { rows } = await pool.query(postgresQuery(SITE_DAY_ROWS.postgres, { fromDay, toDay }));
      return rows.map(withSketches<SiteRow>);
    },
    async siteDimensionRows(
      dimension: Dimension,
      fromDay: string,
      toDay: string,
    ): Promise<SiteRow[]> {
      const { rows } = await pool.query(
        postgresQuery(SITE_DIMENSION_ROWS.postgres, { dimension, fromDay, toDay }),
      );
      return rows.map(withSketches<SiteRow>);
    },
    async topLinkRows(fromDay: string, toDay: string, limit: number): Promise<TopLinkRow[]> {
      const { rows } = await pool.query(
        postgresQuery(TOP_LINK_ROWS.postgres, { fromDay, toDay, limit }),
      );
      return rows.map(withSketches<TopLinkRow>);
    },
    async addNotFound(counts: NotFoundCount[]): Promise<void> {
      if (counts.length === 0) return;
      await pool.query(ADD_NOT_FOUND, [
        counts.map((c) => c.domainKey),
        counts.map((c) => c.day),
        counts.map((c) => c.count),
      ]);
    },
    async notFoundCounts(
      fromDay: string,
      toDay: string,
    ): Promise<{ domainKey: number; count: number }[]> {
      const { rows } = await pool.query<{ domainKey: number; count: number }>(
        postgresQuery(NOT_FOUND_COUNTS.postgres, { fromDay, toDay }),
      );
      return rows;
    },
    async groupDayRows(group: VisitGroup, fromDay: string, toDay: string): Promise<DailyCount[]> {
      const { kind, params } = groupStatement(group);
      const { rows } = await pool.query<DailyCount>(
        postgresQuery(GROUP_DAYS.get(kind)!, { ...params, fromDay, toDay }),
      );
      return rows;
    },
    async groupDimensionRows(
      group: VisitGroup,
      dimension: Dimension,
      fromDay: string,
      toDay: string,
    ): Promise<GroupDimensionRow[]> {
      const { kind, params } = groupStatement(group);
      const { rows } = await pool.query<GroupDimensionRow>(
        postgresQuery(GROUP_DIMENSIONS.get(kind)!, {
          ...params,
          dimension,
          fromDay,
          toDay,
        }),
      );
      return rows;
    },
    async notFoundDays(
      domainKey: number | null,
      fromDay: string,
      toDay: string,
    ): Promise<DailyCount[]> {
      const { rows } = await pool.query<DailyCount>(
        postgresQuery(NOT_FOUND_DAYS.postgres, { domainKey: domainKey ?? -1, fromDay, toDay }),
      );
      return rows;
    },
  };
}

createPostgresVisitRepository satisfies (pool: pg.Pool) => VisitStore;
