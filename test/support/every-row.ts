import Database from 'better-sqlite3';
import type { Express } from 'express';
import pg from 'pg';
import request from 'supertest';
import { expect } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import type { KeyStore } from '../../src/keys/key-store.js';
import type { NotFoundCounter } from '../../src/stats/not-found-counter.js';
import type { VisitCounter } from '../../src/stats/visit-counter.js';
import { COPIED_TABLES } from '../../src/storage/copied-tables.js';
import { BROWSER } from '../faults/snip-process.js';
import { MANAGE_LOCATION, SAME_ORIGIN } from './test-app.js';

/**
 * A snip database with a row in every table, made as people make them: through the forms, the
 * API, the admin's pages, redirects and flushes, on either engine. copy-store's tests fill one
 * and compare every table, row by row, after copying it (test/storage/copy-store.test.ts,
 * test/postgres/copy-store.postgres.test.ts).
 */

export const EVERY_ROW_ENV = {
  BASE_URL: 'https://s.example',
  ADMIN_PASSWORD: 'correct horse battery',
  RATE_LIMITS: 'off',
} as const;

export type FillableApp = {
  app: Express;
  keys: KeyStore;
  visitCounter: VisitCounter;
  notFoundCounter: NotFoundCounter;
};

/** What the filled database lets a person do, to try on a copy of it. */
export type Filled = {
  /** The management page of the link `managed`, from its token. */
  manage: string;
  /** A full API key made with the keys command. */
  apiKey: string;
  /** The cookie that unlocked the password-protected link `locked`. */
  unlockCookie: string;
  /** Visits counted for `spread`, written to the visit log (SQLite) rather than at once. */
  loggedVisits: number;
};

const LANGUAGES = ['de-DE,de;q=0.9', 'ja-JP', 'en-US,en;q=0.8'];

function visit(t: FillableApp, path: string, i: number, host = 's.example') {
  return request(t.app)
    .get(path)
    .set({
      Host: host,
      'User-Agent': BROWSER,
      'Accept-Language': LANGUAGES[i % LANGUAGES.length]!,
      Referer: `https://ref${i % 2}.example/page`,
    });
}

async function adminCookie(t: FillableApp): Promise<string> {
  const res = await request(t.app)
    .post('/admin/sign-in')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password: EVERY_ROW_ENV.ADMIN_PASSWORD })
    .expect(303);
  return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
}

/** Fills every table copy-store copies, and the ones it leaves out. */
export async function fillEveryTable(t: FillableApp): Promise<Filled> {
  const cookie = await adminCookie(t);
  const admin = (path: string, form: object) =>
    request(t.app)
      .post(path)
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send(form);

  // Keys: one from the keys command, one from the admin's page, one revoked.
  const apiKey = (await createKeyService({ keys: t.keys, now: Date.now }).createKey(
    { name: 'cli-key', scope: 'full', expiresAt: null },
    'cli',
  ))!;
  expect((await admin('/admin/keys', { name: 'ci', scope: 'create-only' })).status).toBe(201);
  expect((await admin('/admin/keys', { name: 'old', scope: 'full' })).status).toBe(201);
  await admin('/admin/keys/revoke', { name: 'old' }).expect(303);
  const api = () => ({
    post: (path: string, body: object) =>
      request(t.app).post(path).set('X-Api-Key', apiKey).send(body),
  });

  // Domains, one an alias of the other.
  await api()
    .post('/api/v1/domains', {
      host: 'go.example',
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://home.example/missing',
      expiredRedirect: 'https://home.example/gone',
    })
    .expect(201);
  await api().post('/api/v1/domains', { host: 'alias.example', aliasOf: 'go.example' }).expect(201);

  // Links through the form, each with its management token; one with a password.
  const made = await request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: 'https://a.example/managed', alias: 'managed' })
    .expect(303);
  expect(made.headers.location).toMatch(MANAGE_LOCATION);
  const manage = made.headers.location!.replace('?created=1', '');
  await request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: 'https://a.example/locked', alias: 'locked', password: 'open sesame' })
    .expect(303);

  // Links through the API with every option, on the default domain and on an added one.
  await api()
    .post('/api/v1/links', {
      url: 'https://a.example/full',
      alias: 'full',
      redirectType: 301,
      expiresAt: '2999-12-31',
      maxVisits: 1000,
      forwardQuery: false,
      title: 'Everything',
      note: 'Set on purpose',
      rules: [{ url: 'https://apps.example/ios', conditions: [{ type: 'device', value: 'ios' }] }],
      startsAt: '2020-01-01',
      crawlable: true,
      tags: ['Green', 'blue'],
    })
    .expect(201);
  await api()
    .post('/api/v1/links', {
      url: 'https://go-target.example/',
      alias: 'guide',
      domain: 'go.example',
    })
    .expect(201);
  await api()
    .post('/api/v1/links', {
      url: 'https://a.example/later',
      alias: 'later',
      startsAt: '2999-01-01',
    })
    .expect(201);
  await api().post('/api/v1/links', { url: 'https://a.example/off', alias: 'off' }).expect(201);
  await request(t.app).post('/api/v1/links/off/disable').set('X-Api-Key', apiKey).expect(200);
  await api().post('/api/v1/links', { url: 'https://a.example/gone', alias: 'gone' }).expect(201);
  await request(t.app).delete('/api/v1/links/gone').set('X-Api-Key', apiKey).expect(204);
  await api()
    .post('/api/v1/links', { url: 'https://spread.example/', alias: 'spread' })
    .expect(201);

  // A ban that blocks the host, and a visitor's report.
  await api()
    .post('/api/v1/links', { url: 'https://phish.example/login', alias: 'bait' })
    .expect(201);
  await admin('/admin/links/bait/ban', { reason: 'Phishing', block_host: 'on' }).expect(303);
  await request(t.app)
    .post('/report/managed')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ reason: 'spam', details: 'Unsolicited', contact: 'someone@example.org' })
    .expect(200);

  // An import, whose report is kept for an hour.
  await request(t.app)
    .post('/admin/import')
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .field('format', 'auto')
    .attach('file', Buffer.from('keyword,url\nimp-1,https://imported.example/1\n'), {
      filename: 'links.csv',
      contentType: 'text/csv',
    })
    .expect((res) => expect(res.status).toBeLessThan(400));

  // Unlocking the protected link makes the secret that signs unlock cookies.
  const unlocked = await request(t.app)
    .post('/locked')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password: 'open sesame' });
  expect(unlocked.status).toBe(303);
  const unlockCookie = (unlocked.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;

  // Visits as browsers make them: days, referrers, every dimension with its sketch.
  for (let i = 0; i < 6; i++) await visit(t, '/managed', i).expect(302);
  // A link with rules answers with a status browsers do not keep, whatever its own.
  for (let i = 0; i < 3; i++) await visit(t, '/full', i).expect(302);
  await visit(t, '/guide', 0, 'go.example').expect(302);
  await visit(t, '/no-such-code', 0).expect(404);
  await t.visitCounter.idle();
  await t.visitCounter.flush();
  // Then visits flushed as the server flushes visits spread over many links: into the visit
  // log on SQLite (ADR 045), at once on PostgreSQL.
  const loggedVisits = 4;
  for (let i = 0; i < loggedVisits; i++) await visit(t, '/spread', i).expect(302);
  await t.visitCounter.idle();
  await t.visitCounter.flush(Number.POSITIVE_INFINITY, 0, true);
  await t.notFoundCounter.idle();
  await t.notFoundCounter.flush();
  return { manage, apiKey, unlockCookie, loggedVisits };
}

