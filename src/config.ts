import { z } from 'zod';
import path from 'node:path';
import { parseDatabaseTarget, redactDatabaseUrl } from './db/database-url.js';
import { DEFAULT_MIGRATIONS_DIR } from './db/migrations-dir.js';
import { LANGUAGES, supportedLanguage, type LanguageTag } from './i18n/languages.js';
import { parseRateLimit, type RateLimitRule } from './http/rate-limits.js';
import { INITIAL_KEY_PATTERN } from './keys/key-service.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A whole value such as `${ADMIN_PASSWORD:-}`: a Compose or env file's reference that the tool
 * starting snip passed on as text (podman-compose 1.0.3 does with an empty default). Never a
 * value, least of all a password everyone can read in the file.
 */
const UNSUBSTITUTED = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-+?=][^}]*)?\}$/;

/**
 * One environment variable: unset or empty (`VAR=`) gives the default; anything else is parsed
 * by `parse`, which answers the value or a message that says what the variable must be. `show`
 * turns the raw value into what that message may print (a URL without its password), or null
 * when it may print nothing of it (a secret).
 */
function setting<T>(
  name: string,
  fallback: T,
  parse: (raw: string) => T | { error: string },
  show: (raw: string) => string | null = (raw) => raw,
) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      if (UNSUBSTITUTED.test(raw.trim())) {
        const shown = show(raw.trim());
        ctx.addIssue({
          code: 'custom',
          message: `${name} is ${shown === null ? 'a' : `${JSON.stringify(shown)}, a`} \${…} reference that the tool starting snip did not substitute; set the value itself`,
        });
        return z.NEVER;
      }
      const value = parse(raw.trim());
      if (value !== null && typeof value === 'object' && 'error' in value) {
        const shown = show(raw);
        ctx.addIssue({
          code: 'custom',
          message: `${name} ${value.error}${shown === null ? '' : `, got ${JSON.stringify(shown)}`}`,
        });
        return z.NEVER;
      }
      return value as T;
    });
}

/** A secret's value is never printed, not even when it is wrong. */
const hidden = (): null => null;

/** An admin session's lifetime: idle, or in all. */
function sessionDuration(name: string, fallback: number) {
  return setting(name, fallback, (raw) => {
    const match = /^(\d+)\s*(min|h|d)$/.exec(raw);
    const unitMs = { min: 60_000, h: 3_600_000, d: 86_400_000 };
    const ms = match ? Number(match[1]) * unitMs[match[2] as keyof typeof unitMs] : 0;
    return ms >= 60_000 && ms <= 30 * 86_400_000
      ? ms
      : { error: 'must be a duration from 1min to 30d, such as 30min, 8h or 7d' };
  });
}

function wholeNumber(name: string, min: number, max: number, fallback: number) {
  return setting(name, fallback, (raw) => {
    const n = Number(raw);
    return /^\d+$/.test(raw) && n >= min && n <= max
      ? n
      : { error: `must be a number between ${min} and ${max}` };
  });
}

function parseBaseUrl(raw: string): string | { error: string } {
  const example = 'an origin such as https://snip.example';
  if (!URL.canParse(raw)) return { error: `must be ${example}` };
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `must use http or https (${example})` };
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return { error: `must be an origin only, without a path, query or fragment (${example})` };
  }
  if (url.username || url.password) return { error: 'must not contain a user name or password' };
  return url.origin;
}

/** Origins, separated by commas, each as BASE_URL takes one: CORS_ORIGINS. */
function parseOrigins(raw: string): string[] | { error: string } {
  const origins: string[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    const origin = parseBaseUrl(entry);
    if (typeof origin !== 'string') {
      return {
        error: `must be origins separated by commas; ${JSON.stringify(entry)} ${origin.error}`,
      };
    }
    origins.push(origin);
  }
  return origins;
}

/**
 * Express's `trust proxy`: `true`/`false`, a number of proxy hops, or a comma-separated list of
 * addresses, subnets and the names Express knows (loopback, linklocal, uniquelocal).
 */
export type TrustProxy = boolean | number | string;

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(raw: string): TrustProxy | { error: string } {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  const valid = entries.every(
    (entry) => PROXY_NAMES.has(entry) || /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry),
  );
  return valid
    ? entries.join(',')
    : {
        error:
          'must be true, false, a number of proxies, or addresses and subnets separated by commas (loopback, 10.0.0.0/8)',
      };
}

function rateLimit(name: string, fallback: string) {
  return setting(name, parseRateLimit(fallback)!, (raw) => {
    return (
      parseRateLimit(raw) ?? {
        error:
          'must be a count per window such as 60/h, 120/min or 10/15min (windows: s, min, h, d)',
      }
    );
  });
}

