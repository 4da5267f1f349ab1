import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { BROWSER } from '../faults/snip-process.js';
import {
  buildEngineApp,
  type EngineApp,
  engineKey,
  addEngineDomains,
} from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';

/**
 * Shlink's and Kutt's APIs on snip's domains (ADR 031), on every engine: a link made on a domain
 * through either API, the same code on the default domain kept apart, each addressed by its
 * domain, the lists filtered by domain, Shlink's edit-domain-redirects, and bad domains refused
 * without a change. The same requests against SQLite and PostgreSQL.
 */
const ORIGIN = 'https://s.example';

function suite(engine: 'sqlite' | 'postgres') {
  async function setUp() {
    const s = await buildEngineApp(engine, { BASE_URL: ORIGIN });
    const secret = await engineKey(s, 'compat-domains');
    await addEngineDomains(s, secret, [
      { host: 'go.example' },
      { host: 'old-go.example', aliasOf: 'go.example' },
    ]);
    return { s, secret };
  }

  const visit = async (s: EngineApp, host: string, path: string) => {
    const res = await request(s.listener).get(path).set({ Host: host, 'User-Agent': BROWSER });
    return res.status === 302 ? String(res.headers.location) : String(res.status);
  };

  it('Shlink: creates, reads, edits, lists and deletes a short code per domain', async () => {
    const { s, secret } = await setUp();
    const shlink = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
      request(s.app)[method](`/rest/v3${path}`).set('X-Api-Key', secret);

    const onGo = await shlink('post', '/short-urls').send({
      longUrl: 'https://go-target.example/',
      customSlug: 'guide',
      domain: 'GO.example',
    });
    expect(onGo.status, onGo.text).toBe(200);
    expect(onGo.body).toMatchObject({ domain: 'go.example', shortUrl: 'https://go.example/guide' });
    const onDefault = await shlink('post', '/short-urls').send({
      longUrl: 'https://default-target.example/',
      customSlug: 'guide',
    });
    expect(onDefault.body).toMatchObject({ domain: null, shortUrl: `${ORIGIN}/guide` });
    const reused = await shlink('post', '/short-urls').send({
      longUrl: 'https://go-target.example/',
      domain: 'go.example',
      findIfExists: true,
    });
    expect(reused.body).toMatchObject({ shortCode: 'guide', domain: 'go.example' });

    expect((await shlink('get', '/short-urls/guide?domain=go.example')).body.longUrl).toBe(
      'https://go-target.example/',
    );
    const patched = await shlink('patch', '/short-urls/guide?domain=go.example').send({
      longUrl: 'https://go-new.example/',
    });
    expect(patched.body).toMatchObject({
      domain: 'go.example',
      longUrl: 'https://go-new.example/',
    });
    expect(await visit(s, 'go.example', '/guide')).toBe('https://go-new.example/');
    expect(await visit(s, 's.example', '/guide')).toBe('https://default-target.example/');

    const rules = await shlink('post', '/short-urls/guide/redirect-rules?domain=go.example').send({
      redirectRules: [
        {
          longUrl: 'https://go-new.example/de',
          conditions: [{ type: 'language', matchKey: null, matchValue: 'de' }],
        },
      ],
    });
    expect(rules.status, rules.text).toBe(200);
    expect((await shlink('get', '/short-urls/guide/redirect-rules')).body.redirectRules).toEqual(
      [],
    );

    const listed = async (query: string) =>
      (
        (await shlink('get', `/short-urls${query}`)).body.shortUrls.data as {
          shortUrl: string;
        }[]
      )
        .map((u) => u.shortUrl)
        .sort();
    expect(await listed('?domain=go.example')).toEqual(['https://go.example/guide']);
    expect(await listed('?domain=DEFAULT')).toEqual([`${ORIGIN}/guide`]);
    expect(await listed('?domain=nowhere.example')).toEqual([]);

    await shlink('delete', '/short-urls/guide?domain=go.example').expect(204);
    expect(await visit(s, 'go.example', '/guide')).toBe('410');
    expect(await visit(s, 's.example', '/guide')).toBe('https://default-target.example/');
  });

  it('Shlink: an unknown domain, an alias or a non-host is refused on creation and not found on a code, changing nothing', async () => {
    const { s, secret } = await setUp();
    const shlink = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
      request(s.app)[method](`/rest/v3${path}`).set('X-Api-Key', secret);
    await shlink('post', '/short-urls')
      .send({ longUrl: 'https://go-target.example/', customSlug: 'guide', domain: 'go.example' })
      .expect(200);
    const before = await s.store.links.countLinks();
    for (const domain of ['nowhere.example', 'old-go.example', 'not a host']) {
      const created = await shlink('post', '/short-urls').send({
        longUrl: 'https://x.example/',
        customSlug: 'other',
        domain,
      });
      expect(created.status, domain).toBe(400);
      expect(created.body).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        invalidElements: ['domain'],
      });
      const query = `?domain=${encodeURIComponent(domain)}`;
      for (const res of [
        await shlink('patch', `/short-urls/guide${query}`).send({ longUrl: 'https://x.example/' }),
        await shlink('delete', `/short-urls/guide${query}`),
      ]) {
        expect(res.status, domain).toBe(404);
        expect(res.body).toMatchObject({
          type: 'https://shlink.io/api/error/short-url-not-found',
          domain,
        });
      }
    }
    expect(await s.store.links.countLinks()).toBe(before);
    expect(await visit(s, 'go.example', '/guide')).toBe('https://go-target.example/');
  });

  it('Shlink: PATCH /domains/redirects edits a domain’s redirects, which its host follows; a refused one changes nothing', async () => {
    const { s, secret } = await setUp();
    const edit = (body: object) =>
      request(s.app).patch('/rest/v3/domains/redirects').set('X-Api-Key', secret).send(body);
    const set = await edit({
      domain: 'go.example',
      baseUrlRedirect: 'https://home.example/',
      invalidShortUrlRedirect: 'https://home.example/404',
    });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({
      baseUrlRedirect: 'https://home.example/',
      regular404Redirect: 'https://home.example/404',
      invalidShortUrlRedirect: 'https://home.example/404',
    });
    expect(await visit(s, 'go.example', '/')).toBe('https://home.example/');
    expect(await visit(s, 'go.example', '/nothing-here')).toBe('https://home.example/404');
    const stored = (await s.store.domains.listDomains()).find((d) => d.host === 'go.example')!;
    expect(stored).toMatchObject({
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://home.example/404',
      expiredRedirect: null,
    });

    expect(
      (await edit({ domain: 'go.example', baseUrlRedirect: 'https://s.example/x' })).status,
    ).toBe(400);
    expect((await edit({ domain: 'nowhere.example', baseUrlRedirect: null })).status).toBe(404);
    expect((await edit({ domain: 's.example', baseUrlRedirect: null })).status).toBe(400);
    expect((await s.store.domains.listDomains()).find((d) => d.host === 'go.example')).toEqual(
      stored,
    );
    expect((await s.store.domains.listDomains()).map((d) => d.host)).toEqual([
      'go.example',
      'old-go.example',
    ]);
  });

  it('Kutt: makes, lists, edits and deletes a link on a domain by the id it answered; a bad domain makes nothing', async () => {
    const { s, secret } = await setUp();
    const kutt = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
      request(s.app)[method](`/api/v2${path}`).set('X-API-Key', secret);
    const onGo = await kutt('post', '/links').send({
      target: 'https://go-target.example/',
      customurl: 'guide',
      domain: 'go.example',
    });
    expect(onGo.status, onGo.text).toBe(201);
    expect(onGo.body).toMatchObject({
      id: 'guide@go.example',
      domain: 'go.example',
      link: 'https://go.example/guide',
    });
    const onDefault = await kutt('post', '/links').send({
      target: 'https://default-target.example/',
      customurl: 'guide',
    });
    expect(onDefault.body).toMatchObject({ id: 'guide', domain: null, link: `${ORIGIN}/guide` });

    const before = await s.store.links.countLinks();
    for (const domain of ['nowhere.example', 'old-go.example', 'not a host']) {
      const refused = await kutt('post', '/links').send({ target: 'https://x.example/', domain });
      expect(refused.status, domain).toBe(400);
      expect(refused.body).toEqual({ error: "You can't use this domain." });
    }
    expect(await s.store.links.countLinks()).toBe(before);

    const listed = await kutt('get', '/links');
    expect(
      (listed.body.data as { id: string; domain: string | null }[]).map((l) => [l.id, l.domain]),
    ).toEqual(
      expect.arrayContaining([
        ['guide', null],
        ['guide@go.example', 'go.example'],
      ]),
    );
    const users = await kutt('get', '/users');
    expect(users.body.domains.map((d: { address: string }) => d.address)).toEqual(['go.example']);

    const edited = await kutt('patch', '/links/guide@go.example').send({
      target: 'https://go-new.example/',
    });
    expect(edited.body).toMatchObject({
      id: 'guide@go.example',
      target: 'https://go-new.example/',
    });
    expect(await visit(s, 'go.example', '/guide')).toBe('https://go-new.example/');
    expect(await visit(s, 'old-go.example', '/guide')).toBe('https://go-new.example/');
    expect(await visit(s, 's.example', '/guide')).toBe('https://default-target.example/');
    expect((await kutt('delete', '/links/guide@old-go.example')).status).toBe(404);
    await kutt('delete', '/links/guide@go.example').expect(200);
    expect(await visit(s, 'go.example', '/guide')).toBe('410');
    expect(await visit(s, 's.example', '/guide')).toBe('https://default-target.example/');
  });

  it('YOURLS: a link it makes is on the default domain, with the short URL it always had', async () => {
    const { s, secret } = await setUp();
    // As Raycast and tny.im ask: GET with a query string.
    const res = await request(s.app).get('/yourls-api.php').query({
      action: 'shorturl',
      url: 'https://y.example/',
      keyword: 'yourls-link',
      signature: secret,
      format: 'json',
    });
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text).shorturl).toBe(`${ORIGIN}/yourls-link`);
    expect(await visit(s, 's.example', '/yourls-link')).toBe('https://y.example/');
    expect(await visit(s, 'go.example', '/yourls-link')).toBe('404');

    // expand of a short URL finds the link a visit to it would: on an alias, its domain's.
    await request(s.app)
      .post('/api/v1/links')
      .set('X-Api-Key', secret)
      .send({ url: 'https://go-target.example/', alias: 'yourls-link', domain: 'go.example' })
      .expect(201);
    const expand = async (shorturl: string) =>
      JSON.parse(
        (
          await request(s.app)
            .get('/yourls-api.php')
            .query({ action: 'expand', shorturl, signature: secret, format: 'json' })
        ).text,
      ).longurl;
    expect(await expand('https://old-go.example/yourls-link')).toBe('https://go-target.example/');
    expect(await expand('https://go.example/yourls-link')).toBe('https://go-target.example/');
    expect(await expand(`${ORIGIN}/yourls-link`)).toBe('https://y.example/');
  });
}

describe('Shlink and Kutt on domains on sqlite', () => suite('sqlite'));
describeWithPostgres('Shlink and Kutt on domains on postgres', () => suite('postgres'));
