import { ConfigError } from './config.js';
import {
  MigrationFailedError,
  MigrationFileError,
  MigrationLockError,
  SchemaNewerError,
} from './db/migrations.js';
import { storageUnavailableCode } from './db/storage-unavailable.js';

/**
 * The last line of a launch that stopped before the server listened (`src/server.ts --migrate`,
 * which scripts/launch.sh starts): which kind of failure it was, after the line that gave its
 * details. A person fixes a configuration error, a migration's SQL or a database that cannot be
 * reached in different places, and a crash is a bug to report; "migrations failed" said none of it.
 */
export function describeLaunchFailure(error: unknown): string {
  return `launch: ${whatFailed(error)}; not starting the server`;
}

function whatFailed(error: unknown): string {
  if (error instanceof ConfigError) {
    return error.variables.length > 0
      ? `configuration error in ${error.variables.join(', ')}`
      : 'configuration error';
  }
  if (error instanceof SchemaNewerError) {
    return 'the database was migrated by a newer snip than this one';
  }
  if (error instanceof MigrationFileError) return 'a migration file is broken';
  if (error instanceof MigrationLockError) return 'another process holds the migration lock';
  // A full disk, a read-only file or an unreachable PostgreSQL, also in the middle of a migration.
  const storage = storageUnavailableCode(error) ?? storageUnavailableCode(causeOf(error));
  if (storage !== null) return `the database could not be opened or written (${storage})`;
  const code = sqliteCodeOf(error) ?? sqliteCodeOf(causeOf(error));
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return `the database file is not an SQLite database, or is damaged (${code})`;
  }
  if (error instanceof MigrationFailedError) {
    return `migration ${error.filename} failed: the database refused its SQL`;
  }
  return `crashed (${describeCrash(error)})`;
}

function sqliteCodeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

/** The error's kind, its message, where it was thrown, and its causes: one line, not a trace. */
function describeCrash(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) {
      const at = e.stack
        ?.split('\n')
        .find((line) => line.trimStart().startsWith('at '))
        ?.trim();
      parts.push(`${e.name}: ${e.message}${at ? ` ${at}` : ''}`);
      e = e.cause;
    } else {
      parts.push(String(e));
      e = undefined;
    }
  }
  return parts.join('; caused by ');
}
