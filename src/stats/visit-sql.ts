import { sqlText } from '../db/sql-text.js';

/**
 * The SQL both engines' visit stores run, written once with named parameters (see
 * db/sql-text.ts). The visit flush differs by engine (SQLite writes a link at a time in one
 * transaction, PostgreSQL a batch per statement from arrays, with row locks and retries), and so
 * does the order of the top referrers: those have a text in each engine's file.
 */

/** Visits per UTC day from `:fromDay` on; days without visits are absent. */
export const DAILY_COUNTS = sqlText(
  'SELECT day, count FROM visits_daily WHERE url_id = :urlId AND day >= :fromDay ORDER BY day',
);

/** A link's days in a range (both ends included), with their visitors' sketches. */
export const DAY_ROWS = sqlText(
  `SELECT day, count, visitors FROM visits_daily
   WHERE url_id = :urlId AND day >= :fromDay AND day <= :toDay ORDER BY day`,
);

/**
 * A link's rows of one dimension in a range of days (both ends included), by day and then value
 * byte by byte: the primary key's order, so one range scan of the index. PostgreSQL must be told
 * to compare the values' bytes (its collation may not), so it has the text with `COLLATE "C"`.
 */
const DIMENSION_ROWS_SQL = (collate: string) =>
  `SELECT day, value, count, visitors FROM visit_dimensions
   WHERE url_id = :urlId AND dimension = :dimension AND day >= :fromDay AND day <= :toDay
   ORDER BY day, value${collate}`;
export const DIMENSION_ROWS = sqlText(DIMENSION_ROWS_SQL(''));
export const DIMENSION_ROWS_POSTGRES = sqlText(DIMENSION_ROWS_SQL(' COLLATE "C"'));

/**
 * The whole site's statistics: counts summed by the database, the visitors' sketches gathered by
 * `union` — SQLite's aggregate `snip_union_visitors` merges them into one; PostgreSQL, which
 * cannot read them, hands them over in an array to be merged by the caller.
 */
const SITE_DAY_ROWS_SQL = (union: string) =>
  `SELECT day AS key, SUM(count) AS count, ${union} AS visitors FROM visits_daily
   WHERE day >= :fromDay AND day <= :toDay GROUP BY day ORDER BY day`;

const SITE_DIMENSION_ROWS_SQL = (union: string) =>
  `SELECT value AS key, SUM(count) AS count, ${union} AS visitors FROM visit_dimensions
   WHERE dimension = :dimension AND day >= :fromDay AND day <= :toDay GROUP BY value`;

/**
 * The most visited links of a range: the counts are summed and ranked first, and only the top
 * links' sketches are gathered. A deleted link's visits are gone with it; ties by id.
 */
const TOP_LINK_ROWS_SQL = (union: string) =>
  `WITH top AS (
     SELECT url_id, SUM(count) AS visits FROM visits_daily
     WHERE day >= :fromDay AND day <= :toDay GROUP BY url_id
     ORDER BY visits DESC, url_id LIMIT :limit
   )
   SELECT top.url_id AS "urlId", u.code, u.domain_id AS "domainId", top.visits AS count,
          ${union} AS visitors
   FROM top JOIN urls u ON u.id = top.url_id
   JOIN visits_daily d ON d.url_id = top.url_id AND d.day >= :fromDay AND d.day <= :toDay
   GROUP BY top.url_id, u.code, u.domain_id, top.visits
   ORDER BY top.visits DESC, top.url_id`;

const SQLITE_UNION = 'snip_union_visitors(visitors)';
const SQLITE_UNION_JOINED = 'snip_union_visitors(d.visitors)';
const POSTGRES_UNION = 'array_agg(visitors) FILTER (WHERE visitors IS NOT NULL)';
const POSTGRES_UNION_JOINED = 'array_agg(d.visitors) FILTER (WHERE d.visitors IS NOT NULL)';

