import type { Db } from '../db/open-database.sqlite.js';
import {
  DELETE_ALL_SESSIONS,
  DELETE_ENDED_SESSIONS,
  DELETE_SESSION,
  INSERT_SESSION,
  SESSION_BY_HASH,
  TOUCH_SESSION,
} from './admin-session-sql.js';
import type { AdminSessionStore } from './admin-session-store.js';

export type AdminSessionRepository = ReturnType<typeof createAdminSessionRepository>;

/**
 * The only place that speaks SQL about admin sessions; a session is stored as a hash of its id
 * only (keyed by the admin password: see admin-auth.ts).
 */
export function createAdminSessionRepository(db: Db) {
  const insert = db.prepare(INSERT_SESSION.sqlite);
  const byHash = db.prepare<
    [{ hash: Buffer }],
    { idHash: Buffer; created: number; lastSeen: number }
  >(SESSION_BY_HASH.sqlite);
  const touch = db.prepare(TOUCH_SESSION.sqlite);
  const remove = db.prepare(DELETE_SESSION.sqlite);
  const removeEnded = db.prepare(DELETE_ENDED_SESSIONS.sqlite);
  const removeAll = db.prepare(DELETE_ALL_SESSIONS.sqlite);

  return {
    insertSession(hash: Buffer, now: number): void {
      insert.run({ hash, now });
    },
    findSession(hash: Buffer) {
      return byHash.get({ hash }) ?? null;
    },
    touchSession(hash: Buffer, now: number): void {
      touch.run({ now, hash });
    },
    deleteSession(hash: Buffer): void {
      remove.run({ hash });
    },
    /** Deletes the sessions last seen before `idleBefore` or made before `createdBefore`. */
    deleteEndedSessions(idleBefore: number, createdBefore: number): void {
      removeEnded.run({ idleBefore, createdBefore });
    },
    /** Ends every session; how many there were. */
    deleteAllSessions(): number {
      return removeAll.run().changes;
    },
  };
}

createAdminSessionRepository satisfies (db: Db) => AdminSessionStore;
