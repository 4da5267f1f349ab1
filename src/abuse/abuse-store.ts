import type { Awaitable } from '../db/awaitable.js';

export const REPORT_REASONS = ['phishing', 'malware', 'spam', 'illegal', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export type BlockedHost = { host: string; reason: string; created: number };

/** Open reports of one link, newest first, with the link they are about. */
export type ReportGroup = {
  urlId: number;
  code: string;
  /** The link's domain (domains.id); null: the default domain. */
  domainId: number | null;
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
  domainId: number | null;
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
      group = {
        urlId: row.urlId,
        code: row.code,
        domainId: row.domainId,
        target: row.target,
        reports: [],
      };
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

/**
 * The storage contract of abuse reports and the host blocklist, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface AbuseStore {
  addReport(
    report: {
      urlId: number;
      reason: ReportReason;
      details: string;
      contact: string;
    },
    now: number,
  ): Awaitable<void>;
  openReportGroups(): Awaitable<ReportGroup[]>;
  countOpenReports(): Awaitable<number>;
  resolveReports(urlId: number, now: number): Awaitable<void>;
  blockedHosts(): Awaitable<BlockedHost[]>;
  blockHost(host: string, reason: string, now: number): Awaitable<void>;
  unblockHost(host: string): Awaitable<boolean>;
}
