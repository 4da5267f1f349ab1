import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import { inTransaction } from '../db/transaction.postgres.js';
import {
  DROP_IMPORT,
  DROP_IMPORT_ROWS,
  FIND_IMPORT,
  IMPORT_TOTALS,
  IMPORTED_COLUMN_LIST,
  IMPORTED_COLUMNS,
  importedValues,
  stagedTags,
  INSERT_IMPORT,
  LINKS_AFTER,
  OLD_IMPORTS,
  REPORT_ROWS_AFTER,
  SHOWN_ROWS,
} from './transfer-sql.js';
import {
  codeTakenReason,
  type ApplySteps,
  type ImportResult,
  type ImportRowReport,
  type ImportState,
  type StagedRow,
  type TransferStore,
} from './transfer-store.js';
import { DEFAULT_DOMAIN_KEY, type Link } from '../links/link.js';

/**
 * The PostgreSQL twin of transfer-store.sqlite.ts, with the same methods and results. Give it a
 * pool from createPostgresPool, which reads BIGINT as a JavaScript number.
 */

/** Staged rows written per statement of the apply: one statement's worth of a transaction. */
export const INSERT_CHUNK = 5_000;

/** The first parameter is the import's id; each column of the rows is an array after it. */
const STAGED_COLUMNS = [
  { column: 'seq', sqlType: 'bigint' },
  { column: 'line', sqlType: 'bigint' },
  { column: 'code', sqlType: 'text' },
  { column: 'target', sqlType: 'text' },
  { column: 'result', sqlType: 'text' },
  { column: 'reason', sqlType: 'text' },
  ...IMPORTED_COLUMNS,
  { column: 'tags', sqlType: 'text' },
];

/** Rows of a file, a column per array. */
const STAGE = `INSERT INTO import_rows (import_id, ${STAGED_COLUMNS.map((c) => c.column).join(', ')})
  SELECT $1, * FROM unnest(${STAGED_COLUMNS.map((c, i) => `$${i + 2}::${c.sqlType}[]`).join(', ')})`;

/**
 * A range of staged rows into urls, in one statement. The first row of each code on each domain
 * in the range is inserted (a later one is taken by it); a code that exists already on its
 * domain is left as it is (an import never overwrites a link). RETURNING names the links that
 * were inserted, by their domain key (ADR 031) and code.
 */
const APPLY = `INSERT INTO urls (code, target, manage_token_hash, ${IMPORTED_COLUMN_LIST})
  SELECT code, target, NULL, ${IMPORTED_COLUMN_LIST}
  FROM (SELECT DISTINCT ON (code, COALESCE(domain_id, 0)) * FROM import_rows
    WHERE import_id = $1 AND seq > $2 AND seq <= $3 AND result = 'created'
    ORDER BY code, COALESCE(domain_id, 0), seq) AS firsts
  ORDER BY seq
  ON CONFLICT (code, (COALESCE(domain_id, 0))) DO NOTHING
  RETURNING COALESCE(domain_id, 0) AS "domainKey", code`;

/** The rows to create of a range, to tell which were not (a few thousand short rows). */
const TO_CREATE = `SELECT seq, COALESCE(domain_id, 0) AS "domainKey", code FROM import_rows
  WHERE import_id = $1 AND seq > $2 AND seq <= $3 AND result = 'created' ORDER BY seq`;

/** A link's key within an import: its domain key and code (a code holds no `/`). */
function linkKey(row: { domainKey: number; code: string }): string {
  return `${row.domainKey}/${row.code}`;
}

/**
 * The tags of the links a range created, after them in its transaction: each new tag stored with
 * the spelling of the first row that has it, then the links' tags in their order (SQLite's twin
 * reads the staged pairs with json_each).
 */
const INSERT_TAGS = `INSERT INTO tags (key, name, created)
  SELECT j.value->>0, j.value->>1, r.created
  FROM import_rows r CROSS JOIN LATERAL jsonb_array_elements(r.tags::jsonb) WITH ORDINALITY AS j(value, n)
  WHERE r.import_id = $1 AND r.seq > $2 AND r.seq <= $3 AND r.result = 'created'
    AND r.tags IS NOT NULL
  ORDER BY r.seq, j.n
  ON CONFLICT (key) DO NOTHING`;
const INSERT_LINK_TAGS = `INSERT INTO link_tags (url_id, tag_id, position)
  SELECT u.id, t.id, j.n - 1
  FROM import_rows r
    JOIN urls u ON u.code = r.code AND COALESCE(u.domain_id, 0) = COALESCE(r.domain_id, 0)
    CROSS JOIN LATERAL jsonb_array_elements(r.tags::jsonb) WITH ORDINALITY AS j(value, n)
    JOIN tags t ON t.key = j.value->>0
  WHERE r.import_id = $1 AND r.seq > $2 AND r.seq <= $3 AND r.result = 'created'
    AND r.tags IS NOT NULL AND u.deleted_at IS NULL
  ON CONFLICT DO NOTHING`;

/** Marks rows skipped, each with its reason: `$2` their seqs, `$3` the reasons. */
const SKIP = `UPDATE import_rows SET result = 'skipped', reason = skips.reason
  FROM unnest($2::bigint[], $3::text[]) AS skips(seq, reason)
  WHERE import_rows.import_id = $1 AND import_rows.seq = skips.seq`;

