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
      `DATABASE_URL must look like sqlite:/data/db/database.sqlite3 or sqlite:data/db/database.sqlite3 (got "${url}")`,
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
