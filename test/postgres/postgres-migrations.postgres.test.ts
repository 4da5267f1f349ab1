import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyMigrations, loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { openDatabase } from '../../src/db/open-database.sqlite.js';
import {
  applyPostgresMigrations,
  MIGRATION_LOCK_KEY,
  readPostgresMigrationStatus,
} from '../../src/db/migrations.postgres.js';
import { MIGRATION_VERSIONS, MIGRATIONS, schemaAfterOldest } from '../support/migration-files.js';
import { createTestPgDatabase, describeWithPostgres, withClient } from '../support/postgres.js';
import { pgSchemaLikeSqlite, pgSchemaOf } from '../support/postgres-schema.js';

// The real PostgreSQL migrations in migrations/postgres/, on a real, throw-away cluster.
const PG_DIR = postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR);
const PG_MIGRATIONS = loadMigrations(PG_DIR);

async function ledger(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ version: string }>(
    'SELECT version FROM schema_migrations ORDER BY version',
  );
  return rows.map((row) => row.version);
}

describeWithPostgres('the PostgreSQL migrations', () => {
  it('when each is applied, undone by its down section and applied again, then the schema is back where it was each time', async () => {
    const { url } = await createTestPgDatabase();
    await withClient(url, async (client) => {
      let before = await pgSchemaOf(client);
      expect(before).toEqual([]);
      for (const migration of PG_MIGRATIONS) {
        await client.query(migration.up);
        const after = await pgSchemaOf(client);
        expect(after, `${migration.filename} changes the schema`).not.toEqual(before);

        await client.query(migration.down);
        expect(await pgSchemaOf(client), `${migration.filename} down`).toEqual(before);

        await client.query(migration.up);
        expect(await pgSchemaOf(client), `${migration.filename} up again`).toEqual(after);
        before = after;
      }
    });
  });

  it('when snip applied them all and every down section runs newest first, then only the ledger is left, and up rebuilds the same schema', async () => {
    const { url } = await createTestPgDatabase();
    const first = await applyPostgresMigrations(url, PG_MIGRATIONS);
    expect(first.applied.map((m) => m.version)).toEqual(MIGRATION_VERSIONS);

    await withClient(url, async (client) => {
      const full = await pgSchemaOf(client);
      for (const migration of [...PG_MIGRATIONS].reverse()) {
        await client.query('BEGIN');
        await client.query(migration.down);
        await client.query('DELETE FROM schema_migrations WHERE version = $1', [migration.version]);
        await client.query('COMMIT');
      }
      expect(await pgSchemaOf(client)).toEqual([
        'column schema_migrations.version character varying(128) not null',
        'constraint schema_migrations.schema_migrations_pkey: PRIMARY KEY (version)',
        'index schema_migrations_pkey: CREATE UNIQUE INDEX schema_migrations_pkey ON public.schema_migrations USING btree (version)',
      ]);

      const again = await applyPostgresMigrations(url, PG_MIGRATIONS);

      expect(again.applied.map((m) => m.version)).toEqual(MIGRATION_VERSIONS);
      expect(await pgSchemaOf(client)).toEqual(full);
      expect(await ledger(client)).toEqual(MIGRATION_VERSIONS);
    });
  });

  it('when applied one by one next to their SQLite twins, then after each the two engines have the same tables, columns and named indexes', async () => {
    const { url } = await createTestPgDatabase();
    await withClient(url, async (client) => {
      for (let count = 1; count <= PG_MIGRATIONS.length; count++) {
        await applyPostgresMigrations(url, PG_MIGRATIONS.slice(0, count));
        expect(await pgSchemaLikeSqlite(client), PG_MIGRATIONS[count - 1]!.filename).toEqual(
          schemaAfterOldest(count),
        );
      }
    });
  });

  it('when all are applied, then each column has its SQLite twin’s type, nullability and default', async () => {
    const { url } = await createTestPgDatabase();
    await applyPostgresMigrations(url, PG_MIGRATIONS);
    const sqlite = openDatabase(':memory:');
    const sqliteColumns = new Map<string, string>();
    try {
      applyMigrations(sqlite, [...MIGRATIONS]);
      const rows = sqlite
        .prepare(
          `SELECT m.name AS tbl, c.name, c.type, c."notnull" AS not_null, c.pk, c.dflt_value AS dflt
             FROM sqlite_master m JOIN pragma_table_info(m.name) c
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`,
        )
        .all() as {
        tbl: string;
        name: string;
        type: string;
        not_null: number;
        pk: number;
        dflt: string | null;
      }[];
      // SQLite's integers are 64-bit, so any time, count or id is BIGINT; only the redirect
      // status, a three-digit code, and the rate-limit counter (read as a JavaScript number by
      // rate-limiter-flexible) are plain INTEGERs.
      const family: Record<string, string> = { INTEGER: 'bigint', TEXT: 'text', BLOB: 'bytea' };
      for (const c of rows) {
        const plainInteger = ['urls.redirect_status', 'rate_limits.points'].includes(
          `${c.tbl}.${c.name}`,
        );
        const type = plainInteger ? 'integer' : (family[c.type] ?? c.type);
        // A primary key column is NOT NULL on PostgreSQL; on SQLite only WITHOUT ROWID says so.
        const nullable = c.not_null === 0 && c.pk === 0 ? 'YES' : 'NO';
        sqliteColumns.set(`${c.tbl}.${c.name}`, `${type} ${nullable} ${c.dflt ?? '-'}`);
      }
    } finally {
      sqlite.close();
    }
    const pgColumns = await withClient(url, async (client) => {
      const { rows } = await client.query<{
        tbl: string;
        name: string;
        type: string;
        nullable: string;
        dflt: string | null;
        maxlen: number | null;
      }>(
        `SELECT table_name AS tbl, column_name AS name, data_type AS type, is_nullable AS nullable,
                column_default AS dflt, character_maximum_length AS maxlen
           FROM information_schema.columns WHERE table_schema = current_schema()`,
      );
      return new Map(
        rows.map((c) => {
          const type = c.type === 'character varying' ? `varchar(${c.maxlen})` : c.type;
          const dflt = c.dflt?.replace(/::text$/, '') ?? '-';
          return [`${c.tbl}.${c.name}`, `${type} ${c.nullable} ${dflt}`];
        }),
      );
    });

    expect(Object.fromEntries(pgColumns)).toEqual(Object.fromEntries(sqliteColumns));
  });
});