/**
 * Every table's rows as sorted lines of JSON, each value with its kind (`i:` an integer, `s:` a
 * text, `b:` bytes in hex, null), so two databases compare equal only when every column of every
 * row holds the same value of the same kind.
 */
export type TableDump = Record<string, string[]>;

function line(entries: [string, string | null][]): string {
  return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1))));
}

export function dumpSqlite(file: string): TableDump {
  const db = new Database(file, { readonly: true });
  try {
    const dump: TableDump = {};
    for (const { name } of COPIED_TABLES) {
      const rows = db.prepare(`SELECT * FROM "${name}"`).safeIntegers(true).all() as Record<
        string,
        unknown
      >[];
      dump[name] = rows
        .map((row) =>
          line(
            Object.entries(row).map(([column, value]): [string, string | null] => {
              if (value === null) return [column, null];
              if (typeof value === 'bigint') return [column, `i:${value}`];
              if (typeof value === 'string') return [column, `s:${value}`];
              if (Buffer.isBuffer(value)) return [column, `b:${value.toString('hex')}`];
              throw new Error(`${name}.${column} holds a ${typeof value}: ${String(value)}`);
            }),
          ),
        )
        .sort();
    }
    return dump;
  } finally {
    db.close();
  }
}

const INTEGER_TYPES = new Set([20, 21, 23]);
const TEXT_TYPES = new Set([25, 1043]);
const BYTEA = 17;

export async function dumpPostgres(url: string): Promise<TableDump> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const dump: TableDump = {};
    for (const { name } of COPIED_TABLES) {
      const result = await client.query<Record<string, unknown>>(`SELECT * FROM "${name}"`);
      const kinds = new Map(result.fields.map((f) => [f.name, f.dataTypeID]));
      dump[name] = result.rows
        .map((row) =>
          line(
            Object.entries(row).map(([column, value]): [string, string | null] => {
              const type = kinds.get(column)!;
              if (value === null) return [column, null];
              if (INTEGER_TYPES.has(type)) return [column, `i:${String(value)}`];
              if (TEXT_TYPES.has(type)) return [column, `s:${String(value)}`];
              if (type === BYTEA) return [column, `b:${(value as Buffer).toString('hex')}`];
              throw new Error(`${name}.${column} has the type ${type}`);
            }),
          ),
        )
        .sort();
    }
    return dump;
  } finally {
    await client.end();
  }
}

/** The dump of the tables copy-store copies, and of those it leaves out, apart. */
export function splitDump(dump: TableDump): { copied: TableDump; left: TableDump } {
  const copied: TableDump = {};
  const left: TableDump = {};
  for (const table of COPIED_TABLES) (table.copy ? copied : left)[table.name] = dump[table.name]!;
  return { copied, left };
}
