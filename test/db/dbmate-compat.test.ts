import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readColumn } from '../support/read-database.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  loadMigrations,
  migrationStatus,
  readAppliedVersions,
  rollbackMigration,
} from '../../src/db/migrations.js';
import { openDatabase } from '../../src/db/open-database.sqlite.js';
import {
  MIGRATION_FILES,
  MIGRATION_VERSIONS,
  NEWEST_MIGRATION,
  schemaAfterOldest,
  schemaOf,
} from '../support/migration-files.js';

// The real dbmate CLI (npm package `dbmate`, binary inside) checks that both tools read and write
// schema_migrations the same way. Output format checked against dbmate 2.24.0.
const DBMATE = path.resolve('node_modules/.bin/dbmate');
const MIGRATIONS = path.resolve('migrations');

let tmp: string;
let file: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-'));
  file = path.join(tmp, 'database.sqlite3');
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function dbmate(...args: string[]): string {
  return execFileSync(
    DBMATE,
    ['--url', `sqlite:${file}`, '--migrations-dir', MIGRATIONS, '--no-dump-schema', ...args],
    // cwd: dbmate reads a .env file from its working directory; keep a developer's out of this.
    { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** dbmate 2.24 `status` prints `[X] file` / `[ ] file` lines, then `Applied: N` and `Pending: M`. */
function parseDbmateStatus(output: string) {
  const count = (label: string) => Number(new RegExp(`^${label}: (\\d+)$`, 'm').exec(output)?.[1]);
  return {
    applied: [...output.matchAll(/^\[X\] (\S+)$/gm)].map((m) => m[1]),
    pending: [...output.matchAll(/^\[ \] (\S+)$/gm)].map((m) => m[1]),
    appliedCount: count('Applied'),
    pendingCount: count('Pending'),
  };
}

function migrateWithSnip(): void {
  const db = openDatabase(file);
  try {
    applyMigrations(db, loadMigrations(MIGRATIONS));
  } finally {
    db.close();
  }
}

function tableSql(dbFile: string): string | undefined {
  return readColumn<string>(
    dbFile,
    "SELECT sql FROM sqlite_master WHERE name = 'schema_migrations'",
  )[0];
}

describe('snip and the dbmate CLI share schema_migrations', () => {
  it('when snip migrates a database, then dbmate status reports nothing pending', () => {
    migrateWithSnip();

    const status = parseDbmateStatus(dbmate('status'));

    expect(status).toEqual({
      applied: MIGRATION_FILES,
      pending: [],
      appliedCount: MIGRATION_FILES.length,
      pendingCount: 0,
    });
  });

  it('when dbmate migrates a fresh database, then snip sees everything applied and does nothing', () => {
    dbmate('up');
    const db = openDatabase(file);
    try {
      const migrations = loadMigrations(MIGRATIONS);

      expect(migrationStatus(db, migrations).map((s) => [s.version, s.applied])).toEqual(
        MIGRATION_VERSIONS.map((v) => [v, true]),
      );
      expect(applyMigrations(db, migrations)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('when both create the table, then its definition is byte for byte the same', () => {
    migrateWithSnip();
    const dbmateFile = file;
    file = path.join(tmp, 'by-dbmate.sqlite3');
    dbmate('up');

    expect(tableSql(dbmateFile)).toBe(tableSql(file));
    expect(tableSql(file)).toBe(
      'CREATE TABLE "schema_migrations" (version varchar(128) primary key)',
    );
  });

  it('when dbmate rolls back a migration snip applied, then snip sees it pending again', () => {
    migrateWithSnip();

    const output = dbmate('rollback');

    expect(output).toContain(`Rolled back: ${NEWEST_MIGRATION.filename}`);
    const db = openDatabase(file);
    try {
      expect(readAppliedVersions(db)).toEqual(MIGRATION_VERSIONS.slice(0, -1));
      // dbmate ran the down section: the schema is what the older migrations alone make.
      expect(schemaOf(db)).toEqual(schemaAfterOldest(MIGRATION_VERSIONS.length - 1));
      expect(applyMigrations(db, loadMigrations(MIGRATIONS)).map((m) => m.version)).toEqual([
        NEWEST_MIGRATION.version,
      ]);
    } finally {
      db.close();
    }
  });

  it('when snip rolls back a migration dbmate applied, then dbmate sees it pending', () => {
    dbmate('up');
    const db = openDatabase(file);
    try {
      rollbackMigration(db, loadMigrations(MIGRATIONS));
    } finally {
      db.close();
    }

    const status = parseDbmateStatus(dbmate('status'));

    expect(status.pending).toEqual([NEWEST_MIGRATION.filename]);
    expect(status.pendingCount).toBe(1);
  });
});
