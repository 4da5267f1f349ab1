import type { Db } from '../db/open-database.sqlite.js';
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

export type AbuseRepository = ReturnType<typeof createAbuseRepository>;

/** The only place that speaks SQL about abuse reports and the host blocklist. */
export function createAbuseRepository(db: Db) {
  const insertReport = db.prepare(INSERT_REPORT.sqlite);
  // Its own text: SQLite leaves reports of one link made in the same millisecond in the order it
  // reads them, where PostgreSQL's twin needs a last key to be stable.
  const openReports = db.prepare<[], OpenReportRow>(
    `SELECT r.id, r.url_id AS urlId, u.code, u.domain_id AS domainId, u.target, r.reason, r.details, r.contact, r.created
     FROM abuse_reports r JOIN urls u ON u.id = r.url_id
     WHERE r.resolved_at IS NULL
     ORDER BY (SELECT MAX(created) FROM abuse_reports WHERE url_id = r.url_id AND resolved_at IS NULL) DESC,
       r.url_id, r.created DESC`,
  );
  const openCount = db.prepare<[], number>(COUNT_OPEN_REPORTS.sqlite).pluck();
  const resolveFor = db.prepare(RESOLVE_REPORTS.sqlite);
  // Its own text: SQLite compares text byte by byte already; PostgreSQL must be told to.
  const allBlocked = db.prepare<[], BlockedHost>(
    'SELECT host, reason, created FROM blocked_hosts ORDER BY host',
  );
  const block = db.prepare(BLOCK_HOST.sqlite);
  const unblock = db.prepare(UNBLOCK_HOST.sqlite);

  return {
    addReport(
      report: { urlId: number; reason: ReportReason; details: string; contact: string },
      now: number,
    ): void {
      insertReport.run({ ...report, now });
    },
    openReportGroups(): ReportGroup[] {
      return groupReports(openReports.all());
    },
    countOpenReports(): number {
      return openCount.get() as number;
    },
    resolveReports(urlId: number, now: number): void {
      resolveFor.run({ now, urlId });
    },
    blockedHosts(): BlockedHost[] {
      return allBlocked.all();
    },
    blockHost(host: string, reason: string, now: number): void {
      block.run({ host, reason, now });
    },
    unblockHost(host: string): boolean {
      return unblock.run({ host }).changes > 0;
    },
  };
}

createAbuseRepository satisfies (db: Db) => AbuseStore;
