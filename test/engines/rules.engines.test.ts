import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import { buildEngineApp, type EngineApp } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { SAME_ORIGIN } from '../support/test-app.js';

/**
 * Redirect rules through every door that sets them — /api/v1, the form, the management page,
 * the admin's edit, export and import — and the redirect they make, through the server's own
 * listener (the fast path, and Express for a protected link), on SQLite and on PostgreSQL.
 */
const ADMIN_PASSWORD = 'correct horse battery';
const ORIGIN = 'https://s.example';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const RULES = [
  { url: 'https://apps.example/ios', conditions: [{ type: 'device', value: 'ios' }] },
  {
    url: 'https://news.example/de?from=rule',
    conditions: [
      { type: 'language', value: 'de' },
      { type: 'query', name: 'ref', value: 'news' },
    ],
  },
];

function suite(engine: 'sqlite' | 'postgres') {
  const build = () => buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD });

  async function keyOf(s: EngineApp): Promise<string> {
    return (await createKeyService({ keys: s.store.keys, now: Date.now }).createKey({
      name: 'rules',
      scope: 'full',
      expiresAt: null,
    }))!;
  }

  async function signIn(s: EngineApp): Promise<string> {
    const res = await request(s.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: ADMIN_PASSWORD })
      .expect(303);
    return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  }

  /** A visit through the server's listener, as a browser of that kind makes it. */
  const go = (s: EngineApp, path: string, agent = WINDOWS, language = 'en') =>
    request(s.listener).get(path).set({ 'User-Agent': agent, 'Accept-Language': language });

  it('/api/v1 takes rules in order, answers them, and the redirect follows the first that holds, with a status browsers do not keep and Vary', async () => {
    const s = await build();
    const auth = { Authorization: `Bearer ${await keyOf(s)}` };
    const made = await request(s.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://example.com/page', alias: 'launch', redirectType: 301, rules: RULES })
      .expect(201);
    expect(made.body.rules).toEqual(RULES);
    expect(made.body.redirectType).toBe(301);
    // The preview lists every destination, and when each is chosen.
    const preview = await request(s.app).get('/launch+').expect(200);
    expect(preview.text).toContain('https://apps.example/ios');
    expect(preview.text).toContain('on an iPhone or iPad');
    expect(preview.text).toContain('https://news.example/de?from=rule');
    expect(preview.text).toContain('for readers of de and with ?ref=news');

    const ios = await go(s, '/launch', IPHONE).expect(302);
    expect(ios.headers.location).toBe('https://apps.example/ios');
    expect(ios.headers.vary).toBe('User-Agent, Accept-Language');
    const desk = await go(s, '/launch?ref=other').expect(302);
    // The link's own target, with the visit's query forwarded, and the same Vary.
    expect(desk.headers.location).toBe('https://example.com/page?ref=other');
    expect(desk.headers.vary).toBe('User-Agent, Accept-Language');
    // Forwarding applies to whichever target wins.
    const german = await go(s, '/launch?ref=news', WINDOWS, 'de-DE,de;q=0.9').expect(302);
    expect(german.headers.location).toBe('https://news.example/de?from=rule&ref=news');

    // PATCH replaces them; [] removes them, and the link is a 301 again, without Vary.
    const patched = await request(s.app)
      .patch('/api/v1/links/launch')
      .set(auth)
      .send({ rules: [RULES[1]] })
      .expect(200);
    expect(patched.body.rules).toEqual([RULES[1]]);
    expect((await go(s, '/launch', IPHONE).expect(302)).headers.location).toBe(
      'https://example.com/page',
    );
    expect((await go(s, '/launch', IPHONE).expect(302)).headers.vary).toBe('Accept-Language');
    await request(s.app).patch('/api/v1/links/launch').set(auth).send({ rules: [] }).expect(200);
    const plain = await go(s, '/launch', IPHONE).expect(301);
    expect(plain.headers.vary).toBeUndefined();
    const read = await request(s.app).get('/api/v1/links/launch').set(auth).expect(200);
    expect(read.body.rules).toEqual([]);
    await request(s.app).patch('/api/v1/links/launch').set(auth).send({ rules: RULES }).expect(200);
    await request(s.app).patch('/api/v1/links/launch').set(auth).send({ rules: null }).expect(200);
    expect((await request(s.app).get('/api/v1/links/launch').set(auth)).body.rules).toEqual([]);
  });

  it('bad rules get a 4xx in every door and change nothing', async () => {
    const s = await build();
    const auth = { Authorization: `Bearer ${await keyOf(s)}` };
    const made = await request(s.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({
        url: 'https://example.com/kept',
        alias: 'kept',
        rules: 'device:ios -> https://apps.example/kept',
      })
      .expect(303);
    const manage = made.headers.location!.replace('?created=1', '');
    const before = (await s.store.links.findLink('kept'))!;
    expect(before.rules).toBe(
      '[{"url":"https://apps.example/kept","conditions":[{"type":"device","value":"ios"}]}]',
    );
    const rule = (condition: object, url = 'https://a.example/') => ({
      url,
      conditions: [condition],
    });
    const badApi: [string, unknown][] = [
      ['eleven rules', Array.from({ length: 11 }, () => rule({ type: 'query', name: 'a' }))],
      ['a rule with no condition', [{ url: 'https://a.example/', conditions: [] }]],
      ['an unknown condition type', [rule({ type: 'ip-address', value: '1.2.3.4' })]],
      ['a date in the wrong format', [rule({ type: 'after', value: '2027-01-01 10:00' })]],
      ['a javascript: target', [rule({ type: 'query', name: 'a' }, 'javascript:alert(1)')]],
      ['a target on snip itself', [rule({ type: 'query', name: 'a' }, `${ORIGIN}/kept`)]],
      ['a private address', [rule({ type: 'query', name: 'a' }, 'http://10.0.0.1/')]],
      ['not a list', 'device:ios -> https://a.example/'],
    ];
    for (const [what, rules] of badApi) {
      const created = await request(s.app)
        .post('/api/v1/links')
        .set(auth)
        .send({ url: 'https://example.com/new', alias: 'fresh', rules });
      expect([400, 422], `create, ${what}: ${created.status}`).toContain(created.status);
      expect(JSON.stringify(created.body), what).toContain('/rules');
      const patched = await request(s.app).patch('/api/v1/links/kept').set(auth).send({ rules });
      expect([400, 422], `update, ${what}: ${patched.status}`).toContain(patched.status);
    }
    const badLines = [
      'device:ios https://a.example/',
      'ios -> https://a.example/',
      'device:tv -> https://a.example/',
      'before:tomorrow -> https://a.example/',
      'query:a -> javascript:alert(1)',
      `query:a -> ${ORIGIN}/kept`,
      Array.from({ length: 11 }, (_, i) => `query:a${i} -> https://a.example/`).join('\n'),
    ];
    const cookie = await signIn(s);
    for (const rules of badLines) {
      const form = await request(s.app)
        .post('/shorten')
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://example.com/new', alias: 'fresh', rules });
      expect(form.status, rules).toBe(422);
      expect(form.text, rules).toContain('id="rules-error"');
      const managed = await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://example.com/changed', rules });
      expect(managed.status, rules).toBe(422);
      const admin = await request(s.app)
        .post('/admin/links/kept/edit')
        .set({ ...SAME_ORIGIN, Cookie: cookie })
        .type('form')
        .send({ url: 'https://example.com/changed', rules });
      expect(admin.status, rules).toBe(422);
    }
    expect(await s.store.links.findLink('fresh')).toBeNull();
    expect(await s.store.links.findLink('kept')).toEqual(before);
  });

  it('the management page and the admin set rules as lines and show them back; export then import keeps them', async () => {
    const s = await build();
    const made = await request(s.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.com/', alias: 'lined', redirect: '308' })
      .expect(303);
    const manage = made.headers.location!.replace('?created=1', '');
    const lines = 'device:ios -> https://apps.example/ios\nquery:ref=a%20b -> https://q.example/';
    await request(s.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.com/', redirect: '308', rules: lines })
      .expect(303);
    const page = await request(s.app).get(manage).expect(200);
    expect(page.text).toContain(
      'device:ios -&gt; https://apps.example/ios\nquery:ref=a%20b -&gt; https://q.example/',
    );
    expect(page.text).toContain('answers 302 (or 307) even when set to 301 (or 308)');
    // Set to 308 with rules: the page says what it answers instead.
    expect(page.text).toContain('While this link has redirect rules it answers 307 instead');
    // A 308 with rules answers 307.
    expect((await go(s, '/lined?ref=a%20b').expect(307)).headers.location).toBe(
      'https://q.example/?ref=a%20b',
    );
    const cookie = await signIn(s);
    await request(s.app)
      .post('/admin/links/lined/edit')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({
        url: 'https://example.com/',
        redirect: '308',
        rules: 'query:x -> https://x.example/',
      })
      .expect(303);
    expect((await go(s, '/lined?x').expect(307)).headers.location).toBe('https://x.example/?x');
    const adminPage = await request(s.app)
      .get('/admin/links/lined')
      .set('Cookie', cookie)
      .expect(200);
    expect(adminPage.text).toContain('query:x -&gt; https://x.example/');

    const exported = await request(s.app).get('/admin/export.csv').set('Cookie', cookie);
    const other = await build();
    await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: await signIn(other), 'Content-Type': 'text/csv' })
      .send(exported.text)
      .expect(200);
    expect((await other.store.links.findLink('lined'))!.rules).toBe(
      '[{"url":"https://x.example/","conditions":[{"type":"query","name":"x"}]}]',
    );
    // An import whose rule sends visits somewhere the policy refuses imports nothing of it.
    const bad = exported.text
      .replace('https://x.example/', 'javascript:alert(1)')
      .replace(/lined/g, 'other');
    const refused = await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: await signIn(other), 'Content-Type': 'text/csv' })
      .send(bad)
      .expect(200);
    expect(refused.text).toContain('Redirect rule 1');
    expect(await other.store.links.findLink('other')).toBeNull();
  });

  it('a protected link with rules sends an unlocked visit where its rules say', async () => {
    const s = await build();
    await request(s.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({
        url: 'https://example.com/',
        alias: 'locked',
        password: 'open sesame',
        rules: 'device:ios -> https://apps.example/ios',
      })
      .expect(303);
    await go(s, '/locked', IPHONE).expect(401);
    expect((await request(s.app).get('/locked+').expect(200)).text).not.toContain('apps.example');
    const unlocked = await go(s, '/locked', IPHONE).auth('', 'open sesame').expect(302);
    expect(unlocked.headers.location).toBe('https://apps.example/ios');
    expect(unlocked.headers.vary).toContain('User-Agent');
  });
}

describe('redirect rules on sqlite', () => suite('sqlite'));
describeWithPostgres('redirect rules on postgres', () => suite('postgres'));