export const ConfigSchema = z.object({
  PORT: wholeNumber('PORT', 1, 65535, 8080),
  DATABASE_URL: setting(
    'DATABASE_URL',
    'sqlite:data/db/database.sqlite3',
    (raw) => {
      try {
        parseDatabaseTarget(raw);
        return raw;
      } catch (error) {
        const message = (error as Error).message;
        return { error: message.replace(/^DATABASE_URL /, '').replace(/ \(got .*\)$/s, '') };
      }
    },
    redactDatabaseUrl,
  ),
  // PostgreSQL only: a direct connection for LISTEN, advisory locks and migrations, where
  // DATABASE_URL goes through a transaction-mode pooler (PgBouncer, Supavisor, Neon's -pooler).
  DATABASE_DIRECT_URL: setting<string | null>(
    'DATABASE_DIRECT_URL',
    null,
    (raw) => {
      try {
        return parseDatabaseTarget(raw).engine === 'postgres'
          ? raw
          : { error: 'must be a postgres:// URL' };
      } catch {
        return {
          error: 'must be a postgres:// URL, such as postgres://user:password@host:5432/snip',
        };
      }
    },
    redactDatabaseUrl,
  ),
  // PostgreSQL only: how other machines' changes reach this one's cache. `listen`: within
  // milliseconds, through LISTEN/NOTIFY; `ttl`: within REDIRECT_CACHE_TTL only.
  CACHE_INVALIDATION: setting<'listen' | 'ttl'>('CACHE_INVALIDATION', 'listen', (raw) =>
    raw === 'listen' || raw === 'ttl' ? raw : { error: 'must be listen or ttl' },
  ),
  // PostgreSQL only: the longest time a machine serves a redirect row it read, whatever it
  // heard: 10 s by default where LISTEN tells it of changes within milliseconds, 1 s where only
  // this bounds them (CACHE_INVALIDATION=ttl).
  REDIRECT_CACHE_TTL: setting<number | null>('REDIRECT_CACHE_TTL', null, (raw) => {
    const match = /^(\d+)\s*(ms|s)$/.exec(raw);
    const ms = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : 0;
    return ms >= 100 && ms <= 3_600_000
      ? ms
      : { error: 'must be a duration from 100ms to 3600s, such as 1s or 500ms' };
  }),
  // Refused with a password in it, and that password is not printed back.
  BASE_URL: setting<string | null>('BASE_URL', null, parseBaseUrl, redactDatabaseUrl),
  TRUST_PROXY: setting<TrustProxy>('TRUST_PROXY', false, parseTrustProxy),
  CODE_LENGTH: wholeNumber('CODE_LENGTH', 5, 16, 7),
  MAX_URL_LENGTH: wholeNumber('MAX_URL_LENGTH', 32, 8192, 2048),
  LOG_LEVEL: setting<(typeof LOG_LEVELS)[number]>('LOG_LEVEL', 'info', (raw) =>
    (LOG_LEVELS as readonly string[]).includes(raw)
      ? (raw as (typeof LOG_LEVELS)[number])
      : { error: `must be one of ${LOG_LEVELS.join(', ')}` },
  ),
  MIGRATIONS_DIR: setting<string | null>('MIGRATIONS_DIR', null, (raw) => raw),
  // A newer country database (.mmdb) on the volume, instead of the one snip ships with.
  GEOIP_DATABASE: setting<string | null>('GEOIP_DATABASE', null, (raw) => raw),
  // What a visit adds to the statistics: every dimension and unique visitors, or days and referrers.
  STATISTICS: setting<'full' | 'basic'>('STATISTICS', 'full', (raw) =>
    raw === 'full' || raw === 'basic' ? raw : { error: 'must be full or basic' },
  ),
  // The pages' language for a visitor who accepts none snip has (no Accept-Language, or only others).
  DEFAULT_LANGUAGE: setting<LanguageTag>('DEFAULT_LANGUAGE', 'en', (raw) => {
    const language = supportedLanguage(raw);
    return language !== undefined && language.toLowerCase() === raw.toLowerCase()
      ? language
      : { error: `must be one of ${LANGUAGES.map((l) => l.tag).join(', ')}` };
  }),
  // How long a PostgreSQL migration run waits for another machine's (src/db/migrations.postgres.ts).
  MIGRATION_LOCK_TIMEOUT: setting('MIGRATION_LOCK_TIMEOUT', 60_000, (raw) => {
    const match = /^(\d+)\s*(s|min)$/.exec(raw);
    const ms = match ? Number(match[1]) * (match[2] === 'min' ? 60_000 : 1000) : 0;
    return ms >= 1000 && ms <= 3_600_000
      ? ms
      : { error: 'must be a duration from 1s to 60min, such as 60s or 5min' };
  }),
  RATE_LIMITS: setting('RATE_LIMITS', true, (raw) =>
    raw === 'on' ? true : raw === 'off' ? false : { error: 'must be on or off' },
  ),
  RATE_LIMIT_CREATE: rateLimit('RATE_LIMIT_CREATE', '60/h'),
  RATE_LIMIT_NOT_FOUND: rateLimit('RATE_LIMIT_NOT_FOUND', '120/min'),
  RATE_LIMIT_MANAGE: rateLimit('RATE_LIMIT_MANAGE', '120/min'),
  RATE_LIMIT_API: rateLimit('RATE_LIMIT_API', '600/min'),
  RATE_LIMIT_QR: rateLimit('RATE_LIMIT_QR', '120/min'),
  RATE_LIMIT_PASSWORD: rateLimit('RATE_LIMIT_PASSWORD', '10/15min'),
  // Set by Fly.io on its machines: there the client's address is in Fly-Client-IP.
  FLY_APP_NAME: setting<string | null>('FLY_APP_NAME', null, (raw) => raw),
  // On Fly, an SQLite database off a volume is refused at start unless this says its loss is
  // understood (src/storage/database-volume.ts, ADR 046).
  ALLOW_EPHEMERAL_DATABASE: setting('ALLOW_EPHEMERAL_DATABASE', false, (raw) =>
    raw === 'true' ? true : raw === 'false' ? false : { error: 'must be true or false' },
  ),
  CREATE_ACCESS: setting<'public' | 'private'>('CREATE_ACCESS', 'public', (raw) =>
    raw === 'public' || raw === 'private' ? raw : { error: 'must be public or private' },
  ),
  ADMIN_PASSWORD: setting<string | null>(
    'ADMIN_PASSWORD',
    null,
    (raw) => (raw.length >= 12 ? raw : { error: 'must have at least 12 characters' }),
    hidden,
  ),
  INITIAL_API_KEY: setting<string | null>(
    'INITIAL_API_KEY',
    null,
    (raw) =>
      INITIAL_KEY_PATTERN.test(raw)
        ? raw
        : { error: 'must be 32 to 256 printable characters without spaces' },
    hidden,
  ),
  ADMIN_SESSION_IDLE: sessionDuration('ADMIN_SESSION_IDLE', 30 * 60_000),
  ADMIN_SESSION_MAX: sessionDuration('ADMIN_SESSION_MAX', 12 * 3_600_000),
  // Browser pages on these origins may call the APIs with a key; keyless creation from another
  // site is refused whatever this lists (src/api/api-cors.ts, ADR 020).
  CORS_ORIGINS: setting<readonly string[]>('CORS_ORIGINS', [], parseOrigins),
  METRICS_TOKEN: setting<string | null>(
    'METRICS_TOKEN',
    null,
    (raw) => (raw.length >= 16 ? raw : { error: 'must have at least 16 characters' }),
    hidden,
  ),
  // Continuous replication of the SQLite file by Litestream, run by scripts/launch.sh (ADR 049).
  LITESTREAM_REPLICA_URL: setting<string | null>(
    'LITESTREAM_REPLICA_URL',
    null,
    parseReplicaUrl,
    redactDatabaseUrl,
  ),
  // Where Litestream serves its metrics (127.0.0.1 only), which the server reads for the lag.
  LITESTREAM_METRICS_PORT: wholeNumber('LITESTREAM_METRICS_PORT', 1, 65535, 9090),
});

