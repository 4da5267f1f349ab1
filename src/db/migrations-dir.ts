import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `migrations/` at the project root; this file is at src/db/ or dist/db/. */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'migrations',
);

/**
 * The PostgreSQL twins of the migrations in `dir`: the same versions and names, in a folder of
 * their own inside it (dbmate and snip's SQLite runner read only the files directly in `dir`).
 */
export function postgresMigrationsDir(dir: string): string {
  return path.join(dir, 'postgres');
}
