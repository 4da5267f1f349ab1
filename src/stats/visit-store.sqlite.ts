import type { Db } from '../db/open-database.sqlite.js';
import { writeWithoutWaiting } from '../db/write-gate.js';
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
  type VisitGroup,
  type MergeVisitors,
  type NotFoundCount,
  type ReferrerCount,
  daysOf,
  groupStatement,
  type SiteRow,
  type TopLinkRow,
  type VisitBatch,
  type VisitStore,
} from './visit-store.js';
import { createVisitLog, type FoldSizes } from './visit-log.sqlite.js';
import { sealRawVisits } from './visit-batches.js';
import {
  DAILY_COUNTS,
  DAY_ROWS,
  DIMENSION_ROWS,
  groupDayRowsSql,
  groupDimensionRowsSql,
  NOT_FOUND_COUNTS,
  NOT_FOUND_DAYS,
  GROUP_KINDS,
  SITE_DAY_ROWS,
  SITE_DIMENSION_ROWS,
  TOP_LINK_ROWS,
} from './visit-sql.js';
import {
  decodeSketch,
  encodeSketch,
  mergeEncodedView,
  mergeInto,
  type Sketch,
} from './visitor-sketch.js';

/** A row of the site's statistics as SQLite answers it: one merged sketch, or none. */
type MergedRow<T> = Omit<T, 'visitors'> & { visitors: Buffer | null };

function withSketches<T extends { visitors: Uint8Array[] }>(row: MergedRow<T>): T {
  return { ...row, visitors: row.visitors === null ? [] : [row.visitors] } as unknown as T;
}

export type VisitRepository = ReturnType<typeof createVisitRepository>;

/**
 * `mergeVisitors` merges a stored sketch of unique visitors with the one a flush adds; SQLite
 * calls it inside the upsert, as the SQL function `snip_merge_visitors`, and copies its result at
 * once (so the default merges into one reused buffer).
 */
