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
