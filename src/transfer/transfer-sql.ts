import { sqlText } from '../db/sql-text.js';
import { LINK_FIELDS, OPTION_COLUMNS } from '../links/link-sql.js';
import { tagKey } from '../links/tags.js';
import type { ImportedLink } from './transfer-store.js';

/**
 * The SQL both engines' transfer stores run, written once with named parameters (see
 * db/sql-text.ts). Staging and applying an import differ by engine (PostgreSQL writes a whole
 * range in one statement from arrays, SQLite a row at a time in short transactions): those have
 * a text in each engine's file. PostgreSQL's BIGINT counts and line numbers come back as numbers
 * from a pool made by createPostgresPool, as SQLite's do.
 */

const REPORT_COLUMNS = 'line, code, target, result, reason';

type ImportedColumn = { name: keyof ImportedLink; column: string; sqlType: string };

/**
 * What an import writes of a link besides its code and target: the column in `urls` and in
 * `import_rows` (the same name in both), the link's field, and the column's PostgreSQL type.
 * The options come from their catalogue, so a new option is staged and applied with no change
 * here.
 */
export const IMPORTED_COLUMNS: readonly ImportedColumn[] = [
  // The link's domain: null for the default domain (ADR 031).
  { name: 'domainId', column: 'domain_id', sqlType: 'bigint' },
  { name: 'created', column: 'created', sqlType: 'bigint' },
  { name: 'updated', column: 'updated', sqlType: 'bigint' },
  ...OPTION_COLUMNS,
  { name: 'visits', column: 'visits', sqlType: 'bigint' },
  { name: 'lastVisit', column: 'last_visit', sqlType: 'bigint' },
  { name: 'disabledAt', column: 'disabled_at', sqlType: 'bigint' },
  { name: 'bannedAt', column: 'banned_at', sqlType: 'bigint' },
  { name: 'banReason', column: 'ban_reason', sqlType: 'text' },
  { name: 'deletedAt', column: 'deleted_at', sqlType: 'bigint' },
];
/** The imported columns, comma-separated. */
export const IMPORTED_COLUMN_LIST = IMPORTED_COLUMNS.map((c) => c.column).join(', ');
/** The imported columns under the names of their fields (quoted: PostgreSQL folds case). */
export const IMPORTED_FIELDS = IMPORTED_COLUMNS.map((c) => `${c.column} AS "${c.name}"`).join(', ');

/** An imported link's values in the order of IMPORTED_COLUMNS; nulls for a row not to create. */
export function importedValues(link: ImportedLink | null): unknown[] {
  return IMPORTED_COLUMNS.map((c) => link?.[c.name] ?? null);
}

/** A page of the export, in the order of the ids. */
export const LINKS_AFTER = sqlText(
  `SELECT ${LINK_FIELDS} FROM urls WHERE id > :after ORDER BY id LIMIT :limit`,
);
export const INSERT_IMPORT = sqlText(
  `INSERT INTO imports (id, created, state) VALUES (:id, :created, 'reading')`,
);
export const FIND_IMPORT = sqlText('SELECT created, state FROM imports WHERE id = :id');
export const IMPORT_TOTALS = sqlText(
  'SELECT result, count(*) AS count FROM import_rows WHERE import_id = :id GROUP BY result',
);
// The rows a person reads first: those not created, then the created ones, each in file order.
export const SHOWN_ROWS = sqlText(
  `SELECT ${REPORT_COLUMNS} FROM import_rows WHERE import_id = :id
   ORDER BY result = 'created', seq LIMIT :limit`,
);
export const REPORT_ROWS_AFTER = sqlText(
  `SELECT seq, ${REPORT_COLUMNS} FROM import_rows WHERE import_id = :id AND seq > :after
   ORDER BY seq LIMIT :limit`,
);
export const OLD_IMPORTS = sqlText(
  `SELECT id FROM imports WHERE state <> 'applying' AND (created < :before OR (state = 'done'
     AND id NOT IN (SELECT id FROM imports WHERE state = 'done'
       ORDER BY created DESC, id LIMIT :keep)))`,
);
export const DROP_IMPORT_ROWS = sqlText(
  `DELETE FROM import_rows WHERE import_id = :id AND seq IN
     (SELECT seq FROM import_rows WHERE import_id = :id ORDER BY seq LIMIT :limit)`,
);
export const DROP_IMPORT = sqlText('DELETE FROM imports WHERE id = :id');

/**
 * A staged link's tags in `import_rows.tags`: a JSON array of [key, name] pairs, so that SQL can
 * match tags by key (which SQL cannot compute: NFC and Unicode lower case) and store a new one
 * with its name. Null for none.
 */
export function stagedTags(link: ImportedLink | null): string | null {
  const tags = link?.tags ?? [];
  return tags.length === 0 ? null : JSON.stringify(tags.map((name) => [tagKey(name), name]));
}
