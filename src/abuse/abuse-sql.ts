import { sqlText } from '../db/sql-text.js';

/**
 * The SQL both engines' abuse stores run, written once with named parameters (see
 * db/sql-text.ts). The open reports and the blocklist's order have a text per engine, in the
 * engine files, each saying why.
 */

export const INSERT_REPORT = sqlText(
  `INSERT INTO abuse_reports (url_id, reason, details, contact, created)
   VALUES (:urlId, :reason, :details, :contact, :now)`,
);
export const COUNT_OPEN_REPORTS = sqlText(
  'SELECT COUNT(*) AS n FROM abuse_reports WHERE resolved_at IS NULL',
);
export const RESOLVE_REPORTS = sqlText(
  'UPDATE abuse_reports SET resolved_at = :now WHERE url_id = :urlId AND resolved_at IS NULL',
);
// Blocking a host again replaces its reason and keeps the date it was first blocked.
export const BLOCK_HOST = sqlText(
  `INSERT INTO blocked_hosts (host, reason, created) VALUES (:host, :reason, :now)
   ON CONFLICT (host) DO UPDATE SET reason = excluded.reason`,
);
export const UNBLOCK_HOST = sqlText('DELETE FROM blocked_hosts WHERE host = :host');
