import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../support/compat-clients.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * A link's title (public: the preview, the management page, the admin, searchable) and its note
 * (private: the owner and the admin only), and the UTM builder of the forms, through every door
 * on SQLite. The engines suite holds the same on PostgreSQL.
 */

const PASSWORD = 'correct horse battery staple';
let t: TestApp;

beforeEach(() => {
  t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example' });
});

function shorten(form: Record<string, string>) {
  return request(t.app).post('/shorten').set(SAME_ORIGIN).type('form').send(form);
}

async function created(form: Record<string, string>): Promise<string> {
  const res = await shorten(form);
  expect(res.status).toBe(303);
  return res.headers.location!.replace('?created=1', '');
}

function bearer(key: string) {
  return { Authorization: `Bearer ${key}` };
}

async function stored(code: string) {
  return (await t.services.links.findLink(code))!;
}

describe('the title and the note through the form and the management page', () => {
  it('when the form sends a title and a note, then they are stored trimmed, and the management page shows both', async () => {
    const manage = await created({
      url: 'https://a.example/',
      alias: 'titled',
      title: '  Spring sale 🌸 ',
      note: ' for the\r\nnewsletter ',
    });
    expect(await stored('titled')).toMatchObject({
      title: 'Spring sale 🌸',
      note: 'for the\nnewsletter',
    });
    const page = await request(t.app).get(manage).expect(200);
    expect(page.text).toContain('Spring sale 🌸');
    expect(page.text).toContain('for the\nnewsletter');
    expect(page.text).toMatch(/<input id="title" name="title"[^>]*value="Spring sale 🌸"/);
    expect(page.text).toMatch(/<textarea id="note"[^>]*>for the\nnewsletter<\/textarea>/);
  });

  it('when the form leaves them empty, then the link has none', async () => {
    await created({ url: 'https://a.example/', alias: 'plain', title: '   ', note: '' });
    expect(await stored('plain')).toMatchObject({ title: null, note: null });
  });

  it('when the management page changes or empties them, then the link has the new ones', async () => {
    const manage = await created({ url: 'https://a.example/', alias: 'editme', title: 'Old' });
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', title: 'New', note: 'mine' })
      .expect(303);
    expect(await stored('editme')).toMatchObject({ title: 'New', note: 'mine' });
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', title: '', note: '' })
      .expect(303);
    expect(await stored('editme')).toMatchObject({ title: null, note: null });
  });

  it('when a title or a note is too long or has control or invisible characters, then the form says so at the field and stores nothing', async () => {
    for (const [field, value] of [
      ['title', 'x'.repeat(201)],
      ['title', 'a\tb'],
      ['title', 'evil\u202etxt.exe'],
      ['note', 'x'.repeat(1001)],
      ['note', 'zero\u200bwidth'],
      ['note', 'bell\u0007'],
    ] as const) {
      const before = t.countLinks();
      const res = await shorten({ url: 'https://a.example/', [field]: value });
      expect(res.status).toBe(422);
      expect(res.text).toContain(`id="${field}-error"`);
      expect(t.countLinks()).toBe(before);
    }
    const manage = await created({ url: 'https://a.example/', alias: 'kept', title: 'Kept' });
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://b.example/', title: 'x'.repeat(201) });
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="title-error"');
    expect(await stored('kept')).toMatchObject({ title: 'Kept', target: 'https://a.example/' });
  });

  it('when a link is deleted, then its title and note are erased', async () => {
    const manage = await created({
      url: 'https://a.example/',
      alias: 'gone',
      title: 'T',
      note: 'N',
    });
    await request(t.app).post(`${manage}/delete`).set(SAME_ORIGIN).expect(303);
    expect(await stored('gone')).toMatchObject({ title: null, note: null });
  });
});

describe('the preview shows the title, never the note', () => {
  it('when a link has both, then its preview shows the title and not a word of the note', async () => {
    await created({
      url: 'https://a.example/',
      alias: 'seen',
      title: 'Public <name>',
      note: 'secret-note-words',
    });
    const preview = await request(t.app).get('/seen+').expect(200);
    expect(preview.text).toContain('Public &lt;name&gt;');
    expect(preview.text).not.toContain('secret-note-words');
    const home = await request(t.app).get('/').expect(200);
    expect(home.text).not.toContain('secret-note-words');
  });
});

