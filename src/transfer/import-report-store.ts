import { randomBytes } from 'node:crypto';
import type { ImportReport } from './link-import.js';

/** How long a report can be downloaded after its import. */
export const REPORT_KEPT_MS = 60 * 60 * 1000;
/** Reports kept at once; a report of 100,000 rows holds about 20 MB. */
export const REPORTS_KEPT = 3;

export type ImportReportStore = {
  /** Keeps the report and returns the id its download link carries. */
  keep(report: ImportReport): string;
  /** The report, or null when the id is unknown, expired or pushed out by newer ones. */
  find(id: string): ImportReport | null;
};

/**
 * The last few import reports, in memory, so that the page that shows a report can offer it as a
 * download. They are gone after an hour or a restart; the page says so.
 */
export function createImportReportStore(now: () => number): ImportReportStore {
  const reports = new Map<string, { report: ImportReport; expiresAt: number }>();
  return {
    keep(report) {
      const id = randomBytes(16).toString('base64url');
      reports.set(id, { report, expiresAt: now() + REPORT_KEPT_MS });
      // A Map iterates in insertion order: the first keys are the oldest.
      for (const oldest of reports.keys()) {
        if (reports.size <= REPORTS_KEPT) break;
        reports.delete(oldest);
      }
      return id;
    },
    find(id) {
      const kept = reports.get(id);
      if (kept === undefined) return null;
      if (kept.expiresAt <= now()) {
        reports.delete(id);
        return null;
      }
      return kept.report;
    },
  };
}
