import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import { buildTestApp } from '../support/test-app.js';

/**
 * `GET /api/v1/stats`: every link's visits and unique visitors over a range of UTC days, by day
 * or by one dimension, for full keys, with the link statistics' rules and errors. Visits are real
 * requests from addresses behind a trusted proxy; only the clock is injected.
 */

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

async function setUp() {
  let now = NOW;
  const t = buildTestApp(
    { BASE_URL: 'https://s.example', TRUST_PROXY: 'loopback' },
    { now: () => now },
  );
  const keys = createKeyService({ keys: t.services.store.keys, now: () => NOW });
  const full = (await keys.createKey({ name: 'full', scope: 'full', expiresAt: null }))!;
  const createOnly = (await keys.createKey({
    name: 'bot',
    scope: 'create-only',
    expiresAt: null,
  }))!;
  for (const alias of ['one', 'two', 'three']) {
    await request(t.app)
      .post('/api/v1/links')
      .set('X-Api-Key', full)
      .send({ url: `https://t.example/${alias}`, alias })
      .expect(201);
  }
  const visit = (code: string, address: string, headers: Record<string, string> = {}) =>
    request(t.app)
      .get(`/${code}`)
      .set({ 'X-Forwarded-For': address, 'User-Agent': FIREFOX, ...headers })
      .expect(302);
  const get = (query: string, key = full) =>
    request(t.app).get(`/api/v1/stats${query}`).set('X-Api-Key', key);
  const at = (time: number) => {
    now = time;
  };
  return { t, get, visit, at, full, createOnly };
}

describe('GET /api/v1/stats', () => {
  it('answers every link’s last 30 days by day, counting a visitor of two links once', async () => {
    const { t, get, visit, at } = await setUp();
    // The day before: a German on one link.
    at(NOW - 86_400_000);
    await visit('one', '193.99.144.80');
    // Today: the same German on two links, an American on the third, a visit without tracking.
    at(NOW);
    await visit('one', '193.99.144.80');
    await visit('two', '193.99.144.80');
    await visit('three', '8.8.8.8', { Referer: 'https://news.example/a' });
    await visit('three', '8.8.4.4', { DNT: '1' });
    await t.services.visitCounter.flush();
    const byDay = await get('').expect(200);
    expect(byDay.body).toEqual({
      from: '2026-05-17',
      to: '2026-06-15',
      groupBy: 'day',
      visits: 5,
      // The day's key changes at midnight: yesterday's German is another visitor today.
      uniqueVisitors: 3,
      data: [
        { key: '2026-06-14', visits: 1, uniqueVisitors: 1 },
        { key: '2026-06-15', visits: 4, uniqueVisitors: 2 },
      ],
    });
    const byCountry = await get('?groupBy=country&from=2026-06-15&to=2026-06-15').expect(200);
    expect(byCountry.body).toEqual({
      from: '2026-06-15',
      to: '2026-06-15',
      groupBy: 'country',
      visits: 4,
      uniqueVisitors: 2,
      data: [
        { key: 'DE', visits: 2, uniqueVisitors: 1 },
        { key: 'US', visits: 1, uniqueVisitors: 1 },
      ],
    });
    const byReferrer = await get('?groupBy=referrer&to=2026-06-15').expect(200);
    // The German of both days, once each day.
    expect(byReferrer.body.data).toEqual([
      { key: 'direct', visits: 3, uniqueVisitors: 2 },
      { key: 'news.example', visits: 1, uniqueVisitors: 1 },
    ]);
    const before = await get('?from=2026-01-01&to=2026-01-31').expect(200);
    expect(before.body).toMatchObject({ visits: 0, uniqueVisitors: 0, data: [] });
  });

  it('refuses bad queries with a 400 naming the parameter, keys that are not full with 403, no key with 401', async () => {
    const { t, get, createOnly } = await setUp();
    for (const [query, pointer] of [
      ['?groupBy=city', '/groupBy'],
      ['?groupBy=', '/groupBy'],
      ['?from=2026-02-30', '/from'],
      ['?to=15-06-2026', '/to'],
      ['?from=2026-06-10&to=2026-06-01', '/from'],
      ['?from=2000-01-01&to=2026-06-01', '/from'],
      ['?from=2026-06-01&from=2026-06-02', '/from'],
      ['?domain=s.example', '/domain'],
      ['?days=7', '/days'],
    ] as const) {
      const res = await get(query);
      expect([query, res.status, res.headers['content-type']]).toEqual([
        query,
        400,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    const forbidden = await get('', createOnly).expect(403);
    expect(forbidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    await request(t.app).get('/api/v1/stats').expect(401);
    await request(t.app).get('/api/v1/stats').set('X-Api-Key', 'not-a-key').expect(401);
  });
});
