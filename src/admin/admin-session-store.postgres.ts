import type pg from 'pg';
import type { AdminSessionStore } from './admin-session-store.js';

/**
 * The PostgreSQL twin of admin-session-store.sqlite.ts, with the same methods and results; a
 * session is stored as its hash only. Give it a pool from createPostgresPool, which reads BIGINT
 * as a JavaScript number.
 */

type AdminSession = { idHash: Buffer; created: number; lastSeen: number };

const INSERT = 'INSERT INTO admin_sessions (id_hash, created, last_seen) VALUES ($1, $2, $2)';
const BY_HASH = `SELECT id_hash AS "idHash", created, last_seen AS "lastSeen"
  FROM admin_sessions WHERE id_hash = $1`;
const TOUCH = 'UPDATE admin_sessions SET last_seen = $1 WHERE id_hash = $2';
const REMOVE = 'DELETE FROM admin_sessions WHERE id_hash = $1';
const REMOVE_ENDED = 'DELETE FROM admin_sessions WHERE last_seen < $1 OR created < $2';
const REMOVE_ALL = 'DELETE FROM admin_sessions';

export function createPostgresAdminSessionRepository(pool: pg.Pool) {
  return {
    async insertSession(hash: Buffer, now: number): Promise<void> {
      await pool.query(INSERT, [hash, now]);
    },
    async findSession(hash: Buffer): Promise<AdminSession | null> {
      const { rows } = await pool.query<AdminSession>(BY_HASH, [hash]);
      return rows[0] ?? null;
    },
    async touchSession(hash: Buffer, now: number): Promise<void> {
      await pool.query(TOUCH, [now, hash]);
    },
    async deleteSession(hash: Buffer): Promise<void> {
      await pool.query(REMOVE, [hash]);
    },
    async deleteEndedSessions(idleBefore: number, createdBefore: number): Promise<void> {
      await pool.query(REMOVE_ENDED, [idleBefore, createdBefore]);
    },
    async deleteAllSessions(): Promise<number> {
      const { rowCount } = await pool.query(REMOVE_ALL);
      return rowCount ?? 0;
    },
  };
}

createPostgresAdminSessionRepository satisfies (pool: pg.Pool) => AdminSessionStore;