function columnsOf(firstSeq: number, rows: readonly StagedRow[]): unknown[][] {
  const values = rows.map((row) => importedValues(row.link));
  return [
    rows.map((_, index) => firstSeq + index),
    rows.map((row) => row.line),
    rows.map((row) => row.code),
    rows.map((row) => row.target),
    rows.map((row) => row.result),
    rows.map((row) => row.reason),
    ...IMPORTED_COLUMNS.map((_, column) => values.map((row) => row[column])),
    rows.map((row) => stagedTags(row.link)),
  ];
}

export function createPostgresTransferRepository(pool: pg.Pool) {
  return {
    /**
     * Calls `onLink` for up to `limit` links after `afterId`, in id order, and returns how many
     * there were; every call is made before the promise settles.
     */
    async forEachLinkAfter(
      afterId: number,
      limit: number,
      onLink: (link: Link) => void,
    ): Promise<number> {
      const { rows } = await pool.query<Link>(
        postgresQuery(LINKS_AFTER, { after: afterId, limit }),
      );
      for (const link of rows) onLink(link);
      return rows.length;
    },

    async startImport(id: string, created: number): Promise<void> {
      await pool.query(postgresQuery(INSERT_IMPORT, { id, created }));
    },

    async stageRows(id: string, firstSeq: number, rows: readonly StagedRow[]): Promise<void> {
      if (rows.length === 0) return;
      await pool.query(STAGE, [id, ...columnsOf(firstSeq, rows)]);
    },

    /**
     * Writes an import's staged links into urls in one transaction, INSERT_CHUNK rows per
     * statement: all or none, and no other connection waits for it (only a creation of one of
     * its codes, until it commits). The event loop is free between statements.
     */
    async applyImport(id: string, _steps: ApplySteps): Promise<void> {
      await inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ last: number | null }>(
          'SELECT max(seq) AS last FROM import_rows WHERE import_id = $1',
          [id],
        );
        const last = rows[0]?.last ?? 0;
        // The hosts of the domains, to name the one a skipped row's code is taken on.
        const hosts = new Map(
          (
            await client.query<{ id: number; host: string }>('SELECT id, host FROM domains')
          ).rows.map((domain) => [domain.id, domain.host]),
        );
        for (let after = 0; after < last; after += INSERT_CHUNK) {
          const range = [id, after, after + INSERT_CHUNK];
          type Row = { domainKey: number; code: string };
          const toCreate = await client.query<Row & { seq: number }>(TO_CREATE, range);
          const { rows: inserted } = await client.query<Row>(APPLY, range);
          // The first row of each inserted link (code on its domain) is the one that created
          // it; every other was skipped (taken before the import, or by an earlier row).
          const creators = new Set<number>();
          const firstOf = new Map<string, number>();
          for (const row of toCreate.rows) {
            if (!firstOf.has(linkKey(row))) firstOf.set(linkKey(row), row.seq);
          }
          for (const row of inserted) creators.add(firstOf.get(linkKey(row))!);
          const skipped = toCreate.rows.filter((row) => !creators.has(row.seq));
          if (skipped.length > 0) {
            await client.query(SKIP, [
              id,
              skipped.map((row) => row.seq),
              skipped.map((row) =>
                codeTakenReason(
                  row.code,
                  row.domainKey === DEFAULT_DOMAIN_KEY ? null : (hosts.get(row.domainKey) ?? null),
                ),
              ),
            ]);
          }
          await client.query(INSERT_TAGS, range);
          await client.query(INSERT_LINK_TAGS, range);
        }
        await client.query(`UPDATE imports SET state = 'done', applied_upto = $2 WHERE id = $1`, [
          id,
          last,
        ]);
      });
    },

    async findImport(id: string): Promise<{ created: number; state: ImportState } | null> {
      const { rows } = await pool.query<{ created: number; state: ImportState }>(
        postgresQuery(FIND_IMPORT, { id }),
      );
      return rows[0] ?? null;
    },

    async importTotals(id: string): Promise<{ result: ImportResult; count: number }[]> {
      const { rows } = await pool.query<{ result: ImportResult; count: number }>(
        postgresQuery(IMPORT_TOTALS, { id }),
      );
      return rows;
    },

    async shownRows(id: string, limit: number): Promise<ImportRowReport[]> {
      const { rows } = await pool.query<ImportRowReport>(postgresQuery(SHOWN_ROWS, { id, limit }));
      return rows;
    },

    async forEachReportRow(
      id: string,
      afterSeq: number,
      limit: number,
      onRow: (row: ImportRowReport) => void,
    ): Promise<number> {
      const { rows } = await pool.query<ImportRowReport & { seq: number }>(
        postgresQuery(REPORT_ROWS_AFTER, { id, after: afterSeq, limit }),
      );
      let last = afterSeq;
      for (const { seq, ...row } of rows) {
        onRow(row);
        last = seq;
      }
      return last;
    },

    async oldImports(before: number, keep: number): Promise<string[]> {
      const { rows } = await pool.query<{ id: string }>(
        postgresQuery(OLD_IMPORTS, { before, keep }),
      );
      return rows.map((row) => row.id);
    },

    async dropImportBatch(id: string, limit: number): Promise<number> {
      const { rowCount } = await pool.query(postgresQuery(DROP_IMPORT_ROWS, { id, limit }));
      const changes = rowCount ?? 0;
      if (changes < limit) await pool.query(postgresQuery(DROP_IMPORT, { id }));
      return changes;
    },
  };
}

createPostgresTransferRepository satisfies (pool: pg.Pool) => TransferStore;
