import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSnapshot } from '../../src/db/snapshot.sqlite.js';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createKeyService } from '../../src/keys/key-service.js';
import {
  buildTestApp,
  createTempDir,
  createTestDatabase,
  SAME_ORIGIN,
  signInAdmin,
  type TestApp,
} from '../support/test-app.js';

const PASSWORD = 'correct horse battery staple';
let t: TestApp;
let clock: number;
let dir: string | undefined;
afterEach(() => {
  t?.db.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(env: Record<string, string> = {}, file?: string) {
  clock = Date.UTC(2026, 10, 29, 12, 0, 0);
  const db = file ? createTestDatabase(file) : createTestDatabase();
  t = buildTestApp(
    {
      ADMIN_PASSWORD: PASSWORD,
      BASE_URL: 'https://s.example',
      ...(file ? { DATABASE_URL: `sqlite:${file}` } : {}),
      ...env,
    },
    { db, now: () => clock },
  );
}

function shorten(url: string, alias = '') {
  return request(t.app).post('/shorten').set(SAME_ORIGIN).type('form').send({ url, alias });
}

const as = (cookie: string) => ({
  get: (p: string) => request(t.app).get(p).set('Cookie', cookie),
  post: (p: string, body: Record<string, string | string[]> = {}) =>
    request(t.app)
      .post(p)
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send(body),
});

describe('signing in to the admin', () => {
  it('when ADMIN_PASSWORD is not set, then /admin is a 404 like any unknown page', async () => {
    t = buildTestApp();
    await request(t.app).get('/admin').expect(404);
    await request(t.app).get('/admin/sign-in').expect(404);
  });

  it('when someone without a session opens the admin, then they are sent to sign in, and a wrong password is a 401', async () => {
    setup();
    await request(t.app).get('/admin').expect(303).expect('Location', '/admin/sign-in');
    const page = await request(t.app).get('/admin/sign-in').expect(200);
    expect(page.text).toContain('type="password"');
    const wrong = await request(t.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: 'guess' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That is not the admin password.');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    await request(t.app).post('/admin/links/x/disable').set(SAME_ORIGIN).expect(401);
  });

  it('when the password is right, then a session cookie is set HttpOnly, SameSite=Strict, Secure behind HTTPS and for /admin only', async () => {
    setup();
    const res = await request(t.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: PASSWORD });
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(/^snip_admin=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/Path=\/admin/);
    // Only the session's hash is stored.
    const stored = t.db.prepare('SELECT id_hash FROM admin_sessions').pluck().all() as Buffer[];
    expect(stored).toHaveLength(1);
    expect(cookie).not.toContain(stored[0]!.toString('base64url'));
    await as(cookie.split(';')[0]!).get('/admin').expect(200);
  });

  it('when the admin signs out, then the session is over', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    const out = await as(cookie).post('/admin/sign-out').expect(303);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^snip_admin=;/);
    await as(cookie).get('/admin').expect(303);
  });

  it('when the session has been idle for ADMIN_SESSION_IDLE, then it ends; a request before keeps it alive', async () => {
    setup({ ADMIN_SESSION_IDLE: '30min' });
    const cookie = await signInAdmin(t.app, PASSWORD);
    clock += 29 * 60_000;
    await as(cookie).get('/admin').expect(200);
    clock += 29 * 60_000;
    await as(cookie).get('/admin').expect(200);
    clock += 31 * 60_000;
    await as(cookie).get('/admin').expect(303);
  });

  it('when ADMIN_PASSWORD changes, then every session made with the old password ends', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie).get('/admin').expect(200);
    // The same database, started again with another password.
    t = buildTestApp(
      { ADMIN_PASSWORD: 'a new password, set after a leak', BASE_URL: 'https://s.example' },
      { db: t.db, now: () => clock },
    );
    await as(cookie).get('/admin').expect(303).expect('Location', '/admin/sign-in');
    await as(cookie).post('/admin/keys', { name: 'stolen', scope: 'full' }).expect(401);
    expect(t.db.prepare('SELECT COUNT(*) FROM api_keys').pluck().get()).toBe(0);
  });

  it('when a session is older than ADMIN_SESSION_MAX (12 h unless set), then it ends however busy it was', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    // A request every 20 minutes keeps it from idling, up to 11 h 40 min.
    for (let i = 0; i < 35; i++) {
      clock += 20 * 60_000;
      await as(cookie).get('/admin').expect(200);
    }
    clock += 19 * 60_000;
    await as(cookie).get('/admin').expect(200);
    clock += 60_000;
    await as(cookie).get('/admin').expect(303);
    t.db.close();
    setup({ ADMIN_SESSION_MAX: '2h', ADMIN_SESSION_IDLE: '8h' });
    const short = await signInAdmin(t.app, PASSWORD);
    clock += 2 * 60 * 60_000 - 1;
    await as(short).get('/admin').expect(200);
    clock += 1;
    await as(short).get('/admin').expect(303);
  });

  it('when the admin ends every session, then each one, this one too, is over', async () => {
    setup();
    const laptop = await signInAdmin(t.app, PASSWORD);
    const phone = await signInAdmin(t.app, PASSWORD);
    const page = await as(laptop).get('/admin').expect(200);
    expect(page.text).toContain('action="/admin/sessions/end"');
    const ended = await as(laptop).post('/admin/sessions/end').expect(303);
    expect(ended.headers.location).toBe('/admin/sign-in');
    expect((ended.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^snip_admin=;/);
    await as(laptop).get('/admin').expect(303);
    await as(phone).get('/admin').expect(303);
    expect(t.db.prepare('SELECT COUNT(*) FROM admin_sessions').pluck().get()).toBe(0);
    // Not without a session, and not from another site.
    const fresh = await signInAdmin(t.app, PASSWORD);
    await request(t.app).post('/admin/sessions/end').set(SAME_ORIGIN).expect(401);
    await request(t.app)
      .post('/admin/sessions/end')
      .set({ Cookie: fresh, 'Sec-Fetch-Site': 'cross-site' })
      .expect(403);
    await as(fresh).get('/admin').expect(200);
  });

  it('when RATE_LIMITS is off, then sign-in is still limited to 10 attempts per 15 minutes', async () => {
    setup({ RATE_LIMITS: 'off' });
    for (let i = 0; i < 10; i++) {
      await request(t.app)
        .post('/admin/sign-in')
        .set(SAME_ORIGIN)
        .type('form')
        .send({ password: `guess${i}` })
        .expect(401);
    }
    await request(t.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: PASSWORD })
      .expect(429);
  });

  it('when someone guesses passwords, then the 11th attempt in 15 minutes is refused with 429', async () => {
    setup({ RATE_LIMITS: 'on' });
    for (let i = 0; i < 10; i++) {
      await request(t.app)
        .post('/admin/sign-in')
        .set(SAME_ORIGIN)
        .type('form')
        .send({ password: `guess${i}` })
        .expect(401);
    }
    const limited = await request(t.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.headers['set-cookie']).toBeUndefined();
  });

  it('when an admin form is posted from another site, then it is refused with 403', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    await shorten('https://a.example/', 'victim').expect(303);
    const res = await request(t.app)
      .post('/admin/links/victim/delete')
      .set({ Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' })
      .type('form')
      .send({});
    expect(res.status).toBe(403);
    await request(t.app).get('/victim').expect(302);
  });
});

