import type { Db } from '../db/open-database.sqlite.js';
import type { Link } from '../links/link.js';
import {
  codeTakenReason,
  type ApplySteps,
  type ImportResult,
  type ImportRowReport,
  type ImportState,
  type ImportedLink,
  type StagedRow,
  type TransferStore,
} from './transfer-store.js';
import {
  DROP_IMPORT,
  DROP_IMPORT_ROWS,
  FIND_IMPORT,
  IMPORT_TOTALS,
  IMPORTED_COLUMN_LIST,
  IMPORTED_COLUMNS,
  IMPORTED_FIELDS,
  importedValues,
  stagedTags,
  INSERT_IMPORT,
  LINKS_AFTER,
  OLD_IMPORTS,
  REPORT_ROWS_AFTER,
  SHOWN_ROWS,
} from './transfer-sql.js';

/** `?, ?, …`: n positional parameters. */
function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Staged links written into urls per transaction on SQLite (a few milliseconds each). */
export const APPLY_BATCH = 1_000;

export type TransferRepository = ReturnType<typeof createTransferRepository>;

/** The SQL of import and export. Statements are prepared once. */
export function createTransferRepository(db: Db) {
  const page = db.prepare<[{ after: number; limit: number }], Link>(LINKS_AFTER.sqlite);
  const insertImport = db.prepare<[{ id: string; created: number }]>(INSERT_IMPORT.sqlite);
  const stage = db.prepare<unknown[]>(
    `INSERT INTO import_rows (import_id, seq, line, code, target, result, reason,
       ${IMPORTED_COLUMN_LIST}, tags)
     VALUES (${placeholders(8 + IMPORTED_COLUMNS.length)})`,
  );
  const stageAll = db.transaction((id: string, firstSeq: number, rows: readonly StagedRow[]) => {
    rows.forEach((row, index) => {
      stage.run(
        id,
        firstSeq + index,
        row.line,
        row.code,
        row.target,
        row.result,
        row.reason,
        ...importedValues(row.link),
        stagedTags(row.link),
      );
    });
  });

  const setApplying = db.prepare<[string]>(
    `UPDATE imports SET state = 'applying', applied_upto = 0 WHERE id = ?`,
  );
  const stagedLinks = db.prepare<[string, number, number], { seq: number } & ImportedLink>(
    `SELECT seq, code, target, ${IMPORTED_FIELDS}
     FROM import_rows WHERE import_id = ? AND seq > ? AND result = 'created'
     ORDER BY seq LIMIT ?`,
  );
  // A code that exists already on the row's domain is left as it is: an import never overwrites
  // a link. The domain is among the imported columns (domain_id NULL: the default domain).
  const insert = db.prepare<unknown[]>(
    `INSERT INTO urls (code, target, manage_token_hash, ${IMPORTED_COLUMN_LIST})
     VALUES (?, ?, NULL, ${placeholders(IMPORTED_COLUMNS.length)})
     ON CONFLICT (code, COALESCE(domain_id, 0)) DO NOTHING`,
  );
  // The tags of the links a batch created, after them in its transaction: each new tag stored
  // with the spelling of the first row that has it, then the links' tags in their order. Its own
  // text: SQLite reads the staged pairs with json_each, PostgreSQL with jsonb_array_elements.
  const insertTags = db.prepare<[string, number, number]>(
    `INSERT INTO tags (key, name, created)
     SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), r.created
     FROM import_rows r, json_each(r.tags) j
     WHERE r.import_id = ? AND r.seq > ? AND r.seq <= ? AND r.result = 'created'
       AND r.tags IS NOT NULL
     ORDER BY r.seq, j.key
     ON CONFLICT (key) DO NOTHING`,
  );
  const insertLinkTags = db.prepare<[string, number, number]>(
    `INSERT INTO link_tags (url_id, tag_id, position)
     SELECT u.id, t.id, j.key
     FROM import_rows r
       JOIN urls u ON u.code = r.code AND COALESCE(u.domain_id, 0) = COALESCE(r.domain_id, 0),
       json_each(r.tags) j
       JOIN tags t ON t.key = json_extract(j.value, '$[0]')
     WHERE r.import_id = ? AND r.seq > ? AND r.seq <= ? AND r.result = 'created'
       AND r.tags IS NOT NULL AND u.deleted_at IS NULL
     ON CONFLICT DO NOTHING`,
  );
  const hostOf = db.prepare<[number], string>('SELECT host FROM domains WHERE id = ?').pluck();
  const markSkipped = db.prepare<[string, string, number]>(
    `UPDATE import_rows SET result = 'skipped', reason = ? WHERE import_id = ? AND seq = ?`,
  );
  const setApplied = db.prepare<[string, number, string]>(
    `UPDATE imports SET state = ?, applied_upto = ? WHERE id = ?`,
  );
  /**
   * Writes the next batch of staged links and notes how far the import has got, in one
   * transaction; returns the last row written, or null when the import is done.
   */
  const applyBatch = db.transaction((id: string, after: number): number | null => {
    const links = stagedLinks.all(id, after, APPLY_BATCH);
    for (const link of links) {
      const { changes } = insert.run(link.code, link.target, ...importedValues(link));
      if (changes === 0) {
        const host = link.domainId == null ? null : (hostOf.get(link.domainId) ?? null);
        markSkipped.run(codeTakenReason(link.code, host), id, link.seq);
      }
    }
    const last = links.at(-1)?.seq ?? after;
    insertTags.run(id, after, last);
    insertLinkTags.run(id, after, last);
    const done = links.length < APPLY_BATCH;
    setApplied.run(done ? 'done' : 'applying', last, id);
    return done ? null : last;
  });

  const undo = prepareUndo(db);
  const dropRows = db.prepare<[{ id: string; limit: number }]>(DROP_IMPORT_ROWS.sqlite);
  const dropImportRow = db.prepare<[{ id: string }]>(DROP_IMPORT.sqlite);
  const findImport = db.prepare<[{ id: string }], { created: number; state: ImportState }>(
    FIND_IMPORT.sqlite,
  );
  const totals = db.prepare<[{ id: string }], { result: ImportResult; count: number }>(
    IMPORT_TOTALS.sqlite,
  );
  const shown = db.prepare<[{ id: string; limit: number }], ImportRowReport>(SHOWN_ROWS.sqlite);
  const reportPage = db.prepare<
    [{ id: string; after: number; limit: number }],
    ImportRowReport & { seq: number }
  >(REPORT_ROWS_AFTER.sqlite);
  const oldImports = db.prepare<[{ before: number; keep: number }], { id: string }>(
    OLD_IMPORTS.sqlite,
  );

  return {
    /**
     * Calls `onLink` for up to `limit` links after `afterId`, in id order, and returns how many
     * there were. The statement's iterator is used up before this returns: while one is open,
     * better-sqlite3 refuses every other statement on the connection, and the server has one.
     */
    forEachLinkAfter(afterId: number, limit: number, onLink: (link: Link) => void): number {
      let seen = 0;
      for (const link of page.iterate({ after: afterId, limit })) {
        onLink(link);
        seen += 1;
      }
      return seen;
    },

    /** Notes a new import, whose rows are about to be staged. */
    startImport(id: string, created: number): void {
      insertImport.run({ id, created });
    },

    /** Stages rows of the file, numbered from `firstSeq`, in one transaction. */
    stageRows(id: string, firstSeq: number, rows: readonly StagedRow[]): void {
      stageAll(id, firstSeq, rows);
    },

    /**
     * Writes an import's staged links into urls, APPLY_BATCH per transaction with a pause between
     * them, so redirects go on while a large file is written. A code that exists is skipped, and
     * its row says so. All or nothing all the same: when a batch fails, the links of the batches
     * before are deleted again before the error is thrown on; if that fails too (the disk is
     * still full), the import stays 'applying' and undoUnfinishedImports finishes the undo at the
     * next start. Nothing else writes an import's rows meanwhile.
     */
    async applyImport(id: string, steps: ApplySteps): Promise<void> {
      steps.write(() => setApplying.run(id));
      let after = 0;
      try {
        for (;;) {
          const next = steps.write(() => applyBatch(id, after));
          if (next === null) return;
          after = next;
          await steps.pause();
        }
      } catch (error) {
        try {
          while (after > 0) {
            after = steps.write(() => undo.batch(id, after, APPLY_BATCH));
            await steps.pause();
          }
          steps.write(() => setApplied.run('reading', 0, id));
        } catch {
          // Left 'applying': the next start undoes the rest.
        }
        throw error;
      }
    },

    /** When and how far the import got, or null when it is unknown (or dropped). */
    findImport(id: string): { created: number; state: ImportState } | null {
      return findImport.get({ id }) ?? null;
    },

    /** How many rows had each result. */
    importTotals(id: string): { result: ImportResult; count: number }[] {
      return totals.all({ id });
    },

    /** Up to `limit` rows of the report, those not created first, each group in file order. */
    shownRows(id: string, limit: number): ImportRowReport[] {
      return shown.all({ id, limit });
    },

    /** Calls `onRow` for up to `limit` report rows after row `afterSeq`; returns the last seq. */
    forEachReportRow(
      id: string,
      afterSeq: number,
      limit: number,
      onRow: (row: ImportRowReport) => void,
    ): number {
      let last = afterSeq;
      for (const { seq, ...row } of reportPage.all({ id, after: afterSeq, limit })) {
        onRow(row);
        last = seq;
      }
      return last;
    },

    /**
     * Imports whose report is no longer kept: older than `before`, or done and not among the
     * `keep` newest. An import being written is never among them.
     */
    oldImports(before: number, keep: number): string[] {
      return oldImports.all({ before, keep }).map((row) => row.id);
    },

    /**
     * Deletes up to `limit` staged rows of an import; once none are left, the import itself.
     * Returns how many rows were deleted: fewer than `limit` means the import is gone.
     */
    dropImportBatch(id: string, limit: number): number {
      const { changes } = dropRows.run({ id, limit });
      if (changes < limit) dropImportRow.run({ id });
      return changes;
    },
  };
}

