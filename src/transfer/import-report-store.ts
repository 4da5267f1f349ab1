import type { Writable } from 'node:stream';
import type { TransferStore } from './transfer-store.js';
import { yieldToEventLoop } from '../db/batched-writes.js';
import type { WriteGate } from '../db/write-gate.js';
import { dropImport, writeImportReport } from './link-import.js';

/** How long a report can be downloaded after its import. */
export const REPORT_KEPT_MS = 60 * 60 * 1000;
/**
 * Reports kept at once. A report is the import's staged rows in the database, a row per line of
 * the file (at most IMPORT_MAX_ROWS; cells from refused rows are cut to REPORT_CELL_MAX), so
 * three reports of 200,000 rows take a few tens of MB on disk.
 */
export const REPORTS_KEPT = 3;

export type ImportReportStore = {
  /** Whether the report of this import can still be downloaded. */
  has(id: string): Promise<boolean>;
  /** Writes the report as CSV to `out` (a response), and ends it. */
  send(id: string, out: Writable): Promise<void>;
  /** Drops the reports no longer kept: older than an hour, or beyond the newest few. */
  sweep(): Promise<void>;
};

/**
 * The reports of the last few imports, kept in the database with the import's rows, so that the
 * page that shows a report can offer it as a download — on any machine that shares the database,
 * and after a restart. They are dropped after an hour, or when newer ones push them out.
 */
export function createImportReportStore(deps: {
  transfer: TransferStore;
  now: () => number;
  write: WriteGate;
  pause?: () => Promise<void>;
}): ImportReportStore {
  const pause = deps.pause ?? yieldToEventLoop;
  return {
    async has(id) {
      const found = await deps.transfer.findImport(id);
      return (
        found !== null && found.state === 'done' && found.created > deps.now() - REPORT_KEPT_MS
      );
    },
    async send(id, out) {
      await writeImportReport(deps.transfer, id, out);
    },
    async sweep() {
      const old = await deps.transfer.oldImports(deps.now() - REPORT_KEPT_MS, REPORTS_KEPT);
      for (const id of old) await dropImport(deps, id, deps.write, pause);
    },
  };
}
