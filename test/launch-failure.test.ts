import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../src/config.js';
import { loadConfig } from '../src/config.js';
import {
  MigrationFailedError,
  MigrationFileError,
  MigrationLockError,
  SchemaNewerError,
} from '../src/db/migrations.js';
import { describeLaunchFailure } from '../src/launch-failure.js';

function configError(): ConfigError {
  try {
    loadConfig({ PORT: 'eighty', CODE_LENGTH: '99' });
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('the configuration was accepted');
}

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('describeLaunchFailure', () => {
  it('when the configuration is wrong, then it names each wrong variable', () => {
    expect(describeLaunchFailure(configError())).toBe(
      'launch: configuration error in PORT, CODE_LENGTH; not starting the server',
    );
  });

  it('when a migration’s SQL fails, then it names the migration', () => {
    const error = new MigrationFailedError('20261201000000_bad.sql', 'x failed: syntax error', {
      cause: sqliteError('SQLITE_ERROR', 'near "CREAT": syntax error'),
    });
    expect(describeLaunchFailure(error)).toBe(
      'launch: migration 20261201000000_bad.sql failed: the database refused its SQL; not starting the server',
    );
  });

  it('when a migration fails because the disk is full, then it says the database could not be written', () => {
    const error = new MigrationFailedError('20261201000000_big.sql', 'x failed: disk full', {
      cause: sqliteError('SQLITE_FULL', 'database or disk is full'),
    });
    expect(describeLaunchFailure(error)).toBe(
      'launch: the database could not be opened or written (SQLITE_FULL); not starting the server',
    );
  });

  it.each([
    [new SchemaNewerError('newer'), 'the database was migrated by a newer snip than this one'],
    [new MigrationFileError('x.sql: missing'), 'a migration file is broken'],
    [new MigrationLockError('held'), 'another process holds the migration lock'],
    [
      sqliteError('SQLITE_NOTADB', 'file is not a database'),
      'the database file is not an SQLite database, or is damaged (SQLITE_NOTADB)',
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'the database could not be opened or written (POSTGRES_UNAVAILABLE)',
    ],
  ])('when it is %s, then it says so', (error, said) => {
    expect(describeLaunchFailure(error)).toBe(`launch: ${said}; not starting the server`);
  });

  it('when something else is thrown, then it is a crash, with its kind, where it was thrown and its cause, in one line', () => {
    const cause = new RangeError('Invalid array length');
    const error = new TypeError('Cannot read properties of undefined', { cause });
    const line = describeLaunchFailure(error);
    expect(line).toMatch(
      /^launch: crashed \(TypeError: Cannot read properties of undefined at .*launch-failure\.test\.ts:\d+:\d+\)?; caused by RangeError: Invalid array length at .*; not starting the server$/,
    );
    expect(line).not.toContain('\n');
  });
});
