import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import {
  DELETE_ALL_SESSIONS,
  DELETE_ENDED_SESSIONS,
  DELETE_SESSION,
  INSERT_SESSION,
  SESSION_BY_HASH,
  TOUCH_SESSION,
} from './admin-session-sql.js';
import type { AdminSessionStore } from './admin-session-store.js';

/**
 * The PostgreSQL twin of admin-session-store.sqlite.ts, with the same methods and results; a
 * session is stored as its hash only. Give it a pool from createPostgresPool, which reads BIGINT
 * as a JavaScript number.
 */

type AdminSession = { idHash: Buffer; created: number; lastSeen: number };

export function createPostgresAdminSessionRepository(pool: pg.Pool) {
  return {
    async insertSession(hash: Buffer, now: number): Promise<void> {
      await pool.query(postgresQuery(INSERT_SESSION, { hash, now }));
    },
    async findSession(hash: Buffer): Promise<AdminSession | null> {
      const { rows } = await pool.query<AdminSession>(postgresQuery(SESSION_BY_HASH, { hash }));
      return rows[0] ?? null;
    },
    async touchSession(hash: Buffer, now: number): Promise<void> {
      await pool.query(postgresQuery(TOUCH_SESSION, { now, hash }));
    },
    async deleteSession(hash: Buffer): Promise<void> {
      await pool.query(postgresQuery(DELETE_SESSION, { hash }));
    },
    async deleteEndedSessions(idleBefore: number, createdBefore: number): Promise<void> {
      await pool.query(postgresQuery(DELETE_ENDED_SESSIONS, { idleBefore, createdBefore }));
    },
    async deleteAllSessions(): Promise<number> {
      const { rowCount } = await pool.query(DELETE_ALL_SESSIONS.postgres);
      return rowCount ?? 0;
    },
  };
}

createPostgresAdminSessionRepository satisfies (pool: pg.Pool) => AdminSessionStore;
