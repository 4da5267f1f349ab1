import fs from 'node:fs';
import type { DatabaseTarget } from '../db/database-url.js';
import {
  applyMigrations,
  loadMigrations,
  migrationStatus,
  newestApplied,
  pendingMigrations,
  readAppliedVersions,
  rollbackMigration,
  type Migration,
  type MigrationStatus,
} from '../db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../db/migrations-dir.js';
import {
  applyPostgresMigrations,
  readPostgresMigrationStatus,
  type PostgresMigrationOptions,
  type PostgresMigrationResult,
} from '../db/migrations.postgres.js';
import { openDatabase } from '../db/open-database.sqlite.js';
import { createPostgresPool } from '../db/pool.postgres.js';
import { writeSnapshot } from '../db/snapshot.sqlite.js';
import type { KeyStore } from '../keys/key-store.js';
import { createPostgresKeyRepository } from '../keys/key-store.postgres.js';
import { createKeyRepository } from '../keys/key-store.sqlite.js';

/**
 * What the command-line entries open. Each needs less than the server's `openStorage`, and
 * something it refuses: the migrate command works before the migrations are applied, the backup
 * command on a file in any state (it must not undo an unfinished import or watch the file), the
 * keys command without a LISTEN connection.
 */

/**
 * One SQLite file's migrations, for the migrate command: the file is opened as it is, with no
 * check, and a snapshot can be written before it changes.
 */
export type FileMigrations = {
  pending(migrations: Migration[]): Migration[];
  appliedCount(): number;
  status(migrations: Migration[]): MigrationStatus[];
  newestApplied(migrations: Migration[]): Migration | null;
  apply(migrations: Migration[], onApplied: (migration: Migration) => void): void;
  rollback(migrations: Migration[]): void;
  /** A consistent copy in `backups/` beside the file; resolves with its path. */
  writeSnapshot(label: string): Promise<string>;
  close(): void;
};

/** Opens (creating it when missing) the SQLite file the migrate command works on. */
export function openFileMigrations(file: string): FileMigrations {
  const db = openDatabase(file);
  return {
    pending: (migrations) => pendingMigrations(db, migrations),
    appliedCount: () => readAppliedVersions(db).length,
    status: (migrations) => migrationStatus(db, migrations),
    newestApplied: (migrations) => newestApplied(db, migrations),
    apply: (migrations, onApplied) => void applyMigrations(db, migrations, onApplied),
    rollback: (migrations) => void rollbackMigration(db, migrations),
    writeSnapshot: (label) => writeSnapshot(db, file, { label }),
    close: () => db.close(),
  };
}

/**
 * A database server's migrations, for the migrate command, on the direct URL (the lock and the
 * DDL need a connection of their own, never a pooler's). Each call opens and closes its own.
 */
export type ServerMigrations = {
  status(migrations: Migration[]): Promise<MigrationStatus[]>;
  apply(
    migrations: Migration[],
    options: PostgresMigrationOptions,
  ): Promise<PostgresMigrationResult>;
};

export function serverMigrations(directUrl: string): ServerMigrations {
  return {
    status: (migrations) => readPostgresMigrationStatus(directUrl, migrations),
    apply: (migrations, options) => applyPostgresMigrations(directUrl, migrations, options),
  };
}

const PENDING = 'the database has pending migrations; run `npm run migrate -- up` first';

/**
 * The API keys of the database `target` names, for the keys command: refused (with a message
 * for the operator) when the database is missing or its migrations are pending. One connection
 * on PostgreSQL, and no LISTEN.
 */
export async function openKeyStore(
  target: DatabaseTarget,
  directUrl: string | undefined,
): Promise<{ keys: KeyStore; close(): Promise<void> }> {
  if (target.engine === 'postgres') {
    const status = await readPostgresMigrationStatus(
      directUrl || target.url,
      loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR)),
    );
    if (status.some((migration) => !migration.applied)) throw new Error(PENDING);
    const pool = createPostgresPool(target.url, { max: 1, applicationName: 'snip keys' });
    return { keys: createPostgresKeyRepository(pool), close: () => pool.end() };
  }
  const file = target.file;
  if (file !== ':memory:' && !fs.existsSync(file)) {
    throw new Error(`no database at ${file} (start snip or run the migrations first)`);
  }
  const db = openDatabase(file);
  try {
    if (pendingMigrations(db, loadMigrations(DEFAULT_MIGRATIONS_DIR)).length > 0) {
      throw new Error(PENDING);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    keys: createKeyRepository(db),
    close: async () => {
      db.close();
    },
  };
}

/**
 * A SQLite file to back up, opened as it is: no migration check, no undoing of an unfinished
 * import, no watching. Refuses a missing file rather than create an empty one.
 */
export function openSnapshotSource(file: string): {
  writeSnapshot(label: string): Promise<string>;
  close(): void;
} {
  if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
  const db = openDatabase(file);
  return { writeSnapshot: (label) => writeSnapshot(db, file, { label }), close: () => db.close() };
}
