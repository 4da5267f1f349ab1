import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import type { VisitFacts } from '../../src/stats/visit-counter.js';
import { buildTestApp } from '../support/test-app.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';

/** Visitors' keyed hashes under one fixed key: visitor n is the address 10.x.y.z numbered n. */
const VISITORS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 7) });
const visitorHash = (n: number) =>
  VISITORS.hashOf(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, 'Mozilla/5.0');

/**
 * `GET /api/v1/links/{code}/stats`: a link's visits and unique visitors over a range of UTC
 * days, by day or by one dimension, for full keys; bad queries are 400 problems naming the
 * parameter.
 */

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);

function visitor(n: number, country: string): VisitFacts {
  return {
    visitor: visitorHash(n),
    country,
    browser: 'chrome',
    os: 'windows',
    device: 'desktop',
    language: 'en',
  };
}

async function setUp() {
  const t = buildTestApp({ BASE_URL: 'https://s.example' }, { now: () => NOW });
  const keys = createKeyService({ keys: t.services.store.keys, now: () => NOW });
  const full = (await keys.createKey({ name: 'full', scope: 'full', expiresAt: null }))!;
  const createOnly = (await keys.createKey({
    name: 'bot',
    scope: 'create-only',
    expiresAt: null,
  }))!;
  await request(t.app)
    .post('/api/v1/links')
    .set('X-Api-Key', full)
    .send({ url: 'https://t.example/', alias: 'launch' })
    .expect(201);
  const link = (await t.services.store.links.findLink('launch'))!;
  for (let i = 0; i < 3; i++) t.services.visitCounter.record(link.id, '', visitor(i, 'DE'));
  t.services.visitCounter.record(link.id, 'news.example', visitor(9, 'FR'));
  await t.services.visitCounter.flush();
  const get = (query: string, key = full) =>
    request(t.app).get(`/api/v1/links/launch/stats${query}`).set('X-Api-Key', key);
  return { t, get, createOnly };
}

describe('GET /api/v1/links/{code}/stats', () => {
  it('answers the last 30 days by day without a query, and one dimension with groupBy', async () => {
    const { get } = await setUp();
    const byDay = await get('').expect(200);
    expect(byDay.body).toEqual({
      link: 'launch',
      from: '2026-05-17',
      to: '2026-06-15',
      groupBy: 'day',
      visits: 4,
      uniqueVisitors: 4,
      data: [{ key: '2026-06-15', visits: 4, uniqueVisitors: 4 }],
    });
    const byCountry = await get('?groupBy=country&from=2026-06-01&to=2026-06-30').expect(200);
    expect(byCountry.body).toMatchObject({
      from: '2026-06-01',
      to: '2026-06-30',
      groupBy: 'country',
      visits: 4,
      data: [
        { key: 'DE', visits: 3, uniqueVisitors: 3 },
        { key: 'FR', visits: 1, uniqueVisitors: 1 },
      ],
    });
    const byReferrer = await get('?groupBy=referrer').expect(200);
    expect(byReferrer.body.data.map((e: { key: string }) => e.key)).toEqual([
      'direct',
      'news.example',
    ]);
    // A range without the visits has none.
    const before = await get('?from=2026-01-01&to=2026-01-31').expect(200);
    expect(before.body).toMatchObject({ visits: 0, uniqueVisitors: 0, data: [] });
  });

  it('refuses bad queries with a 400 naming the parameter, and keys that are not full with 403', async () => {
    const { get, createOnly } = await setUp();
    for (const [query, pointer] of [
      ['?groupBy=city', '/groupBy'],
      ['?from=2026-02-30', '/from'],
      ['?to=15-06-2026', '/to'],
      ['?from=2026-06-10&to=2026-06-01', '/from'],
      ['?from=2000-01-01&to=2026-06-01', '/from'],
      ['?from=2026-06-01&from=2026-06-02', '/from'],
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
    expect((await get('', createOnly)).status).toBe(403);
    const unknown = await request((await setUp()).t.app)
      .get('/api/v1/links/nope/stats')
      .set('X-Api-Key', 'x');
    expect(unknown.status).toBe(401);
  });
});
