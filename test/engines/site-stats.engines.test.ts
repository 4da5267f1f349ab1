import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { addEngineDomains, buildEngineApp, engineKey, type Engine } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';

/**
 * The whole site's statistics and the requests for unknown codes, on every engine: real
 * requests through the server's listener (the redirect fast path, then Express), the counts
 * flushed as the server flushes them, and read through `GET /api/v1/stats` and the store.
 */
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

function suite(engine: Engine) {
  async function setUp() {
    const s = await buildEngineApp(engine, {
      BASE_URL: 'https://s.example',
      TRUST_PROXY: 'loopback',
    });
    const secret = await engineKey(s, 'site');
    for (const alias of ['one', 'two']) {
      await request(s.app)
        .post('/api/v1/links')
        .set('X-Api-Key', secret)
        .send({ url: `https://t.example/${alias}`, alias })
        .expect(201);
    }
    return { s, secret };
  }

  it('answers every link’s visits, a visitor of two links once, by day and by country', async () => {
    const { s, secret } = await setUp();
    const visit = (code: string, address: string, agent: string, extra = {}) =>
      request(s.listener)
        .get(`/${code}`)
        .set({ Host: 's.example', 'X-Forwarded-For': address, 'User-Agent': agent, ...extra })
        .expect(302);
    // A German visits both links, twice the first; a Japanese one; one asks not to be tracked.
    await visit('one', '193.99.144.80', FIREFOX);
    await visit('one', '193.99.144.80', FIREFOX);
    await visit('two', '193.99.144.80', FIREFOX);
    await visit('two', '133.0.0.1', IPHONE);
    await visit('two', '8.8.8.8', FIREFOX, { DNT: '1' });
    await s.flushVisits();
    const stats = (query: string) =>
      request(s.app).get(`/api/v1/stats${query}`).set('X-Api-Key', secret).expect(200);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await stats('')).body;
    expect(byDay).toMatchObject({
      to: today,
      groupBy: 'day',
      visits: 5,
      uniqueVisitors: 2,
      data: [{ key: today, visits: 5, uniqueVisitors: 2 }],
    });
    expect((await stats('?groupBy=country')).body).toMatchObject({
      groupBy: 'country',
      visits: 5,
      uniqueVisitors: 2,
      data: [
        { key: 'DE', visits: 3, uniqueVisitors: 1 },
        { key: 'JP', visits: 1, uniqueVisitors: 1 },
      ],
    });
    // A deleted link's visits are gone with it.
    await request(s.app).delete('/api/v1/links/one').set('X-Api-Key', secret).expect(204);
    expect((await stats('?groupBy=country')).body).toMatchObject({
      visits: 3,
      uniqueVisitors: 2,
      data: [
        { key: 'DE', visits: 1, uniqueVisitors: 1 },
        { key: 'JP', visits: 1, uniqueVisitors: 1 },
      ],
    });
    const bad = await request(s.app)
      .get('/api/v1/stats?groupBy=city')
      .set('X-Api-Key', secret)
      .expect(400);
    expect(bad.body.errors).toEqual([{ pointer: '/groupBy', detail: expect.any(String) }]);
  });

  it('counts reads of unknown codes per domain, whichever door answers them, and nothing else', async () => {
    const { s, secret } = await setUp();
    await addEngineDomains(s, secret, [
      { host: 'go.example', notFoundRedirect: 'https://home.example/missing' },
      { host: 'old.example', aliasOf: 's.example' },
    ]);
    const domains = await s.store.domains.listDomains();
    const go = domains.find((domain) => domain.host === 'go.example')!.id;
    const ask = (door: 'listener' | 'app', host: string, path: string, method = 'get') =>
      (request(s[door]) as unknown as Record<string, (path: string) => request.Test>)[method]!(
        path,
      ).set('Host', host);
    // Unknown codes: snip's 404 page, by the fast path's fallback and by Express alone.
    await ask('listener', 's.example', '/nope').expect(404);
    await ask('app', 's.example', '/nope2').expect(404);
    await ask('listener', 's.example', '/nope+').expect(404);
    await ask('listener', 's.example', '/nope', 'head').expect(404);
    // An alias's unknown code is one of the domain it aliases.
    await ask('listener', 'old.example', '/nope').expect(404);
    // An added domain's not-found redirect; its domain does not answer the default's codes.
    await ask('listener', 'go.example', '/nope').expect(302);
    await ask('listener', 'go.example', '/one').expect(302);
    // Not unknown codes: a link, a post (a link's code answers it 404 too), another page, a
    // reserved word, a host that is not snip's.
    await ask('listener', 's.example', '/nope', 'post').expect(404);
    await ask('listener', 's.example', '/one', 'post').expect(404);
    await ask('listener', 's.example', '/one').expect(302);
    await ask('listener', 's.example', '/no/such/page').expect(404);
    await ask('listener', 's.example', '/favicon.ico').expect(404);
    await ask('listener', 's.example', '/admin').expect(404);
    await ask('listener', 'elsewhere.example', '/nope').expect(404);
    expect(await s.flushNotFound()).toBe(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(await s.store.visits.notFoundCounts(today, today)).toEqual([
      { domainKey: 0, count: 5 },
      { domainKey: go, count: 2 },
    ]);
    expect(await s.flushNotFound()).toBe(0);
  });
}

describe('site statistics on sqlite', () => suite('sqlite'));
describeWithPostgres('site statistics on postgres', () => suite('postgres'));
