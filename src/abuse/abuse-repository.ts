import type { Db } from '../db/open-database.js';

export const REPORT_REASONS = ['phishing', 'malware', 'spam', 'illegal', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export type BlockedHost = { host: string; reason: string; created: number };

/** Open reports of one link, newest first, with the link they are about. */
export type ReportGroup = {
  urlId: number;
  code: string;
  target: string;
  reports: {
    id: number;
    reason: ReportReason;
    details: string;
    contact: string;
    created: number;
  }[];
};

/** A row of the open reports, with its link, as both engines' repositories read them. */
export type OpenReportRow = {
  id: number;
  urlId: number;
  code: string;
  target: string;
  reason: ReportReason;
  details: string;
  contact: string;
  created: number;
};

/** Rows that come link by link, grouped per link in the order of their first rows. */
export function groupReports(rows: readonly OpenReportRow[]): ReportGroup[] {
  const groups = new Map<number, ReportGroup>();
  for (const row of rows) {
    let group = groups.get(row.urlId);
    if (!group) {
      group = { urlId: row.urlId, code: row.code, target: row.target, reports: [] };
      groups.set(row.urlId, group);
    }
    group.reports.push({
      id: row.id,
      reason: row.reason,
      details: row.details,
      contact: row.contact,
      created: row.created,
    });
  }
  return [...groups.values()];
}

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
