import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSqliteFile } from '../src/config.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/db/migrations-dir.js';

describe('loadConfig', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadConfig({}, '/srv/snip');
    expect(config).toEqual({
      port: 8080,
      databaseUrl: 'sqlite:data/db/database.sqlite3',
      databaseEngine: 'sqlite',
      databaseFile: path.resolve('/srv/snip', 'data/db/database.sqlite3'),
      databaseDirectUrl: 'sqlite:data/db/database.sqlite3',
      cacheInvalidation: 'listen',
      redirectCacheTtlMs: 10_000,
      baseUrl: null,
      trustProxy: false,
      codeLength: 7,
      maxUrlLength: 2048,
      logLevel: 'info',
      migrationsDir: DEFAULT_MIGRATIONS_DIR,
      geoipDatabase: null,
      statistics: 'full',
      defaultLanguage: 'en',
      migrationLockTimeoutMs: 60_000,
      rateLimits: {
        create: { points: 60, seconds: 3600, text: '60/h' },
        notFound: { points: 120, seconds: 60, text: '120/min' },
        manage: { points: 120, seconds: 60, text: '120/min' },
        api: { points: 600, seconds: 60, text: '600/min' },
        qr: { points: 120, seconds: 60, text: '120/min' },
        password: { points: 10, seconds: 900, text: '10/15min' },
      },
      onFly: false,
      allowEphemeralDatabase: false,
      createAccess: 'public',
      adminPassword: null,
      adminSessionIdleMs: 1_800_000,
      adminSessionMaxMs: 43_200_000,
      initialApiKey: null,
      metricsToken: null,
      corsOrigins: [],
      litestream: null,
      walCheckpoints: 'sqlite',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when CORS_ORIGINS lists origins, then each is stored as a bare origin', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://App.Example/, http://localhost:3000' }).corsOrigins,
    ).toEqual(['https://app.example', 'http://localhost:3000']);
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

  it.each([
    'postgres://snip:secret@db.internal:5432/snip',
    'postgresql://db/snip?sslmode=require',
    'postgres:///snip?host=/var/run/postgresql',
  ])(
    'when DATABASE_URL is the PostgreSQL URL %s, then it is accepted with no SQLite file',
    (url) => {
      const config = loadConfig({ DATABASE_URL: url });
      expect(config).toMatchObject({
        databaseUrl: url,
        databaseEngine: 'postgres',
        databaseFile: null,
      });
      expect(() => requireSqliteFile(config)).toThrow('this works on SQLite only');
    },
  );

  it('when a PostgreSQL URL names no database, then the error says so without its password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://snip:hunter2@db:5432/' })).toThrow(
      new ConfigError(
        'Invalid configuration:\n  DATABASE_URL must name one database, as in postgres://user:password@host:5432/snip, got "postgres://snip:***@db:5432/"',
        ['DATABASE_URL'],
      ),
    );
  });

  it.each([
    ['30s', 30_000],
    ['5min', 300_000],
  ])('when MIGRATION_LOCK_TIMEOUT is %s, then runs wait %i ms for the lock', (raw, ms) => {
    expect(loadConfig({ MIGRATION_LOCK_TIMEOUT: raw }).migrationLockTimeoutMs).toBe(ms);
  });

  it.each(['0s', '61min', '10', 'soon'])(
    'when MIGRATION_LOCK_TIMEOUT is %s, then it is refused',
    (raw) => {
      expect(() => loadConfig({ MIGRATION_LOCK_TIMEOUT: raw })).toThrow(
        'MIGRATION_LOCK_TIMEOUT must be a duration from 1s to 60min, such as 60s or 5min',
      );
    },
  );

  it('when DATABASE_DIRECT_URL is set, then LISTEN, locks and migrations use it, and queries DATABASE_URL', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://snip:secret@pooler.internal:6432/snip',
      DATABASE_DIRECT_URL: 'postgresql://snip:secret@direct.internal:5432/snip',
    });
    expect(config.databaseUrl).toBe('postgres://snip:secret@pooler.internal:6432/snip');
    expect(config.databaseDirectUrl).toBe('postgresql://snip:secret@direct.internal:5432/snip');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/snip' }).databaseDirectUrl).toBe(
      'postgres://db/snip',
    );
  });

  it.each(['sqlite:direct.sqlite3', 'mysql://snip:secret@db/snip'])(
    'when DATABASE_DIRECT_URL is %s, then it is refused without its password',
    (raw) => {
      let message = '';
      try {
        loadConfig({ DATABASE_URL: 'postgres://db/snip', DATABASE_DIRECT_URL: raw });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('DATABASE_DIRECT_URL must be a postgres:// URL');
      expect(message).not.toContain('secret');
    },
  );

  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['60s', 60_000],
  ])('when REDIRECT_CACHE_TTL is %s, then cached rows live %i ms', (raw, ms) => {
    expect(loadConfig({ REDIRECT_CACHE_TTL: raw }).redirectCacheTtlMs).toBe(ms);
  });

  it.each(['50ms', '3601s', '1', 'forever'])(
    'when REDIRECT_CACHE_TTL is %s, then it is refused',
    (raw) => {
      expect(() => loadConfig({ REDIRECT_CACHE_TTL: raw })).toThrow(
        'REDIRECT_CACHE_TTL must be a duration from 100ms to 3600s, such as 1s or 500ms',
      );
    },
  );

  it('when CACHE_INVALIDATION is ttl, then it is taken, the TTL shortens to 1 s, and anything but listen or ttl is refused', () => {
    expect(loadConfig({ CACHE_INVALIDATION: 'ttl' })).toMatchObject({
      cacheInvalidation: 'ttl',
      redirectCacheTtlMs: 1000,
    });
    expect(
      loadConfig({ CACHE_INVALIDATION: 'ttl', REDIRECT_CACHE_TTL: '300ms' }).redirectCacheTtlMs,
    ).toBe(300);
    expect(() => loadConfig({ CACHE_INVALIDATION: 'notify' })).toThrow(
      'CACHE_INVALIDATION must be listen or ttl',
    );
  });

  it.each([
    ['ADMIN_PASSWORD', 'hunter2pass', 'hunter2pass'],
    ['METRICS_TOKEN', 'short-secret1', 'short-secret1'],
    ['INITIAL_API_KEY', 'an initial key with spaces, long enough', 'an initial key with spaces'],
    ['INITIAL_API_KEY', 'tooShortKey42', 'tooShortKey42'],
    ['DATABASE_URL', 'postgres://snip:hunter2@db:5432/', 'hunter2'],
    ['DATABASE_URL', 'postgres://snip:pa/ss@w0rd@db:5432/', 'ss@w0rd'],
    ['DATABASE_URL', 'postgres://snip:p@ss@db:5432/', 'ss@db'],
    ['DATABASE_URL', 'mysql://snip:top?secret#1@db/snip', 'secret#1'],
    ['DATABASE_URL', 'host=db user=snip password=hunter2 dbname=snip', 'hunter2'],
    ['DATABASE_URL', 'postgres://db:5432/?user=snip&password=hunter2', 'hunter2'],
    ['DATABASE_DIRECT_URL', 'mysql://snip:pa/ss@w0rd@db/snip', 'ss@w0rd'],
    ['DATABASE_DIRECT_URL', 'host=db password=hunter2', 'hunter2'],
    ['BASE_URL', 'https://admin:hunter2@snip.example', 'hunter2'],
  ])(
    'when %s is invalid, then the error names it but never shows its secret',
    (name, value, secret) => {
      let message = '';
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(name);
      expect(message).not.toContain(secret);
    },
  );

  it.each([
    ['ADMIN_PASSWORD', '${ADMIN_PASSWORD:-}'],
    ['ADMIN_PASSWORD', '${ADMIN_PASSWORD:-a default secret}'],
    ['BASE_URL', '${BASE_URL:-}'],
    ['DATABASE_URL', '${DATABASE_URL}'],
    ['METRICS_TOKEN', ' ${TOKEN?set it} '],
  ])(
    'when %s is a ${…} reference left as text (podman-compose 1.0.3), then it is refused, not taken',
    (name, value) => {
      let message = '';
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`${name} is `);
      expect(message).toContain('reference that the tool starting snip did not substitute');
      // A secret's reference may carry a default that is itself a secret.
      if (name === 'ADMIN_PASSWORD' || name === 'METRICS_TOKEN') {
        expect(message).not.toContain(value.trim());
      } else {
        expect(message).toContain(JSON.stringify(value));
      }
    },
  );

  it('when a value only contains a ${ or starts with $, then it is taken as it is', () => {
    expect(loadConfig({ ADMIN_PASSWORD: 'pa${ss}word-long-enough' }).adminPassword).toBe(
      'pa${ss}word-long-enough',
    );
    expect(loadConfig({ ADMIN_PASSWORD: '$ADMIN_PASSWORD_1' }).adminPassword).toBe(
      '$ADMIN_PASSWORD_1',
    );
  });

  it('when several variables are wrong, then one error lists each of them in plain words', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://snip:secret@db/snip',
        BASE_URL: 'https://snip.example/path',
        CODE_LENGTH: '4',
        MAX_URL_LENGTH: '9000',
        LOG_LEVEL: 'loud',
        TRUST_PROXY: 'everyone',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split('\n').slice(1);
    expect(lines).toEqual([
      '  PORT must be a number between 1 and 65535, got "eighty"',
      '  DATABASE_URL must look like sqlite:/data/db/database.sqlite3, sqlite:data/db/database.sqlite3 or postgres://user:password@host:5432/snip, got "mysql://snip:***@db/snip"',
      '  BASE_URL must be an origin only, without a path, query or fragment (an origin such as https://snip.example), got "https://snip.example/path"',
      expect.stringMatching(/^ {2}TRUST_PROXY must be true, false, .*, got "everyone"$/),
      '  CODE_LENGTH must be a number between 5 and 16, got "4"',
      '  MAX_URL_LENGTH must be a number between 32 and 8192, got "9000"',
      '  LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8', 'loopback,10.0.0.0/8'],
    ['fdaa::/16', 'fdaa::/16'],
  ])('when TRUST_PROXY is %s, then Express gets %s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
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

describe('LITESTREAM_REPLICA_URL', () => {
  it.each([
    's3://snip-backups/snip',
    's3://snip-backups',
    's3://my.bucket-1/a/b/c.db',
    'file:///data/replica',
    'file:///srv/snip_replica',
  ])('when it is %s, then Litestream replicates there and owns the WAL checkpoints', (value) => {
    const config = loadConfig({ LITESTREAM_REPLICA_URL: value });
    expect(config.litestream).toEqual({ replicaUrl: value, metricsPort: 9090 });
    expect(config.walCheckpoints).toBe('litestream');
  });

  it('when LITESTREAM_METRICS_PORT is set, then Litestream serves its metrics there', () => {
    expect(
      loadConfig({ LITESTREAM_REPLICA_URL: 's3://b-1/x', LITESTREAM_METRICS_PORT: '19090' })
        .litestream,
    ).toEqual({ replicaUrl: 's3://b-1/x', metricsPort: 19090 });
    expect(() => loadConfig({ LITESTREAM_METRICS_PORT: '0' })).toThrow(
      /LITESTREAM_METRICS_PORT must be a number between 1 and 65535/,
    );
  });

  it('when it is empty, then nothing is replicated and SQLite checkpoints as usual', () => {
    const config = loadConfig({ LITESTREAM_REPLICA_URL: '  ' });
    expect(config.litestream).toBeNull();
    expect(config.walCheckpoints).toBe('sqlite');
  });

  it.each([
    [
      's3://bucket?endpoint=fly.storage.tigris.dev',
      /without a query: set the endpoint with AWS_ENDPOINT_URL_S3/,
    ],
    ['s3://tid_KEY:tsec_SECRET@bucket/db', /must not contain credentials/],
    ['s3://B/db', /must name a bucket/],
    ['s3://bucket/my db', /must have a path of letters/],
    ['file://relative/folder', /must be an s3:\/\/bucket\/path or file:\/\/\/absolute\/path URL/],
    ['file:///data/../etc', /must name a folder by its absolute path/],
    ['file:///', /must not be the root folder/],
    ['gs://bucket/db', /must be an s3:\/\/bucket\/path or file:\/\/\/absolute\/path URL/],
    ['/data/replica', /must be an s3:\/\/bucket\/path or file:\/\/\/absolute\/path URL/],
  ])(
    'when it is %s, then the start stops with a message that says what to set',
    (value, message) => {
      let error: unknown;
      try {
        loadConfig({ LITESTREAM_REPLICA_URL: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/LITESTREAM_REPLICA_URL/);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('tsec_SECRET');
    },
  );

  it('when DATABASE_URL names PostgreSQL, then a replica URL is refused: Litestream replicates SQLite files', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://db/snip', LITESTREAM_REPLICA_URL: 's3://bucket/db' }),
    ).toThrow(
      /LITESTREAM_REPLICA_URL replicates a SQLite file, but DATABASE_URL names a PostgreSQL database/,
    );
  });
});
