import type { AbuseRepository } from '../abuse/abuse-repository.js';
import type { AdminSessionRepository } from '../admin/admin-session-repository.js';
import type { HealthRepository } from '../health/health-repository.js';
import type { KeyRepository } from '../keys/key-repository.js';
import type { LinkRepository } from '../links/link-repository.js';
import type { VisitRepository } from '../stats/visit-repository.js';
import type { TransferRepository } from '../transfer/transfer-repository.js';
import type { Response } from 'express';
import type { Limiter, RateLimitRule } from '../http/rate-limits.js';
import type { DatabaseFileCheck } from './database-file.js';
import type { WriteGate } from './write-gate.js';

/** A value now (SQLite answers synchronously) or later (PostgreSQL answers over the network). */
export type Awaitable<T> = T | Promise<T>;

/**
 * A repository's methods with results that may come later. The SQLite repositories are written
 * synchronously and satisfy this as they are, so their hot paths (the redirect lookup, the visit
 * flush) stay one prepared statement with no promise in between; the PostgreSQL ones return
 * promises. Callers await every call (ADR 017).
 */
export type Async<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Awaitable<T> : R[K];
};

export type LinkStore = Async<LinkRepository>;
export type VisitStore = Async<VisitRepository>;
export type KeyStore = Async<KeyRepository>;
export type AbuseStore = Async<AbuseRepository>;
export type AdminSessionStore = Async<AdminSessionRepository>;
export type HealthStore = Async<HealthRepository>;
/**
 * Import and export. `forEachLinkAfter` hands every link of the page to `onLink` before it
 * settles; `insertLinks` writes all or nothing.
 */
export type TransferStore = Async<TransferRepository>;

/** The one seam between snip and its database: every query goes through one of these. */
export type Store = {
  engine: 'sqlite' | 'postgres';
  links: LinkStore;
  visits: VisitStore;
  keys: KeyStore;
  abuse: AbuseStore;
  adminSessions: AdminSessionStore;
  health: HealthStore;
  transfer: TransferStore;
  /** Runs each write of a request: refuses it when storage cannot take it. */
  write: WriteGate;
  /** What is wrong with the storage under the database (SQLite's file), or null. */
  storageProblem: DatabaseFileCheck;
  /** A rate limit whose counters every machine on this database shares. */
  limiter: (name: string, rule: RateLimitRule) => Limiter;
  /** Sends a copy of the database as a download; null where the engine has its own tools. */
  sendBackup: ((res: Response) => Promise<void>) | null;
  /**
   * How long a value read once (a redirect row, the blocklist) may be served without reading it
   * again: for ever on one machine, which sees every change; briefly where others may write.
   */
  cacheTtlMs: number;
};
