import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataLosses, loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { MIGRATION_FILES, MIGRATIONS, migrationNamed } from '../support/migration-files.js';

// The PostgreSQL twins, read by the same parser as the SQLite files. What they do to a real
// PostgreSQL is tested in test/postgres/ (npm run test:postgres).
const PG_MIGRATIONS = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));

describe('migrations/postgres/', () => {
  it('when listed, then it has a twin of every SQLite migration with the same version and name, and nothing else', () => {
    expect(PG_MIGRATIONS.map((m) => m.filename)).toEqual(MIGRATION_FILES);
    const others = fs
      .readdirSync(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR))
      .filter((name) => !MIGRATION_FILES.includes(name));
    expect(others).toEqual([]);
  });

  it('when parsed, then every twin has both sections and runs in a transaction like its SQLite twin', () => {
    for (const [i, pg] of PG_MIGRATIONS.entries()) {
      const sqlite = MIGRATIONS[i]!;
      expect(pg.up, pg.filename).not.toBe('');
      expect(pg.down, pg.filename).not.toBe('');
      expect([pg.upTransaction, pg.downTransaction], pg.filename).toEqual([
        sqlite.upTransaction,
        sqlite.downTransaction,
      ]);
    }
  });

  it('when a twin’s down section destroys data, then so does its SQLite twin’s, statement for statement', () => {
    for (const [i, pg] of PG_MIGRATIONS.entries()) {
      expect(dataLosses(pg.down), pg.filename).toEqual(
        dataLosses(MIGRATIONS[i]!.down).filter((loss) => !isRebuild(loss, MIGRATIONS[i]!.down)),
      );
    }
  });

  it('when SQLite rebuilds a table in a down section, then only a table renamed in its place is dropped', () => {
    // add_urls_domain: SQLite restores the constraint on urls.code only by rebuilding urls.
    const down = migrationNamed('add_urls_domain').down;
    expect(dataLosses(down).filter((loss) => isRebuild(loss, down))).toEqual(['DROP TABLE urls']);
  });
});

/**
 * A `DROP TABLE t` in a section that also renames another table to `t`: SQLite's rebuild of a
 * table (it cannot drop a constraint otherwise), which PostgreSQL's twin does with ALTER TABLE.
 * What the rebuild loses is named by the section's other statements.
 */
function isRebuild(loss: string, section: string): boolean {
  const dropped = /^DROP TABLE (\w+)$/i.exec(loss)?.[1];
  return dropped !== undefined && new RegExp(`RENAME\\s+TO\\s+${dropped}\\s*;`, 'i').test(section);
}
