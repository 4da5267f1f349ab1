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
