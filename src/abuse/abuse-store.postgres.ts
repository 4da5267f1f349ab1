import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import {
  BLOCK_HOST,
  COUNT_OPEN_REPORTS,
  INSERT_REPORT,
  RESOLVE_REPORTS,
  UNBLOCK_HOST,
} from './abuse-sql.js';
import {
  groupReports,
  type AbuseStore,
  type BlockedHost,
  type OpenReportRow,
  type ReportGroup,
  type ReportReason,
} from './abuse-store.js';

/**
 * The PostgreSQL twin of abuse-store.sqlite.ts, with the same methods and results. Give it a pool
 * from createPostgresPool, which reads BIGINT as a JavaScript number.
 */

// Its own text: the links with the newest open report first, each link's reports newest first.
// The last key only settles reports of one link made in the same millisecond, which SQLite leaves
// in any order.
const OPEN_REPORTS = `SELECT r.id, r.url_id AS "urlId", u.code, u.domain_id AS "domainId",
    u.target, r.reason, r.details, r.contact, r.created
  FROM abuse_reports r JOIN urls u ON u.id = r.url_id
  WHERE r.resolved_at IS NULL
  ORDER BY (SELECT MAX(created) FROM abuse_reports
            WHERE url_id = r.url_id AND resolved_at IS NULL) DESC,
    r.url_id, r.created DESC, r.id DESC`;
// Its own text: in the hosts' byte order, as SQLite sorts them, whatever the database's collation.
const ALL_BLOCKED = 'SELECT host, reason, created FROM blocked_hosts ORDER BY host COLLATE "C"';

export function createPostgresAbuseRepository(pool: pg.Pool) {
  return {
    async addReport(
      report: { urlId: number; reason: ReportReason; details: string; contact: string },
      now: number,
    ): Promise<void> {
      await pool.query(postgresQuery(INSERT_REPORT, { ...report, now }));
    },
    async openReportGroups(): Promise<ReportGroup[]> {
      const { rows } = await pool.query<OpenReportRow>(OPEN_REPORTS);
      return groupReports(rows);
    },
    async countOpenReports(): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(COUNT_OPEN_REPORTS.postgres);
      return rows[0]?.n ?? 0;
    },
    async resolveReports(urlId: number, now: number): Promise<void> {
      await pool.query(postgresQuery(RESOLVE_REPORTS, { now, urlId }));
    },
    async blockedHosts(): Promise<BlockedHost[]> {
      const { rows } = await pool.query<BlockedHost>(ALL_BLOCKED);
      return rows;
    },
    async blockHost(host: string, reason: string, now: number): Promise<void> {
      await pool.query(postgresQuery(BLOCK_HOST, { host, reason, now }));
    },
    async unblockHost(host: string): Promise<boolean> {
      const { rowCount } = await pool.query(postgresQuery(UNBLOCK_HOST, { host }));
      return (rowCount ?? 0) > 0;
    },
  };
}

createPostgresAbuseRepository satisfies (pool: pg.Pool) => AbuseStore;
