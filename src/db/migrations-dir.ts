import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `migrations/` at the project root; this file is at src/db/ or dist/db/. */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'migrations',
);
