import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDatabaseTarget } from './db/database-url.js';
import type { StorageConfig } from './storage/storage.js';
import { describeUnknownVariable, findUnknownVariables } from './unknown-variables.js';

/** Where a command writes: lines for a person, one per call. */
export type CliOutput = { out: (line: string) => void; err: (line: string) => void };

function requireDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    throw new Error('DATABASE_URL is not set (example: sqlite:/data/db/database.sqlite3)');
  }
  return url;
}

/**
 * Where a command's database is, SQLite or PostgreSQL, from DATABASE_URL (and on PostgreSQL
 * DATABASE_DIRECT_URL); an unset or blank DATABASE_URL is an error.
 */
export function requireStorageConfig(env: NodeJS.ProcessEnv, cwd: string): StorageConfig {
  const databaseUrl = requireDatabaseUrl(env);
  const target = parseDatabaseTarget(databaseUrl, cwd);
  return {
    databaseUrl,
    databaseFile: target.engine === 'sqlite' ? target.file : null,
    databaseDirectUrl: env.DATABASE_DIRECT_URL?.trim() || databaseUrl,
    // A command run beside a replicated server (`fly ssh console`) must not checkpoint either.
    walCheckpoints: env.LITESTREAM_REPLICA_URL?.trim() ? 'litestream' : 'sqlite',
  };
}

/**
 * Runs `command` when the module at `moduleUrl` is the script Node was started with (not when a
 * test imports it), printing to stdout/stderr and setting the exit code it returns. First, one
 * line on stderr for each variable of `env` that looks like snip's but is not (ADMIN_PASWORD).
 */
export async function runIfEntryPoint(
  moduleUrl: string,
  env: NodeJS.ProcessEnv,
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
  for (const unknown of findUnknownVariables(env)) {
    process.stderr.write(`warning: ${describeUnknownVariable(unknown)}\n`);
  }
  process.exitCode = await command({
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
