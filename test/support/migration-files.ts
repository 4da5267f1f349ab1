import { applyMigrations, loadMigrations, type Migration } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrations-dir.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';

// The real migrations in migrations/, read once, so tests that run them expect whatever is there
// today instead of a hard-coded list that goes stale with the next migration.

/** Every migration in migrations/, oldest first. */
export const MIGRATIONS: readonly Migration[] = loadMigrations(DEFAULT_MIGRATIONS_DIR);

/** Their file names, oldest first, e.g. `20261125120000_create_urls.sql`. */
export const MIGRATION_FILES: readonly string[] = MIGRATIONS.map((m) => m.filename);

/** Their versions, oldest first, as schema_migrations records them. */
export const MIGRATION_VERSIONS: readonly string[] = MIGRATIONS.map((m) => m.version);

const oldest = MIGRATIONS[0];
const newest = MIGRATIONS.at(-1);
if (!oldest || !newest) throw new Error(`no migrations in ${DEFAULT_MIGRATIONS_DIR}`);

export const OLDEST_MIGRATION: Migration = oldest;
export const NEWEST_MIGRATION: Migration = newest;

/** The real migration with this name (the part after the version), for tests about that one. */
export function migrationNamed(name: string): Migration {
  const found = MIGRATIONS.find((m) => m.name === name);
  if (!found) throw new Error(`no migration named ${name} in ${DEFAULT_MIGRATIONS_DIR}`);
  return found;
}

/** Each index, and each column of each table, as `index NAME` / `table NAME.COLUMN`, sorted. */
export function schemaOf(db: Db): string[] {
  return db
    .prepare(
      `SELECT m.type || ' ' || m.name || coalesce('.' || c.name, '')
       FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) c
       WHERE m.name NOT LIKE 'sqlite_%' ORDER BY 1`,
    )
    .pluck()
    .all() as string[];
}

/** schemaOf a new database with only the oldest `count` real migrations applied. */
export function schemaAfterOldest(count: number): string[] {
  const db = openDatabase(':memory:');
  try {
    applyMigrations(db, MIGRATIONS.slice(0, count));
    return schemaOf(db);
  } finally {
    db.close();
  }
}
