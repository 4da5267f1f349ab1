import type { AbuseStore } from '../abuse/abuse-store.js';
import type { AdminSessionStore } from '../admin/admin-session-store.js';
import type { HealthStore } from '../health/health-store.js';
import type { KeyStore } from '../keys/key-store.js';
import type { LinkStore } from '../links/link-store.js';
import type { VisitStore } from '../stats/visit-store.js';
import type { TransferStore } from '../transfer/transfer-store.js';
import type { Response } from 'express';
import type { Limiter, RateLimitRule } from '../http/rate-limits.js';
import type { DatabaseFileCheck } from './database-file.js';
import type { WriteGate } from './write-gate.js';

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
