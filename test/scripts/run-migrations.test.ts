import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readColumn } from '../support/read-database.js';
import { childEnv } from '../support/server-process.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MIGRATION_FILES,
  MIGRATION_VERSIONS,
  NEWEST_MIGRATION,
} from '../support/migration-files.js';

// Runs the real script and the built dist/migrate.js (test/support/global-setup.ts builds it).

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-'));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function runScript(env: Record<string, string | undefined>) {
  const fullEnv = childEnv({});
  Object.assign(fullEnv, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete fullEnv[key];
  return spawnSync('bash', ['scripts/run-migrations.sh'], {
    env: fullEnv,
    encoding: 'utf8',
    timeout: 15_000,
  });
}

function runMigrate(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['dist/migrate.js', ...args], {
    env: childEnv(env),
    encoding: 'utf8',
    timeout: 15_000,
  });
}

function appliedVersions(file: string): string[] {
  return readColumn<string>(file, 'SELECT version FROM schema_migrations ORDER BY version');
}

function tableNames(file: string): string[] {
  return readColumn<string>(file, "SELECT name FROM sqlite_master WHERE type = 'table'");
}

/** A copy of migrations/ plus extra files, for MIGRATIONS_DIR. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = path.join(tmp, 'migrations');
  fs.cpSync('migrations', dir, { recursive: true });
  for (const [name, contents] of Object.entries(extra))
    fs.writeFileSync(path.join(dir, name), contents);
  return dir;
}

describe('scripts/run-migrations.sh', () => {
  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('when DATABASE_URL is %s, then it exits 1 with an example', (_, value) => {
    const result = runScript({ DATABASE_URL: value });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'run-migrations: DATABASE_URL is not set (example: sqlite:/data/db/database.sqlite3)\n',
    );
    expect(result.stdout).toBe('');
  });

  it('when DATABASE_URL is neither a sqlite nor a postgres URL, then it exits 1 and says what it expects, without the password', () => {
    const result = runScript({ DATABASE_URL: 'mysql://snip:hunter2@localhost/snip' });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'run-migrations: DATABASE_URL must look like sqlite:/data/db/database.sqlite3 or postgres://user:password@host:5432/snip (got "mysql://snip:***@localhost/snip")\n',
    );
    expect(result.stdout).toBe('');
  });

  it.each([
    ['mysql://snip:pa/ss@w0rd@localhost/snip', 'ss@w0rd'],
    ['mysql://snip:top?secret#1@db/snip', 'secret#1'],
    ['host=db user=snip password=hunter2', 'hunter2'],
  ])('when DATABASE_URL is %s, then the message never shows its password', (url, secret) => {
    const result = runScript({ DATABASE_URL: url });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL must look like');
    expect(result.stderr).not.toContain(secret);
  });

  it('when the directory is missing, then it is created and every migration applied', () => {
    const file = path.join(tmp, 'a', 'b', 'database.sqlite3');

    const result = runScript({ DATABASE_URL: `sqlite://${file}?_busy_timeout=1` });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        `run-migrations: database ${file}`,
        ...MIGRATION_FILES.map((filename) => `applied ${filename}`),
        '',
      ].join('\n'),
    );
    expect(appliedVersions(file)).toEqual(MIGRATION_VERSIONS);
    // A brand-new database has nothing worth a snapshot.
    expect(fs.existsSync(path.join(tmp, 'a', 'b', 'backups'))).toBe(false);
  });

  it('when run again, then it says there is nothing to migrate', () => {
    const url = `sqlite:${path.join(tmp, 'database.sqlite3')}`;
    runScript({ DATABASE_URL: url });

    const result = runScript({ DATABASE_URL: url });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`nothing to migrate (${MIGRATION_FILES.length} applied)\n`);
  });

  it('when the URL is relative, then it is resolved against the working directory', () => {
    const result = spawnSync('bash', [path.resolve('scripts/run-migrations.sh')], {
      cwd: tmp,
      env: childEnv({ DATABASE_URL: 'sqlite:data/my%20db.sqlite3' }),
      encoding: 'utf8',
      timeout: 15_000,
    });

    const file = path.join(fs.realpathSync(tmp), 'data', 'my db.sqlite3');
    expect(result.stdout).toContain(`run-migrations: database ${file}\n`);
    expect(result.status).toBe(0);
    expect(appliedVersions(file)).toEqual(MIGRATION_VERSIONS);
  });

  it('when an existing database has a pending migration, then a snapshot is written first', () => {
    const file = path.join(tmp, 'db', 'database.sqlite3');
    runScript({ DATABASE_URL: `sqlite:${file}` });
    const db = new Database(file);
    db.prepare('INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?)').run(
      'abc1234',
      'https://example.com/',
      1,
      1,
    );
    db.close();
    const dir = migrationsWith({
      '20990101000000_create_notes.sql':
        '-- migrate:up\nCREATE TABLE notes (x);\n-- migrate:down\nDROP TABLE notes;\n',
    });

    const result = runScript({ DATABASE_URL: `sqlite:${file}`, MIGRATIONS_DIR: dir });

    expect(result.status).toBe(0);
    const backups = fs.readdirSync(path.join(tmp, 'db', 'backups'));
    expect(backups).toEqual([
      expect.stringMatching(/^database-\d{8}T\d{6}Z-before-20990101000000\.sqlite3$/),
    ]);
    const snapshot = path.join(tmp, 'db', 'backups', backups[0] as string);
    expect(result.stdout).toContain(
      `snapshot ${snapshot}\napplied 20990101000000_create_notes.sql\n`,
    );
    // The snapshot is the database as it was just before the migration.
    expect(appliedVersions(snapshot)).toEqual(MIGRATION_VERSIONS);
    expect(tableNames(snapshot)).not.toContain('notes');
    expect(appliedVersions(file)).toEqual([...MIGRATION_VERSIONS, '20990101000000']);
  });

  it('when a migration is broken, then it exits non-zero with one readable line and keeps earlier versions', () => {
    const file = path.join(tmp, 'database.sqlite3');
    runScript({ DATABASE_URL: `sqlite:${file}` });
    const dir = migrationsWith({
      '20990101000000_bad.sql':
        '-- migrate:up\nCREATE TABLE half (x);\nCREAT TABLE t (x);\n-- migrate:down\n',
      '20990102000000_after.sql': '-- migrate:up\nCREATE TABLE after_bad (x);\n-- migrate:down\n',
    });

    const result = runScript({ DATABASE_URL: `sqlite:${file}`, MIGRATIONS_DIR: dir });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toBe(
      'migrate: 20990101000000_bad.sql failed: near "CREAT": syntax error\n',
    );
    expect(result.stderr).not.toContain('    at ');
    expect(appliedVersions(file)).toEqual(MIGRATION_VERSIONS);
    expect(tableNames(file)).not.toContain('half');
    expect(tableNames(file)).not.toContain('after_bad');
  });
});

// The other commands of dist/migrate.js, which the script's `up` shares its code with.
describe('dist/migrate.js', () => {
  it('when asked for status, then it lists each file and the totals without creating the database', () => {
    const file = path.join(tmp, 'database.sqlite3');

    const before = runMigrate(['status'], { DATABASE_URL: `sqlite:${file}` });
    expect(fs.existsSync(file)).toBe(false);
    runMigrate(['up'], { DATABASE_URL: `sqlite:${file}` });
    const after = runMigrate(['status'], { DATABASE_URL: `sqlite:${file}` });

    const count = MIGRATION_FILES.length;
    expect(before.stdout).toBe(
      [...MIGRATION_FILES.map((f) => `[ ] ${f}`), `0 applied, ${count} pending`, ''].join('\n'),
    );
    expect(after.stdout).toBe(
      [...MIGRATION_FILES.map((f) => `[x] ${f}`), `${count} applied, 0 pending`, ''].join('\n'),
    );
  });

  it('when asked to roll back a migration that drops data without --yes, then it refuses and changes nothing', () => {
    const file = path.join(tmp, 'database.sqlite3');
    // The schema up to the link management migration, whose down section drops tables and columns.
    const dir = path.join(tmp, 'migrations');
    fs.mkdirSync(dir);
    const upTo = MIGRATION_FILES.filter((f) => f <= '20261125130000_add_link_management.sql');
    for (const name of upTo) fs.copyFileSync(path.join('migrations', name), path.join(dir, name));
    const env = { DATABASE_URL: `sqlite:${file}`, MIGRATIONS_DIR: dir };
    runMigrate(['up'], env);

    const result = runMigrate(['rollback'], env);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'rolling back 20261125130000_add_link_management.sql destroys data (',
    );
    expect(result.stderr).toContain('DROP TABLE visits_referrers');
    expect(result.stderr).toContain('rollback --yes');
    expect(appliedVersions(file)).toEqual(upTo.map((f) => f.slice(0, 14)));
    expect(fs.existsSync(path.join(tmp, 'backups'))).toBe(false);
  });

  it('when asked to roll back with --yes, then it writes a snapshot first, undoes the newest migration and says how to restore', () => {
    const file = path.join(tmp, 'database.sqlite3');
    runMigrate(['up'], { DATABASE_URL: `sqlite:${file}` });
    const db = new Database(file);
    db.prepare(
      "INSERT INTO urls (code, target, created, updated, visits) VALUES ('keep', 'https://a.example/', 1, 1, 37)",
    ).run();
    db.close();

    const result = runMigrate(['rollback', '--yes'], { DATABASE_URL: `sqlite:${file}` });

    expect(result.status).toBe(0);
    const [snapshotLine, rolledBack, restore] = result.stdout.trimEnd().split('\n');
    const snapshot = snapshotLine!.replace(/^snapshot /, '');
    expect(path.basename(snapshot)).toMatch(
      new RegExp(`^database-\\d{8}T\\d{6}Z-before-rollback-${NEWEST_MIGRATION.version}\\.sqlite3$`),
    );
    expect(rolledBack).toBe(`rolled back ${NEWEST_MIGRATION.filename}`);
    expect(restore).toBe(
      `to return to the state before this rollback: stop snip, copy ${snapshot} to ${file}, and delete ${file}-wal and ${file}-shm`,
    );
    expect(appliedVersions(file)).toEqual(MIGRATION_VERSIONS.slice(0, -1));
    // The snapshot holds what the rollback dropped.
    expect(readColumn<number>(snapshot, "SELECT visits FROM urls WHERE code = 'keep'")).toEqual([
      37,
    ]);
  });

  it('when run without a command, then it prints the usage and the status and applies nothing', () => {
    const file = path.join(tmp, 'database.sqlite3');
    const dir = migrationsWith({});
    runMigrate(['up'], { DATABASE_URL: `sqlite:${file}`, MIGRATIONS_DIR: dir });
    runMigrate(['new', 'not_ready'], { MIGRATIONS_DIR: dir, DATABASE_URL: '' });

    const result = runMigrate([], { DATABASE_URL: `sqlite:${file}`, MIGRATIONS_DIR: dir });

    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('usage: migrate [up|status|rollback [--yes]|new NAME]');
    // Made now, it may sort before a migration written for a later time.
    expect(lines.filter((line) => line.startsWith('[ ] '))).toEqual([
      expect.stringMatching(/^\[ \] \d{14}_not_ready\.sql$/),
    ]);
    expect(lines.at(-1)).toBe(`${MIGRATION_FILES.length} applied, 1 pending`);
    expect(appliedVersions(file)).toEqual(MIGRATION_VERSIONS);
  });

  it('when the configuration is invalid, then up says what to fix and never creates the database', () => {
    const file = path.join(tmp, 'database.sqlite3');

    const result = runMigrate(['up'], { DATABASE_URL: `sqlite:${file}`, PORT: 'abc' });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT must be a number between 1 and 65535, got "abc"');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('when the migrations folder has a postgres folder, then new creates the PostgreSQL twin with the same version and name', () => {
    const dir = path.join(tmp, 'new');
    fs.mkdirSync(path.join(dir, 'postgres'), { recursive: true });

    const result = runMigrate(['new', 'add_notes'], { MIGRATIONS_DIR: dir, DATABASE_URL: '' });

    expect(result.status).toBe(0);
    const created = fs.readdirSync(dir).filter((name) => name.endsWith('.sql'));
    expect(created).toEqual([expect.stringMatching(/^\d{14}_add_notes\.sql$/)]);
    expect(fs.readdirSync(path.join(dir, 'postgres'))).toEqual(created);
    expect(result.stdout).toBe(
      `created ${path.join(dir, created[0]!)}\ncreated ${path.join(dir, 'postgres', created[0]!)}\n`,
    );
  });

  it('when asked to roll back on PostgreSQL, then it refuses in one line before connecting', () => {
    // Nothing listens on port 1: a refusal that tried to connect would say so instead.
    const result = runMigrate(['rollback', '--yes'], {
      DATABASE_URL: 'postgres://snip@127.0.0.1:1/snip',
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "migrate: rollback is not supported on PostgreSQL yet; restore your PostgreSQL backup, or run the migration's '-- migrate:down' section from migrations/postgres/ and delete its version from schema_migrations\n",
    );
  });

  it('when asked for a new migration, then it creates it in MIGRATIONS_DIR without a database', () => {
    const dir = path.join(tmp, 'new');

    const result = runMigrate(['new', 'add_visits'], { MIGRATIONS_DIR: dir, DATABASE_URL: '' });

    expect(result.status).toBe(0);
    const [created] = fs.readdirSync(dir);
    expect(created).toMatch(/^\d{14}_add_visits\.sql$/);
    expect(result.stdout).toBe(`created ${path.join(dir, created as string)}\n`);
  });

  it('when the command is unknown or DATABASE_URL is missing, then it exits 1 with one line', () => {
    const unknown = runMigrate(['sideways'], { DATABASE_URL: 'sqlite::memory:' });
    const noUrl = runMigrate(['status'], { DATABASE_URL: '' });

    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('migrate: usage: migrate [up|status|rollback [--yes]|new NAME]\n');
    expect(noUrl.status).toBe(1);
    expect(noUrl.stderr).toBe(
      'migrate: DATABASE_URL is not set (example: sqlite:/data/db/database.sqlite3)\n',
    );
  });
});
