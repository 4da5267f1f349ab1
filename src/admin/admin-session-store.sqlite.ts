import type { Db } from '../db/open-database.sqlite.js';
import type { AdminSessionStore } from './admin-session-store.js';

export type AdminSessionRepository = ReturnType<typeof createAdminSessionRepository>;

/**
 * The only place that speaks SQL about admin sessions; a session is stored as a hash of its id
 * only (keyed by the admin password: see admin-auth.ts).
 */
export function createAdminSessionRepository(db: Db) {
  const insert = db.prepare<[Buffer, number, number]>(
    'INSERT INTO admin_sessions (id_hash, created, last_seen) VALUES (?, ?, ?)',
  );
  const byHash = db.prepare<[Buffer], { idHash: Buffer; created: number; lastSeen: number }>(
    'SELECT id_hash AS idHash, created, last_seen AS lastSeen FROM admin_sessions WHERE id_hash = ?',
  );
  const touch = db.prepare<[number, Buffer]>(
    'UPDATE admin_sessions SET last_seen = ? WHERE id_hash = ?',
  );
  const remove = db.prepare<[Buffer]>('DELETE FROM admin_sessions WHERE id_hash = ?');
  const removeEnded = db.prepare<[number, number]>(
    'DELETE FROM admin_sessions WHERE last_seen < ? OR created < ?',
  );
  const removeAll = db.prepare('DELETE FROM admin_sessions');

  return {
    insertSession(hash: Buffer, now: number): void {
      insert.run(hash, now, now);
    },
    findSession(hash: Buffer) {
      return byHash.get(hash) ?? null;
    },
    touchSession(hash: Buffer, now: number): void {
      touch.run(now, hash);
    },
    deleteSession(hash: Buffer): void {
      remove.run(hash);
    },
    /** Deletes the sessions last seen before `idleBefore` or made before `createdBefore`. */
    deleteEndedSessions(idleBefore: number, createdBefore: number): void {
      removeEnded.run(idleBefore, createdBefore);
    },
    /** Ends every session; how many there were. */
    deleteAllSessions(): number {
      return removeAll.run().changes;
    },
  };
}

createAdminSessionRepository satisfies (db: Db) => AdminSessionStore;
