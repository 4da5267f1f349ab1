import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROWSER_UA, createApiKey, ORIGIN } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Kutt's API v2 on snip's domains (ADR 031): `domain` on creation puts a link there, a link's
 * `domain` and `link` are its domain's, its `id` finds it again on that domain, and `GET /users`
 * lists the domains the browser extension offers.
 */

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = buildTestApp({ BASE_URL: ORIGIN }, { now: () => NOW });
  key = await createApiKey(t);
  for (const body of [
    { host: 'go.example', rootRedirect: 'https://home.example/' },
    { host: 'plain.example' },
    { host: 'old-go.example', aliasOf: 'go.example' },
  ]) {
    await request(t.app).post('/api/v1/domains').set('X-Api-Key', key).send(body).expect(201);
  }
});
afterEach(() => t?.db.close());

const post = (body: Record<string, unknown>, apiKey = key) =>
  request(t.app).post('/api/v2/links').set('X-API-Key', apiKey).send(body);
const call = (method: 'get' | 'patch' | 'delete', path: string, apiKey = key) =>
  request(t.app)[method](`/api/v2${path}`).set('X-API-Key', apiKey);

async function visit(host: string, path: string): Promise<string> {
  const res = await request(t.app).get(path).set({ Host: host, 'User-Agent': BROWSER_UA });
  return res.status === 302 ? String(res.headers.location) : String(res.status);
}

/** `guide` on the default domain and on go.example. */
async function guideOnBoth() {
  const onDefault = await post({ target: 'https://default-target.example/', customurl: 'guide' });
  expect(onDefault.status).toBe(201);
  const onGo = await post({
    target: 'https://go-target.example/',
    customurl: 'guide',
    domain: 'go.example',
  });
  expect(onGo.status, onGo.text).toBe(201);
  return { onDefault: onDefault.body, onGo: onGo.body };
}

describe('Kutt: links on a domain', () => {
  it('makes a link on the domain sent, with its domain, short URL and an id that finds it', async () => {
    const { onDefault, onGo } = await guideOnBoth();
    expect(onGo).toMatchObject({
      id: 'guide@go.example',
      address: 'guide',
      domain: 'go.example',
      link: 'https://go.example/guide',
      target: 'https://go-target.example/',
    });
    expect(onDefault).toMatchObject({
      id: 'guide',
      domain: null,
      link: `${ORIGIN}/guide`,
    });
    expect(await visit('go.example', '/guide')).toBe('https://go-target.example/');
    expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
    // Kutt's default domain, any spelling, is the default domain.
    const named = await post({ target: 'https://x.example/', domain: 'S.EXAMPLE' });
    expect(named.body.domain).toBeNull();
    // The same custom URL again on that domain is taken.
    const taken = await post({
      target: 'https://x.example/',
      customurl: 'guide',
      domain: 'GO.example',
    });
    expect(taken.status).toBe(400);
    expect(taken.body).toEqual({ error: 'Custom URL is already in use.' });
  });

  it.each(['nowhere.example', 'old-go.example', 'not a host'])(
    'refuses the domain %s with Kutt’s error, and makes nothing',
    async (domain) => {
      const res = await post({ target: 'https://x.example/', customurl: 'other', domain });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: "You can't use this domain." });
      expect(t.countLinks()).toBe(0);
    },
  );

  it('reuses a link on the domain sent only', async () => {
    const first = await post({ target: 'https://reuse.example/', domain: 'go.example' });
    const again = await post({
      target: 'https://reuse.example/',
      domain: 'go.example',
      reuse: true,
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const onDefault = await post({ target: 'https://reuse.example/', reuse: true });
    expect(onDefault.status).toBe(201);
    expect(onDefault.body.domain).toBeNull();
  });

  it('lists links of every domain, each with its domain and short URL', async () => {
    await guideOnBoth();
    const res = await call('get', '/links');
    expect(res.status).toBe(200);
    const rows = (res.body.data as { id: string; domain: string | null; link: string }[])
      .map((l) => [l.id, l.domain, l.link])
      .sort();
    expect(rows).toEqual([
      ['guide', null, `${ORIGIN}/guide`],
      ['guide@go.example', 'go.example', 'https://go.example/guide'],
    ]);
  });

  it('edits and deletes a link by the id it answered, on its domain only', async () => {
    await guideOnBoth();
    const edited = await call('patch', '/links/guide@go.example').send({
      target: 'https://go-new.example/',
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({
      id: 'guide@go.example',
      domain: 'go.example',
      target: 'https://go-new.example/',
    });
    expect(await visit('go.example', '/guide')).toBe('https://go-new.example/');
    expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
    // The default domain's host names the default domain's link too.
    const byHost = await call('patch', '/links/guide@s.example').send({ description: 'Home' });
    expect(byHost.body).toMatchObject({ id: 'guide', description: 'Home' });

    await call('delete', '/links/guide@go.example').expect(200);
    expect(await visit('go.example', '/guide')).toBe('410');
    expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
  });

  it.each(['guide@nowhere.example', 'guide@old-go.example', 'guide@plain.example', 'guide@'])(
    'answers 404 for the id %s, and changes nothing',
    async (id) => {
      await guideOnBoth();
      // Kutt's words: its edit's and its delete's.
      for (const [res, error] of [
        [
          await call('patch', `/links/${encodeURIComponent(id)}`).send({
            target: 'https://x.example/',
          }),
          'Link was not found.',
        ],
        [await call('delete', `/links/${encodeURIComponent(id)}`), 'Could not find the link.'],
      ] as const) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error });
      }
      expect(await visit('go.example', '/guide')).toBe('https://go-target.example/');
      expect(await visit('s.example', '/guide')).toBe('https://default-target.example/');
    },
  );
});

