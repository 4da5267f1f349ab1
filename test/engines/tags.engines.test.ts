import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import { BROWSER } from '../faults/snip-process.js';
import { buildEngineApp, type EngineApp } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { SAME_ORIGIN } from '../support/test-app.js';

/**
 * Tags through every door on every engine: the form and the management page, /api/v1 with its
 * filters and tag list, Shlink's API, the admin's filters and bulk changes, and export then
 * import. The same requests and expectations against SQLite and PostgreSQL.
 */
const ADMIN_PASSWORD = 'correct horse battery';
const ORIGIN = 'https://s.example';

function suite(engine: 'sqlite' | 'postgres') {
  const build = () => buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD });

  async function key(s: EngineApp, scope: 'full' | 'create-only' = 'full') {
    return (await createKeyService({ keys: s.store.keys, now: Date.now }).createKey({
      name: `tags-${scope}`,
      scope,
      expiresAt: null,
    }))!;
  }

  async function signIn(s: EngineApp): Promise<string> {
    const res = await request(s.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: ADMIN_PASSWORD });
    expect(res.status).toBe(303);
    return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  }

  function form(
    s: EngineApp,
    path: string,
    fields: Record<string, string | string[]>,
    cookie = '',
  ) {
    return request(s.app)
      .post(path)
      .set({ ...SAME_ORIGIN, ...(cookie ? { Cookie: cookie } : {}) })
      .type('form')
      .send(fields);
  }

  async function tagsOf(s: EngineApp, code: string): Promise<string[]> {
    const link = (await s.store.links.findLink(code))!;
    return (await s.store.tags.tagsOf([link.id])).map((row) => row.name);
  }

  it('the form and the management page set tags; bad tags are refused with 422 and change nothing', async () => {
    const s = await build();
    const made = await form(s, '/shorten', {
      url: 'https://a.example/',
      alias: 'formed',
      tags: 'Launch, q3,,',
    });
    expect(made.status).toBe(303);
    const manage = made.headers.location!.replace('?created=1', '');
    expect(await tagsOf(s, 'formed')).toEqual(['Launch', 'q3']);
    await form(s, manage, { url: 'https://a.example/', tags: 'LAUNCH, new' }).expect(303);
    expect(await tagsOf(s, 'formed')).toEqual(['Launch', 'new']);
    for (const tags of [
      'x'.repeat(33),
      'Sale, sale',
      'a\u200bb',
      Array.from({ length: 11 }, (_, i) => `t${i}`).join(),
    ]) {
      expect(
        (await form(s, '/shorten', { url: 'https://a.example/', alias: 'refused', tags })).status,
      ).toBe(422);
      expect((await form(s, manage, { url: 'https://b.example/', tags })).status).toBe(422);
    }
    expect(await s.store.links.findLink('refused')).toBeNull();
    expect(await tagsOf(s, 'formed')).toEqual(['Launch', 'new']);
    expect((await s.store.links.findLink('formed'))!.target).toBe('https://a.example/');
  });

  it('/api/v1 stores, filters by any, all and none, lists tags with links and visits, and forgets a deleted link’s tags', async () => {
    const s = await build();
    const auth = { Authorization: `Bearer ${await key(s)}` };
    const create = (alias: string, tags?: unknown) =>
      request(s.app)
        .post('/api/v1/links')
        .set(auth)
        .send({ url: `https://a.example/${alias}`, alias, tags });
    expect((await create('red-blue', ['Red', 'blue'])).body.tags).toEqual(['Red', 'blue']);
    await create('red-only', ['RED']).expect(201);
    await create('blue-green', ['blue', 'green']).expect(201);
    await create('plain').expect(201);
    await create('refused', ['a', 'A']).expect(422);
    await create('refused', ['x'.repeat(33)]).expect(422);
    expect(await s.store.links.findLink('refused')).toBeNull();

    const codes = async (query: string) =>
      (await request(s.app).get(`/api/v1/links?${query}`).set(auth).expect(200)).body.data
        .map((link: { code: string }) => link.code)
        .sort();
    expect(await codes('tag=red')).toEqual(['red-blue', 'red-only']);
    expect(await codes('tag=red&tag=GREEN&tagMode=any')).toEqual([
      'blue-green',
      'red-blue',
      'red-only',
    ]);
    expect(await codes('tag=red&tag=blue&tagMode=all')).toEqual(['red-blue']);
    expect(await codes('excludeTag=blue')).toEqual(['plain', 'red-only']);
    expect(await codes('tag=blue&excludeTag=red')).toEqual(['blue-green']);
    await request(s.app).get('/api/v1/links?tagMode=every').set(auth).expect(400);

    for (let i = 0; i < 3; i++)
      await request(s.app).get('/red-blue').set('User-Agent', BROWSER).expect(302);
    await request(s.app).get('/red-only').set('User-Agent', BROWSER).expect(302);
    await s.flushVisits();
    expect((await request(s.app).get('/api/v1/tags').set(auth).expect(200)).body).toEqual({
      data: [
        { name: 'blue', links: 2, visits: 3 },
        { name: 'green', links: 1, visits: 0 },
        { name: 'Red', links: 2, visits: 4 },
      ],
    });
    await request(s.app)
      .patch('/api/v1/links/red-blue')
      .set(auth)
      .send({ tags: ['green'] })
      .expect(200);
    await request(s.app).delete('/api/v1/links/blue-green').set(auth).expect(204);
    expect((await request(s.app).get('/api/v1/tags').set(auth)).body.data).toEqual([
      { name: 'green', links: 1, visits: 3 },
      { name: 'Red', links: 1, visits: 1 },
    ]);
    expect((await request(s.app).get('/api/v1/links/blue-green').set(auth)).body.tags).toEqual([]);
  });

  it('Shlink’s API takes and answers tags, filters with them, and answers /tags and /tags/stats', async () => {
    const s = await build();
    const apiKey = await key(s);
    const shlink = (method: 'get' | 'post' | 'patch', path: string) =>
      request(s.app)[method](`/rest/v3${path}`).set('X-Api-Key', apiKey);
    const made = await shlink('post', '/short-urls').send({
      longUrl: 'https://a.example/',
      customSlug: 'shl',
      tags: ['foo', 'Bar'],
    });
    expect(made.body.tags).toEqual(['foo', 'Bar']);
    await shlink('post', '/short-urls')
      .send({ longUrl: 'https://a.example/', customSlug: 'shl2', tags: ['FOO'] })
      .expect(200);
    await shlink('patch', '/short-urls/shl2')
      .send({ tags: ['foo', 'baz'] })
      .expect(200);
    const filtered = await shlink('get', '/short-urls?tags[]=bar&tags[]=baz&tagsMode=any').expect(
      200,
    );
    expect(
      filtered.body.shortUrls.data.map((u: { shortCode: string }) => u.shortCode).sort(),
    ).toEqual(['shl', 'shl2']);
    const excluded = await shlink('get', '/short-urls?excludeTags[]=bar').expect(200);
    expect(excluded.body.shortUrls.data.map((u: { shortCode: string }) => u.shortCode)).toEqual([
      'shl2',
    ]);
    expect((await shlink('get', '/tags')).body.tags.data).toEqual(['Bar', 'baz', 'foo']);
    expect(
      (await shlink('get', '/tags/stats?orderBy=shortUrlsCount-DESC')).body.tags.data[0],
    ).toEqual({
      tag: 'foo',
      shortUrlsCount: 2,
      visitsSummary: { total: 0, nonBots: 0, bots: 0 },
      visitsCount: 0,
    });
    const bad = await shlink('post', '/short-urls').send({
      longUrl: 'https://a.example/',
      customSlug: 'bad',
      tags: ['a\u200bb'],
    });
    expect(bad.status).toBe(400);
    expect(await s.store.links.findLink('bad')).toBeNull();
  });

  it('the admin filters by tags, adds and removes a tag on selected links, and lists tags', async () => {
    const s = await build();
    const cookie = await signIn(s);
    await form(
      s,
      '/admin/links',
      { url: 'https://a.example/', alias: 'adm-one', tags: 'x, y' },
      cookie,
    ).expect(303);
    await form(
      s,
      '/admin/links',
      { url: 'https://a.example/', alias: 'adm-two', tags: 'Y' },
      cookie,
    ).expect(303);
    await form(s, '/admin/links', { url: 'https://a.example/', alias: 'adm-three' }, cookie).expect(
      303,
    );
    const listed = async (query: string) => {
      const page = await request(s.app).get(`/admin?${query}`).set('Cookie', cookie).expect(200);
      return [...page.text.matchAll(/href="\/admin\/links\/([a-z-]+)"/g)].map((m) => m[1]).sort();
    };
    expect(await listed('tags=y&tagMode=any')).toEqual(['adm-one', 'adm-two']);
    expect(await listed('tags=x,y&tagMode=all')).toEqual(['adm-one']);
    expect(await listed('tags=y&tagMode=none')).toEqual(['adm-three']);
    await form(
      s,
      '/admin/links/bulk',
      { action: 'tag', tag: 'Z', code: ['adm-two', 'adm-three'] },
      cookie,
    ).expect(303);
    expect(await tagsOf(s, 'adm-three')).toEqual(['Z']);
    await form(
      s,
      '/admin/links/bulk',
      { list: '/admin?tags=y', action: 'untag', tag: 'y', code: ['adm-one', 'adm-two'] },
      cookie,
    )
      .expect(303)
      .expect('Location', '/admin?tags=y&done=untagged');
    expect(await tagsOf(s, 'adm-one')).toEqual(['x']);
    expect(await tagsOf(s, 'adm-two')).toEqual(['Z']);
    // Refused, the list the form came from comes back with the error at the tag field.
    const refused = await form(
      s,
      '/admin/links/bulk',
      { list: '/admin?tags=x', action: 'tag', tag: 'a\u0000b', code: ['adm-one'] },
      cookie,
    ).expect(422);
    expect(
      [...refused.text.matchAll(/href="\/admin\/links\/([a-z-]+)"/g)].map((m) => m[1]),
    ).toEqual(['adm-one']);
    expect(refused.text).toMatch(/<input id="bulk-tag"[^>]*aria-invalid="true"/);
    expect(refused.text).toContain('control character (U+0000)');
    expect(await tagsOf(s, 'adm-one')).toEqual(['x']);
    const tags = await request(s.app).get('/admin/tags').set('Cookie', cookie).expect(200);
    expect(tags.text).toMatch(/>Z<\/a><\/td>\s*<td class="num">2<\/td>/);
  });

  it('export then import carries the tags, each keeping the first spelling stored', async () => {
    const s = await build();
    await form(s, '/shorten', {
      url: 'https://a.example/',
      alias: 'moved',
      tags: 'Launch, été',
    }).expect(303);
    const exported = await request(s.app)
      .get('/admin/export.csv')
      .set('Cookie', await signIn(s))
      .expect(200);
    expect(exported.text).toContain('"Launch, été"');
    const other = await build();
    const cookie = await signIn(other);
    await form(other, '/shorten', {
      url: 'https://a.example/',
      alias: 'here',
      tags: 'LAUNCH',
    }).expect(303);
    await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: cookie, 'Content-Type': 'text/csv' })
      .send(exported.text)
      .expect(200);
    expect(await tagsOf(other, 'moved')).toEqual(['LAUNCH', 'été']);
  });
}

describe('tags on sqlite', () => suite('sqlite'));
describeWithPostgres('tags on postgres', () => suite('postgres'));