describe('the admin’s links', () => {
  it('when links are listed, then search, state, sort and pages work on the server', async () => {
    setup();
    for (let i = 0; i < 55; i++) {
      clock += 1000;
      await shorten(`https://site${i % 3}.example/${i}`, `l-${String(i).padStart(2, '0')}`).expect(
        303,
      );
    }
    const cookie = await signInAdmin(t.app, PASSWORD);
    const codesOn = (html: string) =>
      [...html.matchAll(/<code>\/(l-\d\d)<\/code>/g)].map((m) => m[1]);
    const first = await as(cookie).get('/admin').expect(200);
    expect(first.text).toContain('55 links match');
    expect(codesOn(first.text)).toHaveLength(50);
    expect(codesOn(first.text)[0]).toBe('l-54');
    const second = await as(cookie).get('/admin?page=2').expect(200);
    expect(codesOn(second.text)).toEqual(['l-04', 'l-03', 'l-02', 'l-01', 'l-00']);
    const search = await as(cookie).get('/admin?q=SITE2.example&dir=asc').expect(200);
    expect(search.text).toContain('18 links match');
    expect(codesOn(search.text)[0]).toBe('l-02');
    await as(cookie).post('/admin/links/l-07/disable').expect(303);
    const disabled = await as(cookie).get('/admin?state=disabled').expect(200);
    expect(codesOn(disabled.text)).toEqual(['l-07']);
  });

  it('when links are selected, then they are disabled, enabled or deleted at once', async () => {
    setup();
    for (const alias of ['b-one', 'b-two', 'b-three'])
      await shorten('https://a.example/', alias).expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie)
      .post('/admin/links/bulk', { action: 'disable', code: ['b-one', 'b-two'] })
      .expect(303)
      .expect('Location', '/admin?done=bulk');
    await request(t.app).get('/b-one').expect(410);
    await request(t.app).get('/b-two').expect(410);
    await request(t.app).get('/b-three').expect(302);
    await as(cookie).post('/admin/links/bulk', { action: 'delete', code: 'b-three' }).expect(303);
    const gone = await request(t.app).get('/b-three').expect(410);
    expect(gone.text).toContain('This link was deleted');
  });

  it('when a full page of 50 links is selected, then the bulk action changes every one of them', async () => {
    setup();
    const codes = Array.from({ length: 50 }, (_, i) => `page-${i}`);
    for (const code of codes) await shorten(`https://a.example/${code}`, code).expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const list = await as(cookie).get('/admin').expect(200);
    expect(list.text.match(/name="code"/g)).toHaveLength(50);
    await as(cookie)
      .post('/admin/links/bulk', { action: 'disable', code: codes })
      .expect(303)
      .expect('Location', '/admin?done=bulk');
    for (const code of codes) await request(t.app).get(`/${code}`).expect(410);
    await as(cookie).post('/admin/links/bulk', { action: 'delete', code: codes }).expect(303);
    expect(
      t.db.prepare('SELECT COUNT(*) FROM urls WHERE deleted_at IS NOT NULL').pluck().get(),
    ).toBe(50);
  });

  it('when one selected code is unknown, then the bulk action answers 404 and changes none of the links', async () => {
    setup();
    for (const alias of ['all-one', 'all-two'])
      await shorten('https://a.example/', alias).expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const before = t.db.prepare('SELECT * FROM urls ORDER BY id').all();
    for (const action of ['disable', 'delete']) {
      const res = await as(cookie)
        .post('/admin/links/bulk', { action, code: ['all-one', 'no-such-link', 'all-two'] })
        .expect(404);
      expect(res.text).toContain('There is no link with the code');
    }
    expect(t.db.prepare('SELECT * FROM urls ORDER BY id').all()).toEqual(before);
    await request(t.app).get('/all-one').expect(302);
    await request(t.app).get('/all-two').expect(302);
  });

  it('when the bulk form has 1 001 parameters, then it answers 413 and changes nothing', async () => {
    setup();
    await shorten('https://a.example/', 'many-one').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const body = ['action=disable', ...Array.from({ length: 1000 }, () => 'code=many-one')].join(
      '&',
    );
    const res = await request(t.app)
      .post('/admin/links/bulk')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send(body);
    expect(res.status).toBe(413);
    await request(t.app).get('/many-one').expect(302);
  });

  /** Three links for the bulk form: two on a.example tagged `keep`, one on b.example. */
  async function bulkLinks(cookie: string) {
    for (const [alias, url, tags] of [
      ['bt-one', 'https://a.example/1', 'keep'],
      ['bt-two', 'https://a.example/2', 'keep, other'],
      ['bt-three', 'https://b.example/3', ''],
    ]) {
      clock += 1000;
      await as(cookie).post('/admin/links', { url: url!, alias: alias!, tags: tags! }).expect(303);
    }
  }

  /** What the bulk form's hidden field carries back: the list it was sent from. */
  function listField(html: string): string | undefined {
    return /<input type="hidden" name="list" value="([^"]*)">/
      .exec(html)?.[1]
      ?.replaceAll('&amp;', '&');
  }

  const everything = () => ({
    urls: t.db.prepare('SELECT * FROM urls ORDER BY id').all(),
    tags: t.db.prepare('SELECT * FROM tags ORDER BY id').all(),
    linkTags: t.db.prepare('SELECT * FROM link_tags ORDER BY url_id, tag_id').all(),
  });

  it('when a bulk tag is refused, then the same filtered list is shown again with 422, the error at the tag field, the form as sent, and nothing changes', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    await bulkLinks(cookie);
    const shown = await as(cookie)
      .get('/admin?q=A.EXAMPLE&state=active&tags=keep&tagMode=any&sort=created&dir=asc&page=1')
      .expect(200);
    const list = listField(shown.text);
    expect(list).toBe('/admin?q=A.EXAMPLE&state=active&tags=keep&dir=asc');
    const before = everything();
    for (const [action, tag, message] of [
      ['tag', 'x'.repeat(33), `The tag “${'x'.repeat(32)}…” is longer than 32 characters.`],
      ['tag', 'a,b', 'The tag “a,b” holds a comma, which separates tags.'],
      ['tag', 'a\u0007b', 'A tag holds an invisible or control character (U+0007).'],
      ['untag', 'a\u200bb', 'A tag holds an invisible or control character (U+200B).'],
      ['tag', ' ', 'Enter the tag to add.'],
    ] as const) {
      const res = await as(cookie).post('/admin/links/bulk', {
        list: list!,
        action,
        tag,
        code: ['bt-one', 'bt-two'],
      });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<title>Error: Links · Admin');
      // The list as it was: the search, state, tag filter and order, and only its links.
      expect(res.text).toContain('2 links match');
      expect(res.text).toMatch(/<input id="q" name="q" type="search" value="A.EXAMPLE"/);
      expect(res.text).toMatch(/<option value="active" selected>/);
      expect(res.text).toMatch(/<input id="tags" name="tags" type="text" value="keep"/);
      expect(res.text).toMatch(/<option value="asc" selected>/);
      expect(res.text).not.toContain('/bt-three');
      expect(res.text.indexOf('/bt-one')).toBeLessThan(res.text.indexOf('/bt-two'));
      expect(listField(res.text)).toBe(list);
      // The form as sent: both links ticked, the tag typed, the error at its field.
      for (const code of ['bt-one', 'bt-two'])
        expect(res.text).toMatch(new RegExp(`id="pick-${code}"[^>]* checked>`));
      const input = /<input id="bulk-tag"[^>]*>/.exec(res.text)![0];
      expect(input).toContain(`value="${tag}"`);
      expect(input).toContain('aria-invalid="true"');
      expect(input).toContain('aria-describedby="bulk-tag-error"');
      const error = /<p class="field-error" id="bulk-tag-error">.*?<\/p>/s.exec(res.text)![0];
      expect(error).toContain(message);
      expect(everything()).toEqual(before);
    }
    // Not ticked when the form did not tick it.
    const one = await as(cookie).post('/admin/links/bulk', {
      list: list!,
      action: 'tag',
      tag: ',',
      code: 'bt-two',
    });
    expect(one.status).toBe(422);
    expect(one.text).toMatch(/id="pick-bt-one"[^>]*aria-label="Select \/bt-one" >/);
    expect(one.text).toMatch(/id="pick-bt-two"[^>]* checked>/);
    expect(everything()).toEqual(before);
    // Shown normally, the list has no error and no ticked link.
    expect(shown.text).toContain('<title>Links · Admin');
    expect(shown.text).not.toContain('bulk-tag-error');
    expect(shown.text).not.toContain(' checked>');
  });

  it('when a bulk action succeeds, then it returns to the filtered list the form was sent from', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    await bulkLinks(cookie);
    const list = listField(
      (await as(cookie).get('/admin?q=a+b%26c&tags=keep,%20other&tagMode=all&sort=visits&page=2'))
        .text,
    )!;
    expect(list).toBe('/admin?q=a+b%26c&sort=visits&tags=keep%2C+other&tagMode=all&page=2');
    await as(cookie)
      .post('/admin/links/bulk', { list, action: 'disable', code: ['bt-one'] })
      .expect(303)
      .expect('Location', `${list}&done=bulk`);
    await as(cookie)
      .post('/admin/links/bulk', { list, action: 'tag', tag: 'new', code: ['bt-one'] })
      .expect(303)
      .expect('Location', `${list}&done=tagged`);
    await as(cookie)
      .post('/admin/links/bulk', { list, action: 'untag', tag: 'NEW', code: ['bt-one'] })
      .expect(303)
      .expect('Location', `${list}&done=untagged`);
    const back = await as(cookie).get('/admin?q=a.example&state=disabled').expect(200);
    const disabled = listField(back.text)!;
    expect(disabled).toBe('/admin?q=a.example&state=disabled');
    const done = await as(cookie)
      .post('/admin/links/bulk', { list: disabled, action: 'enable', code: ['bt-one'] })
      .expect(303)
      .expect('Location', '/admin?q=a.example&state=disabled&done=bulk');
    const page = await as(cookie).get(done.headers.location!).expect(200);
    expect(page.text).toContain('The selected links are changed.');
    expect(page.text).toContain('0 links match');
    expect(listField(page.text)).toBe(disabled);
    await request(t.app).get('/bt-one').expect(302);
  });

  it('when the list the bulk form returns to is forged, then the answer is the default list and the forged address is never followed', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    await bulkLinks(cookie);
    const forged = [
      'https://evil.example/',
      'https://evil.example/admin?q=a',
      '//evil.example',
      '//evil.example/admin',
      '/\\evil.example',
      '/adminx',
      '/adminx?q=a',
      '/admin/../evil',
      '/admin?q=a\r\nLocation: https://evil.example/',
      '/admin\r\nSet-Cookie: x=1',
      '/admin?q=a b',
      '/admin?q=a#x',
      '/admin?next=https://evil.example/',
      '/admin?q=a&q=b',
      '/admin?state=nope',
      '/admin?page=0',
      `/admin?tags=${'x'.repeat(33)}`,
      `/admin?q=${'a'.repeat(8000)}`,
      'admin?q=a',
      '',
    ];
    for (const list of forged) {
      const res = await as(cookie)
        .post('/admin/links/bulk', { list, action: 'disable', code: ['bt-three'] })
        .expect(303);
      expect(res.headers.location, JSON.stringify(list)).toBe('/admin?done=bulk');
      const refused = await as(cookie).post('/admin/links/bulk', {
        list,
        action: 'tag',
        tag: 'x,y',
        code: ['bt-three'],
      });
      expect(refused.status).toBe(422);
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(refused.text).toContain('3 links match');
      expect(listField(refused.text)).toBe('/admin');
      expect(refused.text).not.toContain('evil');
    }
    // A list field that is not one string is not followed either.
    const twice = await request(t.app)
      .post('/admin/links/bulk')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send('list=%2Fadmin%3Fq%3Da&list=%2Fadmin%3Fq%3Db&action=enable&code=bt-three');
    expect(twice.status).toBe(303);
    expect(twice.headers.location).toBe('/admin?done=bulk');
    await request(t.app).get('/bt-three').expect(302);
  });

  it('when the admin creates a link, then it redirects and its page shows its statistics', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    const made = await as(cookie)
      .post('/admin/links', { url: 'example.org/made', alias: 'by-admin', redirect: '301' })
      .expect(303);
    expect(made.headers.location).toBe('/admin/links/by-admin?done=created');
    await request(t.app)
      .get('/by-admin')
      .expect(301)
      .expect('Location', 'https://example.org/made');
    const page = await as(cookie).get(made.headers.location!).expect(200);
    expect(page.text).toContain('The link is created.');
    expect(page.text).toContain('Visits and unique visitors per day');
    const refused = await as(cookie).post('/admin/links', { url: 'http://10.0.0.1/' }).expect(422);
    expect(refused.text).toContain('private or local network');
  });
});

