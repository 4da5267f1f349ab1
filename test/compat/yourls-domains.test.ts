import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * YOURLS has no domains: its links are on the default domain with the short URLs they always had,
 * and `expand` and `url-stats` of a short URL on an added domain (or an alias of it) answer that
 * domain's link.
 */

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = buildTestApp({ BASE_URL: ORIGIN });
  key = await createApiKey(t);
  await request(t.app)
    .post('/api/v1/domains')
    .set('X-Api-Key', key)
    .send({ host: 'go.example' })
    .expect(201);
  await request(t.app)
    .post('/api/v1/domains')
    .set('X-Api-Key', key)
    .send({ host: 'old-go.example', aliasOf: 'go.example' })
    .expect(201);
  for (const [url, domain] of [
    ['https://default-target.example/', undefined],
    ['https://go-target.example/', 'go.example'],
  ] as const) {
    await request(t.app)
      .post('/api/v1/links')
      .set('X-Api-Key', key)
      .send({ url, alias: 'guide', domain })
      .expect(201);
  }
});
afterEach(() => t?.db.close());

const ask = (params: Record<string, string>) =>
  request(t.app)
    .get('/yourls-api.php')
    .query({ signature: key, format: 'json', ...params });

describe('YOURLS on a snip with domains', () => {
  it('makes links on the default domain, with the short URL it always had', async () => {
    const res = await ask({
      action: 'shorturl',
      url: 'https://y.example/',
      keyword: 'yourls-link',
    });
    expect(JSON.parse(res.text)).toMatchObject({ shorturl: `${ORIGIN}/yourls-link` });
  });

  it('expands a keyword or a short URL to the link of the domain the short URL names', async () => {
    const expand = async (shorturl: string) =>
      JSON.parse((await ask({ action: 'expand', shorturl })).text) as Record<string, string>;
    expect(await expand('guide')).toMatchObject({
      shorturl: `${ORIGIN}/guide`,
      longurl: 'https://default-target.example/',
    });
    expect(await expand(`${ORIGIN}/guide`)).toMatchObject({
      longurl: 'https://default-target.example/',
    });
    expect(await expand('https://GO.example/guide')).toMatchObject({
      shorturl: 'https://go.example/guide',
      longurl: 'https://go-target.example/',
    });
    const stats = JSON.parse(
      (await ask({ action: 'url-stats', shorturl: 'https://go.example/guide' })).text,
    ) as { link: Record<string, string> };
    expect(stats.link).toMatchObject({
      shorturl: 'https://go.example/guide',
      url: 'https://go-target.example/',
    });
    // On an alias, the link of the domain it aliases, as a visit there would find.
    expect(await expand('https://old-go.example./guide')).toMatchObject({
      longurl: 'https://go-target.example/',
    });
    // A host that is not snip's is taken as before: the keyword on the default domain.
    expect(await expand('https://elsewhere.example/guide')).toMatchObject({
      longurl: 'https://default-target.example/',
    });
  });
});