export const SITE_DAY_ROWS = {
  sqlite: SITE_DAY_ROWS_SQL(SQLITE_UNION),
  postgres: sqlText(SITE_DAY_ROWS_SQL(POSTGRES_UNION).replace('SUM(count)', 'SUM(count)::bigint')),
};
export const SITE_DIMENSION_ROWS = {
  sqlite: SITE_DIMENSION_ROWS_SQL(SQLITE_UNION),
  postgres: sqlText(
    SITE_DIMENSION_ROWS_SQL(POSTGRES_UNION).replace('SUM(count)', 'SUM(count)::bigint'),
  ),
};
export const TOP_LINK_ROWS = {
  sqlite: TOP_LINK_ROWS_SQL(SQLITE_UNION_JOINED),
  postgres: sqlText(
    TOP_LINK_ROWS_SQL(POSTGRES_UNION_JOINED).replace('SUM(count)', 'SUM(count)::bigint'),
  ),
};

/** Requests for unknown codes per domain key in a range of days, most first. */
const NOT_FOUND_COUNTS_SQL = (sum: string) =>
  `SELECT domain_key AS "domainKey", ${sum} AS count FROM not_found_daily
   WHERE day >= :fromDay AND day <= :toDay GROUP BY domain_key ORDER BY ${sum} DESC, domain_key`;
export const NOT_FOUND_COUNTS = {
  sqlite: NOT_FOUND_COUNTS_SQL('SUM(count)'),
  postgres: sqlText(NOT_FOUND_COUNTS_SQL('SUM(count)::bigint')),
};

/**
 * The links a group's statistics sum (VisitGroup in visit-store.ts): every link, the links on a
 * domain (its domain key), or the links carrying a tag (its key). A deleted link's rows are gone
 * with it, so no group counts it.
 */
const GROUP_WHERE = {
  all: '1 = 1',
  domain: 'url_id IN (SELECT id FROM urls WHERE COALESCE(domain_id, 0) = :domainKey)',
  tag: `url_id IN (SELECT lt.url_id FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
    WHERE t.key = :tagKey)`,
  tagOnDomain: `url_id IN (SELECT lt.url_id FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
    JOIN urls u ON u.id = lt.url_id WHERE t.key = :tagKey AND COALESCE(u.domain_id, 0) = :domainKey)`,
} as const;
export type GroupKind = keyof typeof GROUP_WHERE;
export const GROUP_KINDS = Object.keys(GROUP_WHERE) as GroupKind[];

/** A group's visits per day in a range (both ends included), in day order. */
export function groupDayRowsSql(kind: GroupKind, sum: string) {
  return sqlText(
    `SELECT day, ${sum} AS count FROM visits_daily
     WHERE ${GROUP_WHERE[kind]} AND day >= :fromDay AND day <= :toDay GROUP BY day ORDER BY day`,
  );
}

/** A group's visits per day and value of one dimension in a range, by day and then value. */
export function groupDimensionRowsSql(kind: GroupKind, sum: string, collate: string) {
  return sqlText(
    `SELECT day, value, ${sum} AS count FROM visit_dimensions
     WHERE ${GROUP_WHERE[kind]} AND dimension = :dimension AND day >= :fromDay AND day <= :toDay
     GROUP BY day, value ORDER BY day, value${collate}`,
  );
}

/** Requests for unknown codes per day in a range, on one domain key or (-1) on every domain. */
const NOT_FOUND_DAYS_SQL = (sum: string) =>
  `SELECT day, ${sum} AS count FROM not_found_daily
   WHERE (domain_key = :domainKey OR :domainKey = -1) AND day >= :fromDay AND day <= :toDay
   GROUP BY day ORDER BY day`;
export const NOT_FOUND_DAYS = {
  sqlite: NOT_FOUND_DAYS_SQL('SUM(count)'),
  postgres: sqlText(NOT_FOUND_DAYS_SQL('SUM(count)::bigint')),
};
