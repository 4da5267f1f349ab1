import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  isPostgresUrl,
  parseDatabaseTarget,
  parseDatabaseUrl,
  type DatabaseTarget,
} from './db/database-url.js';

/** Where a command writes: lines for a person, one per call. */
export type CliOutput = { out: (line: string) => void; err: (line: string) => void };

function requireDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    throw new Error('DATABASE_URL is not set (example: sqlite:/data/db/database.sqlite3)');
  }
  return url;
}

/** The SQLite database file a command works on; an unset or blank DATABASE_URL is an error. */
export function requireDatabaseFile(env: NodeJS.ProcessEnv, cwd: string): string {
  const url = requireDatabaseUrl(env);
  if (isPostgresUrl(url)) {
    throw new Error(
      'this command works on SQLite only; back up PostgreSQL with pg_dump or your provider’s backups',
    );
  }
  return parseDatabaseUrl(url, cwd);
}

/** The database, SQLite or PostgreSQL, the migrate command works on. */
export function requireDatabaseTarget(env: NodeJS.ProcessEnv, cwd: string): DatabaseTarget {
  return parseDatabaseTarget(requireDatabaseUrl(env), cwd);
}

/**
 * Runs `command` when the module at `moduleUrl` is the script Node was started with (not when a
 * test imports it), printing to stdout/stderr and setting the exit code it returns.
 */
export async function runIfEntryPoint(
  moduleUrl: string,
  command: (output: CliOutput) => Promise<number>,
): Promise<void> {
  const script = process.argv[1];
  if (script === undefined) return;
  let isEntry: boolean;
  try {
    isEntry = fs.realpathSync(script) === fs.realpathSync(fileURLToPath(moduleUrl));
  } catch {
    isEntry = false;
  }
  if (!isEntry) return;
  process.exitCode = await command({
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