describe('abuse: reports, bans and the blocklist', () => {
  it('when a visitor reports a link, then the report reaches the queue without any trace of the visitor, and can be dismissed', async () => {
    setup();
    await shorten('https://phish.example/login', 'bad-one').expect(303);
    const preview = await request(t.app).get('/bad-one+').expect(200);
    expect(preview.text).toContain('href="/report/bad-one"');
    const form = await request(t.app).get('/report/bad-one').expect(200);
    expect(form.text).toContain('name="reason"');
    await request(t.app)
      .post('/report/bad-one')
      .set({ ...SAME_ORIGIN, 'User-Agent': 'Reporter/1.0', 'X-Forwarded-For': '203.0.113.7' })
      .type('form')
      .send({ reason: 'phishing', details: 'Asks for a bank login', contact: 'me@example.org' })
      .expect(200);
    const stored = JSON.stringify(t.db.prepare('SELECT * FROM abuse_reports').all());
    expect(stored).toContain('Asks for a bank login');
    for (const trace of ['127.0.0.1', '203.0.113.7', 'Reporter/1.0'])
      expect(stored).not.toContain(trace);

    const cookie = await signInAdmin(t.app, PASSWORD);
    const queue = await as(cookie).get('/admin/reports').expect(200);
    expect(queue.text).toContain('/bad-one');
    expect(queue.text).toContain('Asks for a bank login');
    expect((await as(cookie).get('/admin').expect(200)).text).toContain('Reports (1)');
    const reported = await as(cookie).get('/admin?state=reported').expect(200);
    expect(reported.text).toContain('/bad-one');
    await as(cookie).post('/admin/links/bad-one/dismiss').expect(303);
    expect((await as(cookie).get('/admin/reports').expect(200)).text).toContain('No open reports.');
  });

  it('when a report is malformed, then it is refused with 422 and nothing is stored', async () => {
    setup();
    await shorten('https://a.example/', 'fine-one').expect(303);
    const res = await request(t.app)
      .post('/report/fine-one')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ reason: 'boring' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Choose what is wrong with this link.');
    expect(t.db.prepare('SELECT COUNT(*) FROM abuse_reports').pluck().get()).toBe(0);
    await request(t.app).get('/report/no-such-link').expect(404);
  });

  it('when a link is banned with its host blocked and the others disabled, then it answers 410 "removed", the host and its subdomains are refused in every door, and the other links stop', async () => {
    setup();
    await shorten('https://phish.example/a', 'ban-me').expect(303);
    await shorten('https://www.phish.example/b', 'other-1').expect(303);
    await shorten('https://phish.example.net/c', 'unrelated').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie)
      .post('/admin/links/ban-me/ban', {
        reason: 'phishing kit',
        block_host: 'on',
        disable_others: 'on',
      })
      .expect(303);

    const gone = await request(t.app).get('/ban-me').expect(410);
    expect(gone.text).toContain('This link was removed');
    expect(gone.text).not.toContain('phishing kit');
    await request(t.app).get('/other-1').expect(410);
    await request(t.app).get('/unrelated').expect(302);

    // The code is never given out again, and the host is refused from the form and the API.
    await shorten('https://example.com/', 'ban-me').expect(409);
    const form = await shorten('https://login.phish.example/x');
    expect(form.status).toBe(422);
    expect(form.text).toContain('Links to this website are not allowed here.');
    const key = (await createKeyService({
      keys: createKeyRepository(t.db),
      now: () => clock,
    }).createKey({ name: 'k', scope: 'full', expiresAt: null }))!;
    const api = await request(t.app)
      .post('/api/v1/links')
      .set('X-Api-Key', key)
      .send({ url: 'https://phish.example/again' });
    expect(api.status).toBe(422);
    expect((await as(cookie).get('/admin/blocklist').expect(200)).text).toContain(
      '<code>phish.example</code>',
    );

    // Lifting the ban brings the link back; the blocklist stays until removed.
    await as(cookie).post('/admin/links/ban-me/unban').expect(303);
    await request(t.app).get('/ban-me').expect(302);
    await as(cookie).post('/admin/blocklist/remove', { host: 'phish.example' }).expect(303);
    await shorten('https://phish.example/now-fine').expect(303);
  });

  it('when a ban disables more links than one batch holds, then every one stops, cached ones too, and a ban that fails midway leaves the ban, the blocklist and the batches before it written', async () => {
    setup();
    await shorten('https://phish.example/login', 'bait').expect(303);
    const insert = t.db.prepare(
      'INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?)',
    );
    t.db.transaction(() => {
      for (let i = 0; i < 1200; i++) insert.run(`kit-${i}`, `https://phish.example/${i}`, 1, 1);
    })();
    // Followed once, so their redirect rows are cached before the ban.
    for (const code of ['kit-0', 'kit-700', 'kit-1199'])
      await request(t.app).get(`/${code}`).expect(302);
    const active = t.db.prepare(
      "SELECT COUNT(*) FROM urls WHERE code LIKE 'kit-%' AND disabled_at IS NULL",
    );
    // The second batch fails in the database, as a batch cut short by a crash would not commit.
    t.db.exec(`CREATE TRIGGER refuse_kit BEFORE UPDATE OF disabled_at ON urls
      WHEN NEW.code = 'kit-700' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const ban = { reason: 'phishing kit', block_host: 'on', disable_others: 'on' };
    const failed = await as(cookie).post('/admin/links/bait/ban', ban);
    expect(failed.status).toBe(500);
    await request(t.app).get('/bait').expect(410);
    expect((await shorten('https://phish.example/again')).status).toBe(422);
    expect(active.pluck().get()).toBe(700);
    await request(t.app).get('/kit-0').expect(410);
    await request(t.app).get('/kit-700').expect(302);

    // Banning again finishes the job.
    t.db.exec('DROP TRIGGER refuse_kit');
    await as(cookie)
      .post('/admin/links/bait/ban', ban)
      .expect(303)
      .expect('Location', '/admin/links/bait?done=banned&blocked=1&disabled=700');
    expect(active.pluck().get()).toBe(0);
    for (const code of ['kit-0', 'kit-700', 'kit-1199'])
      await request(t.app).get(`/${code}`).expect(410);
  });

  it('when a ban has no reason, then the form says so and nothing changes', async () => {
    setup();
    await shorten('https://a.example/', 'keep-me').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const res = await as(cookie).post('/admin/links/keep-me/ban', { reason: ' ' }).expect(422);
    expect(res.text).toContain('Say why the link is banned.');
    await request(t.app).get('/keep-me').expect(302);
  });

  it('when a host is added to the blocklist by hand, then it is normalised, and junk is refused', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie)
      .post('/admin/blocklist', { host: 'https://Spam.Example:8443/path', reason: 'spam' })
      .expect(303);
    expect((await shorten('https://x.spam.example/')).status).toBe(422);
    const junk = await as(cookie).post('/admin/blocklist', { host: 'not a host' }).expect(422);
    expect(junk.text).toContain('Enter a host name');
  });
});

describe('API keys and backups in the admin', () => {
  it('when a key is made, then it is shown once, never stored, and can be revoked', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    const made = await as(cookie)
      .post('/admin/keys', { name: 'sharex', scope: 'create-only', expires: '2027-12-31' })
      .expect(201);
    expect(made.headers['cache-control']).toBe('no-store');
    const key = /value="(snip_[A-Za-z0-9_-]{43})"/.exec(made.text)?.[1];
    expect(key).toBeDefined();
    expect(JSON.stringify(t.db.prepare('SELECT * FROM api_keys').all())).not.toContain(key);
    await request(t.app)
      .post('/api/v1/links')
      .set('X-Api-Key', key!)
      .send({ url: 'https://a.example/' })
      .expect(201);
    const list = await as(cookie).get('/admin/keys').expect(200);
    expect(list.text).toContain('sharex');
    expect(list.text).not.toContain(key!);
    await as(cookie).post('/admin/keys/revoke', { name: 'sharex' }).expect(303);
    await request(t.app)
      .post('/api/v1/links')
      .set('X-Api-Key', key!)
      .send({ url: 'https://a.example/' })
      .expect(401);
  });

  it('when keys are listed, then each says where it came from: the admin, the keys command or INITIAL_API_KEY', async () => {
    setup();
    const service = createKeyService({ keys: createKeyRepository(t.db), now: () => clock });
    await service.createKey({ name: 'from-cli', scope: 'full', expiresAt: null }, 'cli');
    await service.syncInitialKey('i'.repeat(40));
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie).post('/admin/keys', { name: 'from-admin', scope: 'full' }).expect(201);
    const page = await as(cookie).get('/admin/keys').expect(200);
    const rows = [...page.text.matchAll(/<tr><td data-label="Name">.*?<\/tr>/gs)].map((m) => m[0]);
    const source = (value: string) => `<td data-label="Source">${value}</td>`;
    expect(rows.find((row) => row.includes('from-cli'))).toContain(source('keys command'));
    expect(rows.find((row) => row.includes('>initial<'))).toContain(source('INITIAL_API_KEY'));
    expect(rows.find((row) => row.includes('from-admin'))).toContain(source('admin'));
    expect(page.text).toMatch(/<th scope="col">Source<\/th>/);
  });

  it('when a backup is downloaded, then it is a consistent SQLite file with every link, taken while snip runs', async () => {
    dir = createTempDir();
    setup({}, path.join(dir, 'snip.sqlite3'));
    await shorten('https://a.example/', 'in-backup').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const res = await as(cookie)
      .get('/admin/backup')
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="?snip-\d{8}T\d{6}Z\.sqlite3"?$/,
    );
    const copy = path.join(os.tmpdir(), `snip-backup-test-${process.pid}.sqlite3`);
    fs.writeFileSync(copy, res.body as Buffer);
    const db = new Database(copy, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare("SELECT target FROM urls WHERE code = 'in-backup'").pluck().get()).toBe(
        'https://a.example/',
      );
    } finally {
      db.close();
      fs.rmSync(copy);
    }
  });

  it('when backups are downloaded again and again, then the snapshot written before the last migration is still in backups/', async () => {
    dir = createTempDir();
    const file = path.join(dir, 'snip.sqlite3');
    setup({}, file);
    const hourAgo = Date.now() - 3_600_000;
    const migration = await writeSnapshot(t.db, file, {
      label: 'before-20261201000000',
      now: new Date(hourAgo),
    });
    // Five downloads earlier on, then more now.
    for (let i = 1; i <= 5; i++) {
      await writeSnapshot(t.db, file, { label: 'download', now: new Date(hourAgo + i * 60_000) });
    }
    const cookie = await signInAdmin(t.app, PASSWORD);
    for (let i = 0; i < 3; i++) await as(cookie).get('/admin/backup').expect(200);
    const backups = fs.readdirSync(path.dirname(migration));
    expect(backups).toContain(path.basename(migration));
    expect(backups.filter((name) => name.endsWith('-download.sqlite3'))).toHaveLength(5);
  });

  it('when the admin acts faster than RATE_LIMIT_MANAGE, then the next action is refused with 429', async () => {
    setup({ RATE_LIMITS: 'on', RATE_LIMIT_MANAGE: '2/min' });
    await shorten('https://a.example/', 'limited').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie).post('/admin/links/limited/disable').expect(303);
    await as(cookie).post('/admin/links/limited/enable').expect(303);
    await as(cookie).post('/admin/links/limited/disable').expect(429);
    await request(t.app).get('/limited').expect(302);
  });
});

describe('editing a link in the admin', () => {
  const row = () =>
    t.db
      .prepare(
        'SELECT target, redirect_status, expires_at, max_visits, updated FROM urls WHERE code = ?',
      )
      .get('edit-me') as Record<string, unknown>;

  it('when the admin opens a link, then its page has the edit form filled with the link as it is', async () => {
    setup();
    await shorten('https://example.com/first', 'edit-me').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const page = await as(cookie).get('/admin/links/edit-me').expect(200);
    expect(page.text).toContain('action="/admin/links/edit-me/edit"');
    expect(page.text).toContain('value="https://example.com/first"');
    expect(page.text).toMatch(/<option value="302" selected>/);
  });

  it('when the admin changes the target, the redirect type, the expiry and the visit limit, then the link answers with them', async () => {
    setup();
    await shorten('https://example.com/first', 'edit-me').expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const saved = await as(cookie)
      .post('/admin/links/edit-me/edit', {
        url: 'example.org/second',
        redirect: '308',
        expires_on: '2027-01-31',
        max_visits: '5',
        title: 'Second page',
        tags: 'launch, Q3',
        utm_source: 'news',
      })
      .expect(303);
    expect(saved.headers.location).toBe('/admin/links/edit-me?done=saved');
    expect(row()).toMatchObject({
      target: 'https://example.org/second?utm_source=news',
      redirect_status: 308,
      expires_at: Date.UTC(2027, 1, 1),
      max_visits: 5,
    });
    const redirect = await request(t.app).get('/edit-me').expect(308);
    expect(redirect.headers.location).toBe('https://example.org/second?utm_source=news');
    const page = await as(cookie).get(saved.headers.location!).expect(200);
    expect(page.text).toContain('The changes are saved.');
    // The form shows the link as it now is: title, tags, and the UTM parameter in its field.
    expect(page.text).toMatch(/<input id="title" name="title"[^>]*value="Second page"/);
    expect(page.text).toMatch(/<input id="tags" name="tags"[^>]*\s+value="launch, Q3"/);
    expect(page.text).toMatch(/<input id="utm_source" name="utm_source"[^>]*\s+value="news"/);
    expect(page.text).toMatch(
      /<input id="url" name="url"[^>]*\s+value="https:\/\/example.org\/second"/,
    );
    // A password is its owner's to set: the admin's form has no such field.
    expect(page.text).not.toContain('id="password"');
  });

  it.each([
    ['a target that is not a web address', { url: 'ftp://example.com/x' }, 422],
    ['a target on a private address', { url: 'http://127.0.0.1/' }, 422],
    ['an expiry that has passed', { url: 'https://example.com/x', expires_on: '2020-01-01' }, 422],
    ['a visit limit of zero', { url: 'https://example.com/x', max_visits: '0' }, 422],
    ['a redirect type not offered', { url: 'https://example.com/x', redirect: '303' }, 422],
    ['two targets', { url: ['https://a.example/', 'https://b.example/'] }, 400],
    ['no target', {}, 400],
  ])(
    'when the admin sends %s, then the page says what is wrong and the link is unchanged',
    async (_, body, status) => {
      setup();
      await shorten('https://example.com/first', 'edit-me').expect(303);
      const before = row();
      const cookie = await signInAdmin(t.app, PASSWORD);
      const res = await as(cookie).post('/admin/links/edit-me/edit', body).expect(status);
      expect(res.text).toContain('<title>Error: /edit-me');
      expect(res.text).toContain('aria-invalid="true"');
      expect(row()).toEqual(before);
    },
  );

  it('when the link is deleted, or nobody is signed in, then nothing changes', async () => {
    setup();
    await shorten('https://example.com/first', 'edit-me').expect(303);
    const before = row();
    await request(t.app)
      .post('/admin/links/edit-me/edit')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.org/' })
      .expect(401);
    expect(row()).toEqual(before);
    const cookie = await signInAdmin(t.app, PASSWORD);
    await as(cookie).post('/admin/links/edit-me/delete').expect(303);
    await as(cookie).post('/admin/links/edit-me/edit', { url: 'https://example.org/' }).expect(409);
    expect(row().target).toBe('');
  });
});
