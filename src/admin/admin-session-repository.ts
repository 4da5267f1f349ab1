import type { Db } from '../db/open-database.js';

export type AdminSessionRepository = ReturnType<typeof createAdminSessionRepository>;

/** The only place that speaks SQL about admin sessions; a session is stored as its hash only. */
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
  const removeIdle = db.prepare<[number]>('DELETE FROM admin_sessions WHERE last_seen < ?');

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
    deleteSessionsIdleSince(before: number): void {
      removeIdle.run(before);
    },
  };
}
