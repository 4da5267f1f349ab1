import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataLosses, loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { MIGRATION_FILES, MIGRATIONS } from '../support/migration-files.js';

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
      expect(dataLosses(pg.down), pg.filename).toEqual(dataLosses(MIGRATIONS[i]!.down));
    }
  });
});
