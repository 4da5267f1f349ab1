import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { initialState } from '../../src/stats/visitor-key.js';
import { buildTestApp, createTempDir, createTestDatabase } from '../support/test-app.js';

/**
 * The daily visitor key lives only in memory: after real visits on two UTC days, flushed into a
 * real SQLite file, with every log line at `trace`, neither the database file (and its WAL) nor
 * the log holds the key's bytes or the SipHash state derived from it, in any spelling.
 */

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The byte strings that must never be found: the key, and the state words derived from it. */
function secretsOf(key: Buffer): Buffer[] {
  const state = initialState(key);
  const words = Buffer.from(state.buffer, state.byteOffset, state.byteLength);
  const spellings = (bytes: Buffer) => [
    bytes,
    Buffer.from(bytes.toString('hex')),
    Buffer.from(bytes.toString('hex').toUpperCase()),
    Buffer.from(bytes.toString('base64')),
    Buffer.from(bytes.toString('base64url')),
  ];
  // Any 6 bytes in a row of the key (raw or hex, which do not depend on where they start), and
  // any single state word in either byte order, are enough to find.
  const parts: Buffer[] = [];
  for (let at = 0; at + 6 <= key.length; at++) parts.push(key.subarray(at, at + 6));
  for (let i = 0; i < 8; i++) {
    const word = words.subarray(4 * i, 4 * i + 4);
    parts.push(Buffer.from(word), Buffer.from(word).reverse());
  }
  return [key, words, ...parts]
    .flatMap(spellings)
    .concat([...state].map((word) => Buffer.from(String(word))));
}

it('when visits are counted and flushed on two days, then neither the database file nor the log holds the day’s key or anything derived from it', async () => {
  dir = createTempDir();
  const file = path.join(dir, 'snip.sqlite3');
  const keys: Buffer[] = [];
  const lines: string[] = [];
  let clock = Date.UTC(2026, 5, 15, 12);
  const db = createTestDatabase(file);
  const t = buildTestApp(
    { BASE_URL: 'https://s.example', DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'trace' },
    {
      db,
      now: () => clock,
      logger: pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }),
      randomBytes: (n) => {
        // Not all zeros or a pattern: bytes that could not turn up by chance in a page.
        const key = Buffer.from(
          Array.from({ length: n }, (_, i) => (0x9e + 37 * i + 101 * keys.length) & 0xff),
        );
        keys.push(Buffer.from(key));
        return key;
      },
    },
  );
  await request(t.app)
    .post('/shorten')
    .set('Origin', 'https://s.example')
    .type('form')
    .send({ url: 'https://t.example/', alias: 'launch' })
    .expect(303);
  for (let day = 0; day < 2; day++) {
    for (let i = 0; i < 20; i++) {
      await request(t.app)
        .get('/launch')
        .set(
          'User-Agent',
          `Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/14${i}.0`,
        )
        .set('Accept-Language', 'de-DE,de;q=0.9')
        .expect(302);
    }
    await t.services.visitCounter.flush();
    clock += 86_400_000;
  }
  t.services.visitLookups.dropStaleKey();
  expect(keys).toHaveLength(2);
  // The statistics are there: the sketches were written, from hashes made with the keys.
  const stored = db
    .prepare('SELECT COUNT(*) AS n FROM visit_dimensions WHERE visitors IS NOT NULL')
    .get() as { n: number };
  expect(stored.n).toBeGreaterThan(0);
  db.close();

  const haystacks = fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('snip.sqlite3'))
    .map((name) => fs.readFileSync(path.join(dir!, name)));
  haystacks.push(Buffer.from(lines.join('')));
  expect(lines.length).toBeGreaterThan(0);
  for (const key of keys) {
    for (const secret of secretsOf(key)) {
      if (secret.length < 4) continue;
      for (const haystack of haystacks) expect(haystack.includes(secret)).toBe(false);
    }
  }
});
