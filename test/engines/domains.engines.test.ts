import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createDomainService } from '../../src/domains/domain-service.js';
import { BROWSER } from '../faults/snip-process.js';
import {
  buildEngineApp,
  type EngineApp,
  engineKey,
  engineAdminCookie,
} from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { SAME_ORIGIN } from '../support/test-app.js';

/**
 * Domains on every engine (ADR 028): /api/v1/domains, the host gate in front of every page (a
 * host that is not snip's gets a bare 404), an added domain's own redirects, alias domains, the
 * TLS check for Caddy, and the URL policy that refuses targets on any of snip's domains. The
 * same requests against SQLite and PostgreSQL, through the Express app and the server's
 * listener (the redirect fast path in front of it).
 */
const ORIGIN = 'https://s.example';
const METRICS_TOKEN = 'metrics-token-of-the-domain-tests';
const ADMIN_PASSWORD = 'correct horse battery';

type Doors = 'app' | 'listener';

function suite(engine: 'sqlite' | 'postgres') {
  const build = (env: Record<string, string> = { BASE_URL: ORIGIN }) =>
    buildEngineApp(engine, { METRICS_TOKEN, ...env });

  const key = (s: EngineApp, scope: 'full' | 'create-only' = 'full') =>
    engineKey(s, `domains-${scope}`, scope);

  function addDomain(s: EngineApp, secret: string, body: object) {
    return request(s.app).post('/api/v1/domains').set('X-Api-Key', secret).send(body);
  }

  async function hosts(s: EngineApp): Promise<string[]> {
    return (await s.store.domains.listDomains()).map((d) => d.host);
  }

  async function link(s: EngineApp, secret: string, alias: string, url = 'https://t.example/') {
    await request(s.app)
      .post('/api/v1/links')
      .set('X-Api-Key', secret)
      .send({ url, alias })
      .expect(201);
  }

  const door = (s: EngineApp, which: Doors) => request(which === 'app' ? s.app : s.listener);

  it('POST /api/v1/domains adds a domain in its canonical form; GET lists the default one first', async () => {
    const s = await build();
    const secret = await key(s);
    const made = await addDomain(s, secret, {
      host: 'Go.Example.',
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://home.example/missing',
      expiredRedirect: 'https://home.example/gone',
    });
    expect(made.status).toBe(201);
    expect(made.headers.location).toBe('/api/v1/domains/go.example');
    expect(made.body).toEqual({
      host: 'go.example',
      isDefault: false,
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://home.example/missing',
      expiredRedirect: 'https://home.example/gone',
      aliasOf: null,
    });
    await addDomain(s, secret, { host: 'bücher.example', aliasOf: 'S.EXAMPLE' }).expect(201);
    const listed = await request(s.app).get('/api/v1/domains').set('X-Api-Key', secret).expect(200);
    expect(listed.body).toEqual({
      data: [
        {
          host: 's.example',
          isDefault: true,
          rootRedirect: null,
          notFoundRedirect: null,
          expiredRedirect: null,
          aliasOf: null,
        },
        {
          host: 'go.example',
          isDefault: false,
          rootRedirect: 'https://home.example/',
          notFoundRedirect: 'https://home.example/missing',
          expiredRedirect: 'https://home.example/gone',
          aliasOf: null,
        },
        {
          host: 'xn--bcher-kva.example',
          isDefault: false,
          rootRedirect: null,
          notFoundRedirect: null,
          expiredRedirect: null,
          aliasOf: 's.example',
        },
      ],
    });
  });

  it('without BASE_URL the list has no default entry', async () => {
    const s = await build({});
    const secret = await key(s);
    expect(
      (await request(s.app).get('/api/v1/domains').set('X-Api-Key', secret).expect(200)).body,
    ).toEqual({ data: [] });
    await addDomain(s, secret, { host: 'go.example' }).expect(201);
    const listed = await request(s.app)
      .get('/api/v1/domains')
      .set({ 'X-Api-Key': secret, Host: 'go.example' })
      .expect(200);
    expect((listed.body as { data: { host: string }[] }).data.map((d) => d.host)).toEqual([
      'go.example',
    ]);
  });

  it('domains need a full key: none is 401, a create-only key 403, and nothing changes', async () => {
    const s = await build();
    const secret = await key(s, 'create-only');
    for (const call of [
      request(s.app).get('/api/v1/domains'),
      request(s.app).post('/api/v1/domains').send({ host: 'go.example' }),
      request(s.app).delete('/api/v1/domains/go.example'),
    ]) {
      const res = await call;
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    for (const call of [
      request(s.app).get('/api/v1/domains').set('X-Api-Key', secret),
      request(s.app).post('/api/v1/domains').set('X-Api-Key', secret).send({ host: 'go.example' }),
      request(s.app).delete('/api/v1/domains/go.example').set('X-Api-Key', secret),
    ]) {
      const res = await call;
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: '/api/v1/problems/forbidden' });
    }
    expect(await hosts(s)).toEqual([]);
  });

  it('bad domains are refused with a problem at their field and change nothing', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, { host: 'go.example' }).expect(201);
    await addDomain(s, secret, { host: 'alias.example', aliasOf: 'go.example' }).expect(201);
    const cases: [object, number, string][] = [
      [{ host: '127.0.0.1' }, 422, '/host'],
      [{ host: '[::1]' }, 422, '/host'],
      [{ host: 'a_b.example' }, 422, '/host'],
      [{ host: 'a..b.example' }, 422, '/host'],
      [{ host: `${'a'.repeat(64)}.example` }, 422, '/host'],
      [{ host: `${'abc.'.repeat(63)}example` }, 422, '/host'],
      [{ host: 'https://new.example/' }, 422, '/host'],
      [{ host: 'new.example/path' }, 422, '/host'],
      [{ host: '' }, 422, '/host'],
      [{ host: 'new.example', aliasOf: 'nowhere.example' }, 422, '/aliasOf'],
      [{ host: 'new.example', aliasOf: 'alias.example' }, 422, '/aliasOf'],
      [{ host: 'new.example', aliasOf: 'new.example' }, 422, '/aliasOf'],
      [{ host: 'new.example', rootRedirect: 'javascript:alert(1)' }, 422, '/rootRedirect'],
      [{ host: 'new.example', notFoundRedirect: 'https://s.example/x' }, 422, '/notFoundRedirect'],
      [{ host: 'new.example', expiredRedirect: 'https://NEW.example./x' }, 422, '/expiredRedirect'],
      [{ host: 'new.example', rootRedirect: 'https://go.example/' }, 422, '/rootRedirect'],
      [{ host: 'new.example', rootRedirect: 'http://10.0.0.1/' }, 422, '/rootRedirect'],
      [{ host: 'GO.example' }, 409, '/host'],
      [{ host: 's.example' }, 409, '/host'],
    ];
    for (const [body, status, pointer] of cases) {
      const res = await addDomain(s, secret, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((res.body as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe(pointer);
    }
    for (const body of [{}, { host: 42 }, { host: 'new.example', extra: 1 }]) {
      const res = await addDomain(s, secret, body);
      expect(res.status).toBe(400);
    }
    expect(await hosts(s)).toEqual(['alias.example', 'go.example']);
  });

  it('a domain that active links point to is refused with 409 saying how many, and nothing changes', async () => {
    const s = await build();
    const secret = await key(s);
    await link(s, secret, 'one', 'https://brand.example/a');
    await link(s, secret, 'two', 'http://brand.example:8080/b');
    await link(s, secret, 'sub', 'https://www.brand.example/');
    const refused = await addDomain(s, secret, { host: 'Brand.Example' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: '/api/v1/problems/domain-conflict' });
    expect((refused.body as { detail: string }).detail).toMatch(/^2 links point to brand\.example/);
    expect(await hosts(s)).toEqual([]);
    // Once those links are gone, the domain can be added.
    await request(s.app).delete('/api/v1/links/one').set('X-Api-Key', secret).expect(204);
    await request(s.app).delete('/api/v1/links/two').set('X-Api-Key', secret).expect(204);
    await addDomain(s, secret, { host: 'brand.example' }).expect(201);
  });

  it('DELETE removes a domain; one that an alias names is 409 with a count; unknown is 404', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, { host: 'go.example' }).expect(201);
    await addDomain(s, secret, { host: 'a1.example', aliasOf: 'go.example' }).expect(201);
    await addDomain(s, secret, { host: 'a2.example', aliasOf: 'go.example' }).expect(201);
    const del = (host: string) =>
      request(s.app).delete(`/api/v1/domains/${host}`).set('X-Api-Key', secret);
    const aliased = await del('go.example');
    expect(aliased.status).toBe(409);
    expect((aliased.body as { detail: string }).detail).toMatch(/^2 domains are aliases of/);
    expect((await del('nowhere.example')).status).toBe(404);
    expect((await del('s.example')).status).toBe(409);
    expect(await hosts(s)).toEqual(['a1.example', 'a2.example', 'go.example']);
    await del('A1.example.').expect(204);
    await del('a2.example').expect(204);
    await del('go.example').expect(204);
    expect(await hosts(s)).toEqual([]);
    // Its host is no longer snip's: a bare 404 there at once.
    const gone = await request(s.app).get('/').set('Host', 'go.example');
    expect(gone.status).toBe(404);
    expect(gone.text).toBe('Not found\n');
  });

  it('PATCH /api/v1/domains/{host} changes its redirects (left out stays, null clears) and the redirect follows; bad ones change nothing', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, {
      host: 'go.example',
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://missing.example/',
    }).expect(201);
    const patch = (host: string, body: object) =>
      request(s.app).patch(`/api/v1/domains/${host}`).set('X-Api-Key', secret).send(body);
    const root = async () =>
      (await request(s.listener).get('/').set({ Host: 'go.example', 'User-Agent': BROWSER }))
        .headers.location;
    expect(await root()).toBe('https://home.example/');

    const changed = await patch('GO.example.', {
      rootRedirect: 'https://new-home.example/',
      notFoundRedirect: null,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toEqual({
      host: 'go.example',
      isDefault: false,
      rootRedirect: 'https://new-home.example/',
      notFoundRedirect: null,
      expiredRedirect: null,
      aliasOf: null,
    });
    expect(await root()).toBe('https://new-home.example/');
    const unknownCode = await request(s.listener)
      .get('/nothing-here')
      .set({ Host: 'go.example', 'User-Agent': BROWSER });
    expect(unknownCode.status).toBe(404);

    const stored = async () => (await s.store.domains.listDomains())[0];
    const before = await stored();
    for (const [host, body, status] of [
      ['go.example', { rootRedirect: 'javascript:alert(1)' }, 422],
      ['go.example', { rootRedirect: 'https://go.example/loop' }, 422],
      ['go.example', { host: 'other.example' }, 400],
      ['go.example', { aliasOf: 's.example' }, 400],
      ['nowhere.example', { rootRedirect: 'https://x.example/' }, 404],
      ['s.example', { rootRedirect: 'https://x.example/' }, 409],
    ] as const) {
      const refused = await patch(host, body);
      expect([host, JSON.stringify(body), refused.status]).toEqual([
        host,
        JSON.stringify(body),
        status,
      ]);
    }
    expect(await stored()).toEqual(before);
    const createOnly = await key(s, 'create-only');
    await request(s.app)
      .patch('/api/v1/domains/go.example')
      .set('X-Api-Key', createOnly)
      .send({ rootRedirect: null })
      .expect(403);
    expect(await stored()).toEqual(before);
  });

  it.each(['app', 'listener'] as const)(
    "a host that is not snip's gets a bare 404 that names no link (%s); health, metrics, the TLS check and the APIs answer on any host",
    async (which) => {
      const s = await build();
      const secret = await key(s);
      await link(s, secret, 'known');
      for (const path of ['/known', '/known+', '/', '/admin', '/manage/x', '/nope']) {
        const res = await door(s, which)
          .get(path)
          .set({ Host: 'evil.example', 'User-Agent': BROWSER });
        expect([path, res.status]).toEqual([path, 404]);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.text).toBe('Not found\n');
        expect(res.headers.location).toBeUndefined();
      }
      // The APIs answer scripts on any host, and print short URLs under BASE_URL only.
      const api = await door(s, which)
        .get('/api/v1/links/known')
        .set({ Host: 'evil.example', Authorization: `Bearer ${secret}` })
        .expect(200);
      expect(api.body.shortUrl).toBe('https://s.example/known');
      expect(api.text).not.toContain('evil.example');
      await door(s, which).get('/healthz').set('Host', '10.1.2.3').expect(200);
      const metrics = await door(s, which)
        .get('/metrics')
        .set({ Host: '10.1.2.3', Authorization: `Bearer ${METRICS_TOKEN}` });
      expect(metrics.status).toBe(200);
      await door(s, which).get('/_/tls-ask?domain=s.example').set('Host', '10.1.2.3').expect(200);
      // The default domain and loopback names still reach the link.
      for (const host of ['s.example', 'S.EXAMPLE.', 's.example:8443', 'localhost:3000']) {
        const res = await door(s, which).get('/known').set({ Host: host, 'User-Agent': BROWSER });
        expect([host, res.status, res.headers.location]).toEqual([host, 302, 'https://t.example/']);
      }
    },
  );

  it('without BASE_URL and without domains any host is served, as before', async () => {
    const s = await build({});
    const secret = await key(s);
    await link(s, secret, 'anyhost');
    for (const which of ['app', 'listener'] as const) {
      const res = await door(s, which)
        .get('/anyhost')
        .set({ Host: 'whatever.example:8080', 'User-Agent': BROWSER });
      expect(res.status).toBe(302);
    }
    // Once a domain exists, only it (and loopback names) answer.
    await addDomain(s, secret, { host: 'go.example' }).expect(201);
    const res = await request(s.listener).get('/anyhost').set('Host', 'whatever.example');
    expect([res.status, res.text]).toEqual([404, 'Not found\n']);
  });

  it.each(['app', 'listener'] as const)(
    "an added domain answers its root, unknown codes and the default domain's links with its redirects (%s)",
    async (which) => {
      const s = await build();
      const secret = await key(s);
      await link(s, secret, 'known');
      await addDomain(s, secret, {
        host: 'go.example',
        rootRedirect: 'https://home.example/',
        notFoundRedirect: 'https://home.example/missing',
      }).expect(201);
      await addDomain(s, secret, { host: 'plain.example' }).expect(201);
      const get = (host: string, path: string) =>
        door(s, which).get(path).set({ Host: host, 'User-Agent': BROWSER });
      // Every spelling of the host is the same domain.
      for (const host of ['go.example', 'GO.EXAMPLE', 'go.example.', 'go.example:8080']) {
        const root = await get(host, '/');
        expect([host, root.status, root.headers.location]).toEqual([
          host,
          302,
          'https://home.example/',
        ]);
        // A non-alias domain has no links yet: the default domain's code is unknown here.
        for (const path of ['/known', '/nope', '/known+', '/%6Bnown']) {
          const res = await get(host, path);
          expect([host, path, res.status, res.headers.location]).toEqual([
            host,
            path,
            302,
            'https://home.example/missing',
          ]);
        }
      }
      // Without redirects: snip's home page and 404 page, never the link.
      const home = await get('plain.example', '/');
      expect(home.status).toBe(200);
      expect(home.text).toContain('<form');
      for (const path of ['/known', '/known+', '/%6Bnown']) {
        const missing = await get('plain.example', path);
        expect([path, missing.status]).toEqual([path, 404]);
        expect(missing.text).not.toContain('t.example');
      }
      // snip's own pages still answer on it (a reserved word is no code).
      await get('plain.example', '/api/v1/openapi.json').expect(200);
      // The default domain is unchanged.
      expect((await get('s.example', '/known')).headers.location).toBe('https://t.example/');
      expect((await get('s.example', '/')).status).toBe(200);
    },
  );

  it.each(['app', 'listener'] as const)(
    'an alias of the default domain answers its links and uses its own redirects, falling back to its target’s (%s)',
    async (which) => {
      const s = await build();
      const secret = await key(s);
      await link(s, secret, 'known');
      await link(s, secret, 'off');
      await request(s.app).post('/api/v1/links/off/disable').set('X-Api-Key', secret).expect(200);
      await addDomain(s, secret, {
        host: 'old.example',
        aliasOf: 's.example',
        expiredRedirect: 'https://home.example/gone',
        notFoundRedirect: 'https://home.example/missing',
      }).expect(201);
      await addDomain(s, secret, { host: 'bare.example', aliasOf: 's.example' }).expect(201);
      const get = (host: string, path: string) =>
        door(s, which).get(path).set({ Host: host, 'User-Agent': BROWSER });
      expect((await get('old.example', '/known')).headers.location).toBe('https://t.example/');
      expect((await get('xn--OLD.example'.replace('xn--', ''), '/known')).status).toBe(302);
      expect((await get('old.example', '/off')).headers.location).toBe('https://home.example/gone');
      expect((await get('old.example', '/nope')).headers.location).toBe(
        'https://home.example/missing',
      );
      // An alias without redirects answers with snip's pages.
      expect((await get('bare.example', '/known')).headers.location).toBe('https://t.example/');
      expect((await get('bare.example', '/off')).status).toBe(410);
      expect((await get('bare.example', '/nope')).status).toBe(404);
      expect((await get('bare.example', '/')).status).toBe(200);
      await s.flushVisits();
      const visits = (await s.store.links.findLink('known'))!.visits;
      expect(visits).toBe(3);
    },
  );

  it('an alias of an added domain answers none of the default domain’s links and falls back to its redirects', async () => {
    const s = await build();
    const secret = await key(s);
    await link(s, secret, 'known');
    await addDomain(s, secret, {
      host: 'go.example',
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://home.example/missing',
    }).expect(201);
    await addDomain(s, secret, {
      host: 'go2.example',
      aliasOf: 'go.example',
      rootRedirect: 'https://home2.example/',
    }).expect(201);
    for (const which of ['app', 'listener'] as const) {
      const get = (path: string) =>
        door(s, which).get(path).set({ Host: 'go2.example', 'User-Agent': BROWSER });
      expect((await get('/')).headers.location).toBe('https://home2.example/');
      expect((await get('/known')).headers.location).toBe('https://home.example/missing');
    }
  });

  it('an IDN domain is reached by its punycode Host, and the TLS check takes any spelling', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, {
      host: 'BÜCHER.example',
      rootRedirect: 'https://home.example/',
    }).expect(201);
    const root = await request(s.listener).get('/').set('Host', 'xn--bcher-kva.example');
    expect(root.headers.location).toBe('https://home.example/');
    const ask = (domain: string, host = 'evil.example') =>
      request(s.app).get('/_/tls-ask').query({ domain }).set('Host', host);
    for (const domain of [
      'bücher.example',
      'XN--BCHER-KVA.example.',
      'xn--bcher-kva.example:443',
      's.example',
      'S.Example.',
    ]) {
      expect([domain, (await ask(domain)).status]).toEqual([domain, 200]);
    }
    for (const domain of ['evil.example', 'sub.s.example', '127.0.0.1', 'bucher.example']) {
      expect([domain, (await ask(domain)).status]).toEqual([domain, 404]);
    }
    expect((await request(s.app).get('/_/tls-ask')).status).toBe(400);
    expect((await request(s.app).get('/_/tls-ask?domain=a&domain=b')).status).toBe(400);
  });

  it('the URL policy refuses targets on any of snip’s domains, in every notation, and stores nothing', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, { host: 'go.example' }).expect(201);
    await addDomain(s, secret, { host: 'bücher.example' }).expect(201);
    for (const url of [
      'https://go.example/x',
      'http://GO.EXAMPLE./x',
      'https://go.example:8443/',
      'https://bücher.example/',
      'https://xn--bcher-kva.example/',
      'https://s.example/x',
    ]) {
      const res = await request(s.app)
        .post('/api/v1/links')
        .set('X-Api-Key', secret)
        .send({ url, alias: 'loop' });
      expect([url, res.status]).toEqual([url, 422]);
    }
    expect(await s.store.links.findLink('loop')).toBeNull();
    // The same through the form on an added domain's host.
    const form = await request(s.app)
      .post('/shorten')
      .set({ Host: 'go.example', 'Sec-Fetch-Site': 'same-origin' })
      .type('form')
      .send({ url: 'https://bücher.example/', alias: 'loop' });
    expect(form.status).toBe(422);
    expect(await s.store.links.findLink('loop')).toBeNull();
  });

  const signIn = (s: EngineApp) => engineAdminCookie(s, ADMIN_PASSWORD);

  it('the admin’s Domains page lists, adds (field errors at the field) and deletes domains', async () => {
    const s = await build({ BASE_URL: ORIGIN, ADMIN_PASSWORD });
    const cookie = await signIn(s);
    const page = await request(s.app).get('/admin/domains').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('href="/admin/domains" aria-current="page"');
    expect(page.text).toContain('<code dir="ltr">s.example</code> (default)');
    const post = (path: string, fields: Record<string, string>) =>
      request(s.app)
        .post(path)
        .set({ ...SAME_ORIGIN, Cookie: cookie })
        .type('form')
        .send(fields);
    const added = await post('/admin/domains', {
      host: 'Go.Example',
      rootRedirect: 'https://home.example/',
      notFoundRedirect: '',
      expiredRedirect: '',
      aliasOf: '',
    });
    expect([added.status, added.headers.location]).toEqual([303, '/admin/domains?done=added']);
    await post('/admin/domains', { host: 'old.example', aliasOf: 's.example' }).expect(303);
    const listed = await request(s.app).get('/admin/domains?done=added').set('Cookie', cookie);
    expect(listed.text).toContain('The domain is added.');
    expect(listed.text).toContain('<code dir="ltr">go.example</code>');
    expect(listed.text).toContain('https://home.example/');
    expect(listed.text).toMatch(/<option value="go\.example">go\.example<\/option>/);
    // A refusal keeps what was typed and says what is wrong at the field.
    const refused = await post('/admin/domains', {
      host: 'a_b.example',
      rootRedirect: 'javascript:alert(1)',
      aliasOf: 'nowhere.example',
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/<title>Error: Domains/);
    expect(refused.text).toMatch(
      /id="domain-host"[^>]*value="a_b\.example"[^>]*aria-invalid="true"/s,
    );
    expect(refused.text).toContain('id="domain-host-error"');
    expect(refused.text).toContain('id="domain-rootRedirect-error"');
    expect(refused.text).toContain('id="domain-aliasOf-error"');
    const taken = await post('/admin/domains', { host: 'GO.example.' });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('id="domain-host-error"');
    expect(await hosts(s)).toEqual(['go.example', 'old.example']);
    // Delete: the alias first; a domain something is an alias of is refused.
    expect((await post('/admin/domains/delete', { host: 's.example' })).status).toBe(409);
    await post('/admin/domains/delete', { host: 'old.example' }).expect(303);
    await post('/admin/domains/delete', { host: 'go.example' }).expect(303);
    expect((await post('/admin/domains/delete', { host: 'go.example' })).status).toBe(404);
    expect(await hosts(s)).toEqual([]);
    // Without a session, nothing.
    const anonymous = await request(s.app)
      .post('/admin/domains')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ host: 'x.example' });
    expect(anonymous.status).toBe(401);
    expect(await hosts(s)).toEqual([]);
  });

  it('the admin edits an added domain’s redirects on a page of its own; a bad one comes back at its field and changes nothing', async () => {
    const s = await build({ BASE_URL: ORIGIN, ADMIN_PASSWORD });
    const cookie = await signIn(s);
    const secret = await key(s);
    await addDomain(s, secret, { host: 'go.example', rootRedirect: 'https://home.example/' });
    const post = (fields: Record<string, string>) =>
      request(s.app)
        .post('/admin/domains/edit')
        .set({ ...SAME_ORIGIN, Cookie: cookie })
        .type('form')
        .send(fields);
    const list = await request(s.app).get('/admin/domains').set('Cookie', cookie).expect(200);
    expect(list.text).toContain('href="/admin/domains/edit?host=go.example"');
    const form = await request(s.app)
      .get('/admin/domains/edit?host=GO.example.')
      .set('Cookie', cookie)
      .expect(200);
    expect(form.text).toMatch(/id="domain-rootRedirect"[^>]*value="https:\/\/home\.example\/"/s);
    expect(form.text).toContain('<input type="hidden" name="host" value="go.example">');

    const stored = async () => (await s.store.domains.listDomains())[0];
    const before = await stored();
    const refused = await post({
      host: 'go.example',
      rootRedirect: 'https://go.example/loop',
      notFoundRedirect: 'https://fine.example/',
      expiredRedirect: '',
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/<title>Error: go\.example/);
    expect(refused.text).toMatch(/id="domain-rootRedirect"[^>]*aria-invalid="true"/s);
    expect(refused.text).toContain('id="domain-rootRedirect-error"');
    expect(refused.text).toMatch(
      /id="domain-notFoundRedirect"[^>]*value="https:\/\/fine\.example\/"/s,
    );
    expect(await stored()).toEqual(before);
    expect((await post({ host: 's.example', rootRedirect: '' })).status).toBe(409);
    expect((await post({ host: 'nowhere.example', rootRedirect: '' })).status).toBe(404);
    await request(s.app)
      .get('/admin/domains/edit?host=nowhere.example')
      .set('Cookie', cookie)
      .expect(404);

    const saved = await post({
      host: 'go.example',
      rootRedirect: '',
      notFoundRedirect: 'https://missing.example/',
      expiredRedirect: '',
    });
    expect([saved.status, saved.headers.location]).toEqual([303, '/admin/domains?done=edited']);
    expect(await stored()).toMatchObject({
      rootRedirect: null,
      notFoundRedirect: 'https://missing.example/',
      expiredRedirect: null,
    });
    const unknown = await request(s.listener)
      .get('/nothing-here')
      .set({ Host: 'go.example', 'User-Agent': BROWSER });
    expect(unknown.headers.location).toBe('https://missing.example/');
  });

  it('another machine on the same database sees a change once its list is a second old, without waiting for it', async () => {
    const s = await build();
    const clock = { now: 0 };
    // A second machine's domain service on the same database, with its own clock.
    const other = createDomainService({
      domains: s.store.domains,
      write: s.store.write,
      now: () => clock.now,
      defaultHost: 's.example',
      maxUrlLength: 2048,
      blockedHosts: () => [],
      ttlMs: 1000,
    });
    const scopeOf = async (host: string) => other.resolve(await other.current(), host).kind;
    expect(await scopeOf('go.example')).toBe('foreign');
    await addDomain(s, await key(s), { host: 'go.example' }).expect(201);
    clock.now = 999;
    expect(await scopeOf('go.example')).toBe('foreign');
    clock.now = 1000;
    // The old list answers while the new one is read: on SQLite at once, on PostgreSQL later.
    other.snapshot();
    await other.current();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await scopeOf('GO.example')).toBe('domain');
    expect(other.hosts()).toEqual(['s.example', 'go.example']);
  });

  it('Shlink’s GET /rest/v3/domains lists the added domains in Shlink’s shape', async () => {
    const s = await build();
    const secret = await key(s);
    await addDomain(s, secret, {
      host: 'go.example',
      rootRedirect: 'https://home.example/',
      notFoundRedirect: 'https://home.example/missing',
      expiredRedirect: 'https://home.example/gone',
    }).expect(201);
    await addDomain(s, secret, { host: 'old.example', aliasOf: 's.example' }).expect(201);
    const none = { baseUrlRedirect: null, regular404Redirect: null, invalidShortUrlRedirect: null };
    const res = await request(s.app).get('/rest/v3/domains').set('X-Api-Key', secret).expect(200);
    expect(res.body).toEqual({
      domains: {
        data: [
          { domain: 's.example', isDefault: true, redirects: none },
          {
            domain: 'go.example',
            isDefault: false,
            redirects: {
              baseUrlRedirect: 'https://home.example/',
              regular404Redirect: 'https://home.example/missing',
              invalidShortUrlRedirect: 'https://home.example/missing',
            },
          },
          { domain: 'old.example', isDefault: false, redirects: none },
        ],
        defaultRedirects: none,
      },
    });
  });
}

describe('domains on sqlite', () => suite('sqlite'));
describeWithPostgres('domains on postgres', () => suite('postgres'));
