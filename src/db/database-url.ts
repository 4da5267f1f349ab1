import path from 'node:path';

/**
 * Turns a dbmate-style SQLite URL into a file path.
 * dbmate accepts `sqlite:/abs/path`, `sqlite:///abs/path` and `sqlite:relative/path`
 * (relative to the working directory); `sqlite::memory:` is accepted for tests.
 */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): string {
  const match = /^sqlite3?:(.*)$/.exec(url.trim());
  if (!match || match[1] === undefined || match[1] === '') {
    throw new Error(
      `DATABASE_URL must look like sqlite:/data/db/database.sqlite3 or sqlite:data/db/database.sqlite3 (got "${redactDatabaseUrl(url)}")`,
    );
  }
  let rest = match[1];
  if (rest === ':memory:') return ':memory:';
  // sqlite:///abs → /abs ; sqlite://host/... is not a thing for files.
  if (rest.startsWith('//')) rest = rest.slice(2);
  // dbmate ignores query parameters such as ?_journal_mode=WAL; so do we.
  const queryStart = rest.indexOf('?');
  if (queryStart !== -1) rest = rest.slice(0, queryStart);
  rest = decodeURIComponent(rest);
  if (rest === '') throw new Error(`DATABASE_URL has no file path (got "${url}")`);
  return path.isAbsolute(rest) ? rest : path.resolve(cwd, rest);
}

/** Which engine DATABASE_URL names: an SQLite file, or a PostgreSQL database by its URL. */
export type DatabaseTarget =
  { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

// dbmate's PostgreSQL schemes (it registers both driver names).
const POSTGRES_URL = /^postgres(?:ql)?:\/\//;

export const DATABASE_URL_EXAMPLES =
  'sqlite:/data/db/database.sqlite3, sqlite:data/db/database.sqlite3 or postgres://user:password@host:5432/snip';

export function isPostgresUrl(url: string): boolean {
  return POSTGRES_URL.test(url.trim());
}

/**
 * Parses DATABASE_URL for either engine. SQLite URLs are parsed by parseDatabaseUrl, unchanged;
 * a `postgres://` or `postgresql://` URL must at least name a database, and is otherwise handed
 * to the driver as it is (user, password, host, port, and parameters such as `sslmode`).
 */
export function parseDatabaseTarget(url: string, cwd: string = process.cwd()): DatabaseTarget {
  const trimmed = url.trim();
  if (isPostgresUrl(trimmed)) {
    const parsed = URL.canParse(trimmed) ? new URL(trimmed) : null;
    const database = parsed ? decodeURIComponent(parsed.pathname.replace(/^\//, '')) : '';
    if (database === '' || database.includes('/')) {
      throw new Error(
        `DATABASE_URL must name one database, as in postgres://user:password@host:5432/snip (got "${redactDatabaseUrl(trimmed)}")`,
      );
    }
    return { engine: 'postgres', url: trimmed };
  }
  if (!/^sqlite3?:/.test(trimmed)) {
    throw new Error(
      `DATABASE_URL must look like ${DATABASE_URL_EXAMPLES} (got "${redactDatabaseUrl(url)}")`,
    );
  }
  return { engine: 'sqlite', file: parseDatabaseUrl(url, cwd) };
}

/**
 * The URL with its password, if any, replaced by `***`, for logs and messages: the password
 * before the host (up to the last `@`, since a password pasted without percent-encoding may
 * hold `@`, `/`, `?` or `#`), and any `password=` parameter or key-value pair (libpq's form,
 * which snip does not take but someone may paste).
 */
export function redactDatabaseUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):.*@/is, '$1:***@')
    .replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^&\s]*)/gi, '$1***');
}
