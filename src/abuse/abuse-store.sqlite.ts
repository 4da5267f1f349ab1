import type { Db } from '../db/open-database.sqlite.js';
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
  const insertReport = db.prepare<[number, ReportReason, string, string, number]>(
    'INSERT INTO abuse_reports (url_id, reason, details, contact, created) VALUES (?, ?, ?, ?, ?)',
  );
  const openReports = db.prepare<[], OpenReportRow>(
    `SELECT r.id, r.url_id AS urlId, u.code, u.target, r.reason, r.details, r.contact, r.created
     FROM abuse_reports r JOIN urls u ON u.id = r.url_id
     WHERE r.resolved_at IS NULL
     ORDER BY (SELECT MAX(created) FROM abuse_reports WHERE url_id = r.url_id AND resolved_at IS NULL) DESC,
       r.url_id, r.created DESC`,
  );
  const openCount = db
    .prepare<[], number>('SELECT COUNT(*) FROM abuse_reports WHERE resolved_at IS NULL')
    .pluck();
  const resolveFor = db.prepare<[number, number]>(
    'UPDATE abuse_reports SET resolved_at = ? WHERE url_id = ? AND resolved_at IS NULL',
  );
  const allBlocked = db.prepare<[], BlockedHost>(
    'SELECT host, reason, created FROM blocked_hosts ORDER BY host',
  );
  const block = db.prepare<[string, string, number]>(
    `INSERT INTO blocked_hosts (host, reason, created) VALUES (?, ?, ?)
     ON CONFLICT (host) DO UPDATE SET reason = excluded.reason`,
  );
  const unblock = db.prepare<[string]>('DELETE FROM blocked_hosts WHERE host = ?');

  return {
    addReport(
      report: { urlId: number; reason: ReportReason; details: string; contact: string },
      now: number,
    ): void {
      insertReport.run(report.urlId, report.reason, report.details, report.contact, now);
    },
    openReportGroups(): ReportGroup[] {
      return groupReports(openReports.all());
    },
    countOpenReports(): number {
      return openCount.get() as number;
    },
    resolveReports(urlId: number, now: number): void {
      resolveFor.run(now, urlId);
    },
    blockedHosts(): BlockedHost[] {
      return allBlocked.all();
    },
    blockHost(host: string, reason: string, now: number): void {
      block.run(host, reason, now);
    },
    unblockHost(host: string): boolean {
      return unblock.run(host).changes > 0;
    },
  };
}

createAbuseRepository satisfies (db: Db) => AbuseStore;