export type Config = Readonly<{
  port: number;
  databaseUrl: string;
  /** Which engine DATABASE_URL names. */
  databaseEngine: 'sqlite' | 'postgres';
  /** The SQLite file DATABASE_URL names; null for PostgreSQL (see requireSqliteFile). */
  databaseFile: string | null;
  /** PostgreSQL: the URL for LISTEN, locks and migrations (DATABASE_DIRECT_URL, or DATABASE_URL). */
  databaseDirectUrl: string;
  /** PostgreSQL: whether other machines' changes arrive by LISTEN/NOTIFY, or only by expiry. */
  cacheInvalidation: 'listen' | 'ttl';
  /** PostgreSQL: how long a cached redirect row may be served. */
  redirectCacheTtlMs: number;
  /** Public origin without a trailing slash, e.g. `https://snip.example`; null = derive per request. */
  baseUrl: string | null;
  /** Which proxies may tell snip the client's protocol, host and address (X-Forwarded-*). */
  trustProxy: TrustProxy;
  codeLength: number;
  maxUrlLength: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Where the migration files are; the server refuses to start while any of them is pending. */
  migrationsDir: string;
  /**
   * A country database (.mmdb, DB-IP or MaxMind GeoLite2-Country format) that replaces the one
   * snip ships with; null for the shipped one. Resolved against the working directory.
   */
  geoipDatabase: string | null;
  /**
   * `full`: a counted visit adds its country, browser, OS, device, language and referrer and its
   * visitor's keyed hash to the statistics; `basic`: its day and referring host only.
   */
  statistics: 'full' | 'basic';
  /** The pages' language when the visitor's Accept-Language names none snip has. */
  defaultLanguage: LanguageTag;
  /** How long a PostgreSQL migration run waits for the lock another run holds. */
  migrationLockTimeoutMs: number;
  /** null when RATE_LIMITS=off. */
  rateLimits: Readonly<{
    create: RateLimitRule;
    notFound: RateLimitRule;
    manage: RateLimitRule;
    api: RateLimitRule;
    qr: RateLimitRule;
    /** Wrong passwords per protected link and client. */
    password: RateLimitRule;
  }> | null;
  /** Running on Fly.io (FLY_APP_NAME is set): clients are told apart by Fly-Client-IP. */
  onFly: boolean;
  /** On Fly, start even when the SQLite database is not on a volume (ALLOW_EPHEMERAL_DATABASE). */
  allowEphemeralDatabase: boolean;
  /** `private`: only an API key (or a signed-in admin) may create links. */
  createAccess: 'public' | 'private';
  adminPassword: string | null;
  /** An admin session ends after this long without a request (ADMIN_SESSION_IDLE). */
  adminSessionIdleMs: number;
  /** An admin session ends this long after sign-in however busy it is (ADMIN_SESSION_MAX). */
  adminSessionMaxMs: number;
  /** A key stored (hashed) at start, for set-ups without a shell; changed or unset, revoked. */
  initialApiKey: string | null;
  metricsToken: string | null;
  /** Origins whose pages may call the APIs with a key (CORS_ORIGINS); none by default. */
  corsOrigins: readonly string[];
  /**
   * LITESTREAM_REPLICA_URL is set: scripts/launch.sh runs the server under Litestream, which
   * replicates the SQLite file there and serves its metrics on 127.0.0.1:`metricsPort`.
   */
  litestream: Readonly<{ replicaUrl: string; metricsPort: number }> | null;
  /**
   * Who checkpoints the SQLite WAL: SQLite itself after each commit that leaves 1000 pages or
   * more (its default), or Litestream alone while it replicates the file (ADR 049).
   */
  walCheckpoints: WalCheckpoints;
}>;