describe('the UTM builder', () => {
  it('when the form fills UTM fields, then they are written into the target once the policy has normalised it', async () => {
    await created({
      url: 'A.EXAMPLE/landing?ref=x#top',
      alias: 'campaign',
      utm_source: 'news letter',
      utm_medium: 'email',
      utm_campaign: 'spring',
    });
    expect((await stored('campaign')).target).toBe(
      'https://a.example/landing?ref=x&utm_source=news%20letter&utm_medium=email&utm_campaign=spring#top',
    );
    const hit = await request(t.app).get('/campaign').expect(302);
    expect(hit.headers.location).toContain('utm_source=news%20letter');
  });

  it('when the management page is opened, then the URL field has no UTM parameters and the five fields hold them; saving it unchanged keeps the target', async () => {
    const target =
      'https://a.example/p?x=1&utm_source=s&utm_medium=m&utm_campaign=c&utm_term=t&utm_content=k';
    const res = await request(t.app)
      .post('/api/v1/links')
      .set(bearer(await createApiKey(t)))
      .send({ url: target, alias: 'split' })
      .expect(201);
    const manage = new URL(res.body.manageUrl as string).pathname;
    const page = await request(t.app).get(manage).expect(200);
    expect(page.text).toMatch(/<input id="url" name="url"[^>]*value="https:\/\/a.example\/p\?x=1"/);
    for (const [field, value] of [
      ['utm_source', 's'],
      ['utm_medium', 'm'],
      ['utm_campaign', 'c'],
      ['utm_term', 't'],
      ['utm_content', 'k'],
    ]) {
      expect(page.text).toMatch(
        new RegExp(`<input id="${field}" name="${field}"[^>]*value="${value}"`),
      );
    }
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({
        url: 'https://a.example/p?x=1',
        utm_source: 's',
        utm_medium: 'm',
        utm_campaign: 'c',
        utm_term: 't',
        utm_content: 'k',
      })
      .expect(303);
    expect((await stored('split')).target).toBe(target);
    // An emptied field takes its parameter away; a changed one replaces it.
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/p?x=1', utm_source: 'other', utm_medium: '' })
      .expect(303);
    expect((await stored('split')).target).toBe('https://a.example/p?x=1&utm_source=other');
  });

  it('when the UTM parameters make the URL too long, then the URL field says so and nothing is stored', async () => {
    const max = t.config.maxUrlLength;
    const url = `https://a.example/${'a'.repeat(max - 'https://a.example/'.length)}`;
    // The URL alone fits exactly.
    await created({ url, alias: 'fits' });
    const before = t.countLinks();
    const res = await shorten({ url, alias: 'toolong', utm_source: 'x' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="url-error"');
    expect(res.text).toContain('With its UTM parameters');
    expect(t.countLinks()).toBe(before);
  });

  it('when a UTM field is too long or has a control character, then it gets its field error and nothing is stored', async () => {
    for (const [field, value] of [
      ['utm_source', 'x'.repeat(201)],
      ['utm_term', 'a\nb'],
      ['utm_content', 'a\u200bb'],
    ] as const) {
      const before = t.countLinks();
      const res = await shorten({ url: 'https://a.example/', [field]: value });
      expect(res.status).toBe(422);
      expect(res.text).toContain(`id="${field}-error"`);
      expect(t.countLinks()).toBe(before);
    }
    const manage = await created({ url: 'https://a.example/?utm_source=a', alias: 'utmkept' });
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://b.example/', utm_source: 'x'.repeat(201) });
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="utm_source-error"');
    expect((await stored('utmkept')).target).toBe('https://a.example/?utm_source=a');
  });

  it('when the admin makes a link with UTM fields, a title and a note, then they are stored', async () => {
    const cookie = await signInAdmin(t.app, PASSWORD);
    await request(t.app)
      .post('/admin/links')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({
        url: 'https://a.example/',
        alias: 'byadmin',
        title: 'Admin made',
        note: 'internal',
        utm_source: 'admin',
      })
      .expect(303);
    expect(await stored('byadmin')).toMatchObject({
      target: 'https://a.example/?utm_source=admin',
      title: 'Admin made',
      note: 'internal',
    });
    const refused = await request(t.app)
      .post('/admin/links')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({ url: 'https://a.example/', alias: 'nope', utm_medium: 'a\u0000' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('id="utm_medium-error"');
    expect(await t.services.links.findLink('nope')).toBeNull();
  });
});

describe('the admin shows the title and the note and searches titles', () => {
  it('when the admin lists and opens links, then the list shows titles, finds links by title, and the link page shows the note', async () => {
    await created({
      url: 'https://a.example/',
      alias: 'first',
      title: 'Quarterly Report',
      note: 'ask Ana',
    });
    await created({ url: 'https://b.example/', alias: 'second', title: 'Other' });
    const cookie = await signInAdmin(t.app, PASSWORD);
    const list = await request(t.app).get('/admin').set('Cookie', cookie).expect(200);
    expect(list.text).toContain('Quarterly Report');
    expect(list.text).not.toContain('ask Ana');
    const found = await request(t.app).get('/admin?q=quarterly').set('Cookie', cookie).expect(200);
    expect(found.text).toContain('/first');
    expect(found.text).not.toContain('/second');
    const page = await request(t.app).get('/admin/links/first').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('Quarterly Report');
    expect(page.text).toContain('ask Ana');
  });
});

describe('/api/v1', () => {
  it('when a full key creates, reads, lists and edits, then title and note are answered, and null clears them', async () => {
    const key = await createApiKey(t);
    const made = await request(t.app)
      .post('/api/v1/links')
      .set(bearer(key))
      .send({
        url: 'https://a.example/',
        alias: 'apilink',
        title: ' Launch ',
        note: 'line one\nline two',
      })
      .expect(201);
    expect(made.body).toMatchObject({ title: 'Launch', note: 'line one\nline two' });
    const read = await request(t.app).get('/api/v1/links/apilink').set(bearer(key)).expect(200);
    expect(read.body).toMatchObject({ title: 'Launch', note: 'line one\nline two' });
    const patched = await request(t.app)
      .patch('/api/v1/links/apilink')
      .set(bearer(key))
      .send({ title: null, note: 'only this' })
      .expect(200);
    expect(patched.body).toMatchObject({ title: null, note: 'only this' });
    // A field left out stays as it is; an empty one is none.
    const again = await request(t.app)
      .patch('/api/v1/links/apilink')
      .set(bearer(key))
      .send({ title: 'Back', note: '' })
      .expect(200);
    expect(again.body).toMatchObject({ title: 'Back', note: null });
    const search = await request(t.app)
      .get('/api/v1/links?search=BACK')
      .set(bearer(key))
      .expect(200);
    expect(search.body.data.map((l: { code: string }) => l.code)).toEqual(['apilink']);
  });

  it('when a create-only key or no key creates a link, then the answer carries the title but never the note', async () => {
    const key = await createApiKey(t, 'create-only');
    const made = await request(t.app)
      .post('/api/v1/links')
      .set(bearer(key))
      .send({ url: 'https://a.example/', title: 'T', note: 'private words' })
      .expect(201);
    expect(made.body.title).toBe('T');
    expect(made.body).not.toHaveProperty('note');
    expect(JSON.stringify(made.body)).not.toContain('private words');
    const anonymous = await request(t.app)
      .post('/api/v1/links')
      .send({ url: 'https://b.example/', title: 'T', note: 'private words' })
      .expect(201);
    expect(anonymous.body).not.toHaveProperty('note');
    expect((await stored(made.body.code as string)).note).toBe('private words');
  });

  it('when title or note is too long, not a string or has control characters, then 400 names the field and nothing changes', async () => {
    const key = await createApiKey(t);
    for (const body of [
      { title: 'x'.repeat(201) },
      { title: 42 },
      { title: 'a\u0000b' },
      { note: 'x'.repeat(1001) },
      { note: 'a\u202eb' },
    ]) {
      const before = t.countLinks();
      const res = await request(t.app)
        .post('/api/v1/links')
        .set(bearer(key))
        .send({ url: 'https://a.example/', ...body });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].pointer).toBe(`/${Object.keys(body)[0]}`);
      expect(t.countLinks()).toBe(before);
    }
    await request(t.app)
      .post('/api/v1/links')
      .set(bearer(key))
      .send({ url: 'https://a.example/', alias: 'same', title: 'Same' })
      .expect(201);
    const res = await request(t.app)
      .patch('/api/v1/links/same')
      .set(bearer(key))
      .send({ title: 'x'.repeat(201) });
    expect(res.status).toBe(400);
    expect((await stored('same')).title).toBe('Same');
  });

  it('when the OpenAPI document is read, then it describes title and note', async () => {
    const doc = await request(t.app).get('/api/v1/openapi.json').expect(200);
    const text = JSON.stringify(doc.body);
    expect(doc.body.components.schemas.Link.properties.title).toBeDefined();
    expect(doc.body.components.schemas.Link.properties.note).toBeDefined();
    expect(doc.body.components.schemas.CreateLink.properties.note).toBeDefined();
    expect(text).toContain('Private: answered only to keys of scope full');
  });
});

describe('the Shlink, Kutt and YOURLS APIs', () => {
  it('when Shlink creates with a title, edits and clears it, lists and searches by it, then its answers carry it', async () => {
    const key = await createApiKey(t);
    const headers = { 'X-Api-Key': key };
    const made = await request(t.app)
      .post('/rest/v3/short-urls')
      .set(headers)
      .send({ longUrl: 'https://a.example/', customSlug: 'shl', title: 'From Shlink' })
      .expect(200);
    expect(made.body.title).toBe('From Shlink');
    const edited = await request(t.app)
      .patch('/rest/v3/short-urls/shl')
      .set(headers)
      .send({ title: 'Edited', longUrl: 'https://b.example/' })
      .expect(200);
    expect(edited.body).toMatchObject({ title: 'Edited', longUrl: 'https://b.example/' });
    const list = await request(t.app)
      .get('/rest/v3/short-urls?searchTerm=edit')
      .set(headers)
      .expect(200);
    expect(list.body.shortUrls.data.map((u: { shortCode: string }) => u.shortCode)).toEqual([
      'shl',
    ]);
    expect(list.body.shortUrls.data[0].title).toBe('Edited');
    const cleared = await request(t.app)
      .patch('/rest/v3/short-urls/shl')
      .set(headers)
      .send({ title: null })
      .expect(200);
    expect(cleared.body.title).toBeNull();
    const tooLong = await request(t.app)
      .patch('/rest/v3/short-urls/shl')
      .set(headers)
      .send({ title: 'x'.repeat(201) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.invalidElements).toEqual(['title']);
    const refused = await request(t.app)
      .post('/rest/v3/short-urls')
      .set(headers)
      .send({ longUrl: 'https://a.example/', title: 'a\u202eb' });
    expect(refused.status).toBe(400);
    expect(await stored('shl')).toMatchObject({ title: null, target: 'https://b.example/' });
  });

  it('when a create-only key edits through Shlink, then it is refused', async () => {
    const full = await createApiKey(t);
    await request(t.app)
      .post('/rest/v3/short-urls')
      .set({ 'X-Api-Key': full })
      .send({ longUrl: 'https://a.example/', customSlug: 'locked' })
      .expect(200);
    const key = await createApiKey(t, 'create-only');
    const res = await request(t.app)
      .patch('/rest/v3/short-urls/locked')
      .set({ 'X-Api-Key': key })
      .send({ title: 'x' });
    expect(res.status).toBe(403);
    expect((await stored('locked')).title).toBeNull();
  });

  it('when Kutt creates with a description and edits it, then the title follows and its answers carry it', async () => {
    const key = await createApiKey(t);
    const made = await request(t.app)
      .post('/api/v2/links')
      .set({ 'X-API-KEY': key })
      .send({ target: 'https://a.example/', customurl: 'kutt', description: 'From Kutt' })
      .expect(201);
    expect(made.body.description).toBe('From Kutt');
    const edited = await request(t.app)
      .patch('/api/v2/links/kutt')
      .set({ 'X-API-KEY': key })
      .send({ description: 'Edited', target: 'https://b.example/' })
      .expect(200);
    expect(edited.body).toMatchObject({ description: 'Edited', target: 'https://b.example/' });
    const list = await request(t.app).get('/api/v2/links?search=edited').set({ 'X-API-KEY': key });
    expect(list.body.data[0].description).toBe('Edited');
    const unchanged = await request(t.app)
      .patch('/api/v2/links/kutt')
      .set({ 'X-API-KEY': key })
      .send({ description: '' });
    expect(unchanged.status).toBe(400);
    expect(unchanged.body.error).toBe('Should at least update one field.');
    const tooLong = await request(t.app)
      .post('/api/v2/links')
      .set({ 'X-API-KEY': key })
      .send({ target: 'https://a.example/', description: 'x'.repeat(201) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatch(/at most 200 characters/);
    expect(await stored('kutt')).toMatchObject({ title: 'Edited' });
  });

  it('when YOURLS shortens with a title, then its answers and expand carry it; a bad title fails', async () => {
    const key = await createApiKey(t);
    const made = await request(t.app).get('/yourls-api.php').query({
      signature: key,
      action: 'shorturl',
      url: 'https://a.example/',
      keyword: 'yrl',
      title: 'From YOURLS',
      format: 'json',
    });
    expect(made.status).toBe(200);
    expect(made.body.title).toBe('From YOURLS');
    expect(made.body.url.title).toBe('From YOURLS');
    const expanded = await request(t.app)
      .get('/yourls-api.php')
      .query({ signature: key, action: 'expand', shorturl: 'yrl', format: 'json' });
    expect(expanded.body.title).toBe('From YOURLS');
    const stats = await request(t.app)
      .get('/yourls-api.php')
      .query({ signature: key, action: 'url-stats', shorturl: 'yrl', format: 'json' });
    expect(stats.body.link.title).toBe('From YOURLS');
    const before = t.countLinks();
    const bad = await request(t.app)
      .get('/yourls-api.php')
      .query({
        signature: key,
        action: 'shorturl',
        url: 'https://b.example/',
        title: 'x'.repeat(201),
        format: 'json',
      });
    expect(bad.status).toBe(400);
    expect(bad.body.status).toBe('fail');
    expect(t.countLinks()).toBe(before);
  });
});

describe('export and import', () => {
  it('when links with a title and a note are exported and imported, then both come back, line breaks and commas included', async () => {
    await created({
      url: 'https://a.example/',
      alias: 'moved',
      title: 'Title, with "quotes"',
      note: '=cmd, first line\nsecond line',
    });
    const cookie = await signInAdmin(t.app, PASSWORD);
    const exported = await request(t.app)
      .get('/admin/export.csv')
      .set('Cookie', cookie)
      .expect(200);
    expect(exported.text.split('\n')[0]!.split(',')).toEqual(
      expect.arrayContaining(['title', 'note']),
    );
    const other = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example' });
    const otherCookie = await signInAdmin(other.app, PASSWORD);
    await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: otherCookie, 'Content-Type': 'text/csv' })
      .send(exported.text)
      .expect(200);
    expect(await other.services.links.findLink('moved')).toMatchObject({
      title: 'Title, with "quotes"',
      note: '=cmd, first line\nsecond line',
    });
  });

  it('when other products’ files have their title columns, then the links get those titles; one too long is an invalid row', async () => {
    const cookie = await signInAdmin(t.app, PASSWORD);
    const upload = (format: string, csv: string) =>
      request(t.app)
        .post(`/admin/import?format=${format}`)
        .set({ ...SAME_ORIGIN, Cookie: cookie, 'Content-Type': 'text/csv' })
        .send(csv);
    await upload('shlink', 'shortCode,longUrl,title\nsh1,https://a.example/,Shlink title\n').expect(
      200,
    );
    await upload('yourls', 'keyword,url,title\nyo1,https://a.example/,YOURLS title\n').expect(200);
    await upload(
      'bitly',
      'link,long_url,title\nhttps://bit.ly/bi1,https://a.example/,Bitly title\n',
    ).expect(200);
    await upload(
      'kutt',
      'address,target,description\nku1,https://a.example/,Kutt description\n',
    ).expect(200);
    expect((await stored('sh1')).title).toBe('Shlink title');
    expect((await stored('yo1')).title).toBe('YOURLS title');
    expect((await stored('bi1')).title).toBe('Bitly title');
    expect((await stored('ku1')).title).toBe('Kutt description');
    const bad = await upload(
      'shlink',
      `shortCode,longUrl,title\nsh2,https://a.example/,${'x'.repeat(201)}\n`,
    );
    expect(bad.text).toMatch(/at most 200 characters/);
    expect(await t.services.links.findLink('sh2')).toBeNull();
  });
});
