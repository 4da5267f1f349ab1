import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MigrationStatus } from '../db/migrations.js';
import type { KeyStore } from '../keys/key-store.js';
import type { RedirectCache } from '../links/redirect-cache.js';
import type { DatabaseRuntime } from './runtime.js';
import type { CopyDatabase } from './store-copy.js';

/** Why a command that needs the schema as it is now refuses to go on. */
export const PENDING_MIGRATIONS =
  'the database has pending migrations; run `npm run migrate -- up` first';

/**
 * Where snip's data is, as the server's configuration says it and a command reads it from the
 * environment: DATABASE_URL, the SQLite file it names (null for PostgreSQL), and on PostgreSQL
 * the direct URL for locks and migrations (a pooler's cannot hold them). On SQLite, who
 * checkpoints the WAL: every connection snip opens leaves it to Litestream while it replicates.
 */
export type StorageConfig = Pick<
  Config,
  'databaseUrl' | 'databaseFile' | 'databaseDirectUrl' | 'walCheckpoints'
>;

/**
 * snip's storage on one engine, opened for what an entry point needs and nothing more: the
 * server its runtime, each command what it works on. Nothing is opened until asked.
 */
export interface Storage {
  /**
   * The server's: the store, opened once, its migrations checked; on PostgreSQL the LISTEN
   * connection that clears `redirectCache` when another machine changes a link. Rejects with a
   * StartupError for what the operator can fix.
   */
  openRuntime(
    config: Config,
    deps: { logger: Logger; redirectCache: RedirectCache },
  ): Promise<DatabaseRuntime>;
  /**
   * The keys command's: the API keys, refused (with a message for the operator) while the
   * database is missing or its migrations are pending. One connection, no LISTEN.
   */
  openKeys(): Promise<{ keys: KeyStore; close(): Promise<void> }>;
  /**
   * The migrate command's: the migrations in `dir` (SQLite) or in its `postgres/` twin, on a
   * database as it is, before they are applied.
   */
  migrations(dir: string): StorageMigrations;
  /**
   * The backup command's: a consistent copy beside the database, safe while the server runs;
   * resolves with its path. Refused on PostgreSQL, which its own tools back up.
   */
  backUp(label: string): Promise<string>;
  /**
   * The copy-store command's: this database as the source or the target of a copy
   * (store-copy.ts). Opens nothing until used, and never creates an SQLite file.
   */
  openCopy(): Promise<CopyDatabase>;
}

/** Each `report` call is one line for the person running the command. */
export interface StorageMigrations {
  /** Every migration and whether it is applied; never creates a database. */
  status(): Promise<MigrationStatus[]>;
  /**
   * Applies what is pending. SQLite writes a snapshot of an existing file first; PostgreSQL
   * waits for the migration lock another run holds, as long as `lockTimeoutMs`.
   */
  up(report: (line: string) => void, options: { lockTimeoutMs: number }): Promise<void>;
  /**
   * Undoes the newest migration, after a snapshot; one whose down section destroys data only
   * when `confirmed`. Refused on PostgreSQL.
   */
  rollback(report: (line: string) => void, confirmed: boolean): Promise<void>;
}
