// First: on an older Node the SQLite driver crashes the process; this stops it with one line.
import '../scripts/check-node.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { requireDatabaseTarget, runIfEntryPoint, type CliOutput } from './cli.js';
import { loadConfig } from './config.js';
import {
  createMigrationFile,
  dataLosses,
  loadMigrations,
  type Migration,
  type MigrationStatus,
} from './db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from './db/migrations-dir.js';
import {
  openFileMigrations,
  serverMigrations,
  type FileMigrations,
} from './storage/command-storage.js';

/**
 * The migration command: `node dist/migrate.js [up|status|rollback [--yes]|new NAME]`.
 * scripts/run-migrations.sh runs `up` before the server starts; without a command it prints the
 * usage and the status, and changes nothing. A `sqlite:` DATABASE_URL uses the files in the
 * migrations folder; a `postgres://` one their twins in its `postgres/` folder
 * (src/db/migrations.postgres.ts), where `rollback` is not supported yet.
 */

export type MigrateCommand =
  | { kind: 'help' }
  | { kind: 'up' }
  | { kind: 'status' }
  | { kind: 'rollback'; confirmed: boolean }
  | { kind: 'new'; name: string };

const USAGE = 'usage: migrate [up|status|rollback [--yes]|new NAME]';

export function parseMigrateArgs(args: string[]): MigrateCommand {
  const [kind, ...rest] = args;
  if (kind === undefined) return { kind: 'help' };
  if ((kind === 'up' || kind === 'status') && rest.length === 0) return { kind };
  if (kind === 'rollback' && (rest.length === 0 || (rest.length === 1 && rest[0] === '--yes'))) {
    return { kind, confirmed: rest.length === 1 };
  }
  if (kind === 'new' && rest.length === 1 && rest[0] !== undefined) {
    return { kind, name: rest[0] };
  }
  throw new Error(USAGE);
}

export function resolveMigrationsDir(env: NodeJS.ProcessEnv, cwd: string): string {
  const fromEnv = env.MIGRATIONS_DIR?.trim();
  return fromEnv ? path.resolve(cwd, fromEnv) : DEFAULT_MIGRATIONS_DIR;
}

