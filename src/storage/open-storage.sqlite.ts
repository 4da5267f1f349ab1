import fs from 'node:fs';
import {
  applyMigrations,
  dataLosses,
  findNewerSchema,
  loadMigrations,
  migrationStatus,
  newestApplied,
  pendingMigrations,
  readAppliedVersions,
  rollbackMigration,
} from '../db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../db/migrations-dir.js';
import { openDatabase, type Db, type OpenOptions } from '../db/open-database.sqlite.js';
import { writeSnapshot } from '../db/snapshot.sqlite.js';
import { createKeyRepository } from '../keys/key-store.sqlite.js';
import { openSqlite } from './runtime.sqlite.js';
import { openSqliteCopy } from './store-copy.sqlite.js';
import { PENDING_MIGRATIONS, type Storage, type StorageMigrations } from './storage.js';

/** A file that is not there; status and rollback never create one (a mistyped URL would). */
function isMissing(file: string): boolean {
  return file !== ':memory:' && !fs.existsSync(file);
}

type WalCheckpoints = NonNullable<OpenOptions['walCheckpoints']>;

/** Opens the file as it is, with no check, for `use`, and closes it after. */
async function withFile<T>(
  file: string,
  walCheckpoints: WalCheckpoints,
  use: (db: Db) => T | Promise<T>,
): Promise<T> {
  const db = openDatabase(file, { walCheckpoints });
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

/**
 * snip's embedded default: one SQLite file. `walCheckpoints` says who checkpoints its WAL, for
 * every connection opened here (ADR 049).
 */
export function sqliteStorage(file: string, walCheckpoints: WalCheckpoints = 'sqlite'): Storage {
  return {
    async openRuntime(config, deps) {
      return openSqlite(config, file, deps.logger);
    },

    async openKeys() {
      if (isMissing(file)) {
        throw new Error(`no database at ${file} (start snip or run the migrations first)`);
      }
      const db = openDatabase(file, { walCheckpoints });
      try {
        const migrations = loadMigrations(DEFAULT_MIGRATIONS_DIR);
        const newer = findNewerSchema(readAppliedVersions(db), migrations);
        if (newer !== null) throw newer;
        if (pendingMigrations(db, migrations).length > 0) throw new Error(PENDING_MIGRATIONS);
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
    },

    migrations: (dir) => fileMigrations(file, dir, walCheckpoints),

    async backUp(label) {
      if (file === ':memory:') throw new Error('an in-memory database cannot be backed up');
      // Opening a missing file would create an empty database and "back up" nothing: refused.
      if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
      return withFile(file, walCheckpoints, (db) => writeSnapshot(db, file, { label }));
    },

    async openCopy() {
      if (file === ':memory:') throw new Error('an in-memory database cannot be copied');
      return openSqliteCopy(file);
    },
  };
}

function fileMigrations(
  file: string,
  dir: string,
  walCheckpoints: WalCheckpoints,
): StorageMigrations {
  return {
    async status() {
      // Read the files first: a broken migrations folder should not open anything.
      const migrations = loadMigrations(dir);
      if (isMissing(file)) return migrations.map((m) => ({ ...m, applied: false }));
      return withFile(file, walCheckpoints, (db) => migrationStatus(db, migrations));
    },

    async up(report) {
      const migrations = loadMigrations(dir);
      const existed = file !== ':memory:' && fs.existsSync(file);
      await withFile(file, walCheckpoints, async (db) => {
        // An older build must not migrate, nor start on, a schema a newer one has moved on.
        const newer = findNewerSchema(readAppliedVersions(db), migrations);
        if (newer !== null) throw newer;
        const first = pendingMigrations(db, migrations)[0];
        if (!first) {
          report(`nothing to migrate (${readAppliedVersions(db).length} applied)`);
          return;
        }
        // A new database has nothing to lose; an existing one gets a copy to restore if this
        // goes wrong.
        if (existed) {
          report(`snapshot ${await writeSnapshot(db, file, { label: `before-${first.version}` })}`);
        }
        applyMigrations(db, migrations, (m) => report(`applied ${m.filename}`));
      });
    },

    /**
     * A migration whose down section destroys data (drops a table or a column, deletes rows) is
     * undone only when confirmed: rolling back and migrating up again does not bring that data
     * back, the snapshot does.
     */
    async rollback(report, confirmed) {
      const migrations = loadMigrations(dir);
      if (isMissing(file)) {
        report('nothing to roll back');
        return;
      }
      await withFile(file, walCheckpoints, async (db) => {
        const newest = newestApplied(db, migrations);
        if (newest === null) {
          report('nothing to roll back');
          return;
        }
        const losses = dataLosses(newest.down);
        if (losses.length > 0 && !confirmed) {
          throw new Error(
            `rolling back ${newest.filename} destroys data (${losses.join('; ')}); migrating up again does not bring it back. Run "npm run migrate -- rollback --yes" to go ahead: a snapshot is written first.`,
          );
        }
        const snapshot =
          file === ':memory:'
            ? null
            : await writeSnapshot(db, file, { label: `before-rollback-${newest.version}` });
        if (snapshot) report(`snapshot ${snapshot}`);
        rollbackMigration(db, migrations);
        report(`rolled back ${newest.filename}`);
        if (snapshot) {
          report(
            `to return to the state before this rollback: stop snip, copy ${snapshot} to ${file}, and delete ${file}-wal and ${file}-shm`,
          );
        }
      });
    },
  };
}
