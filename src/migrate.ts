// First: on an older Node the SQLite driver crashes the process; this stops it with one line.
import '../scripts/check-node.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { requireStorageConfig, runIfEntryPoint, type CliOutput } from './cli.js';
import { loadConfig } from './config.js';
import { createMigrationFile, type MigrationStatus } from './db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from './db/migrations-dir.js';
import { openStorage } from './storage/open-storage.js';

/**
 * The migration command: `node dist/migrate.js [up|status|rollback [--yes]|new NAME]`.
 * scripts/run-migrations.sh runs `up` (the server does the same in its own process when
 * scripts/launch.sh starts it with --migrate); without a command it prints the usage and the
 * status, and changes nothing. A `sqlite:` DATABASE_URL uses the files in the
 * migrations folder; a `postgres://` one their twins in its `postgres/` folder
 * (src/db/migrations.postgres.ts), where `rollback` is not supported yet. What each engine does
 * for each command lives in the storage room (src/storage/open-storage.*.ts).
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
    const migrations = (await openStorage(requireStorageConfig(env, cwd))).migrations(dir);
    if (command.kind === 'help') {
      const statuses = await migrations.status();
      output.out(USAGE);
      printStatuses(statuses, output);
    } else if (command.kind === 'status') printStatuses(await migrations.status(), output);
    else if (command.kind === 'rollback') await migrations.rollback(output.out, command.confirmed);
    else {
      // The launch path: a server that would refuse its configuration must not migrate first.
      const config = loadConfig(env, cwd);
      await migrations.up(output.out, { lockTimeoutMs: config.migrationLockTimeoutMs });
    }
    return 0;
  } catch (error) {
    output.err(`migrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function printStatuses(statuses: MigrationStatus[], output: CliOutput): void {
  for (const s of statuses) {
    output.out(`${s.applied ? '[x]' : '[ ]'} ${s.filename ?? `${s.version} (no migration file)`}`);
  }
  const applied = statuses.filter((s) => s.applied).length;
  output.out(`${applied} applied, ${statuses.length - applied} pending`);
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

await runIfEntryPoint(import.meta.url, process.env, (output) =>
  runMigrate(process.argv.slice(2), process.env, output),
);