/** Runs one command and returns the exit code; every failure becomes one line on `err`. */
export async function runMigrate(
  args: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
  cwd: string = process.cwd(),
): Promise<number> {
  try {
    const command = parseMigrateArgs(args);
    const dir = resolveMigrationsDir(env, cwd);
    if (command.kind === 'new') {
      createMigrationFiles(dir, command.name, output);
      return 0;
    }
    const target = requireDatabaseTarget(env, cwd);
    if (target.engine === 'postgres') {
      // The lock and the DDL need a server connection of their own: a direct URL, never a pooler's.
      const direct = env.DATABASE_DIRECT_URL?.trim() || target.url;
      await runOnPostgres(command, direct, postgresMigrationsDir(dir), env, cwd, output);
      return 0;
    }
    // Read the files first: a broken migrations folder should not create a database file.
    const migrations = loadMigrations(dir);
    const file = target.file;
    if (command.kind === 'help') {
      output.out(USAGE);
      printStatus(file, migrations, output);
    } else if (command.kind === 'status') printStatus(file, migrations, output);
    else if (command.kind === 'rollback') {
      await rollbackNewest(file, migrations, output, command.confirmed);
    } else {
      // The launch path: a server that would refuse its configuration must not migrate first.
      loadConfig(env, cwd);
      await migrateUp(file, migrations, output);
    }
    return 0;
  } catch (error) {
    output.err(`migrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function migrateUp(file: string, migrations: Migration[], output: CliOutput) {
  const existed = file !== ':memory:' && fs.existsSync(file);
  await withDatabase(file, async (db) => {
    const pending = db.pending(migrations);
    const first = pending[0];
    if (!first) {
      output.out(`nothing to migrate (${db.appliedCount()} applied)`);
      return;
    }
    // A new database has nothing to lose; an existing one gets a copy to restore if this goes wrong.
    if (existed) {
      const snapshot = await db.writeSnapshot(`before-${first.version}`);
      output.out(`snapshot ${snapshot}`);
    }
    db.apply(migrations, (m) => output.out(`applied ${m.filename}`));
  });
}

// status and rollback never create a database: a mistyped DATABASE_URL must not leave an empty one.
function isMissing(file: string): boolean {
  return file !== ':memory:' && !fs.existsSync(file);
}

function printStatus(file: string, migrations: Migration[], output: CliOutput): void {
  const statuses = isMissing(file)
    ? migrations.map((m) => ({ ...m, applied: false }))
    : withDatabaseSync(file, (db) => db.status(migrations));
  printStatuses(statuses, output);
}

function printStatuses(statuses: MigrationStatus[], output: CliOutput): void {
  for (const s of statuses) {
    output.out(`${s.applied ? '[x]' : '[ ]'} ${s.filename ?? `${s.version} (no migration file)`}`);
  }
  const applied = statuses.filter((s) => s.applied).length;
  output.out(`${applied} applied, ${statuses.length - applied} pending`);
}

/**
 * Undoes the newest migration, after writing the same snapshot `up` writes. A migration whose
 * down section destroys data (drops a table or a column, deletes rows) is undone only with
 * `--yes`: rolling back and migrating up again does not bring that data back, the snapshot does.
 */
async function rollbackNewest(
  file: string,
  migrations: Migration[],
  output: CliOutput,
  confirmed: boolean,
): Promise<void> {
  if (isMissing(file)) {
    output.out('nothing to roll back');
    return;
  }
  await withDatabase(file, async (db) => {
    const newest = db.newestApplied(migrations);
    if (newest === null) {
      output.out('nothing to roll back');
      return;
    }
    const losses = dataLosses(newest.down);
    if (losses.length > 0 && !confirmed) {
      throw new Error(
        `rolling back ${newest.filename} destroys data (${losses.join('; ')}); migrating up again does not bring it back. Run "npm run migrate -- rollback --yes" to go ahead: a snapshot is written first.`,
      );
    }
    const snapshot =
      file === ':memory:' ? null : await db.writeSnapshot(`before-rollback-${newest.version}`);
    if (snapshot) output.out(`snapshot ${snapshot}`);
    db.rollback(migrations);
    output.out(`rolled back ${newest.filename}`);
    if (snapshot) {
      output.out(
        `to return to the state before this rollback: stop snip, copy ${snapshot} to ${file}, and delete ${file}-wal and ${file}-shm`,
      );
    }
  });
}

/**
 * Creates an empty migration, and its twin with the same version and name in the PostgreSQL
 * folder when there is one, so both engines keep listing the same migrations.
 */
function createMigrationFiles(dir: string, name: string, output: CliOutput): void {
  const now = new Date();
  const twinDir = postgresMigrationsDir(dir);
  const hasTwinDir = fs.existsSync(twinDir);
  output.out(`created ${createMigrationFile(dir, name, now)}`);
  if (hasTwinDir) output.out(`created ${createMigrationFile(twinDir, name, now)}`);
}

export const ROLLBACK_ON_POSTGRES =
  "rollback is not supported on PostgreSQL yet; restore your PostgreSQL backup, or run the migration's '-- migrate:down' section from migrations/postgres/ and delete its version from schema_migrations";

/**
 * The commands on PostgreSQL: `status` reads the ledger; `up` waits for the migration lock (as
 * long as MIGRATION_LOCK_TIMEOUT), then applies what is still pending. No snapshot is written:
 * PostgreSQL is backed up with its own tools, by whoever runs it.
 */
async function runOnPostgres(
  command: Exclude<MigrateCommand, { kind: 'new' }>,
  url: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  output: CliOutput,
): Promise<void> {
  if (command.kind === 'rollback') throw new Error(ROLLBACK_ON_POSTGRES);
  const server = serverMigrations(url);
  const migrations = loadMigrations(dir);
  if (command.kind === 'help') output.out(USAGE);
  if (command.kind === 'help' || command.kind === 'status') {
    printStatuses(await server.status(migrations), output);
    return;
  }
  // The launch path: a configuration the server would refuse stops the migration too.
  const config = loadConfig(env, cwd);
  const result = await server.apply(migrations, {
    lockTimeoutMs: config.migrationLockTimeoutMs,
    onWaiting: (holder) => output.out(`waiting for the migration lock: ${holder}`),
    onApplied: (m) => output.out(`applied ${m.filename}`),
  });
  if (result.applied.length === 0) output.out(`nothing to migrate (${result.total} applied)`);
}

function withDatabaseSync<T>(file: string, use: (db: FileMigrations) => T): T {
  const db = openFileMigrations(file);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

async function withDatabase<T>(file: string, use: (db: FileMigrations) => Promise<T>): Promise<T> {
  const db = openFileMigrations(file);
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

await runIfEntryPoint(import.meta.url, (output) =>
  runMigrate(process.argv.slice(2), process.env, output),
);
