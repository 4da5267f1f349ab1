import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import { DE, flushVisits, IPHONE, JP, LINUX_FIREFOX, visitFrom } from '../support/compat-visits.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * YOURLS's `db-stats` and `stats` from real visits: the totals of the links (not deleted) and
 * their clicks, and the links of a filter with their clicks, as YOURLS's API answers them.
 */

const MINUTE = 60_000;
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

const ask = (params: Record<string, string>) => request(t.app).get('/yourls-api.php').query(params);

/** three (3 clicks and one with DNT, made first), one (1 click), gone (2, deleted), none (0, made last). */
async function linksWithClicks() {
  for (const [keyword, clicks] of [
    ['three', 3],
    ['one', 1],
    ['gone', 2],
    ['none', 0],
  ] as const) {
    await ask({
      signature: key,
      action: 'shorturl',
      url: `https://t.example/${keyword}`,
      keyword,
      format: 'json',
    }).expect(200);
    for (let i = 0; i < clicks; i++) await visitFrom(t, `/${keyword}`, i ? DE : JP, IPHONE);
    clock += MINUTE;
  }
  await visitFrom(t, '/three', DE, LINUX_FIREFOX, { DNT: '1' });
  await flushVisits(t);
  await request(t.app).delete('/api/v1/links/gone').set('X-Api-Key', key).expect(204);
}

const entry = (keyword: string, clicks: number, minutes: number) => ({
  shorturl: `${ORIGIN}/${keyword}`,
  url: `https://t.example/${keyword}`,
  title: '',
  timestamp: new Date(NOW + minutes * MINUTE).toISOString().slice(0, 19).replace('T', ' '),
  ip: '',
  clicks: String(clicks),
});

describe('YOURLS: db-stats and stats', () => {
  it('answers db-stats with the links not deleted and all their clicks', async () => {
    await linksWithClicks();
    const res = await ask({ signature: key, action: 'db-stats', format: 'json' }).expect(200);
    expect(res.body).toEqual({
      'db-stats': { total_links: 3, total_clicks: 5 },
      statusCode: '200',
      message: 'success',
    });
    const xml = await ask({ signature: key, action: 'db-stats', format: 'xml' }).expect(200);
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.text).toContain(
      '<db-stats><total_links>3</total_links><total_clicks>5</total_clicks></db-stats>',
    );
    const simple = await ask({ signature: key, action: 'db-stats', format: 'simple' }).expect(200);
    expect(simple.text).toBe('Need either XML or JSON format for stats');
  });

  it('answers stats with the links of each filter, their clicks and the totals', async () => {
    await linksWithClicks();
    const stats = (params: Record<string, string>) =>
      ask({ signature: key, action: 'stats', format: 'json', ...params }).expect(200);
    const totals = { total_links: 3, total_clicks: 5 };
    expect((await stats({})).body).toEqual({
      links: {
        link_1: entry('three', 4, 0),
        link_2: entry('one', 1, 1),
        link_3: entry('none', 0, 3),
      },
      stats: totals,
      statusCode: '200',
      message: 'success',
    });
    expect((await stats({ filter: 'bottom', limit: '2' })).body.links).toEqual({
      link_1: entry('none', 0, 3),
      link_2: entry('one', 1, 1),
    });
    expect((await stats({ filter: 'last', limit: '1', start: '1' })).body.links).toEqual({
      link_1: entry('one', 1, 1),
    });
    const random = (await stats({ filter: 'rand', limit: '3' })).body.links;
    expect(
      Object.values(random)
        .map((link) => (link as { url: string }).url)
        .sort(),
    ).toEqual(['https://t.example/none', 'https://t.example/one', 'https://t.example/three']);
    // YOURLS reads limit as PHP's intval: 0 or junk lists nothing, the totals stay.
    expect((await stats({ limit: 'x' })).body).toEqual({
      stats: totals,
      statusCode: '200',
      message: 'success',
    });
  });

  it('refuses db-stats and stats without a full key, in YOURLS words', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    for (const action of ['db-stats', 'stats']) {
      for (const signature of [undefined, createOnly]) {
        const res = await ask({
          action,
          format: 'json',
          ...(signature ? { signature } : {}),
        }).expect(403);
        expect(res.body).toEqual({ message: 'Please log in', errorCode: '403', callback: '' });
      }
    }
  });
});
