import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadMigrations } from '../../src/db/migrations.js';
import { postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import {
  applyPostgresMigrations,
  readPostgresMigrationStatus,
} from '../../src/db/migrations.postgres.js';
import { MIGRATION_FILES, MIGRATION_VERSIONS } from '../support/migration-files.js';
import { createTestPgDatabase, describeWithPostgres, withClient } from '../support/postgres.js';
import { pgSchemaOf } from '../support/postgres-schema.js';

// The real dbmate CLI (npm package `dbmate`) against the same PostgreSQL twins: snip's runner
// must build the same schema and read and write the same ledger. The SQLite twin of this test is
// test/db/dbmate-compat.test.ts.
const DBMATE = path.resolve('node_modules/.bin/dbmate');
const PG_DIR = postgresMigrationsDir(path.resolve('migrations'));
const PG_MIGRATIONS = loadMigrations(PG_DIR);

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-dbmate-pg-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function dbmate(url: string, ...args: string[]): string {
  // The test cluster has no TLS; dbmate's driver asks for it unless told not to.
  const plain = `${url}?sslmode=disable`;
  return execFileSync(
    DBMATE,
    ['--url', plain, '--migrations-dir', PG_DIR, '--no-dump-schema', ...args],
    // cwd: dbmate reads a .env file from its working directory; keep a developer's out of this.
    { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

describeWithPostgres('snip and the dbmate CLI on PostgreSQL', () => {
  it('when each migrates an empty database, then both have the same tables, columns, types, indexes and constraints, and the same ledger', async () => {
    const bySnip = await createTestPgDatabase();
    const byDbmate = await createTestPgDatabase();

    await applyPostgresMigrations(bySnip.url, PG_MIGRATIONS);
    dbmate(byDbmate.url, 'up');

    const snipSchema = await withClient(bySnip.url, pgSchemaOf);
    const dbmateSchema = await withClient(byDbmate.url, pgSchemaOf);
    expect(snipSchema).toEqual(dbmateSchema);
    expect(snipSchema).toContain(
      'column schema_migrations.version character varying(128) not null',
    );
    expect(snipSchema.filter((line) => line.startsWith('index ')).length).toBeGreaterThan(10);
    for (const url of [bySnip.url, byDbmate.url]) {
      const { rows } = await withClient(url, (client) =>
        client.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version'),
      );
      expect(rows.map((row) => row.version)).toEqual(MIGRATION_VERSIONS);
    }
  });

  it('when snip migrates, then dbmate status reports nothing pending', async () => {
    const { url } = await createTestPgDatabase();
    await applyPostgresMigrations(url, PG_MIGRATIONS);

    const output = dbmate(url, 'status');

    expect([...output.matchAll(/^\[X\] (\S+)$/gm)].map((m) => m[1])).toEqual(MIGRATION_FILES);
    expect(output).toMatch(/^Pending: 0$/m);
  });

  it('when dbmate migrates and then rolls back the newest, then snip sees exactly that one pending and applies it', async () => {
    const { url } = await createTestPgDatabase();
    dbmate(url, 'up');
    dbmate(url, 'rollback');

    const status = await readPostgresMigrationStatus(url, PG_MIGRATIONS);
    expect(status.filter((s) => !s.applied).map((s) => s.filename)).toEqual(
      MIGRATION_FILES.slice(-1),
    );
    const result = await applyPostgresMigrations(url, PG_MIGRATIONS);
    expect(result.applied.map((m) => m.filename)).toEqual(MIGRATION_FILES.slice(-1));
  });
});