export function createVisitRepository(
  db: Db,
  mergeVisitors: MergeVisitors = mergeEncodedView,
  now: () => number = Date.now,
  foldSizes?: FoldSizes,
) {
  db.function(
    'snip_merge_visitors',
    { deterministic: true, varargs: false },
    (stored: unknown, added: unknown) =>
      // A day or value that never had a visitor's hash stays without a sketch.
      stored === null && added === null
        ? null
        : mergeVisitors(stored as EncodedVisitors, added as EncodedVisitors),
  );
  // The union of a group's sketches, merged in place as SQLite walks the rows: the site's
  // statistics get one sketch per day or value instead of one per link. A damaged sketch adds none.
  db.aggregate('snip_union_visitors', {
    start: (): Sketch | null => null,
    step: (union: Sketch | null, encoded: unknown) => {
      const sketch = encoded instanceof Uint8Array ? decodeSketch(encoded) : null;
      if (sketch === null) return union;
      if (union === null) return sketch;
      mergeInto(union, sketch);
      return union;
    },
    result: (union: Sketch | null) => (union === null ? null : encodeSketch(union)),
  });
  const siteDayRows = db.prepare<[{ fromDay: string; toDay: string }], MergedRow<SiteRow>>(
    SITE_DAY_ROWS.sqlite,
  );
  const siteDimensionRows = db.prepare<
    [{ dimension: string; fromDay: string; toDay: string }],
    MergedRow<SiteRow>
  >(SITE_DIMENSION_ROWS.sqlite);
  const topLinkRows = db.prepare<
    [{ fromDay: string; toDay: string; limit: number }],
    MergedRow<TopLinkRow>
  >(TOP_LINK_ROWS.sqlite);
  const notFoundCounts = db.prepare<
    [{ fromDay: string; toDay: string }],
    { domainKey: number; count: number }
  >(NOT_FOUND_COUNTS.sqlite);
  const notFoundDays = db.prepare<
    [{ domainKey: number; fromDay: string; toDay: string }],
    DailyCount
  >(NOT_FOUND_DAYS.sqlite);
  // One statement per kind of group (every link, a domain's, a tag's), each prepared once.
  const groupDays = new Map(
    GROUP_KINDS.map((kind) => [kind, db.prepare(groupDayRowsSql(kind, 'SUM(count)').sqlite)]),
  );
  const groupDimensions = new Map(
    GROUP_KINDS.map((kind) => [
      kind,
      db.prepare(groupDimensionRowsSql(kind, 'SUM(count)', '').sqlite),
    ]),
  );
  const addNotFoundRow = db.prepare<[number, string, number]>(
    `INSERT INTO not_found_daily (domain_key, day, count) VALUES (?, ?, ?)
     ON CONFLICT (domain_key, day) DO UPDATE SET count = count + excluded.count`,
  );
  const addNotFound = db.transaction((counts: NotFoundCount[]) => {
    for (const { domainKey, day, count } of counts) addNotFoundRow.run(domainKey, day, count);
  });
  const addToLink = db.prepare<[number, number, number], { visits: number }>(
    `UPDATE urls SET visits = visits + ?, last_visit = MAX(COALESCE(last_visit, 0), ?)
     WHERE id = ? AND deleted_at IS NULL RETURNING visits`,
  );
  // A day's first visits insert its row (changes 1); later ones add to it.
  const insertDaily = db.prepare<[number, string, number, EncodedVisitors]>(
    'INSERT OR IGNORE INTO visits_daily (url_id, day, count, visitors) VALUES (?, ?, ?, ?)',
  );
  const addDaily = db.prepare<[number, EncodedVisitors, EncodedVisitors, number, string]>(
    `UPDATE visits_daily SET count = count + ?,
       visitors = CASE WHEN ? IS NULL THEN visitors ELSE snip_merge_visitors(visitors, ?) END
     WHERE url_id = ? AND day = ?`,
  );
  const addToDimension = db.prepare<[number, EncodedVisitors, number, string, string, string]>(
    `UPDATE visit_dimensions SET count = count + ?, visitors = snip_merge_visitors(visitors, ?)
     WHERE url_id = ? AND dimension = ? AND day = ? AND value = ?`,
  );
  const dimensionValues = db.prepare<[number, string, string], { n: number }>(
    'SELECT COUNT(*) AS n FROM visit_dimensions WHERE url_id = ? AND dimension = ? AND day = ?',
  );
  const addDimension = db.prepare<[number, string, string, string, number, EncodedVisitors]>(
    `INSERT INTO visit_dimensions (url_id, dimension, day, value, count, visitors)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (url_id, dimension, day, value) DO UPDATE SET count = count + excluded.count,
       visitors = snip_merge_visitors(visitors, excluded.visitors)`,
  );
  const dayRows = db.prepare<[{ urlId: number; fromDay: string; toDay: string }], DayRow>(
    DAY_ROWS.sqlite,
  );
  const dimensionRows = db.prepare<
    [{ urlId: number; dimension: string; fromDay: string; toDay: string }],
    DimensionRow
  >(DIMENSION_ROWS.sqlite);
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

  /**
   * A referring host, under its own name while it is stored already or the link has fewer than
   * MAX_REFERRER_HOSTS, under OTHER_REFERRERS after that, so junk Referer headers cannot grow
   * the table without bound. `kept` counts the hosts a link without stored ones has been given
   * in this write: for such a link (its first visits) nothing need be asked.
   */
  function storeReferrer(urlId: number, host: string, count: number, kept: number | null): void {
    // Direct visits ('') are one fixed key: they never count against the cap.
    const full =
      host !== '' &&
      (kept === null
        ? referrerKnown.get(urlId, host) === undefined &&
          (referrerHosts.get(urlId)?.n ?? 0) >= MAX_REFERRER_HOSTS
        : kept >= MAX_REFERRER_HOSTS);
    addReferrer.run(urlId, full ? OTHER_REFERRERS : host, count);
  }

  /**
   * A value of a dimension on a day, under its own name while the link has fewer than
   * MAX_DIMENSION_VALUES values of that dimension that day, and under OTHER_VALUES after that:
   * visitors can send any Referer, so the table cannot grow without bound. `kept` as for
   * storeReferrer: the values given in this write to a day that had none stored.
   */
  function storeDimension(urlId: number, entry: DimensionCount, kept: number | null): void {
    const { dimension, day, value, count, visitors } = entry;
    if (kept === null) {
      // Most flushes add to values already stored: one statement, and the cap is not asked.
      if (addToDimension.run(count, visitors, urlId, dimension, day, value).changes > 0) return;
    }
    const values = kept ?? dimensionValues.get(urlId, dimension, day)?.n ?? 0;
    addDimension.run(
      urlId,
      dimension,
      day,
      values >= MAX_DIMENSION_VALUES ? OTHER_VALUES : value,
      count,
      visitors,
    );
  }

  /**
   * Adds one link's batch to its count, days, referring hosts and dimensions. A link's first
   * visits and a day's first visits (as most are when visits are spread over many links) have
   * no rows to add to: their rows are inserted without asking what is stored, which takes a
   * third of the statements.
   */
  function applyBatch(logged: VisitBatch): void {
    const batch = sealRawVisits(logged);
    const { urlId } = batch;
    // A link deleted since the visit keeps no statistics: the update finds no row to change.
    const visits = addToLink.get(batch.count, batch.lastVisit, urlId)?.visits;
    if (visits === undefined) return;
    const freshDays = new Set<string>();
    for (const [day, count] of daysOf(batch)) {
      const visitors = batch.dayVisitors?.get(day) ?? null;
      if (insertDaily.run(urlId, day, count, visitors).changes > 0) freshDays.add(day);
      else addDaily.run(count, visitors, visitors, urlId, day);
    }
    // Referrer rows are written with visits only: a link whose visits are all in this batch has none.
    const freshLink = visits === batch.count;
    let hosts = 0;
    for (const [host, count] of batch.byReferrer) {
      storeReferrer(urlId, host, count, freshLink ? hosts++ : null);
    }
    const valuesOf = new Map<string, number>();
    for (const entry of batch.dimensions ?? []) {
      if (!freshDays.has(entry.day)) storeDimension(urlId, entry, null);
      else {
        const key = `${entry.day}\u0000${entry.dimension}`;
        const kept = valuesOf.get(key) ?? 0;
        valuesOf.set(key, kept + 1);
        storeDimension(urlId, entry, kept);
      }
    }
  }

  /**
   * Writes every batch in one transaction: one fsync for a second's worth of visits. With many
   * links visited once each (a large table), the flush is a statement or three per link, so each
   * link costs as few as it can: no separate existence check, and links in id order so that
   * neighbouring rows share the pages SQLite has just read.
   */
  const addVisits = db.transaction((batches: VisitBatch[]) => {
    for (const batch of batches.toSorted((a, b) => a.urlId - b.urlId)) applyBatch(batch);
  });
  const log = createVisitLog(db, { apply: applyBatch, now }, foldSizes);
  const logVisits = db.transaction((batches: Iterable<VisitBatch>) => {
    for (const batch of batches) {
      if (batch.limited) applyBatch(batch);
      else log.append(batch);
    }
  });

  return {
    addVisits(batches: VisitBatch[]): void {
      addVisits(batches);
    },
    /**
     * Appends the batches to the visit log (visit-log.sqlite.ts), one row per link at the end of
     * one table, instead of updating each link's rows wherever they are in the file; a link
     * with a visit limit is added at once. `log` folds the rows into the statistics later.
     */
    logVisits(batches: Iterable<VisitBatch>): void {
      logVisits(batches);
    },
    log,
    logBacklog(): { rows: number; oldest: number | null } {
      const { rows, oldest } = log.status();
      return { rows, oldest };
    },
    /** Visits per UTC day from `fromDay` (YYYY-MM-DD) on; days without visits are absent. */
    dailyCounts(urlId: number, fromDay: string): DailyCount[] {
      return daily.all({ urlId, fromDay });
    },
    topReferrers(urlId: number, limit: number): ReferrerCount[] {
      return topReferrers.all(urlId, limit);
    },
    dayRows(urlId: number, fromDay: string, toDay: string): DayRow[] {
      return dayRows.all({ urlId, fromDay, toDay });
    },
    dimensionRows(
      urlId: number,
      dimension: Dimension,
      fromDay: string,
      toDay: string,
    ): DimensionRow[] {
      return dimensionRows.all({ urlId, dimension, fromDay, toDay });
    },
    siteDayRows(fromDay: string, toDay: string): SiteRow[] {
      return siteDayRows.all({ fromDay, toDay }).map(withSketches<SiteRow>);
    },
    siteDimensionRows(dimension: Dimension, fromDay: string, toDay: string): SiteRow[] {
      return siteDimensionRows.all({ dimension, fromDay, toDay }).map(withSketches<SiteRow>);
    },
    topLinkRows(fromDay: string, toDay: string, limit: number): TopLinkRow[] {
      return topLinkRows.all({ fromDay, toDay, limit }).map(withSketches<TopLinkRow>);
    },
    /**
     * Never waits for another process's lock (it would stop every redirect, as the visits' flush
     * would): a locked database throws, and the counts wait in memory for the next flush.
     */
    addNotFound(counts: NotFoundCount[]): void {
      if (counts.length > 0) writeWithoutWaiting(db, () => addNotFound(counts));
    },
    notFoundCounts(fromDay: string, toDay: string): { domainKey: number; count: number }[] {
      return notFoundCounts.all({ fromDay, toDay });
    },
    groupDayRows(group: VisitGroup, fromDay: string, toDay: string): DailyCount[] {
      const { kind, params } = groupStatement(group);
      return groupDays.get(kind)!.all({ ...params, fromDay, toDay }) as DailyCount[];
    },
    groupDimensionRows(
      group: VisitGroup,
      dimension: Dimension,
      fromDay: string,
      toDay: string,
    ): GroupDimensionRow[] {
      const { kind, params } = groupStatement(group);
      return groupDimensions
        .get(kind)!
        .all({ ...params, dimension, fromDay, toDay }) as GroupDimensionRow[];
    },
    notFoundDays(domainKey: number | null, fromDay: string, toDay: string): DailyCount[] {
      return notFoundDays.all({ domainKey: domainKey ?? -1, fromDay, toDay });
    },
  };
}

createVisitRepository satisfies (db: Db) => VisitStore;
