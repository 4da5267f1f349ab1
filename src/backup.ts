// First: on an older Node the SQLite driver crashes the process; this stops it with one line.
import '../scripts/check-node.mjs';
import { requireStorageConfig, runIfEntryPoint, type CliOutput } from './cli.js';
import { openStorage } from './storage/open-storage.js';

/**
 * The backup command: `node dist/backup.js`. Writes a consistent snapshot of the database named
 * by DATABASE_URL to `backups/` beside it and prints the snapshot's path. It uses SQLite's online
 * backup API, so it is safe while the server is running, and needs nothing but Node (the image
 * has no sqlite3 CLI). `backups/` keeps the newest five of these, apart from downloads and from
 * the snapshots taken before migrations.
 */

/** Runs the command and returns the exit code; every failure becomes one line on `err`. */
export async function runBackup(
  env: NodeJS.ProcessEnv,
  output: CliOutput,
  cwd: string = process.cwd(),
): Promise<number> {
  try {
    output.out(await (await openStorage(requireStorageConfig(env, cwd))).backUp('manual'));
    return 0;
  } catch (error) {
    output.err(`backup: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

await runIfEntryPoint(import.meta.url, process.env, (output) => runBackup(process.env, output));