describeWithPostgres('the PostgreSQL migration runner', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-pg-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('when run twice, then the second run applies nothing and the status lists every file as applied', async () => {
    const { url } = await createTestPgDatabase();

    const first = await applyPostgresMigrations(url, PG_MIGRATIONS);
    const second = await applyPostgresMigrations(url, PG_MIGRATIONS);

    expect(first).toEqual({ applied: PG_MIGRATIONS, total: PG_MIGRATIONS.length });
    expect(second).toEqual({ applied: [], total: PG_MIGRATIONS.length });
    const status = await readPostgresMigrationStatus(url, PG_MIGRATIONS);
    expect(status.map((s) => [s.filename, s.applied])).toEqual(
      PG_MIGRATIONS.map((m) => [m.filename, true]),
    );
  });

  it('when a migration fails, then it leaves no trace, the earlier ones stay applied and the later ones are not tried', async () => {
    const { url } = await createTestPgDatabase();
    const dir = path.join(tmp, 'postgres');
    fs.cpSync(PG_DIR, dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, '20990101000000_bad.sql'),
      '-- migrate:up\nCREATE TABLE half (x int);\nCREAT TABLE t (x int);\n-- migrate:down\nDROP TABLE half;\n',
    );
    fs.writeFileSync(
      path.join(dir, '20990102000000_after.sql'),
      '-- migrate:up\nCREATE TABLE after_bad (x int);\n-- migrate:down\nDROP TABLE after_bad;\n',
    );

    const error = await applyPostgresMigrations(url, loadMigrations(dir)).catch((e: Error) => e);

    expect((error as Error).message).toBe(
      '20990101000000_bad.sql failed: syntax error at or near "CREAT"',
    );
    await withClient(url, async (client) => {
      expect(await ledger(client)).toEqual(MIGRATION_VERSIONS);
      const tables = await client.query(
        "SELECT to_regclass('half') AS half, to_regclass('after_bad') AS after_bad",
      );
      expect(tables.rows[0]).toEqual({ half: null, after_bad: null });
    });
  });

  it('when the ledger row cannot be written, then the migration is rolled back with it', async () => {
    const { url } = await createTestPgDatabase();
    const dir = path.join(tmp, 'postgres');
    fs.cpSync(PG_DIR, dir, { recursive: true });
    // The statements succeed; the runner's INSERT INTO schema_migrations after them cannot.
    fs.writeFileSync(
      path.join(dir, '20990101000000_hide_the_ledger.sql'),
      '-- migrate:up\nCREATE TABLE half (x int);\nALTER TABLE schema_migrations RENAME TO hidden;\n-- migrate:down\n',
    );

    const error = await applyPostgresMigrations(url, loadMigrations(dir)).catch((e: Error) => e);

    expect((error as Error).message).toBe(
      '20990101000000_hide_the_ledger.sql failed: relation "schema_migrations" does not exist',
    );
    await withClient(url, async (client) => {
      expect(await ledger(client)).toEqual(MIGRATION_VERSIONS);
      const tables = await client.query(
        "SELECT to_regclass('half') AS half, to_regclass('hidden') AS hidden",
      );
      expect(tables.rows[0]).toEqual({ half: null, hidden: null });
    });
  });

  it('when another session holds the migration lock past the timeout, then it fails naming that session and applies nothing', async () => {
    const { url } = await createTestPgDatabase();
    const holder = new pg.Client({
      connectionString: url,
      application_name: 'lock holder in a test',
    });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]!.pid;
      const waitingFor: string[] = [];
      const started = Date.now();

      const error = await applyPostgresMigrations(url, PG_MIGRATIONS, {
        lockTimeoutMs: 700,
        onWaiting: (who) => waitingFor.push(who),
      }).catch((e: Error) => e);

      const waited = Date.now() - started;
      console.log(`lock timeout 700 ms: gave up after ${waited} ms`);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toMatch(
        new RegExp(
          `^could not take the migration lock within 0\\.7 s: it is held by PostgreSQL session ${pid} \\(application "lock holder in a test", user snip_test, from 127\\.0\\.0\\.1, connected since \\S+, now idle\\), most likely another snip applying migrations; if that process is gone and the session stays, end it with SELECT pg_terminate_backend\\(${pid}\\); nothing was migrated$`,
        ),
      );
      expect(waitingFor).toEqual([expect.stringContaining(`PostgreSQL session ${pid} (`)]);
      expect(waited).toBeGreaterThanOrEqual(700);
      expect(waited).toBeLessThan(5000);
      // Not even the ledger: everything happens under the lock.
      expect(await withClient(url, pgSchemaOf)).toEqual([]);
    } finally {
      await holder.end();
    }

    // Once the holder is gone, the same call goes through.
    const after = await applyPostgresMigrations(url, PG_MIGRATIONS, { lockTimeoutMs: 700 });
    expect(after.applied).toHaveLength(PG_MIGRATIONS.length);
  });

  it('when the lock is released while it waits, then it takes the lock and migrates', async () => {
    const { url } = await createTestPgDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      let waiting = false;
      const run = applyPostgresMigrations(url, PG_MIGRATIONS, {
        lockTimeoutMs: 30_000,
        onWaiting: () => (waiting = true),
      });
      while (!waiting) await new Promise((resolve) => setTimeout(resolve, 20));
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);

      expect((await run).applied).toHaveLength(PG_MIGRATIONS.length);
    } finally {
      await holder.end();
    }
  });
});
