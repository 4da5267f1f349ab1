import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLinkLimits, DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import {
  endOfUtcDay,
  formatInstant,
  lastDayBefore,
  LATEST_INSTANT,
  MAX_VISIT_LIMIT,
  unstorableFields,
} from '../../src/links/link-limits.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { createTagRepository } from '../../src/links/tag-store.sqlite.js';
import { createLinkService } from '../../src/links/link-service.js';
import { createRedirectCache } from '../../src/links/redirect-cache.js';
import { parseCsv } from '../../src/transfer/csv.js';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import { storedLinks } from '../support/link-transfer.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/*
 * Every door that takes an expiry or a visit limit takes the same range: no later than the end
 * of 9999-12-31 UTC (the last instant an ISO 8601 date-time writes with four digits of year),
 * at most a billion visits. Past it, a clear 4xx and nothing stored. And a row that got past
 * every door anyway (written into the database by hand) never breaks a listing or the export.
 */

const PASSWORD = 'correct horse battery staple';
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const NOW = Date.UTC(2026, 11, 6, 12);
let t: TestApp;
let key: string;
afterEach(() => t?.db.close());

/** What the app logged at warn level. */
let warnings: { code?: string; fields?: string[]; msg: string }[];

async function setup(): Promise<void> {
  warnings = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void warnings.push(JSON.parse(line)) },
  );
  t = buildTestApp({ BASE_URL: ORIGIN, ADMIN_PASSWORD: PASSWORD }, { now: () => NOW, logger });
  key = await createApiKey(t);
}

const expiries = () => storedLinks(t.db).map((link) => link.expires_at);

