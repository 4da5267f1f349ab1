import type { AbuseStore } from '../abuse/abuse-store.js';
import type { AdminSessionStore } from '../admin/admin-session-store.js';
import type { HealthStore } from '../health/health-store.js';
import type { KeyStore } from '../keys/key-store.js';
import type { LinkStore } from '../links/link-store.js';
import type { TagStore } from '../links/tag-store.js';
import type { DomainStore } from '../domains/domain-store.js';
import type { VisitStore } from '../stats/visit-store.js';
import type { TransferStore } from '../transfer/transfer-store.js';
import type { DatabaseFileCheck } from '../db/database-file.js';
import type { WriteGate } from '../db/write-gate.js';

/** The one seam between snip and its database: every query goes through one of these. */
export type Store = {
  engine: 'sqlite' | 'postgres';
  links: LinkStore;
  tags: TagStore;
  domains: DomainStore;
  visits: VisitStore;
  keys: KeyStore;
  abuse: AbuseStore;
  adminSessions: AdminSessionStore;
  health: HealthStore;
  transfer: TransferStore;
  /** Runs each write of a request: refuses it when storage cannot take it. */
  write: WriteGate;
  /**
   * Why the storage under the database cannot take writes (SQLite's file gone, replaced or
   * read-only, its disk full), or null: what /healthz's `database.writable` says.
   */
  storageProblem: DatabaseFileCheck;
  /**
   * Writes a consistent copy of the database to `backups/` and resolves with its path, or with
   * null when there is no file to copy (an in-memory database); null where the engine has its
   * own tools. Sending it over HTTP is the admin's business (src/admin/backup-download.ts).
   */
  writeBackup: (() => Promise<string | null>) | null;
  /**
   * How long a value read once (a redirect row, the blocklist) may be served without reading it
   * again: for ever on one machine, which sees every change; briefly where others may write.
   */
  cacheTtlMs: number;
};