describe('Kutt: the user’s domains', () => {
  it('GET /users lists the domains that take links as Kutt’s domain objects, and the key sent', async () => {
    const res = await call('get', '/users');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const iso = new Date(NOW).toISOString();
    expect(res.body).toEqual({
      apikey: key,
      email: '',
      domains: [
        {
          id: 'go.example',
          address: 'go.example',
          banned: false,
          homepage: 'https://home.example/',
          created_at: iso,
          updated_at: iso,
        },
        {
          id: 'plain.example',
          address: 'plain.example',
          banned: false,
          homepage: 's.example',
          created_at: iso,
          updated_at: iso,
        },
      ],
    });
    // A create-only key may shorten on them, so it reads them too.
    const createOnly = await call('get', '/users', await createApiKey(t, 'create-only'));
    expect(createOnly.body.domains).toEqual(res.body.domains);
  });
});

describe('Kutt: adding and deleting a domain (POST /domains, DELETE /domains/{id})', () => {
  it('adds a domain from its address and homepage, answers Kutt’s domain object, and takes links on it', async () => {
    const res = await request(t.app)
      .post('/api/v2/domains')
      .set('X-API-Key', key)
      .send({ address: 'https://new.example/', homepage: 'https://welcome.example/' });
    expect(res.status, res.text).toBe(200);
    const iso = new Date(NOW).toISOString();
    expect(res.body).toEqual({
      id: 'new.example',
      address: 'new.example',
      banned: false,
      homepage: 'https://welcome.example/',
      created_at: iso,
      updated_at: iso,
    });
    const link = await post({ target: 'https://x.example/', domain: 'new.example' });
    expect(link.status, link.text).toBe(201);
    expect(link.body.link).toBe('https://new.example/' + link.body.address);
  });

  it('refuses a domain that exists, or no address, with 400 and Kutt’s error shape, adding nothing', async () => {
    for (const body of [{ address: 'go.example' }, {}, { address: 'not a host' }]) {
      const res = await request(t.app).post('/api/v2/domains').set('X-API-Key', key).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toEqual({ error: expect.any(String) });
    }
    const users = await call('get', '/users');
    expect(users.body.domains.map((d: { id: string }) => d.id)).toEqual([
      'go.example',
      'plain.example',
    ]);
  });

  it('deletes a domain by its id; one with links stays, with 400 and why', async () => {
    const gone = await call('delete', '/domains/plain.example');
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body).toEqual({ message: 'Domain deleted successfully' });
    await post({ target: 'https://x.example/', domain: 'go.example' }).expect(201);
    await call('delete', '/domains/old-go.example').expect(200);
    const kept = await call('delete', '/domains/go.example');
    expect(kept.status).toBe(400);
    expect(kept.body.error).toMatch(/link/);
    const unknown = await call('delete', '/domains/nowhere.example');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'Could not delete the domain.' });
    const users = await call('get', '/users');
    expect(users.body.domains.map((d: { id: string }) => d.id)).toEqual(['go.example']);
  });

  it('lets only a full key add or delete one (create-only: 403, none: 401)', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    const add = (apiKey?: string) => {
      const r = request(t.app).post('/api/v2/domains');
      return (apiKey ? r.set('X-API-Key', apiKey) : r).send({ address: 'other.example' });
    };
    expect((await add(createOnly)).status).toBe(403);
    expect((await add()).status).toBe(401);
    expect((await call('delete', '/domains/plain.example', createOnly)).status).toBe(403);
    const users = await call('get', '/users');
    expect(users.body.domains).toHaveLength(2);
  });
});
