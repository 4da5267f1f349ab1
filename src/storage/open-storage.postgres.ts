import { postgresMigrationsDir, DEFAULT_MIGRATIONS_DIR } from '../db/migrations-dir.js';
import { findNewerSchema, loadMigrations } from '../db/migrations.js';
import { applyPostgresMigrations, readPostgresMigrationStatus } from '../db/migrations.postgres.js';
import { createPostgresPool } from '../db/pool.postgres.js';
import { createPostgresKeyRepository } from '../keys/key-store.postgres.js';
import { openPostgres } from './runtime.postgres.js';
import { openPostgresCopy } from './store-copy.postgres.js';
import { PENDING_MIGRATIONS, type Storage } from './storage.js';

const ROLLBACK_ON_POSTGRES =
  "rollback is not supported on PostgreSQL yet; restore your PostgreSQL backup, or run the migration's '-- migrate:down' section from migrations/postgres/ and delete its version from schema_migrations";

/**
 * A PostgreSQL database that several machines share. `url` is the pool's (it may be a
 * pooler's); `directUrl` the server's own, for the migration lock and the DDL.
 */
export function postgresStorage(url: string, directUrl: string): Storage {
  return {
    async openRuntime(config, deps) {
      return openPostgres(config, deps.logger, deps.redirectCache);
    },

    async openKeys() {
      const migrations = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));
      const status = await readPostgresMigrationStatus(directUrl, migrations);
      const applied = status.filter((migration) => migration.applied).map((m) => m.version);
      const newer = findNewerSchema(applied, migrations);
      if (newer !== null) throw newer;
      if (status.some((migration) => !migration.applied)) throw new Error(PENDING_MIGRATIONS);
      const pool = createPostgresPool(url, { max: 1, applicationName: 'snip keys' });
      return { keys: createPostgresKeyRepository(pool), close: () => pool.end() };
    },

    /**
     * The twins of the migrations in `dir`'s `postgres/` folder. Each call opens and closes its
     * own connection. No snapshot is written: PostgreSQL is backed up with its own tools, by
     * whoever runs it.
     */
    migrations(dir) {
      const twins = postgresMigrationsDir(dir);
      return {
        status: async () => readPostgresMigrationStatus(directUrl, loadMigrations(twins)),
        async up(report, options) {
          const result = await applyPostgresMigrations(directUrl, loadMigrations(twins), {
            lockTimeoutMs: options.lockTimeoutMs,
            onWaiting: (holder) => report(`waiting for the migration lock: ${holder}`),
            onApplied: (m) => report(`applied ${m.filename}`),
          });
          if (result.applied.length === 0) {
            report(`nothing to migrate (${result.total} applied)`);
          }
        },
        async rollback() {
          throw new Error(ROLLBACK_ON_POSTGRES);
        },
      };
    },

    async backUp() {
      throw new Error(
        'this command works on SQLite only; back up PostgreSQL with pg_dump or your provider’s backups',
      );
    },

    /** On the direct URL: the copy holds one snapshot, or one transaction, on one session. */
    async openCopy() {
      return openPostgresCopy(directUrl);
    },
  };
}
