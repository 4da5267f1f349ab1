import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  createMigrationFile,
  dataLosses,
  loadMigrations,
  migrationStatus,
  readAppliedVersions,
  rollbackMigration,
} from '../../src/db/migrations.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import {
  MIGRATION_FILES,
  MIGRATION_VERSIONS,
  migrationNamed,
  schemaAfterOldest,
  schemaOf,
} from '../support/migration-files.js';

const REAL_MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
const MIGRATIONS_ON_DISK = loadMigrations(REAL_MIGRATIONS);

let tmp: string;
let dbs: Db[];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-'));
  dbs = [];
});

afterEach(() => {
  for (const db of dbs) if (db.open) db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function openTempDb(): Db {
  const db = openDatabase(path.join(tmp, 'db', 'database.sqlite3'));
  dbs.push(db);
  return db;
}

/** Writes migration files into a fresh folder and returns it. */
function writeMigrations(files: Record<string, string>, dir = path.join(tmp, 'migrations')) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, contents] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), contents);
  }
  return dir;
}

function copyRealMigrations(extra: Record<string, string> = {}): string {
  const dir = path.join(tmp, 'migrations');
  fs.cpSync(REAL_MIGRATIONS, dir, { recursive: true });
  return writeMigrations(extra, dir);
}

function schemaObjects(db: Db): string[] {
  return db
    .prepare("SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
}

const migration = (up: string, down = '') => `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`;

describe('loadMigrations', () => {
  it('when files are named VERSION_name.sql, then they come back parsed and in version order', () => {
    const dir = writeMigrations({
      '20260102000000_second.sql': migration('CREATE TABLE b (x);', 'DROP TABLE b;'),
      '20260101000000_first.sql': `-- A comment before the marker is fine.\n${migration('CREATE TABLE a (x);', 'DROP TABLE a;')}`,
      'README.md': 'not a migration',
      'notes.sql': 'ignored like dbmate does: no leading version',
    });

    const migrations = loadMigrations(dir);

    expect(migrations).toEqual([
      {
        version: '20260101000000',
        name: 'first',
        filename: '20260101000000_first.sql',
        up: 'CREATE TABLE a (x);',
        down: 'DROP TABLE a;',
        upTransaction: true,
        downTransaction: true,
      },
      expect.objectContaining({ version: '20260102000000', name: 'second' }),
    ]);
  });

  it('when a marker says transaction:false, then only that section runs outside a transaction', () => {
    const dir = writeMigrations({
      '20260101000000_vacuum.sql':
        '-- migrate:up transaction:false\r\nVACUUM;\r\n-- migrate:down\r\nSELECT 1;\r\n',
      '20260102000000_other.sql':
        '--migrate:up\nSELECT 1;\n--migrate:down   transaction:false\nVACUUM;\n',
    });

    const [vacuum, other] = loadMigrations(dir);

    expect(vacuum).toMatchObject({ up: 'VACUUM;', upTransaction: false, downTransaction: true });
    expect(other).toMatchObject({ down: 'VACUUM;', upTransaction: true, downTransaction: false });
  });

  it('when the up marker is missing, then the error names the file', () => {
    const dir = writeMigrations({
      '20260101000000_no_up.sql': 'CREATE TABLE a (x);\n-- migrate:down\nDROP TABLE a;\n',
    });

    expect(() => loadMigrations(dir)).toThrow(
      "20260101000000_no_up.sql: missing the '-- migrate:up' line",
    );
  });

  it('when the down marker is missing, then it is refused like dbmate refuses it', () => {
    const dir = writeMigrations({ '20260101000000_no_down.sql': '-- migrate:up\nSELECT 1;\n' });

    expect(() => loadMigrations(dir)).toThrow('20260101000000_no_down.sql: missing');
  });

  it('when SQL comes before the up marker or down comes first, then the file is refused', () => {
    const before = writeMigrations(
      { '20260101000000_early.sql': `SELECT 1;\n${migration('SELECT 2;')}` },
      path.join(tmp, 'before'),
    );
    const reversed = writeMigrations(
      { '20260101000000_reversed.sql': '-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;\n' },
      path.join(tmp, 'reversed'),
    );

    expect(() => loadMigrations(before)).toThrow('20260101000000_early.sql: statements before');
    expect(() => loadMigrations(reversed)).toThrow('20260101000000_reversed.sql:');
  });

  it('when two files share a version, then the error names both', () => {
    const dir = writeMigrations({
      '20260101000000_one.sql': migration('SELECT 1;'),
      '20260101000000_two.sql': migration('SELECT 2;'),
    });

    expect(() => loadMigrations(dir)).toThrow(
      /20260101000000_two\.sql: version 20260101000000 is also used by 20260101000000_one\.sql/,
    );
  });

  it('when the folder does not exist, then the error says which folder', () => {
    const missing = path.join(tmp, 'nope');

    expect(() => loadMigrations(missing)).toThrow(`cannot read the migrations folder ${missing}`);
  });
});

describe('applyMigrations', () => {
  it('when the real migrations run on a fresh file, then urls, idx_dates and every version exist', () => {
    const db = openTempDb();
    const migrations = loadMigrations(REAL_MIGRATIONS);

    const applied = applyMigrations(db, migrations);

    expect(applied.map((m) => m.filename)).toEqual(MIGRATION_FILES);
    expect(schemaObjects(db)).toEqual(
      expect.arrayContaining(['table schema_migrations', 'table urls', 'index idx_dates']),
    );
    expect(readAppliedVersions(db)).toEqual(MIGRATION_VERSIONS);
    expect(migrationStatus(db, migrations).every((s) => s.applied)).toBe(true);
  });

  it('when everything is applied, then applying again does nothing', () => {
    const db = openTempDb();
    const migrations = loadMigrations(REAL_MIGRATIONS);
    applyMigrations(db, migrations);
    const reported: string[] = [];

    const second = applyMigrations(db, migrations, (m) => reported.push(m.version));

    expect(second).toEqual([]);
    expect(reported).toEqual([]);
    expect(readAppliedVersions(db)).toEqual(MIGRATION_VERSIONS);
  });

  it('when a migration fails, then it leaves no table and no version, and later ones do not run', () => {
    const db = openTempDb();
    const dir = copyRealMigrations({
      '20990101000000_bad.sql': migration('CREATE TABLE half_done (x);\nCREAT TABLE oops (y);'),
      '20990102000000_after.sql': migration('CREATE TABLE after_bad (x);'),
    });
    const reported: string[] = [];

    expect(() => applyMigrations(db, loadMigrations(dir), (m) => reported.push(m.version))).toThrow(
      '20990101000000_bad.sql failed: near "CREAT": syntax error',
    );

    expect(reported).toEqual(MIGRATION_VERSIONS);
    expect(readAppliedVersions(db)).toEqual(MIGRATION_VERSIONS);
    expect(schemaObjects(db)).not.toContain('table half_done');
    expect(schemaObjects(db)).not.toContain('table after_bad');
  });

  it('when a migration needs VACUUM, then transaction:false lets it run and records it', () => {
    const db = openTempDb();
    const inTransaction = writeMigrations(
      { '20261201000000_vacuum.sql': migration('VACUUM;') },
      path.join(tmp, 'in-transaction'),
    );
    const outside = writeMigrations(
      {
        '20261201000000_vacuum.sql':
          '-- migrate:up transaction:false\nVACUUM;\nPRAGMA user_version = 7;\n-- migrate:down\n',
      },
      path.join(tmp, 'outside'),
    );

    // Proves the option matters: SQLite refuses VACUUM inside a transaction.
    expect(() => applyMigrations(db, loadMigrations(inTransaction))).toThrow(
      '20261201000000_vacuum.sql failed: cannot VACUUM from within a transaction',
    );
    applyMigrations(db, loadMigrations(outside));

    expect(readAppliedVersions(db)).toEqual(['20261201000000']);
    expect(db.pragma('user_version', { simple: true })).toBe(7);
  });
});

describe('migrationStatus', () => {
  it('when a recorded version has no file, then it is listed as applied without a file name', () => {
    const db = openTempDb();
    applyMigrations(db, loadMigrations(REAL_MIGRATIONS));
    db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run('20200101000000');

    const status = migrationStatus(db, loadMigrations(REAL_MIGRATIONS));

    expect(status[0]).toEqual({
      version: '20200101000000',
      name: '',
      filename: null,
      applied: true,
    });
    expect(status).toHaveLength(MIGRATION_VERSIONS.length + 1);
  });

  it('when the database is new, then everything is pending and nothing is written', () => {
    const db = openTempDb();

    const status = migrationStatus(db, loadMigrations(REAL_MIGRATIONS));

    expect(status.map((s) => [s.version, s.applied])).toEqual(
      MIGRATION_VERSIONS.map((v) => [v, false]),
    );
    expect(schemaObjects(db)).toEqual([]);
  });
});

describe('rollbackMigration', () => {
  it('when migrations are applied, then the newest is undone and its version deleted, down to none', () => {
    const db = openTempDb();
    const migrations = loadMigrations(REAL_MIGRATIONS);
    applyMigrations(db, migrations);
    const idxDates = migrationNamed('add_idx_dates');

    for (let left = MIGRATION_VERSIONS.length - 1; left >= 0; left--) {
      const rolledBack = rollbackMigration(db, migrations);

      expect(rolledBack?.filename).toBe(MIGRATION_FILES[left]);
      expect(readAppliedVersions(db)).toEqual(MIGRATION_VERSIONS.slice(0, left));
      // Only that one is undone: the schema is what the older migrations alone make.
      expect(schemaOf(db)).toEqual(schemaAfterOldest(left));
      // Undoing add_idx_dates drops its index and leaves the urls table it was made for.
      if (rolledBack?.version === idxDates.version) {
        expect(schemaObjects(db)).not.toContain('index idx_dates');
        expect(schemaObjects(db)).toContain('table urls');
      }
    }
    expect(schemaObjects(db)).toEqual(['table schema_migrations']);
    expect(rollbackMigration(db, migrations)).toBeNull();
  });

  it('when the down section fails, then the version stays recorded', () => {
    const db = openTempDb();
    const dir = writeMigrations({
      '20261201000000_bad_down.sql': migration(
        'CREATE TABLE t (x);',
        'DROP TABLE t;\nDROP TABL u;',
      ),
    });
    applyMigrations(db, loadMigrations(dir));

    expect(() => rollbackMigration(db, loadMigrations(dir))).toThrow(
      '20261201000000_bad_down.sql failed: near "TABL": syntax error',
    );
    expect(readAppliedVersions(db)).toEqual(['20261201000000']);
    expect(schemaObjects(db)).toContain('table t');
  });

  it('when the newest applied version has no file, then it refuses to guess', () => {
    const db = openTempDb();
    applyMigrations(db, loadMigrations(REAL_MIGRATIONS));
    db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run('20991231000000');

    expect(() => rollbackMigration(db, loadMigrations(REAL_MIGRATIONS))).toThrow(
      'cannot roll back version 20991231000000',
    );
  });
});

describe('createMigrationFile', () => {
  it('when given a name, then it writes VERSION_name.sql in UTC with both markers', () => {
    const dir = path.join(tmp, 'new-migrations');

    const file = createMigrationFile(dir, 'add_visits_2', new Date('2026-11-25T09:30:05.999Z'));

    expect(path.basename(file)).toBe('20261125093005_add_visits_2.sql');
    expect(fs.readFileSync(file, 'utf8')).toBe('-- migrate:up\n\n\n-- migrate:down\n\n');
    expect(loadMigrations(dir)).toMatchObject([{ version: '20261125093005', up: '', down: '' }]);
  });

  it.each(['Add-Visits', 'add visits', '', '../escape'])(
    'when the name is %j, then it is refused',
    (name) => {
      expect(() => createMigrationFile(tmp, name, new Date())).toThrow('[a-z0-9_]+');
    },
  );

  it('when the version is already taken, then it refuses instead of making a duplicate', () => {
    const now = new Date('2026-11-25T09:30:05Z');
    createMigrationFile(tmp, 'first', now);

    expect(() => createMigrationFile(tmp, 'second', now)).toThrow('already used by');
  });
});

describe('dataLosses', () => {
  it('when a down section drops tables or columns or deletes rows, then each such statement is named in order', () => {
    const sql = `-- DROP TABLE in a comment is not a statement
      DROP INDEX idx_dates;
      ALTER TABLE urls DROP COLUMN visits;
      drop table   visits_daily;
      /* DELETE FROM urls; */
      DELETE FROM urls WHERE code = 'x';
      ALTER TABLE urls ADD COLUMN note TEXT;
      DROP VIEW v`;
    expect(dataLosses(sql)).toEqual([
      'ALTER TABLE urls DROP COLUMN visits',
      'drop table visits_daily',
      "DELETE FROM urls WHERE code = 'x'",
    ]);
  });

  it('when the real migrations are rolled back, then only those that drop data need confirming', () => {
    const losses = loadMigrations(REAL_MIGRATIONS).map((m) => [
      m.name,
      dataLosses(m.down).length > 0,
    ]);
    expect(Object.fromEntries(losses)).toEqual({
      create_urls: true,
      add_idx_dates: false,
      add_link_management: true,
      add_api_keys: true,
      add_idx_urls_target: false,
      add_abuse_handling_and_admin_sessions: true,
      add_idx_urls_state: false,
      add_rate_limits: true,
      add_visit_flushes: true,
      add_urls_api_key_id: true,
      add_api_key_sources: true,
      add_imports: true,
      add_urls_forward_query: true,
      add_urls_title_note: true,
      add_tags: true,
      add_urls_password: true,
      add_domains: true,
      add_urls_redirect_rules: true,
      add_urls_domain: true,
      add_visit_dimensions: true,
      add_urls_starts_at: true,
      add_urls_crawlable: true,
      // Visits not folded yet are in the log: dropping it loses them.
      add_visit_log: true,
    });
  });
});

describe('the migration that gives links a domain', () => {
  /** The migrations up to this one: the later ones are not its business. */
  const THROUGH_DOMAINS = MIGRATIONS_ON_DISK.slice(
    0,
    MIGRATIONS_ON_DISK.findIndex((m) => m.name === 'add_urls_domain') + 1,
  );
  function beforeDomains(): Db {
    const db = openTempDb();
    const index = MIGRATIONS_ON_DISK.findIndex((m) => m.name === 'add_urls_domain');
    expect(index).toBeGreaterThan(0);
    applyMigrations(db, MIGRATIONS_ON_DISK.slice(0, index));
    db.exec(`
      INSERT INTO urls (id, code, target, created, updated, visits, title, redirect_rules)
        VALUES (7, 'abc', 'https://example.com/', 1, 2, 5, 'A title', '[]'),
               (9, 'gone', '', 3, 4, 0, NULL, NULL);
      UPDATE urls SET deleted_at = 4 WHERE id = 9;
      INSERT INTO visits_daily VALUES (7, '2026-12-06', 5);
      INSERT INTO visits_referrers VALUES (7, 'ref.example', 2);
      INSERT INTO tags (id, key, name, created) VALUES (1, 'docs', 'Docs', 1);
      INSERT INTO link_tags VALUES (7, 1, 0);
      INSERT INTO abuse_reports (url_id, reason, created) VALUES (7, 'spam', 1);
      INSERT INTO domains (id, host, created, updated) VALUES (1, 'go.example', 1, 1);`);
    return db;
  }

  const rowsOf = (db: Db, sql: string) => db.prepare(sql).raw().all() as unknown[][];

  it('when applied to links with visits, tags and reports, then every row and id stays, on the default domain, and nothing cascades', () => {
    const db = beforeDomains();
    const links = rowsOf(db, 'SELECT * FROM urls ORDER BY id');
    applyMigrations(db, THROUGH_DOMAINS);

    expect(rowsOf(db, 'SELECT * FROM urls ORDER BY id')).toEqual(
      links.map((row) => [...row, null]),
    );
    expect(rowsOf(db, 'SELECT * FROM visits_daily')).toEqual([[7, '2026-12-06', 5]]);
    expect(rowsOf(db, 'SELECT * FROM visits_referrers')).toEqual([[7, 'ref.example', 2]]);
    expect(rowsOf(db, 'SELECT url_id, tag_id FROM link_tags')).toEqual([[7, 1]]);
    expect(rowsOf(db, 'SELECT url_id FROM abuse_reports')).toEqual([[7]]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // The children still point at urls: deleting a link cascades into its counts as before.
    db.prepare('DELETE FROM urls WHERE id = 7').run();
    expect(rowsOf(db, 'SELECT * FROM visits_daily')).toEqual([]);
  });

  it('when applied, then a code is unique per domain: the same code on another domain is a second link, twice on one domain is refused', () => {
    const db = beforeDomains();
    applyMigrations(db, THROUGH_DOMAINS);
    const insert = db.prepare(
      "INSERT INTO urls (code, target, created, updated, domain_id) VALUES (?, 'https://example.org/', 1, 1, ?)",
    );

    insert.run('abc', 1);
    expect(() => insert.run('abc', 1)).toThrow(/UNIQUE/);
    expect(() => insert.run('abc', null)).toThrow(/UNIQUE/);
    expect(() => insert.run('new', 2)).toThrow(/FOREIGN KEY/);
    expect(rowsOf(db, "SELECT id, domain_id FROM urls WHERE code = 'abc' ORDER BY id")).toEqual([
      [7, null],
      [10, 1],
    ]);
    expect(
      db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT id FROM urls WHERE code = ? AND COALESCE(domain_id, 0) = ?',
        )
        .all('abc', 0),
    ).toEqual([
      expect.objectContaining({
        detail: expect.stringContaining('USING INDEX idx_urls_code_domain'),
      }),
    ]);
  });

  it('when rolled back, then links are back on the one domain; while a code is on two domains, the rollback fails and changes nothing', () => {
    const db = beforeDomains();
    const before = rowsOf(db, 'SELECT * FROM urls ORDER BY id');
    applyMigrations(db, THROUGH_DOMAINS);
    db.prepare(
      "INSERT INTO urls (code, target, created, updated, domain_id) VALUES ('abc', 'https://example.org/', 1, 1, 1)",
    ).run();

    expect(() => rollbackMigration(db, THROUGH_DOMAINS)).toThrow(/UNIQUE/);
    expect(db.inTransaction).toBe(false);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(readAppliedVersions(db).at(-1)).toBe('20261206180000');
    expect(rowsOf(db, 'SELECT COUNT(*) FROM urls')).toEqual([[3]]);

    db.prepare("DELETE FROM urls WHERE code = 'abc' AND domain_id = 1").run();
    rollbackMigration(db, THROUGH_DOMAINS);
    expect(rowsOf(db, 'SELECT * FROM urls ORDER BY id')).toEqual(before);
    expect(rowsOf(db, 'SELECT * FROM visits_daily')).toEqual([[7, '2026-12-06', 5]]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});

describe('the migration that records where API keys come from', () => {
  it('when keys exist already, then only those INITIAL_API_KEY stored are marked initial, and admin sign-ins stored the old way are gone', () => {
    const db = openTempDb();
    const sources = MIGRATIONS_ON_DISK.findIndex((m) => m.name === 'add_api_key_sources');
    expect(sources).toBeGreaterThan(0);
    applyMigrations(db, MIGRATIONS_ON_DISK.slice(0, sources));
    const insert = db.prepare(
      `INSERT INTO api_keys (name, key_hash, scope, created, expires_at, revoked_at)
       VALUES (?, randomblob(32), ?, 1, ?, ?)`,
    );
    insert.run('initial', 'full', null, null);
    insert.run('initial-3', 'full', null, null);
    insert.run('initial-x', 'full', null, null);
    insert.run('initial-3b', 'full', null, null);
    insert.run('initial', 'create-only', null, 1);
    insert.run('laptop', 'full', null, null);
    insert.run('initial-4', 'full', 5, null);
    db.prepare('INSERT INTO admin_sessions VALUES (randomblob(32), 1, 1)').run();
    applyMigrations(db, MIGRATIONS_ON_DISK);
    expect(db.prepare('SELECT name, source FROM api_keys ORDER BY id').raw().all()).toEqual([
      ['initial', 'initial'],
      ['initial-3', 'initial'],
      ['initial-x', 'unknown'],
      ['initial-3b', 'unknown'],
      ['initial', 'unknown'],
      ['laptop', 'unknown'],
      ['initial-4', 'unknown'],
    ]);
    expect(db.prepare('SELECT COUNT(*) FROM admin_sessions').pluck().get()).toBe(0);
    expect(() =>
      db
        .prepare(
          "INSERT INTO api_keys (name, key_hash, scope, created, source) VALUES ('x', randomblob(32), 'full', 1, 'elsewhere')",
        )
        .run(),
    ).toThrow(/CHECK/);
  });
});

describe('the migration that adds crawlable', () => {
  it('when applied to existing links, then they stay not crawlable, and only 0 or 1 is stored', () => {
    const db = openTempDb();
    const index = MIGRATIONS_ON_DISK.findIndex((m) => m.name === 'add_urls_crawlable');
    expect(index).toBeGreaterThan(0);
    applyMigrations(db, MIGRATIONS_ON_DISK.slice(0, index));
    db.exec(
      `INSERT INTO urls (code, target, created, updated) VALUES ('old', 'https://a.example/', 1, 1)`,
    );
    applyMigrations(db, MIGRATIONS_ON_DISK.slice(0, index + 1));
    expect(db.prepare(`SELECT crawlable FROM urls WHERE code = 'old'`).pluck().get()).toBe(0);
    const set = db.prepare(`UPDATE urls SET crawlable = ? WHERE code = 'old'`);
    set.run(1);
    expect(() => set.run(2)).toThrow(/CHECK/);
    const columns = (table: string) =>
      db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all();
    expect(columns('import_rows')).toContain('crawlable');
    rollbackMigration(db, MIGRATIONS_ON_DISK.slice(0, index + 1));
    expect(columns('urls')).not.toContain('crawlable');
    expect(columns('import_rows')).not.toContain('crawlable');
    expect(db.prepare(`SELECT code FROM urls`).pluck().all()).toEqual(['old']);
  });
});
