import type { Db } from '../db/open-database.sqlite.js';
import {
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  type DailyCount,
  type ReferrerCount,
  type VisitBatch,
  type VisitStore,
} from './visit-store.js';
import { DAILY_COUNTS } from './visit-sql.js';

export type VisitRepository = ReturnType<typeof createVisitRepository>;

export function createVisitRepository(db: Db) {
  const addToLink = db.prepare<[number, number, number]>(
    `UPDATE urls SET visits = visits + ?, last_visit = MAX(COALESCE(last_visit, 0), ?)
     WHERE id = ? AND deleted_at IS NULL`,
  );
  const addDaily = db.prepare<[number, string, number]>(
    `INSERT INTO visits_daily (url_id, day, count) VALUES (?, ?, ?)
     ON CONFLICT (url_id, day) DO UPDATE SET count = count + excluded.count`,
  );
  const referrerKnown = db.prepare<[number, string], { one: number }>(
    'SELECT 1 AS one FROM visits_referrers WHERE url_id = ? AND host = ?',
  );
  const referrerHosts = db.prepare<[number], { n: number }>(
    'SELECT COUNT(*) AS n FROM visits_referrers WHERE url_id = ?',
  );
  const addReferrer = db.prepare<[number, string, number]>(
    `INSERT INTO visits_referrers (url_id, host, count) VALUES (?, ?, ?)
     ON CONFLICT (url_id, host) DO UPDATE SET count = count + excluded.count`,
  );
  const daily = db.prepare<[{ urlId: number; fromDay: string }], DailyCount>(DAILY_COUNTS.sqlite);
  // Its own text: SQLite compares the hosts byte by byte already; PostgreSQL must be told to.
  const topReferrers = db.prepare<[number, number], ReferrerCount>(
    'SELECT host, count FROM visits_referrers WHERE url_id = ? ORDER BY count DESC, host LIMIT ?',
  );

  function storeReferrer(urlId: number, host: string, count: number): void {
    // Direct visits ('') are one fixed key: they never count against the cap.
    const full =
      host !== '' &&
      referrerKnown.get(urlId, host) === undefined &&
      (referrerHosts.get(urlId)?.n ?? 0) >= MAX_REFERRER_HOSTS;
    addReferrer.run(urlId, full ? OTHER_REFERRERS : host, count);
  }

  /**
   * Writes every batch in one transaction: one fsync for a second's worth of visits. With many
   * links visited once each (a large table), the flush is a statement or three per link, so each
   * link costs as few as it can: no separate existence check, and links in id order so that
   * neighbouring rows share the pages SQLite has just read.
   */
  const addVisits = db.transaction((batches: VisitBatch[]) => {
    for (const batch of batches.toSorted((a, b) => a.urlId - b.urlId)) {
      // A link deleted since the visit keeps no statistics: the update finds no row to change.
      if (addToLink.run(batch.count, batch.lastVisit, batch.urlId).changes === 0) continue;
      for (const [day, count] of batch.byDay) addDaily.run(batch.urlId, day, count);
      for (const [host, count] of batch.byReferrer) storeReferrer(batch.urlId, host, count);
    }
  });

  return {
    addVisits(batches: VisitBatch[]): void {
      addVisits(batches);
    },
    /** Visits per UTC day from `fromDay` (YYYY-MM-DD) on; days without visits are absent. */
    dailyCounts(urlId: number, fromDay: string): DailyCount[] {
      return daily.all({ urlId, fromDay });
    },
    topReferrers(urlId: number, limit: number): ReferrerCount[] {
      return topReferrers.all(urlId, limit);
    },
  };
}

createVisitRepository satisfies (db: Db) => VisitStore;