describe('the latest expiry and the largest visit limit, at every door', () => {
  it('when an anonymous Kutt client asks for an expiry 100000000 years away, then it gets 400 and nothing is stored', async () => {
    await setup();
    const res = await request(t.app)
      .post('/api/v2/links')
      .send({ target: 'https://a.example/', expire_in: '100000000 years' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/9999-12-31/);
    expect(t.countLinks()).toBe(0);
  });

  it('when a Kutt expiry ends after 9999 but within what a date can hold, then it is refused too', async () => {
    await setup();
    for (const expireIn of ['8000 years', '420000 weeks', '9007199254740991 seconds']) {
      const res = await request(t.app)
        .post('/api/v2/links')
        .send({ target: 'https://a.example/', expire_in: expireIn });
      expect(res.status, expireIn).toBe(400);
    }
    expect(t.countLinks()).toBe(0);
    const ok = await request(t.app)
      .post('/api/v2/links')
      .send({ target: 'https://a.example/', expire_in: '7000 years' })
      .expect(201);
    expect(Date.parse(ok.body.expire_in)).toBeLessThanOrEqual(LATEST);
  });

  it('when the API is asked for an expiry of 9999-12-31, then the link works through that day and is shown with a four-digit year', async () => {
    await setup();
    const res = await request(t.app)
      .post('/api/v1/links')
      .set('Authorization', `Bearer ${key}`)
      .send({ url: 'https://a.example/', expiresAt: '9999-12-31', maxVisits: 1_000_000_000 })
      .expect(201);
    expect(res.body.expiresAt).toBe('9999-12-31T23:59:59.999Z');
    expect(res.body.maxVisits).toBe(1_000_000_000);
    expect(expiries()).toEqual([LATEST]);
  });

  it('when the API is asked for an expiry after the end of 9999 or too many visits, then 4xx and nothing stored', async () => {
    await setup();
    const bodies = [
      { expiresAt: '9999-12-31T23:00:00-05:00' },
      { expiresAt: '9999-12-31T23:59:59.9999-00:01' },
      { maxVisits: 1_000_000_001 },
    ];
    for (const body of bodies) {
      const res = await request(t.app)
        .post('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .send({ url: 'https://a.example/', ...body });
      expect([400, 422], JSON.stringify(body)).toContain(res.status);
      expect(res.type).toBe('application/problem+json');
    }
    expect(t.countLinks()).toBe(0);
  });

  it('when the API changes a link to an expiry after 9999, then 4xx and the link keeps its expiry', async () => {
    await setup();
    await request(t.app)
      .post('/api/v1/links')
      .set('Authorization', `Bearer ${key}`)
      .send({ url: 'https://a.example/', alias: 'kept', expiresAt: '2030-01-01' })
      .expect(201);
    const res = await request(t.app)
      .patch('/api/v1/links/kept')
      .set('Authorization', `Bearer ${key}`)
      .send({ expiresAt: '9999-12-31T22:00:00-03:00' });
    expect([400, 422]).toContain(res.status);
    expect(res.body.errors[0].pointer).toBe('/expiresAt');
    expect(expiries()).toEqual([Date.UTC(2030, 0, 2)]);
  });

  it('when a Shlink client asks for validUntil after the end of 9999 or too many visits, then 400 invalid-data and nothing stored', async () => {
    await setup();
    for (const [body, field] of [
      [{ validUntil: '9999-12-31T23:30:00-01:00' }, 'validUntil'],
      [{ maxVisits: 1_000_000_001 }, 'maxVisits'],
      [{ maxVisits: Number.MAX_SAFE_INTEGER }, 'maxVisits'],
    ] as const) {
      const res = await request(t.app)
        .post('/rest/v3/short-urls')
        .set('X-Api-Key', key)
        .send({ longUrl: 'https://a.example/', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.type).toBe('https://shlink.io/api/error/invalid-data');
      expect(res.body.invalidElements).toEqual([field]);
    }
    expect(t.countLinks()).toBe(0);
    const res = await request(t.app)
      .post('/rest/v3/short-urls')
      .set('X-Api-Key', key)
      .send({ longUrl: 'https://a.example/', validUntil: '9999-12-31T23:59:59+00:00' })
      .expect(200);
    expect(res.body.meta.validUntil).toBe('9999-12-31T23:59:59+00:00');
  });

  it('when the form is given 9999-12-31, then the link works through that day and the management page shows that day', async () => {
    await setup();
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'far', expires_on: '9999-12-31' })
      .expect(303);
    expect(expiries()).toEqual([LATEST]);
    const manage = await request(t.app).get(res.headers.location!).expect(200);
    expect(manage.text).toContain('value="9999-12-31"');
    expect(manage.text).toContain('after Dec 31, 9999 (UTC)');
  });

  it('when the form or the import is given a time after 9999, then the form answers 4xx and the import reports the row, storing nothing', async () => {
    await setup();
    const form = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'late', expires_on: '10000-01-01' });
    expect([400, 422]).toContain(form.status);
    const file = [
      'code,target,expires_at,max_visits',
      'late,https://a.example/,+010000-01-01T00:00:00.000Z,',
      'offset,https://a.example/,9999-12-31T23:00:00-05:00,',
      'many,https://a.example/,,1000000001',
      '',
    ].join('\r\n');
    const imported = await request(t.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: await signInAdmin(t.app, PASSWORD) })
      .type('text/csv')
      .send(file)
      .expect(200);
    expect(imported.text.match(/invalid/gi)?.length).toBeGreaterThanOrEqual(3);
    expect(t.countLinks()).toBe(0);
  });

  it('when the link service is handed an expiry or a visit limit no door should have let through, then it refuses and stores nothing', async () => {
    t = buildTestApp();
    const service = createLinkService({
      links: createLinkRepository(t.db),
      tags: createTagRepository(t.db),
      generateCode: () => 'generated',
      now: () => NOW,
      maxUrlLength: 2048,
      pendingVisits: () => 0,
      write: (fn) => fn(),
      blockedHosts: () => [],
      redirectCache: createRedirectCache(10),
    });
    const context = { ownHosts: ['s.example'], addMissingScheme: false };
    const shorten = (options: { expiresAt: number | null; maxVisits: number | null }) =>
      service.shorten(
        { url: 'https://a.example/', alias: '', options: { ...DEFAULT_OPTIONS, ...options } },
        context,
      );
    for (const options of [
      { expiresAt: LATEST + 1, maxVisits: null },
      { expiresAt: 3_155_760_000_000_000_000, maxVisits: null },
      { expiresAt: Number.NaN, maxVisits: null },
      { expiresAt: -1, maxVisits: null },
      { expiresAt: null, maxVisits: 1_000_000_001 },
      { expiresAt: null, maxVisits: 0 },
      { expiresAt: null, maxVisits: 1.5 },
    ]) {
      const result = await shorten(options);
      expect(result.ok, JSON.stringify(options)).toBe(false);
      if (!result.ok) expect(result.status).toBe(422);
    }
    expect(t.countLinks()).toBe(0);
    expect((await shorten({ expiresAt: LATEST, maxVisits: 1_000_000_000 })).ok).toBe(true);
  });
});

