import { z } from 'zod';
import path from 'node:path';
import { parseDatabaseUrl } from './db/database-url.js';
import { DEFAULT_MIGRATIONS_DIR } from './db/migrations-dir.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Treats `VAR=` (set but empty) like an unset variable, so defaults still apply. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

const BaseUrlSchema = z
  .string()
  .refine((value) => URL.canParse(value), 'must be an absolute URL such as https://snip.example')
  .transform((value) => new URL(value))
  .refine((url) => url.protocol === 'http:' || url.protocol === 'https:', 'must use http or https')
  .refine(
    (url) => (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash,
    'must be an origin only (no path, query or fragment)',
  )
  .refine((url) => !url.username && !url.password, 'must not contain credentials')
  .transform((url) => url.origin);

export const ConfigSchema = z.object({
  PORT: optional(z.coerce.number().int().min(1).max(65535).default(8080)),
  DATABASE_URL: optional(
    z
      .string()
      .default('sqlite:data/db/database.sqlite3')
      .superRefine((value, ctx) => {
        try {
          parseDatabaseUrl(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
  ),
  BASE_URL: optional(BaseUrlSchema.optional()),
  CODE_LENGTH: optional(z.coerce.number().int().min(5).max(16).default(7)),
  MAX_URL_LENGTH: optional(z.coerce.number().int().min(32).max(8192).default(2048)),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS).default('info')),
  MIGRATIONS_DIR: optional(z.string().optional()),
});

export type Config = Readonly<{
  port: number;
  databaseUrl: string;
  databaseFile: string;
  /** Public origin without a trailing slash, e.g. `https://snip.example`; null = derive per request. */
  baseUrl: string | null;
  codeLength: number;
  maxUrlLength: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Where the migration files are; the server refuses to start while any of them is pending. */
  migrationsDir: string;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment once. Every bad variable is listed in one error, so a
 * misconfigured deploy fails at start with a message that says what to fix.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd?: string): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const parsed = result.data;
  return Object.freeze({
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    databaseFile: parseDatabaseUrl(parsed.DATABASE_URL, cwd),
    baseUrl: parsed.BASE_URL ?? null,
    codeLength: parsed.CODE_LENGTH,
    maxUrlLength: parsed.MAX_URL_LENGTH,
    logLevel: parsed.LOG_LEVEL,
    migrationsDir: parsed.MIGRATIONS_DIR
      ? path.resolve(cwd ?? process.cwd(), parsed.MIGRATIONS_DIR)
      : DEFAULT_MIGRATIONS_DIR,
  });
}