/** The statements that take back what a failed import wrote, newest batch first. */
function prepareUndo(db: Db) {
  const lowerBound = db.prepare<[string, number, number], number>(
    `SELECT seq FROM import_rows WHERE import_id = ? AND seq <= ? AND result = 'created'
     ORDER BY seq DESC LIMIT 1 OFFSET ?`,
  );
  // Only rows still 'created' up to applied_upto: their links were inserted by this import. A
  // link is its code on its domain: the same code on another domain is not this import's.
  const deleteLinks = db.prepare<[string, number, number]>(
    `DELETE FROM urls WHERE id IN (SELECT u.id FROM import_rows r
       JOIN urls u ON u.code = r.code AND COALESCE(u.domain_id, 0) = COALESCE(r.domain_id, 0)
       WHERE r.import_id = ? AND r.seq > ? AND r.seq <= ? AND r.result = 'created')`,
  );
  const setUpto = db.prepare<[number, string]>(`UPDATE imports SET applied_upto = ? WHERE id = ?`);
  return {
    /** Deletes the links of up to `limit` created rows up to `upto`; returns where it stopped. */
    batch: db.transaction((id: string, upto: number, limit: number): number => {
      const lower = (lowerBound.pluck().get(id, upto, limit) as number | undefined) ?? 0;
      deleteLinks.run(id, lower, upto);
      setUpto.run(lower, id);
      return lower;
    }),
  };
}

