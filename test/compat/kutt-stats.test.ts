import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import {
  DE,
  flushVisits,
  IPHONE,
  JP,
  LINUX_FIREFOX,
  MAC_CHROME,
  SAMSUNG_ANDROID,
  US,
  visitFrom,
  WINDOWS_CHROME,
  WINDOWS_EDGE,
} from '../support/compat-visits.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Kutt's `GET /api/v2/links/{id}/stats` from real visits: its four periods with totals, views
 * and visits by browser, OS, country and referrer in Kutt's names, then the link's fields.
 */

const DAY = 86_400_000;
/** 2030-01-15 12:00 UTC. */
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);

let t: TestApp;
let key: string;
let clock = NOW;

beforeEach(async () => {
  clock = NOW;
  t = buildTestApp({ BASE_URL: ORIGIN, TRUST_PROXY: 'loopback' }, { now: () => clock });
  key = await createApiKey(t);
});
afterEach(() => t?.db.close());

const stats = (id: string, apiKey: string | null = key) => {
  const req = request(t.app).get(`/api/v2/links/${id}/stats`);
  return apiKey === null ? req : req.set('X-API-Key', apiKey);
};

/** Visits of /launch on several days: today, 3, 20, 200 and 400 days ago. */
async function launchWithVisits() {
  await request(t.app)
    .post('/api/v2/links')
    .set('X-API-Key', key)
    .send({ target: 'https://t.example/', customurl: 'launch' })
    .expect(201);
  clock = NOW - 400 * DAY;
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX);
  clock = NOW - 200 * DAY;
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX);
  clock = NOW - 20 * DAY;
  await visitFrom(t, '/launch', JP, MAC_CHROME);
  clock = NOW - 3 * DAY;
  await visitFrom(t, '/launch', US, WINDOWS_EDGE);
  clock = NOW;
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX);
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX);
  await visitFrom(t, '/launch', JP, IPHONE, { Referer: 'https://www.news.example/a' });
  await visitFrom(t, '/launch', US, SAMSUNG_ANDROID);
  // Asks not to be tracked: in the totals and views, under no name.
  await visitFrom(t, '/launch', US, WINDOWS_CHROME, { DNT: '1' });
  await flushVisits(t);
}

const bars = (length: number, at: Record<number, number>) =>
  Array.from({ length }, (_, i) => at[i] ?? 0);

