import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDatabaseUrl } from './db/database-url.js';
import { openDatabase } from './db/open-database.js';
import { writeSnapshot } from './db/snapshot.js';

/**
 * The backup command: `node dist/backup.js`. Writes a consistent snapshot of the database named
 * by DATABASE_URL to `backups/` beside it and prints the snapshot's path. It uses SQLite's online
 * backup API, so it is safe while the server is running, and needs nothing but Node (the image
 * has no sqlite3 CLI). The snapshot counts towards the ones `backups/` keeps (the newest five).
 */

export type BackupOutput = { out: (line: string) => void; err: (line: string) => void };

/** Runs the command and returns the exit code; every failure becomes one line on `err`. */
export async function runBackup(
  env: NodeJS.ProcessEnv,
  output: BackupOutput,
  cwd: string = process.cwd(),
): Promise<number> {
  try {
    const url = env.DATABASE_URL?.trim();
    if (!url) {
      throw new Error('DATABASE_URL is not set (example: sqlite:/data/db/database.sqlite3)');
    }
    const file = parseDatabaseUrl(url, cwd);
    if (file === ':memory:') throw new Error('an in-memory database cannot be backed up');
    // Opening a missing file would create an empty database and "back up" nothing.
    if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
    const db = openDatabase(file);
    try {
      output.out(await writeSnapshot(db, file, { label: 'manual' }));
    } finally {
      db.close();
    }
    return 0;
  } catch (error) {
    output.err(`backup: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await runBackup(process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
