import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/db/migrations-dir.js';

describe('loadConfig', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadConfig({}, '/srv/snip');
    expect(config).toEqual({
      port: 8080,
      databaseUrl: 'sqlite:data/db/database.sqlite3',
      databaseFile: path.resolve('/srv/snip', 'data/db/database.sqlite3'),
      baseUrl: null,
      codeLength: 7,
      maxUrlLength: 2048,
      logLevel: 'info',
      migrationsDir: DEFAULT_MIGRATIONS_DIR,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when variables are set but empty, then they count as unset', () => {
    expect(loadConfig({ PORT: '', BASE_URL: '', LOG_LEVEL: '' }).port).toBe(8080);
  });

  it('when BASE_URL has a trailing slash, then it is stored as a bare origin', () => {
    expect(loadConfig({ BASE_URL: 'https://Snip.Example/' }).baseUrl).toBe('https://snip.example');
  });

  it.each([
    ['sqlite:/data/db/database.sqlite3', '/data/db/database.sqlite3'],
    ['sqlite:///data/db/database.sqlite3', '/data/db/database.sqlite3'],
    ['sqlite:data/x.sqlite3', path.resolve('/srv/snip', 'data/x.sqlite3')],
    ['sqlite3:/tmp/x.db?_busy_timeout=1', '/tmp/x.db'],
  ])('when DATABASE_URL is %s, then the file is %s', (url, file) => {
    expect(loadConfig({ DATABASE_URL: url }, '/srv/snip').databaseFile).toBe(file);
  });

  it('when several variables are wrong, then one error lists each of them', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'postgres://db/snip',
        BASE_URL: 'https://snip.example/path',
        CODE_LENGTH: '4',
        MAX_URL_LENGTH: '9000',
        LOG_LEVEL: 'loud',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const key of [
      'PORT',
      'DATABASE_URL',
      'BASE_URL',
      'CODE_LENGTH',
      'MAX_URL_LENGTH',
      'LOG_LEVEL',
    ]) {
      expect(message).toContain(`${key}:`);
    }
  });

  it.each([
    'ftp://snip.example',
    'https://user:pw@snip.example',
    'snip.example',
    'https://snip.example/?a=1',
  ])('when BASE_URL is %s, then it is refused', (value) => {
    expect(() => loadConfig({ BASE_URL: value })).toThrow(/BASE_URL/);
  });
});
