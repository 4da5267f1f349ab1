// Seeds a fresh SQLite file through snip's own migrations with `count` active 302 links, in one
// transaction; or, with seedPostgresLinks(), a PostgreSQL database that `node dist/migrate.js up`
// has migrated, in one statement. Codes are `b` + the row's index in seven hex digits
// (`b0000000`, `b00003e7` …), so a load generator can pick any of them without a list: see
// codeFor() and codes.lua.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { applyMigrations, loadMigrations } from '../dist/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../dist/db/migrations-dir.js';
import { openDatabase } from '../dist/db/open-database.sqlite.js';

export const CODE_PREFIX = 'b';
/** Links that forward a visit's query string (`forward_query`), seeded beside the others. */
export const FORWARD_PREFIX = 'f';
/** A prefix no seeded link has, for 404s. */
export const UNKNOWN_PREFIX = 'x';

export function codeFor(prefix, index) {
  return prefix + index.toString(16).padStart(7, '0');
}

/**
 * `forwarding` more links, coded with FORWARD_PREFIX, forward the query string; the others do
 * not (the column's default, as for links made before the option).
 * @returns {number} milliseconds spent seeding
 */
export function seedLinks(file, count, { forwarding = 0 } = {}) {
  const started = performance.now();
  const db = openDatabase(file);
  applyMigrations(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  // A bench file, not a user's database: a large page cache keeps the index inserts in memory.
  db.pragma('cache_size = -524288');
  const insert = db.prepare(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status,
       forward_query)
     VALUES (?, ?, ?, ?, ?, 302, ?)`,
  );
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      // A target of a realistic length, and a token hash like the ones real links carry.
      const target = `https://example.com/articles/${i}/a-readable-title?utm_source=snip`;
      const hash = createHash('sha256').update(`bench-${i}`).digest();
      insert.run(codeFor(CODE_PREFIX, i), target, now, now, hash, 0);
    }
    for (let i = 0; i < forwarding; i++) {
      const target = `https://example.com/articles/${i}/a-readable-title?utm_source=snip`;
      const hash = createHash('sha256').update(`bench-forward-${i}`).digest();
      insert.run(codeFor(FORWARD_PREFIX, i), target, now, now, hash, 1);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return performance.now() - started;
}

/**
 * The same links in a PostgreSQL database already migrated, with one `INSERT … SELECT
 * generate_series` (codes, targets and token hashes as seedLinks() writes them).
 * @returns {Promise<number>} milliseconds spent seeding
 */
export async function seedPostgresLinks(url, count) {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status)
       SELECT $1::text || lpad(to_hex(i), 7, '0'),
              'https://example.com/articles/' || i || '/a-readable-title?utm_source=snip',
              $2::bigint, $2::bigint, sha256(convert_to('bench-' || i, 'UTF8')), 302
       FROM generate_series(0, $3::integer - 1) AS i`,
      [CODE_PREFIX, Date.now(), count],
    );
    await client.query('ANALYZE urls');
  } finally {
    await client.end();
  }
  return performance.now() - started;
}
