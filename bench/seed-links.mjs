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
import { hashPassword } from '../dist/links/link-password.js';
import { tagKey } from '../dist/links/tags.js';
import { CODE_PREFIX } from './seed-curve.mjs';

export { CODE_PREFIX };
/** Links that forward a visit's query string (`forward_query`), seeded beside the others. */
export const FORWARD_PREFIX = 'f';
/** Links that carry TAGS_PER_LINK tags each, seeded beside the others. */
export const TAGGED_PREFIX = 't';
/** Password-protected links (BENCH_PASSWORD), seeded beside the others. */
export const PROTECTED_PREFIX = 'p';
/** The password of every protected link. */
export const BENCH_PASSWORD = 'correct horse battery staple';
/** Links with redirect rules: RULES_PER_LINK each, only the last one matching the loads' browser. */
export const RULED_PREFIX = 'r';
export const RULES_PER_LINK = 5;
/**
 * The rules of every ruled link, as snip stores them (canonical JSON): four that the loads'
 * browser (Chrome on Linux, English) does not match, then one it does.
 */
const BENCH_RULES = JSON.stringify([
  { url: 'https://apps.example/ios', conditions: [{ type: 'device', value: 'ios' }] },
  { url: 'https://apps.example/android', conditions: [{ type: 'device', value: 'android' }] },
  { url: 'https://example.jp/', conditions: [{ type: 'language', value: 'ja' }] },
  { url: 'https://example.com/beta', conditions: [{ type: 'query', name: 'beta' }] },
  { url: 'https://example.com/linux', conditions: [{ type: 'device', value: 'linux' }] },
]);
/** Links on an added domain (BENCH_DOMAIN), the same codes' pattern as the others. */
export const DOMAIN_PREFIX = 'd';
/** The added domain of the DOMAIN_PREFIX links; the loads name it in their Host header. */
export const BENCH_DOMAIN = 'go.example';
export const TAGS_PER_LINK = 3;
/** The tagged links draw their tags from this many, so every tag is shared by many links. */
const TAG_POOL = 50;
/** A prefix no seeded link has, for 404s. */
export const UNKNOWN_PREFIX = 'x';

export function codeFor(prefix, index) {
  return prefix + index.toString(16).padStart(7, '0');
}

/**
 * The stored form of BENCH_PASSWORD, made once by snip's own function (scrypt takes tens of
 * milliseconds: every protected link reuses this one hash, salt included).
 * @returns {Promise<string>}
 */
export function benchPasswordHash() {
  return hashPassword(BENCH_PASSWORD);
}

/**
 * `forwarding` more links, coded with FORWARD_PREFIX, forward the query string; the others do
 * not (the column's default, as for links made before the option). `tagged` more, coded with
 * TAGGED_PREFIX, carry TAGS_PER_LINK tags each (rows in `tags` and `link_tags`, as the tag store
 * writes them). `protected` more, coded with PROTECTED_PREFIX, are protected by the password
 * whose stored form is `passwordHash` (see benchPasswordHash()). `ruled` more, coded with
 * RULED_PREFIX, carry BENCH_RULES. `onDomain` more, coded with DOMAIN_PREFIX, are on the added
 * domain BENCH_DOMAIN.
 * @returns {number} milliseconds spent seeding
 */
export function seedLinks(
  file,
  count,
  {
    forwarding = 0,
    tagged = 0,
    protected: protectedCount = 0,
    passwordHash = null,
    ruled = 0,
    onDomain = 0,
  } = {},
) {
  if (protectedCount > 0 && passwordHash === null) throw new Error('protected links need a hash');
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
  const insertProtected = db.prepare(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status,
       password_hash)
     VALUES (?, ?, ?, ?, ?, 302, ?)`,
  );
  const insertRuled = db.prepare(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status,
       redirect_rules)
     VALUES (?, ?, ?, ?, ?, 302, ?)`,
  );
  const insertOnDomain = db.prepare(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status,
       domain_id)
     VALUES (?, ?, ?, ?, ?, 302, ?)`,
  );
  const insertTag = db.prepare('INSERT INTO tags (key, name, created) VALUES (?, ?, ?)');
  const addLinkTag = db.prepare(
    'INSERT INTO link_tags (url_id, tag_id, position) VALUES (?, ?, ?)',
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
    const tagIds = [];
    if (tagged > 0) {
      for (let t = 0; t < TAG_POOL; t++) {
        // A display name with capitals, stored under its key (NFC, lower case) as snip does.
        const name = `Campaign-${t}`;
        tagIds.push(Number(insertTag.run(tagKey(name), name, now).lastInsertRowid));
      }
    }
    for (let i = 0; i < tagged; i++) {
      const target = `https://example.com/articles/${i}/a-readable-title?utm_source=snip`;
      const hash = createHash('sha256').update(`bench-tagged-${i}`).digest();
      const linkId = Number(
        insert.run(codeFor(TAGGED_PREFIX, i), target, now, now, hash, 0).lastInsertRowid,
      );
      for (let position = 0; position < TAGS_PER_LINK; position++) {
        addLinkTag.run(linkId, tagIds[(i + position * 7) % TAG_POOL], position);
      }
    }
    for (let i = 0; i < protectedCount; i++) {
      const target = `https://example.com/articles/${i}/a-readable-title?utm_source=snip`;
      const hash = createHash('sha256').update(`bench-protected-${i}`).digest();
      insertProtected.run(codeFor(PROTECTED_PREFIX, i), target, now, now, hash, passwordHash);
    }
    for (let i = 0; i < ruled; i++) {
      const target = `https://example.com/articles/${i}/a-readable-title?utm_source=snip`;
      const hash = createHash('sha256').update(`bench-ruled-${i}`).digest();
      insertRuled.run(codeFor(RULED_PREFIX, i), target, now, now, hash, BENCH_RULES);
    }
    if (onDomain > 0) {
      const domainId = Number(
        db
          .prepare('INSERT INTO domains (host, created, updated) VALUES (?, ?, ?)')
          .run(BENCH_DOMAIN, now, now).lastInsertRowid,
      );
      for (let i = 0; i < onDomain; i++) {
        const target = `https://example.com/articles/${i}/a-readable-title?utm_source=snip`;
        const hash = createHash('sha256').update(`bench-domain-${i}`).digest();
        insertOnDomain.run(codeFor(DOMAIN_PREFIX, i), target, now, now, hash, domainId);
      }
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
