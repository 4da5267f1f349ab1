import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROWSER_UA, createApiKey, ORIGIN } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Shlink's REST API on snip's domains (ADR 031): `domain` on creation, `?domain=` on every call
 * that names a short code, the list's `domain` filter, each short URL's `domain` and `shortUrl`,
 * and Shlink's edit-domain-redirects. As Shlink's clients call it: X-Api-Key and JSON on /rest/v3.
 */

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = buildTestApp({ BASE_URL: ORIGIN });
  key = await createApiKey(t);
  for (const body of [{ host: 'go.example' }, { host: 'old-go.example', aliasOf: 'go.example' }]) {
    await request(t.app).post('/api/v1/domains').set('X-Api-Key', key).send(body).expect(201);
  }
});
afterEach(() => t?.db.close());

function sdk(method: 'get' | 'post' | 'patch' | 'delete', path: string, apiKey = key) {
  return request(t.app)[method](`/rest/v3${path}`).set({
    'X-Api-Key': apiKey,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  });
}

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `https://shlink.io/api/error/${code}`, status });
  return body;
}

/** A visit to a host's path, as a browser sends it: where it is sent. */
async function visit(host: string, path: string): Promise<string | undefined> {
  const res = await request(t.app).get(path).set({ Host: host, 'User-Agent': BROWSER_UA });
  return res.status === 302 ? res.headers.location : String(res.status);
}

/** `guide` on the default domain and on go.example, each to its own target. */
async function guideOnBoth() {
  const onDefault = await sdk('post', '/short-urls').send({
    longUrl: 'https://default-target.example/',
    customSlug: 'guide',
  });
  expect(onDefault.status).toBe(200);
  const onGo = await sdk('post', '/short-urls').send({
    longUrl: 'https://go-target.example/',
    customSlug: 'guide',
    domain: 'GO.example.',
  });
  expect(onGo.status, onGo.text).toBe(200);
  return { onDefault: onDefault.body, onGo: onGo.body };
}

