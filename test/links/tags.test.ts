import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import { englishOf } from '../../src/i18n/catalog.js';
import { checkTags as checkTagsSaying, parseTagList, tagKey } from '../../src/links/tags.js';
import {
  buildTestApp,
  createManagedLink,
  SAME_ORIGIN,
  signInAdmin,
  type TestApp,
} from '../support/test-app.js';

/** The check, its message in English (as the APIs say it). */
function checkTags(input: readonly string[]) {
  const result = checkTagsSaying(input);
  return result.ok ? result : { ...result, message: englishOf(result.message) };
}

const PASSWORD = 'correct horse battery staple';
let t: TestApp;
afterEach(() => t?.db.close());

describe('the rules of a tag', () => {
  it('trims, drops empty tags, keeps order, and merges a tag repeated with the same spelling', () => {
    expect(parseTagList(' launch ,, Q3 ,  , launch,')).toEqual({
      ok: true,
      tags: ['launch', 'Q3'],
    });
    expect(parseTagList('')).toEqual({ ok: true, tags: [] });
    expect(checkTags(['  ', ''])).toEqual({ ok: true, tags: [] });
  });

  it('compares by NFC and lower case, and refuses one tag given in two spellings', () => {
    expect(tagKey('ÉTÉ')).toBe(tagKey('e\u0301te\u0301'));
    expect(checkTags(['e\u0301te\u0301'])).toEqual({ ok: true, tags: ['été'] });
    expect(checkTags(['Launch', 'launch']).ok).toBe(false);
    expect(checkTags(['été', ' été'])).toEqual({ ok: true, tags: ['été'] });
    expect(checkTags(['été', 'e\u0301te\u0301'])).toEqual({
      ok: false,
      message:
        '“été” and “e\u0301te\u0301” are the same tag (they differ only in how their accents are encoded); give it once.',
    });
    expect(checkTags(['Été', 'e\u0301te\u0301'])).toMatchObject({
      ok: false,
      message: expect.stringContaining('tags ignore case'),
    });
  });

  it('says what is wrong with a refused tag, naming the character by its code point', () => {
    expect(checkTags(['a,b'])).toEqual({
      ok: false,
      message: 'The tag “a,b” holds a comma, which separates tags.',
    });
    expect(checkTags(['a\u200bb'])).toEqual({
      ok: false,
      message: 'A tag holds an invisible or control character (U+200B).',
    });
    expect(checkTags(['a\u0007'])).toMatchObject({ message: expect.stringContaining('(U+0007)') });
    expect(checkTags([`${'x'.repeat(32)}yz`])).toEqual({
      ok: false,
      message: `The tag “${'x'.repeat(32)}…” is longer than 32 characters.`,
    });
    expect(checkTags([1 as unknown as string])).toEqual({
      ok: false,
      message: 'Each tag must be a string.',
    });
  });

  it('allows 1–32 characters and 10 tags, and refuses more', () => {
    expect(checkTags(['x'.repeat(32)]).ok).toBe(true);
    expect(checkTags(['😀'.repeat(32)]).ok).toBe(true);
    expect(checkTags(['x'.repeat(33)]).ok).toBe(false);
    const ten = Array.from({ length: 10 }, (_, i) => `t${i}`);
    expect(checkTags(ten).ok).toBe(true);
    expect(checkTags([...ten, 'eleven'])).toMatchObject({ ok: false, message: /at most 10/ });
  });

  it.each([
    ['a control character', 'a\u0007b'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['a zero-width space', 'a\u200bb'],
    ['a zero-width joiner', 'a\u200db'],
    ['a direction mark', '\u202eevil'],
    ['a no-break space', 'a\u00a0b'],
    ['a line separator', 'a\u2028b'],
    ['a lone surrogate', 'a\ud800b'],
    ['a private-use character', 'a\ue000b'],
    ['a replacement character (bytes that were not UTF-8)', 'caf\ufffd'],
    ['a comma', 'a,b'],
  ])('refuses %s', (_what, tag) => {
    expect(checkTags([tag]).ok).toBe(false);
  });
});

function setup() {
  t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example' });
}

const tagsOf = async (code: string) => {
  const link = (await t.services.links.findLink(code))!;
  return (await t.services.links.tagsOf([link])).get(link.id);
};

function shorten(fields: Record<string, string | string[]>) {
  return request(t.app).post('/shorten').set(SAME_ORIGIN).type('form').send(fields);
}

describe('tags on the form and the management page', () => {
  it('the home form stores the tags, and the management page shows and replaces them', async () => {
    setup();
    await shorten({ url: 'https://a.example/', alias: 'first', tags: 'Launch, q3,, ' }).expect(303);
    expect(await tagsOf('first')).toEqual(['Launch', 'q3']);
    // A later spelling of a known tag shows as it was first stored.
    await shorten({ url: 'https://a.example/', alias: 'second', tags: 'LAUNCH' }).expect(303);
    expect(await tagsOf('second')).toEqual(['Launch']);

    const { manage } = await createManagedLink(t.app, 'managed');
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', tags: 'one, two' })
      .expect(303);
    const page = await request(t.app).get(manage).expect(200);
    expect(page.text).toContain('value="one, two"');
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', tags: '' })
      .expect(303);
    expect(await tagsOf('managed')).toEqual([]);
  });

  it.each([
    ['eleven tags', Array.from({ length: 11 }, (_, i) => `t${i}`).join(',')],
    ['a tag of 33 characters', 'x'.repeat(33)],
    ['one tag in two cases', 'Sale, sale'],
    ['one tag in two cases and normalisations', 'É, e\u0301'],
    ['two normalisations of one tag', 'é, e\u0301'],
    ['an invisible character', 'a\u200bb'],
    ['a control character', 'a\u0001b'],
  ])(
    'the home form refuses %s with 422, keeps what was typed, and stores nothing',
    async (_what, tags) => {
      setup();
      const res = await shorten({ url: 'https://a.example/', alias: 'bad', tags });
      expect(res.status).toBe(422);
      expect(res.text).toContain('id="tags-error"');
      expect(res.text).toContain('aria-invalid="true"');
      expect(t.countLinks()).toBe(0);
    },
  );

  it('the home form refuses the field sent twice, and the management page refuses a bad tag and keeps the old ones', async () => {
    setup();
    expect((await shorten({ url: 'https://a.example/', tags: ['a', 'b'] })).status).toBe(422);
    expect(t.countLinks()).toBe(0);
    const { manage } = await createManagedLink(t.app, 'kept');
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', tags: 'good' })
      .expect(303);
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://b.example/', tags: 'x'.repeat(40) });
    expect(res.status).toBe(422);
    expect(await tagsOf('kept')).toEqual(['good']);
    expect((await t.services.links.findLink('kept'))!.target).toBe('https://a.example/');
  });
});

describe('tags sent in bytes that are not UTF-8', () => {
  it('the form and the API refuse them with a 4xx and store nothing', async () => {
    setup();
    const key = (await createKeyService({ keys: t.services.store.keys, now: Date.now }).createKey({
      name: 'bytes',
      scope: 'full',
      expiresAt: null,
    }))!;
    const form = await request(t.app)
      .post('/shorten')
      .set({ ...SAME_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' })
      .send(
        Buffer.concat([
          Buffer.from('url=https%3A%2F%2Fa.example%2F&alias=latin&tags=caf'),
          Buffer.from([0xe9]),
        ]),
      );
    // The form's body is not read as UTF-8 text at all: nothing of it is taken.
    expect(form.status).toBe(422);
    const body = Buffer.concat([
      Buffer.from('{"url":"https://a.example/","alias":"latin","tags":["caf'),
      Buffer.from([0xe9]),
      Buffer.from('"]}'),
    ]);
    const api = await request(t.app)
      .post('/api/v1/links')
      .set({ Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' })
      .send(body);
    // Bytes that are not UTF-8 are refused before any field is read…
    expect(api.status).toBe(400);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
    // …and a tag holding U+FFFD, what such bytes decode to elsewhere, is refused on its own.
    const replaced = await request(t.app)
      .post('/api/v1/links')
      .set({ Authorization: `Bearer ${key}` })
      .send({ url: 'https://a.example/', alias: 'latin', tags: ['caf\ufffd'] });
    expect(replaced.status).toBe(422);
    expect(replaced.body.errors).toEqual([
      { pointer: '/tags', detail: expect.stringMatching(/not UTF-8/) },
    ]);
    expect(t.countLinks()).toBe(0);
  });
});

describe('tags in the admin', () => {
  const as = (cookie: string) => ({
    get: (p: string) => request(t.app).get(p).set('Cookie', cookie),
    post: (p: string, body: Record<string, string | string[]> = {}) =>
      request(t.app)
        .post(p)
        .set({ ...SAME_ORIGIN, Cookie: cookie })
        .type('form')
        .send(body),
  });

  it('makes a tagged link, shows the tags, filters by any, all and none of them, and lists the tags', async () => {
    setup();
    const admin = as(await signInAdmin(t.app, PASSWORD));
    await admin
      .post('/admin/links', { url: 'https://a.example/', alias: 'one', tags: 'Red, blue' })
      .expect(303);
    await admin
      .post('/admin/links', { url: 'https://a.example/', alias: 'two', tags: 'red' })
      .expect(303);
    await admin
      .post('/admin/links', { url: 'https://a.example/', alias: 'three', tags: 'blue' })
      .expect(303);
    await admin.post('/admin/links', { url: 'https://a.example/', alias: 'four' }).expect(303);
    expect(
      (
        await admin.post('/admin/links', {
          url: 'https://a.example/',
          alias: 'five',
          tags: 'a\u200bb',
        })
      ).status,
    ).toBe(422);
    expect(t.countLinks()).toBe(4);
    expect((await admin.get('/admin/links/one').expect(200)).text).toContain('Red, blue');

    const listed = async (query: string) => {
      const page = await admin.get(`/admin?${query}`).expect(200);
      return [...page.text.matchAll(/href="\/admin\/links\/([a-z]+)"/g)].map((m) => m[1]).sort();
    };
    expect(await listed('tags=RED')).toEqual(['one', 'two']);
    expect(await listed('tags=red,blue&tagMode=any')).toEqual(['one', 'three', 'two']);
    expect(await listed('tags=red,blue&tagMode=all')).toEqual(['one']);
    expect(await listed('tags=red&tagMode=none')).toEqual(['four', 'three']);
    expect((await admin.get(`/admin?tags=${'x'.repeat(40)}`)).status).toBe(400);

    const tags = await admin.get('/admin/tags').expect(200);
    expect(tags.text).toMatch(/>blue<\/a><\/td>\s*<td class="num">2<\/td>/);
    expect(tags.text).toMatch(/>Red<\/a><\/td>\s*<td class="num">2<\/td>/);
  });

  it('adds and removes a tag on the selected links, and refuses a bad tag or an eleventh, changing nothing', async () => {
    setup();
    const admin = as(await signInAdmin(t.app, PASSWORD));
    const nine = Array.from({ length: 9 }, (_, i) => `t${i}`).join(',');
    await admin
      .post('/admin/links', { url: 'https://a.example/', alias: 'one', tags: 'keep' })
      .expect(303);
    await admin
      .post('/admin/links', { url: 'https://a.example/', alias: 'two', tags: nine })
      .expect(303);
    await admin
      .post('/admin/links/bulk', { action: 'tag', tag: ' Sale ', code: ['one', 'two'] })
      .expect(303);
    expect(await tagsOf('one')).toEqual(['keep', 'Sale']);
    expect((await tagsOf('two'))!.at(-1)).toBe('Sale');
    // A tag the link has already does not count again; an eleventh is refused for every link.
    await admin
      .post('/admin/links/bulk', { action: 'tag', tag: 'SALE', code: ['two'] })
      .expect(303);
    const eleventh = await admin.post('/admin/links/bulk', {
      action: 'tag',
      tag: 'more',
      code: ['one', 'two'],
    });
    expect(eleventh.status).toBe(422);
    expect(await tagsOf('one')).toEqual(['keep', 'Sale']);
    for (const tag of ['', 'x'.repeat(33), 'a,b', 'a\u0000b']) {
      expect(
        (await admin.post('/admin/links/bulk', { action: 'tag', tag, code: ['one'] })).status,
      ).toBe(422);
    }
    expect(await tagsOf('one')).toEqual(['keep', 'Sale']);
    await admin
      .post('/admin/links/bulk', { action: 'untag', tag: 'sale', code: ['one', 'two'] })
      .expect(303);
    expect(await tagsOf('one')).toEqual(['keep']);
    expect(await tagsOf('two')).toHaveLength(9);
  });
});

describe('tags in /api/v1', () => {
  async function key() {
    return (await createKeyService({ keys: t.services.store.keys, now: Date.now }).createKey({
      name: 'tags',
      scope: 'full',
      expiresAt: null,
    }))!;
  }

  it('creates, shows, replaces, filters and lists tags', async () => {
    setup();
    const auth = { Authorization: `Bearer ${await key()}` };
    const created = await request(t.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://a.example/', alias: 'one', tags: ['Launch', ' q3 ', ''] })
      .expect(201);
    expect(created.body.tags).toEqual(['Launch', 'q3']);
    await request(t.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://a.example/', alias: 'two', tags: ['launch'] })
      .expect(201);
    await request(t.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://a.example/', alias: 'three' })
      .expect(201);
    expect((await request(t.app).get('/api/v1/links/two').set(auth).expect(200)).body.tags).toEqual(
      ['Launch'],
    );

    const codes = async (query: string) =>
      (await request(t.app).get(`/api/v1/links?${query}`).set(auth).expect(200)).body.data
        .map((link: { code: string }) => link.code)
        .sort();
    expect(await codes('tag=LAUNCH')).toEqual(['one', 'two']);
    expect(await codes('tag=launch&tag=q3&tagMode=all')).toEqual(['one']);
    expect(await codes('tag=launch&tag=q3&tagMode=any')).toEqual(['one', 'two']);
    expect(await codes('excludeTag=q3')).toEqual(['three', 'two']);

    expect((await request(t.app).get('/api/v1/tags').set(auth).expect(200)).body).toEqual({
      data: [
        { name: 'Launch', links: 2, visits: 0 },
        { name: 'q3', links: 1, visits: 0 },
      ],
    });
    const patched = await request(t.app)
      .patch('/api/v1/links/one')
      .set(auth)
      .send({ tags: ['new'] })
      .expect(200);
    expect(patched.body.tags).toEqual(['new']);
    await request(t.app)
      .patch('/api/v1/links/one')
      .set(auth)
      .send({ redirectType: 301 })
      .expect(200);
    expect(await tagsOf('one')).toEqual(['new']);
  });

  it.each([
    ['not an array', 'launch', 400],
    ['not strings', [1], 400],
    ['eleven tags', Array.from({ length: 11 }, (_, i) => `t${i}`), 422],
    ['a tag too long', ['x'.repeat(33)], 422],
    ['one tag in two cases', ['Sale', 'sale'], 422],
    ['an invisible character', ['a\u200bb'], 422],
    ['a comma', ['a,b'], 422],
  ])('refuses %s on POST and PATCH, changing nothing', async (_what, tags, status) => {
    setup();
    const auth = { Authorization: `Bearer ${await key()}` };
    const res = await request(t.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://a.example/', alias: 'bad', tags });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(t.countLinks()).toBe(0);
    await request(t.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://a.example/', alias: 'okay', tags: ['keep'] })
      .expect(201);
    const patch = await request(t.app)
      .patch('/api/v1/links/okay')
      .set(auth)
      .send({ url: 'https://b.example/', tags });
    expect(patch.status).toBe(status);
    expect(await tagsOf('okay')).toEqual(['keep']);
    expect((await t.services.links.findLink('okay'))!.target).toBe('https://a.example/');
  });

  it('refuses bad tag filters with 400, and needs a full key for the tag list', async () => {
    setup();
    const auth = { Authorization: `Bearer ${await key()}` };
    for (const query of [
      'tagMode=some',
      `tag=${'x'.repeat(33)}`,
      'excludeTag=a%E2%80%8Bb',
      'tag=a&tag=A',
    ]) {
      expect((await request(t.app).get(`/api/v1/links?${query}`).set(auth)).status).toBe(400);
    }
    await request(t.app).get('/api/v1/tags').expect(401);
  });
});