describe('the range itself', () => {
  it('when a day is the last working day, then the stop is the next midnight, or the last instant of 9999', () => {
    expect(endOfUtcDay(Date.UTC(2027, 0, 31))).toBe(Date.UTC(2027, 1, 1));
    expect(endOfUtcDay(Date.UTC(9999, 11, 31))).toBe(LATEST);
    expect(lastDayBefore(Date.UTC(2027, 1, 1))).toBe('2027-01-31');
    expect(lastDayBefore(LATEST)).toBe('9999-12-31');
    expect(lastDayBefore(LATEST + 1)).toBe('');
  });

  it('when a value is outside the range or not a number, then it is formatted as null, never thrown on', () => {
    expect(formatInstant(LATEST)).toBe('9999-12-31T23:59:59.999Z');
    expect(formatInstant(0)).toBe('1970-01-01T00:00:00.000Z');
    for (const value of [LATEST + 1, -1, 3.2e18, Number.NaN, Infinity, 1.5, 'x' as never]) {
      expect(formatInstant(value), String(value)).toBeNull();
    }
    expect(formatInstant(null)).toBeNull();
  });

  it('when a stored link has values no door accepts, then those fields are named', () => {
    const link = {
      created: 1,
      updated: 1,
      expiresAt: 3.2e18,
      startsAt: null as number | null,
      lastVisit: null,
      disabledAt: null,
      bannedAt: null,
      deletedAt: -5,
      maxVisits: 1_000_000_001,
      visits: 0,
    };
    expect(unstorableFields(link)).toEqual(['expiresAt', 'deletedAt', 'maxVisits']);
    expect(unstorableFields({ ...link, expiresAt: null, deletedAt: null, maxVisits: 1 })).toEqual(
      [],
    );
    const sane = { ...link, expiresAt: null, deletedAt: null, maxVisits: null };
    expect(unstorableFields({ ...sane, visits: -1 })).toEqual(['visits']);
    expect(unstorableFields({ ...sane, startsAt: 3.2e18 })).toEqual(['startsAt']);
    expect(unstorableFields({ ...sane, visits: 2 ** 53 })).toEqual(['visits']);
    // A value of another type, as a hand-edited database can hold, is no time and no limit.
    expect(unstorableFields({ ...sane, created: '1' as unknown as number })).toEqual(['created']);
    expect(unstorableFields({ ...sane, maxVisits: '5' as unknown as number })).toEqual([
      'maxVisits',
    ]);
  });

  it('when the link service is asked for an expiry or a visit limit out of range, then it says which and what the range is', () => {
    expect(checkLinkLimits({ expiresAt: LATEST_INSTANT, maxVisits: MAX_VISIT_LIMIT })).toEqual({});
    expect(checkLinkLimits({ expiresAt: LATEST_INSTANT + 1, maxVisits: 0 })).toEqual({
      expires_on: 'The expiry must be a time no later than 9999-12-31T23:59:59.999Z.',
      max_visits: 'The visit limit must be a whole number from 1 to 1,000,000,000.',
    });
  });
});

describe('a stored row that no door would accept', () => {
  it('when a link with an expiry far past year 9999 is in the database, then every listing and the export answer 200 with every row', async () => {
    await setup();
    for (const alias of ['before', 'broken', 'after']) {
      await request(t.app)
        .post('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .send({ url: `https://a.example/${alias}`, alias })
        .expect(201);
    }
    // What the unbounded Kutt door stored: 100000000 years from now, in epoch milliseconds.
    t.db.prepare("UPDATE urls SET expires_at = 3155760000000000000 WHERE code = 'broken'").run();

    const api = await request(t.app)
      .get('/api/v1/links?perPage=100')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(api.body.data.map((link: { code: string }) => link.code).sort()).toEqual([
      'after',
      'before',
      'broken',
    ]);
    expect(api.body.data.find((l: { code: string }) => l.code === 'broken').expiresAt).toBeNull();

    const shlink = await request(t.app)
      .get('/rest/v3/short-urls')
      .set('X-Api-Key', key)
      .expect(200);
    expect(shlink.body.shortUrls.data).toHaveLength(3);

    const kutt = await request(t.app).get('/api/v2/links').set('X-API-KEY', key).expect(200);
    expect(kutt.body.data).toHaveLength(3);

    const one = await request(t.app)
      .get('/api/v1/links/broken')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(one.body.expiresAt).toBeNull();

    const cookie = await signInAdmin(t.app, PASSWORD);
    const exported = await request(t.app)
      .get('/admin/export.csv')
      .set('Cookie', cookie)
      .expect(200);
    const rows = parseCsv(exported.text).slice(1);
    expect(rows.map((row) => row.fields[0])).toEqual(['before', 'broken', 'after']);
    const admin = await request(t.app).get('/admin').set('Cookie', cookie).expect(200);
    expect(admin.text).toContain('broken');
    await request(t.app).get('/admin/links/broken').set('Cookie', cookie).expect(200);
    await request(t.app).get('/broken+').expect(200);
    // Every listing and the export said which link and which value.
    const logged = warnings.filter((w) => w.code === 'broken');
    expect(logged.length).toBeGreaterThanOrEqual(5);
    expect(logged.every((w) => w.fields?.join() === 'expiresAt')).toBe(true);
  });

  it('when stored times are not numbers or lie before 1970, then the listings still answer 200 with every row', async () => {
    await setup();
    for (const alias of ['one', 'two']) {
      await request(t.app)
        .post('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .send({ url: `https://a.example/${alias}`, alias })
        .expect(201);
    }
    t.db
      .prepare(
        `UPDATE urls SET expires_at = 'someday', created = -9e15, last_visit = 1e300,
           updated = 'x', max_visits = 99999999999 WHERE code = 'one'`,
      )
      .run();
    const api = await request(t.app)
      .get('/api/v1/links')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(api.body.data).toHaveLength(2);
    await request(t.app).get('/rest/v3/short-urls').set('X-Api-Key', key).expect(200);
    await request(t.app).get('/api/v2/links').set('X-API-KEY', key).expect(200);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const exported = await request(t.app)
      .get('/admin/export.csv')
      .set('Cookie', cookie)
      .expect(200);
    expect(parseCsv(exported.text)).toHaveLength(3);
    await request(t.app).get('/admin').set('Cookie', cookie).expect(200);
    await request(t.app).get('/admin/links/one').set('Cookie', cookie).expect(200);
  });
});