describe('Shlink: short URLs on a domain', () => {
  it('creates a short URL on the domain named, with its domain and short URL there; the default domain answers domain null', async () => {
    const { onDefault, onGo } = await guideOnBoth();
    expect(onGo).toMatchObject({
      shortCode: 'guide',
      shortUrl: 'https://go.example/guide',
      domain: 'go.example',
      longUrl: 'https://go-target.example/',
    });
    expect(onDefault).toMatchObject({ shortUrl: `${ORIGIN}/guide`, domain: null });
    // The default domain's host, in any spelling, is the default domain (Shlink drops it).
    const named = await sdk('post', '/short-urls').send({
      longUrl: 'https://x.example/',
      domain: 'S.example',
    });
    expect(named.body).toMatchObject({ domain: null, shortUrl: expect.stringMatching(ORIGIN) });
    expect(await visit('go.example', '/guide')).toBe('https://go-target.example/');
    expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
  });

  it('refuses a slug taken on that domain, naming the domain, and takes it on another', async () => {
    await guideOnBoth();
    const taken = await sdk('post', '/short-urls').send({
      longUrl: 'https://x.example/',
      customSlug: 'guide',
      domain: 'go.example',
    });
    const body = expectProblem(taken, 400, 'non-unique-slug');
    expect(body).toMatchObject({
      detail: 'Provided slug "guide" is already in use for domain "go.example".',
      customSlug: 'guide',
      domain: 'go.example',
    });
    expect(t.countLinks()).toBe(2);
  });

  it.each([
    ['a domain that is not snip’s', 'nowhere.example'],
    ['an alias domain', 'old-go.example'],
    ['a string that is no host', 'not a host'],
  ])(
    'refuses %s on creation with invalid-data naming domain, and makes nothing',
    async (_, domain) => {
      await guideOnBoth();
      const refused = await sdk('post', '/short-urls').send({
        longUrl: 'https://x.example/',
        customSlug: 'new-one',
        domain,
      });
      const body = expectProblem(refused, 400, 'invalid-data');
      expect(body.invalidElements).toEqual(['domain']);
      expect(String(body.detail)).toContain(domain === 'old-go.example' ? 'alias' : domain);
      expect(t.countLinks()).toBe(2);
    },
  );

  it('findIfExists reuses a link on the domain named only', async () => {
    const first = await sdk('post', '/short-urls').send({
      longUrl: 'https://reuse.example/',
      domain: 'go.example',
    });
    const again = await sdk('post', '/short-urls').send({
      longUrl: 'https://reuse.example/',
      domain: 'go.example',
      findIfExists: true,
    });
    expect(again.body.shortCode).toBe(first.body.shortCode);
    expect(again.body.domain).toBe('go.example');
    const onDefault = await sdk('post', '/short-urls').send({
      longUrl: 'https://reuse.example/',
      findIfExists: true,
    });
    expect(onDefault.body.domain).toBeNull();
    expect(t.countLinks()).toBe(2);
  });

  it('GET, PATCH and DELETE /short-urls/{shortCode}?domain= address the code on that domain', async () => {
    await guideOnBoth();
    const got = await sdk('get', '/short-urls/guide?domain=go.example');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ longUrl: 'https://go-target.example/', domain: 'go.example' });
    expect((await sdk('get', '/short-urls/guide')).body.longUrl).toBe(
      'https://default-target.example/',
    );
    expect((await sdk('get', `/short-urls/guide?domain=s.example`)).body.domain).toBeNull();

    const patched = await sdk('patch', '/short-urls/guide?domain=go.example').send({
      longUrl: 'https://go-new.example/',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      longUrl: 'https://go-new.example/',
      domain: 'go.example',
    });
    expect(await visit('go.example', '/guide')).toBe('https://go-new.example/');
    expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');

    await sdk('delete', '/short-urls/guide?domain=go.example').expect(204);
    expect(await visit('go.example', '/guide')).toBe('410');
    expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
  });

  it.each(['nowhere.example', 'old-go.example', 'not a host'])(
    'answers short-url-not-found for a code on %s, and changes nothing',
    async (domain) => {
      await guideOnBoth();
      const query = `?domain=${encodeURIComponent(domain)}`;
      for (const res of [
        await sdk('get', `/short-urls/guide${query}`),
        await sdk('patch', `/short-urls/guide${query}`).send({ longUrl: 'https://x.example/' }),
        await sdk('delete', `/short-urls/guide${query}`),
        await sdk('get', `/short-urls/guide/redirect-rules${query}`),
        await sdk('post', `/short-urls/guide/redirect-rules${query}`).send({ redirectRules: [] }),
      ]) {
        const body = expectProblem(res, 404, 'short-url-not-found');
        expect(body).toMatchObject({
          detail: `No URL found with short code "guide" for domain "${domain}"`,
          shortCode: 'guide',
          domain,
        });
      }
      expect(await visit('go.example', '/guide')).toBe('https://go-target.example/');
      expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
    },
  );

  it('refuses a domain given twice in the query with invalid-data', async () => {
    await guideOnBoth();
    const res = await sdk('get', '/short-urls/guide?domain=go.example&domain=s.example');
    expect(expectProblem(res, 400, 'invalid-data').invalidElements).toEqual(['domain']);
  });

  it('sets and reads the redirect rules of the code on the domain named', async () => {
    await guideOnBoth();
    const rules = {
      redirectRules: [
        {
          longUrl: 'https://apps.example/ios',
          conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }],
        },
      ],
    };
    const set = await sdk('post', '/short-urls/guide/redirect-rules?domain=go.example').send(rules);
    expect(set.status, set.text).toBe(200);
    expect(set.body.defaultLongUrl).toBe('https://go-target.example/');
    expect(set.body.redirectRules).toHaveLength(1);
    const read = await sdk('get', '/short-urls/guide/redirect-rules?domain=go.example');
    expect(read.body).toEqual(set.body);
    expect((await sdk('get', '/short-urls/guide/redirect-rules')).body.redirectRules).toEqual([]);
    expect((await sdk('get', '/short-urls/guide?domain=go.example')).body.hasRedirectRules).toBe(
      true,
    );
  });

  it('lists one domain’s short URLs with domain=host, the default domain’s with DEFAULT, none for a domain that is not snip’s', async () => {
    await guideOnBoth();
    await sdk('post', '/short-urls')
      .send({ longUrl: 'https://go-target.example/2', customSlug: 'second', domain: 'go.example' })
      .expect(200);
    const codes = async (query: string) => {
      const res = await sdk('get', `/short-urls${query}`);
      expect(res.status, res.text).toBe(200);
      return (res.body.shortUrls.data as { shortCode: string; domain: string | null }[])
        .map((s) => `${s.domain ?? 'default'}/${s.shortCode}`)
        .sort();
    };
    expect(await codes('')).toEqual(['default/guide', 'go.example/guide', 'go.example/second']);
    expect(await codes('?domain=go.example')).toEqual(['go.example/guide', 'go.example/second']);
    expect(await codes('?domain=DEFAULT')).toEqual(['default/guide']);
    expect(await codes('?domain=s.example')).toEqual(['default/guide']);
    const none = await sdk('get', '/short-urls?domain=nowhere.example');
    expect(none.body.shortUrls).toEqual({
      data: [],
      pagination: {
        currentPage: 1,
        pagesCount: 0,
        itemsPerPage: 10,
        itemsInCurrentPage: 0,
        totalItems: 0,
      },
    });
    expect(await codes('?domain=old-go.example')).toEqual([]);
    const listed = await sdk('get', '/short-urls?domain=go.example');
    expect(listed.body.shortUrls.data[0].shortUrl).toMatch(/^https:\/\/go\.example\//);
  });
});

