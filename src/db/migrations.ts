import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './open-database.sqlite.js';

/** One dbmate migration file, parsed. `version` is the file name's leading digits. */
export type Migration = {
  version: string;
  name: string;
  filename: string;
  up: string;
  down: string;
  upTransaction: boolean;
  downTransaction: boolean;
};

/** `filename` is null for a version recorded in the database whose file is gone. */
export type MigrationStatus = {
  version: string;
  name: string;
  filename: string | null;
  applied: boolean;
};

/** A migration file that cannot be read as one (its folder, its markers, a version used twice). */
export class MigrationFileError extends Error {
  override name = 'MigrationFileError';
}

/** A migration whose SQL the database refused; with its transaction, nothing of it stays. */
export class MigrationFailedError extends Error {
  override name = 'MigrationFailedError';
  constructor(
    readonly filename: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Another run held the migration lock (PostgreSQL) for longer than this one would wait. */
export class MigrationLockError extends Error {
  override name = 'MigrationLockError';
}

/**
 * The database has migrations this build has no file for: a newer snip migrated it, and this
 * one would run on a schema it does not know (an older image started after a newer one).
 */
export class SchemaNewerError extends Error {
  override name = 'SchemaNewerError';
}

// dbmate takes any `*.sql` file that starts with digits; other files in the folder are ignored.
const MIGRATION_FILE = /^(\d+)_?(.*)\.sql$/;
// dbmate's markers: `-- migrate:up`, `--migrate:up`, optionally followed by `key:value` options.
const UP_MARKER = /^--[ \t]*migrate:up(?:[ \t]+(.*))?$/m;
const DOWN_MARKER = /^--[ \t]*migrate:down(?:[ \t]+(.*))?$/m;
const MIGRATION_NAME = /^[a-z0-9_]+$/;

export function loadMigrations(dir: string): Migration[] {
  const migrations = listMigrationFiles(dir).map((filename) =>
    parseMigration(filename, fs.readFileSync(path.join(dir, filename), 'utf8')),
  );
  migrations.sort((a, b) => compareVersions(a.version, b.version));
  rejectDuplicateVersions(migrations);
  return migrations;
}

function listMigrationFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationFileError(`cannot read the migrations folder ${dir}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return entries.filter((e) => e.isFile() && MIGRATION_FILE.test(e.name)).map((e) => e.name);
}

/** Splits a file the way dbmate does, and rejects what dbmate would reject. */
export function parseMigration(filename: string, contents: string): Migration {
  const [, version = '', name = ''] = MIGRATION_FILE.exec(filename) ?? [];
  if (version === '') throw new MigrationFileError(`${filename}: not a migration file name`);
  const text = contents.replace(/\r\n/g, '\n');
  const up = UP_MARKER.exec(text);
  if (!up) throw new MigrationFileError(`${filename}: missing the '-- migrate:up' line`);
  const down = DOWN_MARKER.exec(text);
  // dbmate refuses a file without a down block, so accepting one here would let the two disagree.
  if (!down) throw new MigrationFileError(`${filename}: missing the '-- migrate:down' line`);
  if (down.index < up.index) {
    throw new MigrationFileError(`${filename}: '-- migrate:up' must come before '-- migrate:down'`);
  }
  if (!isOnlyComments(text.slice(0, up.index))) {
    throw new MigrationFileError(`${filename}: statements before '-- migrate:up' are not allowed`);
  }
  return {
    version,
    name,
    filename,
    up: text.slice(up.index + up[0].length, down.index).trim(),
    down: text.slice(down.index + down[0].length).trim(),
    upTransaction: usesTransaction(up[1]),
    downTransaction: usesTransaction(down[1]),
  };
}

function isOnlyComments(text: string): boolean {
  return text.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}

/** dbmate wraps a section in a transaction unless it says `transaction:false`. */
function usesTransaction(options: string | undefined): boolean {
  const words = (options ?? '').trim().split(/\s+/);
  return !words.includes('transaction:false');
}

function rejectDuplicateVersions(migrations: Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1];
    const current = migrations[i];
    if (previous && current && previous.version === current.version) {
      throw new MigrationFileError(
        `${current.filename}: version ${current.version} is also used by ${previous.filename}`,
      );
    }
  }
}

// dbmate reads versions back with `ORDER BY version`, i.e. as text, so snip orders them the same way.
function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The exact statement dbmate 2.x runs for SQLite, so both tools share one table. */
export function ensureSchemaMigrationsTable(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS "schema_migrations" (version varchar(128) primary key)');
}

/** Applied versions, oldest first; empty when the table does not exist yet. */
export function readAppliedVersions(db: Db): string[] {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (table === undefined) return [];
  return db
    .prepare('SELECT version FROM schema_migrations ORDER BY version')
    .pluck()
    .all()
    .map(String);
}

export function migrationStatus(db: Db, migrations: Migration[]): MigrationStatus[] {
  return statusOf(readAppliedVersions(db), migrations);
}

/** Each migration file and each recorded version without a file, with whether it is applied. */
export function statusOf(
  appliedVersions: readonly string[],
  migrations: Migration[],
): MigrationStatus[] {
  const applied = new Set(appliedVersions);
  const known = new Set(migrations.map((m) => m.version));
  const fromFiles = migrations.map((m) => ({
    version: m.version,
    name: m.name,
    filename: m.filename,
    applied: applied.has(m.version),
  }));
  const withoutFile = [...applied]
    .filter((version) => !known.has(version))
    .map((version) => ({ version, name: '', filename: null, applied: true }));
  return [...fromFiles, ...withoutFile].sort((a, b) => compareVersions(a.version, b.version));
}

/**
 * Refuses a database that has versions applied which no migration file of this build has,
 * naming the newest of each side; null when every applied version is known.
 */
export function findNewerSchema(
  appliedVersions: readonly string[],
  migrations: Migration[],
): SchemaNewerError | null {
  const known = new Set(migrations.map((m) => m.version));
  const unknown = appliedVersions.filter((version) => !known.has(version)).sort(compareVersions);
  if (unknown.length === 0) return null;
  const newestApplied = [...appliedVersions].sort(compareVersions).at(-1)!;
  const newestKnown = migrations.at(-1)?.version ?? 'none';
  return new SchemaNewerError(
    `the database was migrated by a newer snip: the newest migration applied to it is ${newestApplied}, the newest this build knows is ${newestKnown}` +
      ` (${unknown.length} applied migration${unknown.length === 1 ? '' : 's'} unknown here: ${unknown.join(', ')}).` +
      ' Run the newer version again, or restore the backup taken before it migrated (docs/operations.md#migrations)',
  );
}

export function pendingMigrations(db: Db, migrations: Migration[]): Migration[] {
  return pendingOf(readAppliedVersions(db), migrations);
}

/** The migrations whose version is not among `appliedVersions`, in order. */
export function pendingOf(
  appliedVersions: readonly string[],
  migrations: Migration[],
): Migration[] {
  const applied = new Set(appliedVersions);
  return migrations.filter((m) => !applied.has(m.version));
}

/**
 * Applies every pending migration in version order and returns them. Each one commits on its own,
 * so a failure keeps the earlier ones, leaves no trace of itself (unless it opted out of the
 * transaction) and stops the run.
 */
export function applyMigrations(
  db: Db,
  migrations: Migration[],
  onApplied?: (migration: Migration) => void,
): Migration[] {
  ensureSchemaMigrationsTable(db);
  const record = db.prepare('INSERT INTO schema_migrations (version) VALUES (?)');
  const applied: Migration[] = [];
  for (const migration of pendingMigrations(db, migrations)) {
    runStep(db, migration, migration.upTransaction, () => {
      db.exec(migration.up);
      record.run(migration.version);
    });
    applied.push(migration);
    onApplied?.(migration);
  }
  return applied;
}

/** The migration a rollback would undo; null when none is applied. */
export function newestApplied(db: Db, migrations: Migration[]): Migration | null {
  const newest = readAppliedVersions(db).at(-1);
  if (newest === undefined) return null;
  const migration = migrations.find((m) => m.version === newest);
  if (!migration) {
    throw new Error(`cannot roll back version ${newest}: no migration file has that version`);
  }
  return migration;
}

// Statements that throw data away; dropping an index, a view or a trigger loses nothing.
const DATA_LOSS = /^(?:DROP\s+TABLE|ALTER\s+TABLE\s+\S+\s+DROP|DELETE\s+FROM|TRUNCATE)\b/i;

/** The statements of a migration section that destroy data, in order (comments ignored). */
export function dataLosses(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(';')
    .map((statement) => statement.replace(/\s+/g, ' ').trim())
    .filter((statement) => DATA_LOSS.test(statement));
}

/** Undoes the newest applied migration; null when none is applied. */
export function rollbackMigration(db: Db, migrations: Migration[]): Migration | null {
  ensureSchemaMigrationsTable(db);
  const migration = newestApplied(db, migrations);
  if (migration === null) return null;
  const forget = db.prepare('DELETE FROM schema_migrations WHERE version = ?');
  runStep(db, migration, migration.downTransaction, () => {
    db.exec(migration.down);
    forget.run(migration.version);
  });
  return migration;
}

function runStep(db: Db, migration: Migration, inTransaction: boolean, step: () => void): void {
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  try {
    // Statements such as VACUUM cannot run inside a transaction; dbmate's `transaction:false`.
    if (inTransaction) db.transaction(step)();
    else step();
  } catch (error) {
    // A section without the runner's transaction may open its own (a table rebuild does, with
    // foreign keys off): when it fails, its transaction is rolled back and the setting restored.
    if (!inTransaction) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.pragma(`foreign_keys = ${foreignKeys === 1 ? 'ON' : 'OFF'}`);
    }
    throw new MigrationFailedError(
      migration.filename,
      `${migration.filename} failed: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

/** Writes an empty migration named after the UTC time, like `dbmate new`, and returns its path. */
export function createMigrationFile(dir: string, name: string, now: Date): string {
  if (!MIGRATION_NAME.test(name)) {
    throw new Error(`migration name must match [a-z0-9_]+ (got "${name}")`);
  }
  const version = formatVersion(now);
  fs.mkdirSync(dir, { recursive: true });
  const clash = listMigrationFiles(dir).find((f) => MIGRATION_FILE.exec(f)?.[1] === version);
  if (clash) throw new Error(`version ${version} is already used by ${clash}; try again`);
  const file = path.join(dir, `${version}_${name}.sql`);
  fs.writeFileSync(file, '-- migrate:up\n\n\n-- migrate:down\n\n', { flag: 'wx' });
  return file;
}

/** 2026-11-25T12:00:00.123Z → 20261125120000 */
export function formatVersion(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/\D/g, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
