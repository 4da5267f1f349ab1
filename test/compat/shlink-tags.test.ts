import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROWSER_UA, createApiKey, ORIGIN } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Tags through Shlink's REST API, in the shapes of Shlink's own API tests and OpenAPI document:
 * `tags` on a short URL, the list's tag filters, `/tags` (names) and `/tags/stats` (TagInfo).
 */

let t: TestApp;
let key: string;
beforeEach(async () => {
  t = buildTestApp({ BASE_URL: ORIGIN });
  key = await createApiKey(t);
});
afterEach(() => t?.db.close());

function sdk(method: 'get' | 'post' | 'patch', path: string, apiKey = key) {
  return request(t.app)[method](`/rest/v3${path}`).set({
    'X-Api-Key': apiKey,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  });
}

async function create(customSlug: string, tags?: string[]) {
  const res = await sdk('post', '/short-urls').send({
    longUrl: `https://long.example/${customSlug}`,
    customSlug,
    ...(tags ? { tags } : {}),
  });
  expect(res.status).toBe(200);
  return res.body as { shortCode: string; tags: string[] };
}

async function seed() {
  await create('one', ['foo', 'Bar']);
  await create('two', ['FOO']);
  await create('three', ['baz', 'foo']);
  await create('four');
}

async function listed(query: string): Promise<string[]> {
  const res = await sdk('get', `/short-urls?${query}`);
  expect(res.status).toBe(200);
  return res.body.shortUrls.data.map((s: { shortCode: string }) => s.shortCode).sort();
}

describe('tags on Shlink’s short URLs', () => {
  it('creation stores the tags (first spelling wins), and every answer carries them', async () => {
    await seed();
    const two = await sdk('get', '/short-urls/two');
    expect(two.body.tags).toEqual(['foo']);
    expect((await sdk('get', '/short-urls?searchTerm=one')).body.shortUrls.data[0].tags).toEqual([
      'foo',
      'Bar',
    ]);
  });

  it('the list filters with tags[], tagsMode, excludeTags[] and excludeTagsMode', async () => {
    await seed();
    expect(await listed('tags[]=foo')).toEqual(['one', 'three', 'two']);
    expect(await listed('tags[]=bar&tags[]=baz')).toEqual(['one', 'three']);
    expect(await listed('tags[]=foo&tags[]=bar&tagsMode=all')).toEqual(['one']);
    expect(await listed('excludeTags[]=foo')).toEqual(['four']);
    expect(await listed('excludeTags[]=foo&excludeTags[]=bar&excludeTagsMode=all')).toEqual([
      'four',
      'three',
      'two',
    ]);
    for (const query of ['tagsMode=some', 'excludeTagsMode=none', `tags[]=${'x'.repeat(33)}`]) {
      const res = await sdk('get', `/short-urls?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('https://shlink.io/api/error/invalid-data');
    }
  });

  it('edition (PATCH) replaces the tags, and leaves them when it sends none', async () => {
    await create('edited', ['old']);
    const res = await sdk('patch', '/short-urls/edited').send({ tags: ['new', 'Other'] });
    expect(res.body).toMatchObject({ tags: ['new', 'Other'] });
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual(['new', 'Other']);
    const kept = await sdk('patch', '/short-urls/edited').send({ maxVisits: 5 });
    expect(kept.body).toMatchObject({ tags: ['new', 'Other'], meta: { maxVisits: 5 } });
  });

  it.each([
    ['eleven tags', Array.from({ length: 11 }, (_, i) => `t${i}`)],
    ['a tag too long', ['x'.repeat(33)]],
    ['one tag in two cases', ['Sale', 'sale']],
    ['an invisible character', ['a\u200bb']],
    ['not strings', [1]],
  ])('creation and edition refuse %s with invalid-data, changing nothing', async (_what, tags) => {
    const refused = await sdk('post', '/short-urls').send({ longUrl: 'https://a.example/', tags });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      type: 'https://shlink.io/api/error/invalid-data',
      invalidElements: ['tags'],
    });
    expect(t.countLinks()).toBe(0);
    await create('kept', ['keep']);
    const edit = await sdk('patch', '/short-urls/kept').send({
      longUrl: 'https://b.example/',
      tags,
    });
    expect(edit.status).toBe(400);
    const after = await sdk('get', '/short-urls/kept');
    expect(after.body).toMatchObject({ tags: ['keep'], longUrl: 'https://long.example/kept' });
  });
});

describe('Shlink’s /tags and /tags/stats', () => {
  it('/tags lists the names in Shlink’s paginated shape, all of them unless itemsPerPage says otherwise', async () => {
    await seed();
    expect((await sdk('get', '/tags')).body).toEqual({
      tags: {
        data: ['Bar', 'baz', 'foo'],
        pagination: {
          currentPage: 1,
          pagesCount: 1,
          itemsPerPage: 3,
          itemsInCurrentPage: 3,
          totalItems: 3,
        },
      },
    });
    expect((await sdk('get', '/tags?page=2&itemsPerPage=2')).body).toEqual({
      tags: {
        data: ['foo'],
        pagination: {
          currentPage: 2,
          pagesCount: 2,
          itemsPerPage: 2,
          itemsInCurrentPage: 1,
          totalItems: 3,
        },
      },
    });
    expect((await sdk('get', '/tags?searchTerm=BA&orderBy=tag-DESC')).body.tags.data).toEqual([
      'baz',
      'Bar',
    ]);
  });

  it('/tags/stats answers TagInfo: the tag, its short URLs and their visits', async () => {
    await seed();
    for (let i = 0; i < 3; i++) await request(t.app).get('/three').set('User-Agent', BROWSER_UA);
    await t.services.visitCounter.flush();
    const res = await sdk('get', '/tags/stats?orderBy=shortUrlsCount-DESC');
    expect(res.status).toBe(200);
    expect(res.body.tags.data[0]).toEqual({
      tag: 'foo',
      shortUrlsCount: 3,
      visitsSummary: { total: 3, nonBots: 3, bots: 0 },
      visitsCount: 3,
    });
    expect(res.body.tags.data.map((tag: { tag: string }) => tag.tag)).toEqual([
      'foo',
      'Bar',
      'baz',
    ]);
    expect(res.body.tags.pagination).toEqual({
      currentPage: 1,
      pagesCount: 1,
      itemsPerPage: 3,
      itemsInCurrentPage: 3,
      totalItems: 3,
    });
    expect((await sdk('get', '/tags/stats?orderBy=size-ASC')).status).toBe(400);
  });

  it('a create-only key gets an empty /tags and no /tags/stats', async () => {
    await seed();
    const createOnly = await createApiKey(t, 'create-only');
    expect((await sdk('get', '/tags', createOnly)).body.tags.data).toEqual([]);
    expect((await sdk('get', '/tags/stats', createOnly)).status).toBe(403);
  });
});
