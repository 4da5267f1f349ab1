import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildEngineApp, engineKey } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';

/**
 * Statistics from real visits, on every engine: requests through the server's listener (the
 * redirect fast path) from addresses of several countries behind a trusted proxy, with real
 * User-Agents and languages, counted exactly per dimension and read through
 * `/api/v1/links/{code}/stats`; visits with DNT or GPC count in the total only; a forged
 * X-Forwarded-For from a client that is not a trusted proxy is ignored.
 */
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const LINUX_FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

function suite(engine: 'sqlite' | 'postgres') {
  async function setUp(env: Record<string, string>) {
    const s = await buildEngineApp(engine, { BASE_URL: 'https://s.example', ...env });
    const secret = await engineKey(s, 'stats');
    await request(s.app)
      .post('/api/v1/links')
      .set('X-Api-Key', secret)
      .send({ url: 'https://t.example/', alias: 'launch' })
      .expect(201);
    const visit = (headers: Record<string, string>) =>
      request(s.listener)
        .get('/launch')
        .set({ Host: 's.example', ...headers })
        .expect(302);
    const stats = async (groupBy: string) => {
      await s.flushVisits();
      const res = await request(s.app)
        .get(`/api/v1/links/launch/stats?groupBy=${groupBy}`)
        .set('X-Api-Key', secret)
        .expect(200);
      return res.body as {
        visits: number;
        uniqueVisitors: number;
        data: { key: string; visits: number; uniqueVisitors: number }[];
      };
    };
    return { visit, stats };
  }

  it('counts each dimension exactly from real requests behind a trusted proxy, and DNT/GPC visits in the total only', async () => {
    const { visit, stats } = await setUp({ TRUST_PROXY: 'loopback' });
    const from = (address: string, agent: string, language: string, extra = {}) =>
      visit({
        'X-Forwarded-For': address,
        'User-Agent': agent,
        'Accept-Language': language,
        ...extra,
      });
    // A German on Linux twice, two Japanese iPhones, an American on Windows from a newsletter.
    await from('193.99.144.80', LINUX_FIREFOX, 'de-DE,de;q=0.9,en;q=0.5');
    await from('193.99.144.80', LINUX_FIREFOX, 'de-DE,de;q=0.9,en;q=0.5');
    await from('133.0.0.1', IPHONE, 'ja-JP');
    await from('2400:4000::1', IPHONE, 'ja');
    await from('8.8.8.8', WINDOWS_CHROME, 'en-US,en;q=0.9', { Referer: 'https://news.example/a' });
    // Two that ask not to be tracked, and one from a private address.
    await from('200.160.2.3', WINDOWS_CHROME, 'pt-BR', { DNT: '1' });
    await from('200.160.2.3', WINDOWS_CHROME, 'pt-BR', { 'Sec-GPC': '1' });
    await from('192.168.1.9', LINUX_FIREFOX, 'fr');
    // A crawler is answered but is no visit: nothing is counted or derived from it.
    await from('66.249.66.1', GOOGLEBOT, 'en', { Referer: 'https://crawl.example/' });

    const byCountry = await stats('country');
    expect(byCountry.visits).toBe(8);
    expect(byCountry.uniqueVisitors).toBe(5);
    expect(byCountry.data).toEqual([
      { key: 'DE', visits: 2, uniqueVisitors: 1 },
      { key: 'JP', visits: 2, uniqueVisitors: 2 },
      { key: 'US', visits: 1, uniqueVisitors: 1 },
      { key: 'unknown', visits: 1, uniqueVisitors: 1 },
    ]);
    const keys = async (groupBy: string) =>
      (await stats(groupBy)).data.map((entry) => [entry.key, entry.visits]);
    expect(await keys('browser')).toEqual([
      ['firefox', 3],
      ['safari', 2],
      ['chrome', 1],
    ]);
    expect(await keys('os')).toEqual([
      ['linux', 3],
      ['ios', 2],
      ['windows', 1],
    ]);
    expect(await keys('device')).toEqual([
      ['desktop', 4],
      ['mobile', 2],
    ]);
    expect(await keys('language')).toEqual([
      ['de', 2],
      ['ja', 2],
      ['en', 1],
      ['fr', 1],
    ]);
    expect(await keys('referrer')).toEqual([
      ['direct', 5],
      ['news.example', 1],
    ]);
    expect(await keys('day')).toEqual([[new Date().toISOString().slice(0, 10), 8]]);
  });

  it('a rule with a country condition sends visitors from that country to its target, looked up from the trusted address', async () => {
    const s = await buildEngineApp(engine, {
      BASE_URL: 'https://s.example',
      TRUST_PROXY: 'loopback',
    });
    const secret = await engineKey(s, 'country-rule');
    await request(s.app)
      .post('/api/v1/links')
      .set('X-Api-Key', secret)
      .send({
        url: 'https://t.example/',
        alias: 'local',
        rules: [{ url: 'https://de.example/', conditions: [{ type: 'country', value: 'de' }] }],
      })
      .expect(201);
    const from = async (address: string, door = s.listener) =>
      (
        await request(door)
          .get('/local')
          .set({ Host: 's.example', 'User-Agent': LINUX_FIREFOX, 'X-Forwarded-For': address })
      ).headers.location;
    for (const door of [s.listener, s.app]) {
      expect(await from('193.99.144.80', door)).toBe('https://de.example/');
      expect(await from('2003::1', door)).toBe('https://de.example/');
      expect(await from('8.8.8.8', door)).toBe('https://t.example/');
      expect(await from('10.0.0.1', door)).toBe('https://t.example/');
    }
  });

  it('without a trusted proxy, a forged X-Forwarded-For is ignored: the visit is the socket’s (unknown country)', async () => {
    const { visit, stats } = await setUp({});
    await visit({ 'X-Forwarded-For': '193.99.144.80', 'User-Agent': LINUX_FIREFOX });
    expect((await stats('country')).data).toEqual([
      { key: 'unknown', visits: 1, uniqueVisitors: 1 },
    ]);
  });
}

describe('statistics on sqlite', () => suite('sqlite'));
describeWithPostgres('statistics on postgres', () => suite('postgres'));