export type WalCheckpoints = 'sqlite' | 'litestream';

/** Characters a replica URL's path may hold: what Litestream 0.3 reads back unchanged. */
const REPLICA_PATH = /^[A-Za-z0-9._~+@=/-]*$/;

/**
 * LITESTREAM_REPLICA_URL: `s3://bucket/path` (AWS S3 or any S3-compatible store, Fly's Tigris
 * among them, with the AWS_* variables) or `file:///absolute/path`. Litestream 0.3 reads no
 * options from the URL, so `?endpoint=…` (the form its 0.5 documentation shows) is refused
 * rather than silently ignored; the endpoint comes from AWS_ENDPOINT_URL_S3.
 */
function parseReplicaUrl(raw: string): string | { error: string } {
  const example = 'an s3://bucket/path or file:///absolute/path URL';
  if (raw.includes('?') || raw.includes('#')) {
    return {
      error: `must be ${example} without a query: set the endpoint with AWS_ENDPOINT_URL_S3 and the region with AWS_REGION`,
    };
  }
  const s3 = /^s3:\/\/([^/]*)(\/.*)?$/.exec(raw);
  if (s3) {
    const [, bucket = '', key = ''] = s3;
    if (bucket.includes('@')) {
      return {
        error:
          'must not contain credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead',
      };
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      return { error: `must name a bucket (3 to 63 lowercase letters, digits, dots or hyphens)` };
    }
    if (!REPLICA_PATH.test(key)) {
      return { error: 'must have a path of letters, digits and . _ ~ + @ = - / only' };
    }
    return raw;
  }
  const file = /^file:\/\/(\/.*)$/.exec(raw);
  if (file) {
    const folder = file[1]!;
    if (!REPLICA_PATH.test(folder) || folder.split('/').includes('..')) {
      return {
        error:
          'must name a folder by its absolute path of letters, digits and . _ ~ + @ = - / only',
      };
    }
    if (folder.replace(/\/+$/, '') === '') return { error: 'must not be the root folder' };
    return raw;
  }
  return { error: `must be ${example}` };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The variables that are wrong, for a one-line summary (launch's "configuration error in …"). */
  readonly variables: readonly string[];
  constructor(message: string, variables: readonly string[] = []) {
    super(message);
    this.variables = variables;
  }
}

/**
 * Parses the environment once. Every bad variable is listed in one error, in words that say
 * what the value must be, so a misconfigured deploy fails at start with what to fix.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd?: string): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.message}`);
    const variables = [...new Set(result.error.issues.map((issue) => String(issue.path[0])))];
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, variables);
  }
  const parsed = result.data;
  const database = parseDatabaseTarget(parsed.DATABASE_URL, cwd);
  if (parsed.LITESTREAM_REPLICA_URL !== null && database.engine !== 'sqlite') {
    throw new ConfigError(
      'Invalid configuration:\n  LITESTREAM_REPLICA_URL replicates a SQLite file, but DATABASE_URL names a PostgreSQL database: unset one of them',
    );
  }
  return Object.freeze({
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    databaseEngine: database.engine,
    databaseFile: database.engine === 'sqlite' ? database.file : null,
    databaseDirectUrl: parsed.DATABASE_DIRECT_URL ?? parsed.DATABASE_URL,
    cacheInvalidation: parsed.CACHE_INVALIDATION,
    redirectCacheTtlMs:
      parsed.REDIRECT_CACHE_TTL ?? (parsed.CACHE_INVALIDATION === 'listen' ? 10_000 : 1000),
    baseUrl: parsed.BASE_URL,
    trustProxy: parsed.TRUST_PROXY,
    codeLength: parsed.CODE_LENGTH,
    maxUrlLength: parsed.MAX_URL_LENGTH,
    logLevel: parsed.LOG_LEVEL,
    migrationsDir: parsed.MIGRATIONS_DIR
      ? path.resolve(cwd ?? process.cwd(), parsed.MIGRATIONS_DIR)
      : DEFAULT_MIGRATIONS_DIR,
    geoipDatabase: parsed.GEOIP_DATABASE
      ? path.resolve(cwd ?? process.cwd(), parsed.GEOIP_DATABASE)
      : null,
    statistics: parsed.STATISTICS,
    defaultLanguage: parsed.DEFAULT_LANGUAGE,
    migrationLockTimeoutMs: parsed.MIGRATION_LOCK_TIMEOUT,
    rateLimits: parsed.RATE_LIMITS
      ? Object.freeze({
          create: parsed.RATE_LIMIT_CREATE,
          notFound: parsed.RATE_LIMIT_NOT_FOUND,
          manage: parsed.RATE_LIMIT_MANAGE,
          api: parsed.RATE_LIMIT_API,
          qr: parsed.RATE_LIMIT_QR,
          password: parsed.RATE_LIMIT_PASSWORD,
        })
      : null,
    onFly: parsed.FLY_APP_NAME !== null,
    allowEphemeralDatabase: parsed.ALLOW_EPHEMERAL_DATABASE,
    createAccess: parsed.CREATE_ACCESS,
    adminPassword: parsed.ADMIN_PASSWORD,
    adminSessionIdleMs: parsed.ADMIN_SESSION_IDLE,
    adminSessionMaxMs: parsed.ADMIN_SESSION_MAX,
    initialApiKey: parsed.INITIAL_API_KEY,
    metricsToken: parsed.METRICS_TOKEN,
    corsOrigins: Object.freeze([...parsed.CORS_ORIGINS]),
    litestream:
      parsed.LITESTREAM_REPLICA_URL === null
        ? null
        : Object.freeze({
            replicaUrl: parsed.LITESTREAM_REPLICA_URL,
            metricsPort: parsed.LITESTREAM_METRICS_PORT,
          }),
    walCheckpoints: parsed.LITESTREAM_REPLICA_URL === null ? 'sqlite' : 'litestream',
  });
}

/** The SQLite file of a command or module that works on SQLite only. */
export function requireSqliteFile(config: Config): string {
  if (config.databaseFile === null) {
    throw new ConfigError('this works on SQLite only; DATABASE_URL names a PostgreSQL database', [
      'DATABASE_URL',
    ]);
  }
  return config.databaseFile;
}
