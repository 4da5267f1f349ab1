import type { Awaitable } from '../db/awaitable.js';

/**
 * The storage contract of admin sessions, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface AdminSessionStore {
  insertSession(hash: Buffer, now: number): Awaitable<void>;
  findSession(hash: Buffer): Awaitable<{
    idHash: Buffer;
    created: number;
    lastSeen: number;
  } | null>;
  touchSession(hash: Buffer, now: number): Awaitable<void>;
  deleteSession(hash: Buffer): Awaitable<void>;
  /** Deletes the sessions last seen before `idleBefore` or made before `createdBefore`. */
  deleteEndedSessions(idleBefore: number, createdBefore: number): Awaitable<void>;
  /** Ends every session; how many there were. */
  deleteAllSessions(): Awaitable<number>;
}