/**
 * Run once at start, before snip serves: an import that a crash (or a failed undo) left
 * 'applying' has part of its links in urls; they are deleted, so a file is never left half in.
 * Imports left 'reading' never wrote a link. Both are dropped with their rows. Returns how many
 * links were deleted.
 */
export function undoUnfinishedImports(db: Db): number {
  const unfinished = db
    .prepare<[], { id: string; appliedUpto: number }>(
      `SELECT id, applied_upto AS appliedUpto FROM imports WHERE state <> 'done'`,
    )
    .all();
  if (unfinished.length === 0) return 0;
  const undo = prepareUndo(db);
  const dropRows = db.prepare<[string]>(`DELETE FROM import_rows WHERE import_id = ?`);
  const dropImport = db.prepare<[string]>(`DELETE FROM imports WHERE id = ?`);
  const before = db.prepare('SELECT count(*) FROM urls').pluck();
  const count = before.get() as number;
  db.transaction(() => {
    for (const { id, appliedUpto } of unfinished) {
      if (appliedUpto > 0) undo.batch(id, appliedUpto, Number.MAX_SAFE_INTEGER);
      dropRows.run(id);
      dropImport.run(id);
    }
  })();
  return count - (before.get() as number);
}

createTransferRepository satisfies (db: Db) => TransferStore;
