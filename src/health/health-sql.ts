import { sqlText } from '../db/sql-text.js';

/** The health check's one statement, the same on both engines (see db/sql-text.ts). */
export const PING = sqlText('SELECT 1 AS ok');