describe('Kutt: GET /api/v2/links/{id}/stats', () => {
  it("answers each period's total, views and visits by Kutt's names, then the link", async () => {
    await launchWithVisits();
    const res = await stats('launch').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).slice(0, 5)).toEqual([
      'lastYear',
      'lastDay',
      'lastMonth',
      'lastWeek',
      'updatedAt',
    ]);
    expect(res.body.lastDay).toEqual({
      stats: {
        // Every browser and OS of Kutt's lists, most first; Samsung Internet is Kutt's `other`.
        browser: [
          { name: 'firefox', value: 2 },
          { name: 'other', value: 1 },
          { name: 'safari', value: 1 },
          { name: 'chrome', value: 0 },
          { name: 'edge', value: 0 },
          { name: 'ie', value: 0 },
          { name: 'opera', value: 0 },
        ],
        os: [
          { name: 'linux', value: 2 },
          { name: 'android', value: 1 },
          { name: 'ios', value: 1 },
          { name: 'macos', value: 0 },
          { name: 'other', value: 0 },
          { name: 'windows', value: 0 },
        ],
        country: [
          { name: 'de', value: 2 },
          { name: 'jp', value: 1 },
          { name: 'us', value: 1 },
        ],
        referrer: [
          { name: 'direct', value: 3 },
          { name: 'news[dot]example', value: 1 },
        ],
      },
      // snip counts by the day: today's visits are in the last hour's bar.
      views: bars(24, { 23: 5 }),
      total: 5,
    });
    expect(res.body.lastWeek).toMatchObject({ views: bars(7, { 3: 1, 6: 5 }), total: 6 });
    expect(res.body.lastWeek.stats.browser.slice(0, 4)).toEqual([
      { name: 'firefox', value: 2 },
      { name: 'edge', value: 1 },
      { name: 'other', value: 1 },
      { name: 'safari', value: 1 },
    ]);
    expect(res.body.lastMonth).toMatchObject({
      views: bars(30, { 9: 1, 26: 1, 29: 5 }),
      total: 7,
    });
    expect(res.body.lastMonth.stats.country).toEqual([
      { name: 'de', value: 2 },
      { name: 'jp', value: 2 },
      { name: 'us', value: 2 },
    ]);
    // Twelve months, now's last: 200 days back is six whole months before today.
    expect(res.body.lastYear).toMatchObject({ views: bars(12, { 5: 1, 11: 7 }), total: 8 });
    expect(res.body.lastYear.stats.os.slice(0, 3)).toEqual([
      { name: 'linux', value: 3 },
      { name: 'android', value: 1 },
      { name: 'ios', value: 1 },
    ]);
    expect(res.body).toMatchObject({
      updatedAt: '2030-01-15T12:00:00.000Z',
      id: 'launch',
      address: 'launch',
      target: 'https://t.example/',
      visit_count: 9,
      link: `${ORIGIN}/launch`,
      domain: null,
      banned: false,
      password: false,
    });
  });

  it("answers a link without visits with Kutt's empty periods", async () => {
    await request(t.app)
      .post('/api/v2/links')
      .set('X-API-Key', key)
      .send({ target: 'https://t.example/', customurl: 'quiet' })
      .expect(201);
    const res = await stats('quiet').expect(200);
    expect(res.body.lastWeek).toEqual({
      stats: {
        browser: ['chrome', 'edge', 'firefox', 'ie', 'opera', 'other', 'safari'].map((name) => ({
          name,
          value: 0,
        })),
        os: ['android', 'ios', 'linux', 'macos', 'other', 'windows'].map((name) => ({
          name,
          value: 0,
        })),
        country: [],
        referrer: [],
      },
      views: bars(7, {}),
      total: 0,
    });
    expect(res.body.visit_count).toBe(0);
  });

  it('finds a link on an added domain by code@host', async () => {
    await request(t.app)
      .post('/api/v1/domains')
      .set('X-Api-Key', key)
      .send({ host: 'go.example' })
      .expect(201);
    await request(t.app)
      .post('/api/v2/links')
      .set('X-API-Key', key)
      .send({ target: 'https://go-target.example/', customurl: 'guide', domain: 'go.example' })
      .expect(201);
    await visitFrom(t, '/guide', JP, IPHONE, {}, 'go.example');
    await flushVisits(t);
    const res = await stats('guide@go.example').expect(200);
    expect(res.body).toMatchObject({
      id: 'guide@go.example',
      domain: 'go.example',
      visit_count: 1,
      lastDay: { total: 1, stats: { country: [{ name: 'jp', value: 1 }] } },
    });
    // The same code on the default domain is another link, which does not exist.
    expect((await stats('guide').expect(404)).body).toEqual({ error: 'Link could not be found.' });
  });

  it("refuses unknown and deleted links with 404, and callers without a full key, in Kutt's shape", async () => {
    await launchWithVisits();
    expect((await stats('nope').expect(404)).body).toEqual({ error: 'Link could not be found.' });
    expect((await stats('bad%20code').expect(404)).body).toEqual({
      error: 'Link could not be found.',
    });
    expect((await stats('launch', null).expect(401)).body).toEqual({ error: 'Unauthorized.' });
    expect((await stats('launch', 'not-a-key').expect(401)).body).toEqual({
      error: 'Unauthorized.',
    });
    const createOnly = await createApiKey(t, 'create-only');
    expect((await stats('launch', createOnly).expect(403)).body).toEqual({
      error: 'This key may only create links.',
    });
    await request(t.app).delete('/api/v2/links/launch').set('X-API-Key', key).expect(200);
    expect((await stats('launch').expect(404)).body).toEqual({ error: 'Link could not be found.' });
  });
});