describe('Shlink: domains and their redirects', () => {
  it('lists the default domain first and each added one with its redirects', async () => {
    const res = await sdk('get', '/domains');
    const none = { baseUrlRedirect: null, regular404Redirect: null, invalidShortUrlRedirect: null };
    expect(res.body.domains).toEqual({
      data: [
        { domain: 's.example', isDefault: true, redirects: none },
        { domain: 'go.example', isDefault: false, redirects: none },
        { domain: 'old-go.example', isDefault: false, redirects: none },
      ],
      defaultRedirects: none,
    });
  });

  it('PATCH /domains/redirects sets, keeps and clears a domain’s redirects, and the domain follows them', async () => {
    const set = await sdk('patch', '/domains/redirects').send({
      domain: 'GO.example',
      baseUrlRedirect: 'https://home.example/',
      regular404Redirect: 'https://home.example/404',
      invalidShortUrlRedirect: null,
    });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({
      baseUrlRedirect: 'https://home.example/',
      regular404Redirect: 'https://home.example/404',
      invalidShortUrlRedirect: 'https://home.example/404',
    });
    expect(await visit('go.example', '/')).toBe('https://home.example/');
    expect(await visit('go.example', '/no-such-code')).toBe('https://home.example/404');
    // The alias falls back to them while it has none of its own.
    expect(await visit('old-go.example', '/')).toBe('https://home.example/');

    // A field left out stays; null removes it.
    const kept = await sdk('patch', '/domains/redirects').send({
      domain: 'go.example',
      baseUrlRedirect: null,
    });
    expect(kept.body).toEqual({
      baseUrlRedirect: null,
      regular404Redirect: 'https://home.example/404',
      invalidShortUrlRedirect: 'https://home.example/404',
    });
    expect(await visit('go.example', '/')).not.toBe('https://home.example/');
    const listed = await sdk('get', '/domains');
    expect(listed.body.domains.data[1]).toEqual({
      domain: 'go.example',
      isDefault: false,
      redirects: kept.body,
    });
    // An alias's own redirects.
    const alias = await sdk('patch', '/domains/redirects').send({
      domain: 'old-go.example',
      baseUrlRedirect: 'https://moved.example/',
    });
    expect(alias.status).toBe(200);
    expect(await visit('old-go.example', '/')).toBe('https://moved.example/');
  });

  it('PATCH /domains/redirects refuses what it cannot do, in Shlink’s shapes, and changes nothing', async () => {
    const before = (await sdk('get', '/domains')).body;
    const cases: [object, number, string, string[]?][] = [
      [{}, 400, 'invalid-data', ['domain']],
      [{ domain: '' }, 400, 'invalid-data', ['domain']],
      [{ domain: null }, 400, 'invalid-data', ['domain']],
      [{ domain: 'not a domain' }, 400, 'invalid-data', ['domain']],
      [
        { domain: 's.example', baseUrlRedirect: 'https://x.example/' },
        400,
        'invalid-data',
        ['domain'],
      ],
      [
        { domain: 'nowhere.example', baseUrlRedirect: 'https://x.example/' },
        404,
        'domain-not-found',
      ],
      [
        { domain: 'go.example', baseUrlRedirect: 'javascript:alert(1)' },
        400,
        'invalid-data',
        ['baseUrlRedirect'],
      ],
      // A redirect to one of snip's own domains would be a loop.
      [
        { domain: 'go.example', regular404Redirect: 'https://old-go.example/x' },
        400,
        'invalid-data',
        ['regular404Redirect'],
      ],
      [
        {
          domain: 'go.example',
          regular404Redirect: 'https://a.example/',
          invalidShortUrlRedirect: 'https://b.example/',
        },
        400,
        'invalid-data',
        ['regular404Redirect', 'invalidShortUrlRedirect'],
      ],
      [{ domain: 'go.example', baseUrlRedirect: 42 }, 400, 'invalid-data', ['baseUrlRedirect']],
    ];
    for (const [body, status, code, elements] of cases) {
      const res = await sdk('patch', '/domains/redirects').send(body);
      const problem = expectProblem(res, status, code);
      if (elements) expect(problem.invalidElements, JSON.stringify(body)).toEqual(elements);
    }
    expect((await sdk('get', '/domains')).body).toEqual(before);
  });

  it('PATCH /domains/redirects needs a full key', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    const res = await sdk('patch', '/domains/redirects', createOnly).send({
      domain: 'go.example',
      baseUrlRedirect: 'https://x.example/',
    });
    expectProblem(res, 403, 'forbidden-operation');
    expect(
      (await sdk('get', '/domains')).body.domains.data[1].redirects.baseUrlRedirect,
    ).toBeNull();
  });
});
