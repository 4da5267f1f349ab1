import { sqlText } from '../db/sql-text.js';

/**
 * The SQL both engines' admin session stores run, written once with named parameters (see
 * db/sql-text.ts). Aliases are quoted: PostgreSQL folds unquoted names to lower case.
 */

export const INSERT_SESSION = sqlText(
  'INSERT INTO admin_sessions (id_hash, created, last_seen) VALUES (:hash, :now, :now)',
);
export const SESSION_BY_HASH = sqlText(
  `SELECT id_hash AS "idHash", created, last_seen AS "lastSeen"
   FROM admin_sessions WHERE id_hash = :hash`,
);
export const TOUCH_SESSION = sqlText(
  'UPDATE admin_sessions SET last_seen = :now WHERE id_hash = :hash',
);
export const DELETE_SESSION = sqlText('DELETE FROM admin_sessions WHERE id_hash = :hash');
export const DELETE_ENDED_SESSIONS = sqlText(
  'DELETE FROM admin_sessions WHERE last_seen < :idleBefore OR created < :createdBefore',
);
export const DELETE_ALL_SESSIONS = sqlText('DELETE FROM admin_sessions');
