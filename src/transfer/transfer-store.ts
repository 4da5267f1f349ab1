import type { Awaitable } from '../db/awaitable.js';
import type { WriteGate } from '../db/write-gate.js';
import type { Link } from '../links/link.js';

/**
 * A link as the import stores it: a link without its id. Imported links have no management token
 * (NULL); a deleted link's target is '' (a tombstone).
 */
/** A link as an import stages it: never a password (an import does not set one). */
export type ImportedLink = Omit<Link, 'id' | 'passwordHash' | 'domainId'> & {
  /** The added domain it goes on (domains.id); null or absent: the default domain (ADR 031). */
  domainId?: number | null;
  /** Its tags, checked (links/tags.ts); none for a tombstone. */
  tags?: readonly string[];
};

export const IMPORT_RESULTS = ['created', 'skipped', 'refused', 'invalid'] as const;
export type ImportResult = (typeof IMPORT_RESULTS)[number];

export type ImportRowReport = {
  /** The line of the file on which the row starts (the header is line 1). */
  line: number;
  code: string;
  /** As stored (normalised) for created and skipped rows; as found in the file otherwise. */
  target: string;
  result: ImportResult;
  /** Why a row was skipped, refused or invalid, or a note on a created one; '' otherwise. */
  reason: string;
};

/** 'reading' while the file arrives, 'applying' while its links are written, then 'done'. */
export type ImportState = 'reading' | 'applying' | 'done';

/** A row of a file as the import stages it: its report line, and for a row to create, the link. */
export type StagedRow = ImportRowReport & { link: ImportedLink | null };

/** How an import writes its staged links: each batch through the write gate, then a pause. */
export type ApplySteps = {
  write: WriteGate;
  /** Lets other requests (redirects above all) run between batches. */
  pause: () => Promise<void>;
};

/**
 * The reason of a row whose code turned out to be taken when its link was to be written: on the
 * default domain (`host` null), or on the added domain of that host (ADR 031).
 */
export function codeTakenReason(code: string, host: string | null = null): string {
  return `The code “${code}” is already taken${host === null ? '' : ` on ${host}`}; the existing link was kept.`;
}

/**
 * The storage contract of import and export, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface TransferStore {
  /**
   * Calls `onLink` for up to `limit` links after `afterId`, in id order, and returns how many
   * there were. The statement's iterator is used up before this returns: while one is open,
   * better-sqlite3 refuses every other statement on the connection, and the server has one.
   */
  forEachLinkAfter(afterId: number, limit: number, onLink: (link: Link) => void): Awaitable<number>;
  /** Notes a new import, whose rows are about to be staged. */
  startImport(id: string, created: number): Awaitable<void>;
  /** Stages rows of the file, numbered from `firstSeq`, in one transaction. */
  stageRows(id: string, firstSeq: number, rows: readonly StagedRow[]): Awaitable<void>;
  /**
   * Writes an import's staged links into urls, APPLY_BATCH per transaction with a pause between
   * them, so redirects go on while a large file is written. A code that exists on the row's
   * domain is skipped, and its row says so. All or nothing all the same: when a batch fails, the links of the batches
   * before are deleted again before the error is thrown on; if that fails too (the disk is
   * still full), the import stays 'applying' and undoUnfinishedImports finishes the undo at the
   * next start. Nothing else writes an import's rows meanwhile.
   */
  applyImport(id: string, steps: ApplySteps): Promise<void>;
  /** When and how far the import got, or null when it is unknown (or dropped). */
  findImport(id: string): Awaitable<{
    created: number;
    state: ImportState;
  } | null>;
  /** How many rows had each result. */
  importTotals(id: string): Awaitable<
    {
      result: ImportResult;
      count: number;
    }[]
  >;
  /** Up to `limit` rows of the report, those not created first, each group in file order. */
  shownRows(id: string, limit: number): Awaitable<ImportRowReport[]>;
  /** Calls `onRow` for up to `limit` report rows after row `afterSeq`; returns the last seq. */
  forEachReportRow(
    id: string,
    afterSeq: number,
    limit: number,
    onRow: (row: ImportRowReport) => void,
  ): Awaitable<number>;
  /**
   * Imports whose report is no longer kept: older than `before`, or done and not among the
   * `keep` newest. An import being written is never among them.
   */
  oldImports(before: number, keep: number): Awaitable<string[]>;
  /**
   * Deletes up to `limit` staged rows of an import; once none are left, the import itself.
   * Returns how many rows were deleted: fewer than `limit` means the import is gone.
   */
  dropImportBatch(id: string, limit: number): Awaitable<number>;
}
