import { sqlText } from '../db/sql-text.js';
import { LINK_FIELDS } from '../links/link-sql.js';

/**
 * The SQL both engines' transfer stores run, written once with named parameters (see
 * db/sql-text.ts). Staging and applying an import differ by engine (PostgreSQL writes a whole
 * range in one statement from arrays, SQLite a row at a time in short transactions), and so do
 * the reports' numbers (PostgreSQL's COUNT is a bigint): those have a text in each engine's file.
 */

/** A page of the export, in the order of the ids. */
export const LINKS_AFTER = sqlText(
  `SELECT ${LINK_FIELDS} FROM urls WHERE id > :after ORDER BY id LIMIT :limit`,
);
export const INSERT_IMPORT = sqlText(
  `INSERT INTO imports (id, created, state) VALUES (:id, :created, 'reading')`,
);
export const FIND_IMPORT = sqlText('SELECT created, state FROM imports WHERE id = :id');
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
