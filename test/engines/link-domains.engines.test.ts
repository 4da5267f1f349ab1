import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import { BROWSER } from '../faults/snip-process.js';
import { buildEngineApp, type EngineApp, engineKey } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';

/**
 * Links that belong to a domain (ADR 031), on every engine: a code is unique per domain, a
 * request's host names the domain whose code answers (an alias: the domain it aliases), the
 * redirect cache keeps each domain's link apart, and a domain with links cannot be deleted. The
 * same requests against SQLite and PostgreSQL, through the Express app and the server's listener
 * (the redirect fast path in front of it).
 */
const ORIGIN = 'https://s.example';

type Doors = 'app' | 'listener';

function suite(engine: 'sqlite' | 'postgres') {
  const build = () => buildEngineApp(engine, { BASE_URL: ORIGIN });

  const key = (s: EngineApp) => engineKey(s, 'link-domains');

  async function addDomain(s: EngineApp, secret: string, body: object) {
    await request(s.app).post('/api/v1/domains').set('X-Api-Key', secret).send(body).expect(201);
    const domain = (await s.store.domains.listDomains()).find(
      (d) => d.host === (body as { host: string }).host,
    );
    return domain!.id;
  }

  /** A link on a domain, written through the store: the doors that take a domain come later. */
  async function linkOn(s: EngineApp, domainId: number | null, code: string, target: string) {
    const result = await s.store.links.insertLink(
      {
        ...DEFAULT_OPTIONS,
        code,
        domainId,
        target,
        manageTokenHash: Buffer.from(`${code}-${domainId}`),
      },
      Date.now(),
    );
    expect(result.ok).toBe(true);
  }

  const door = (s: EngineApp, which: Doors) => request(which === 'app' ? s.app : s.listener);

  /** Two domains and their aliases, and `guide` on the default domain and on go.example. */
  async function twoDomains() {
    const s = await build();
    const secret = await key(s);
    const go = await addDomain(s, secret, { host: 'go.example' });
    await addDomain(s, secret, { host: 'other.example' });
    await addDomain(s, secret, { host: 'old-go.example', aliasOf: 'go.example' });
    await addDomain(s, secret, { host: 'old-s.example', aliasOf: 's.example' });
    await linkOn(s, null, 'guide', 'https://default-target.example/');
    await linkOn(s, go, 'guide', 'https://go-target.example/');
    await linkOn(s, go, 'only-go', 'https://go-target.example/only');
    return { s, secret, go };
  }

  it.each<Doors>(['app', 'listener'])(
    'the same code on two domains is two links: each host answers its own, an alias the one of the domain it aliases (%s)',
    async (which) => {
      const { s } = await twoDomains();
      const get = (host: string, path: string) =>
        door(s, which).get(path).set({ Host: host, 'User-Agent': BROWSER });

      // Each twice: the second answer comes from the redirect cache, which keeps them apart.
      for (let round = 0; round < 2; round++) {
        expect((await get('s.example', '/guide')).headers.location).toBe(
          'https://default-target.example/',
        );
        expect((await get('go.example', '/guide')).headers.location).toBe(
          'https://go-target.example/',
        );
        expect((await get('GO.example.:443', '/guide')).headers.location).toBe(
          'https://go-target.example/',
        );
        expect((await get('old-go.example', '/guide')).headers.location).toBe(
          'https://go-target.example/',
        );
        expect((await get('old-s.example', '/guide')).headers.location).toBe(
          'https://default-target.example/',
        );
      }
      // A code on go.example is on no other domain, nor on an alias of another.
      expect((await get('go.example', '/only-go')).headers.location).toBe(
        'https://go-target.example/only',
      );
      expect((await get('old-go.example', '/only-go')).status).toBe(302);
      expect((await get('s.example', '/only-go')).status).toBe(404);
      expect((await get('old-s.example', '/only-go')).status).toBe(404);
      expect((await get('other.example', '/only-go')).status).toBe(404);
      expect((await get('other.example', '/guide')).status).toBe(404);
      // Percent-escaped, the Express route answers the same.
      expect((await get('go.example', '/%67uide')).headers.location).toBe(
        'https://go-target.example/',
      );
      await s.flushVisits();
      expect((await s.store.links.findLink('guide', 0))!.visits).toBe(4);
    },
  );

  it('the preview of a code shows the link of the host’s domain', async () => {
    const { s } = await twoDomains();
    const preview = (host: string, path: string) =>
      request(s.app).get(path).set({ Host: host, 'User-Agent': BROWSER });
    const onGo = await preview('go.example', '/guide+');
    expect(onGo.status).toBe(200);
    expect(onGo.text).toContain('go-target.example');
    expect(onGo.text).not.toContain('default-target.example');
    const onDefault = await preview('s.example', '/guide+');
    expect(onDefault.text).toContain('default-target.example');
    expect((await preview('s.example', '/only-go+')).status).toBe(404);
  });

  it('the QR code of a code draws the short URL of the host’s domain', async () => {
    const { s } = await twoDomains();
    const qr = (host: string, path: string) =>
      request(s.app)
        .get(path)
        .set('Host', host)
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(null, text));
        });
    const onGo = await qr('go.example', '/qr/only-go.svg');
    expect(onGo.status).toBe(200);
    expect(onGo.headers['content-type']).toMatch(/^image\/svg\+xml/);
    // The same code on two domains draws two different images: each its own short URL.
    const guideGo = await qr('go.example', '/qr/guide.svg').expect(200);
    const guideDefault = await qr('s.example', '/qr/guide.svg').expect(200);
    expect(guideGo.body).not.toBe(guideDefault.body);
    const again = await qr('old-go.example', '/qr/guide.svg').expect(200);
    expect(again.body).toBe(guideGo.body);
    // A code on go.example has no image on the default domain.
    expect((await qr('s.example', '/qr/only-go.svg')).status).toBe(404);
  });

  it('a link gone on one domain leaves the same code on another answering', async () => {
    const { s, go } = await twoDomains();
    const get = (host: string) =>
      request(s.listener).get('/guide').set({ Host: host, 'User-Agent': BROWSER });
    const onGo = (await s.store.links.findLink('guide', go))!;
    await s.store.links.setDisabled(onGo.id, true, Date.now());
    // Nothing cached yet: the database answers, per domain.
    expect((await get('go.example')).status).toBe(410);
    expect((await get('s.example')).headers.location).toBe('https://default-target.example/');
  });

  it('DELETE /api/v1/domains/{host} answers 409 while links are on the domain, a deleted one too, and keeps it', async () => {
    const { s, secret, go } = await twoDomains();
    const remove = (host: string) =>
      request(s.app).delete(`/api/v1/domains/${host}`).set('X-Api-Key', secret);
    // An alias of it keeps it first; once that is gone, its links do.
    expect((await remove('go.example')).body.detail).toContain('alias');
    await remove('old-go.example').expect(204);
    const refused = await remove('go.example');
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('2 links are on go.example');
    for (const code of ['guide', 'only-go']) {
      const link = (await s.store.links.findLink(code, go))!;
      await s.store.links.deleteLink(link.id, Date.now());
    }
    expect((await remove('go.example')).status).toBe(409);
    expect((await s.store.domains.listDomains()).map((d) => d.host)).toContain('go.example');
    await remove('other.example').expect(204);
  });

  it('/api/v1: a link is made on the domain named, carries it and its short URL there, and ?domain= addresses it', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, { host: 'go.example' });
    await addDomain(s, secret, { host: 'old-go.example', aliasOf: 'go.example' });
    const api = () => ({
      post: (body: object) =>
        request(s.app).post('/api/v1/links').set('X-Api-Key', secret).send(body),
      get: (path: string) => request(s.app).get(path).set('X-Api-Key', secret),
    });

    const onGo = await api().post({
      url: 'https://go-target.example/',
      alias: 'guide',
      domain: 'GO.example.',
    });
    expect(onGo.status, JSON.stringify(onGo.body)).toBe(201);
    expect(onGo.body).toMatchObject({
      code: 'guide',
      domain: 'go.example',
      shortUrl: 'https://go.example/guide',
    });
    expect(onGo.headers.location).toBe('https://go.example/guide');
    const onDefault = await api().post({ url: 'https://default-target.example/', alias: 'guide' });
    expect(onDefault.status).toBe(201);
    expect(onDefault.body).toMatchObject({ domain: 's.example', shortUrl: `${ORIGIN}/guide` });
    expect(
      (await api().post({ url: 'https://x.example/', alias: 'guide', domain: 'go.example' }))
        .status,
    ).toBe(409);

    // An unknown domain, or an alias, is refused and makes nothing.
    const before = await s.store.links.countLinks();
    for (const domain of ['nowhere.example', 'old-go.example', 'not a host']) {
      const refused = await api().post({ url: 'https://x.example/', alias: 'other', domain });
      expect(refused.status, domain).toBe(422);
      expect(refused.body.errors[0].pointer).toBe('/domain');
    }
    expect(await s.store.links.countLinks()).toBe(before);

    // The preview and the management page print the short URL on the link's domain.
    const preview = await request(s.app)
      .get('/guide+')
      .set({ Host: 'go.example', 'User-Agent': BROWSER })
      .expect(200);
    expect(preview.text).toContain('https://go.example/guide');
    const manage = await request(s.app)
      .get(new URL(onGo.body.manageUrl).pathname)
      .set({ Host: 's.example', 'User-Agent': BROWSER })
      .expect(200);
    expect(manage.text).toContain('https://go.example/guide');
    expect(manage.text).not.toContain(`${ORIGIN}/guide`);
    const got = await api().get('/api/v1/links/guide?domain=go.example').expect(200);
    expect(got.body).toMatchObject({ url: 'https://go-target.example/', domain: 'go.example' });
    expect((await api().get('/api/v1/links/guide').expect(200)).body.url).toBe(
      'https://default-target.example/',
    );
    expect((await api().get('/api/v1/links/guide?domain=nowhere.example')).status).toBe(404);
    expect((await api().get('/api/v1/links/guide?domain=a&domain=b')).status).toBe(400);
    const listed = await api().get('/api/v1/links').expect(200);
    expect(listed.body.data.map((l: { domain: string }) => l.domain).sort()).toEqual([
      'go.example',
      's.example',
    ]);
    // ?domain= keeps one domain's links (any spelling); an unknown one or an alias is refused.
    const codesOn = async (domain: string) => {
      const page = await api().get(`/api/v1/links?domain=${encodeURIComponent(domain)}`);
      expect(page.status, domain).toBe(200);
      return page.body.data.map((l: { domain: string; url: string }) => `${l.domain} ${l.url}`);
    };
    expect(await codesOn('Go.Example.')).toEqual(['go.example https://go-target.example/']);
    expect(await codesOn('s.example:443')).toEqual(['s.example https://default-target.example/']);
    for (const domain of ['nowhere.example', 'old-go.example']) {
      const refused = await api().get(`/api/v1/links?domain=${domain}`);
      expect(refused.status, domain).toBe(400);
      expect(refused.body.errors[0].pointer).toBe('/domain');
    }

    // PATCH and DELETE change the link on the domain named, and the redirect follows at once.
    const visit = (host: string) =>
      request(s.listener).get('/guide').set({ Host: host, 'User-Agent': BROWSER });
    expect((await visit('go.example')).headers.location).toBe('https://go-target.example/');
    const patched = await request(s.app)
      .patch('/api/v1/links/guide?domain=go.example')
      .set('X-Api-Key', secret)
      .send({ url: 'https://go-new.example/' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ domain: 'go.example', url: 'https://go-new.example/' });
    expect((await visit('go.example')).headers.location).toBe('https://go-new.example/');
    expect((await visit('s.example')).headers.location).toBe('https://default-target.example/');
    await request(s.app)
      .delete('/api/v1/links/guide?domain=go.example')
      .set('X-Api-Key', secret)
      .expect(204);
    expect((await visit('go.example')).status).toBe(410);
    expect((await visit('s.example')).status).toBe(302);
  });
}

describe('links on domains on sqlite', () => suite('sqlite'));
describeWithPostgres('links on domains on postgres', () => suite('postgres'));
