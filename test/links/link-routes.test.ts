import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { CODE_ALPHABET } from '../../src/links/code-generator.js';
import { buildTestApp, MANAGE_LOCATION, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.db.close());

function shorten(fields: Record<string, string>, headers: Record<string, string> = SAME_ORIGIN) {
  return request(t.app).post('/shorten').set(headers).type('form').send(fields);
}

describe('the shortening form', () => {
  it('when the home page is opened, then it shows a labelled URL field and an alias option', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<label for="url">');
    expect(res.text).toContain('name="alias"');
    expect(res.text).toMatch(/<form[^>]+method="post"[^>]+action="\/shorten"/);
  });

  it('when the home page is opened, then query forwarding is a ticked box with its marker', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    expect(res.text).toContain('<input type="hidden" name="forwardQuery_shown" value="1">');
    expect(res.text).toMatch(
      /id="forwardQuery" name="forwardQuery" type="checkbox" value="on" checked/,
    );
    expect(res.text).toContain('<label for="forwardQuery">Forward query parameters</label>');
    expect(res.text).not.toMatch(/<details class="disclosure"\s+open>/);
  });

  it('when a form with the box unticked is refused, then it comes back unticked, with the options open', async () => {
    t = buildTestApp();
    const res = await shorten({ url: 'javascript:alert(1)', forwardQuery_shown: '1' }).expect(422);
    expect(res.text).toMatch(
      /id="forwardQuery" name="forwardQuery" type="checkbox" value="on"\s+aria-describedby/,
    );
    expect(res.text).toMatch(/<details class="disclosure"\s+open>/);
    const ticked = await shorten({
      url: 'javascript:alert(1)',
      forwardQuery: 'on',
      forwardQuery_shown: '1',
    }).expect(422);
    expect(ticked.text).toMatch(/type="checkbox" value="on" checked/);
  });

  it('when the box sends a value it never sends, then 422 with the message at the box, and nothing is stored', async () => {
    t = buildTestApp();
    const res = await shorten({
      url: 'https://a.example/',
      forwardQuery: 'yes',
      forwardQuery_shown: '1',
    }).expect(422);
    expect(res.text).toContain('Tick the box or leave it unticked.');
    expect(res.text).toMatch(/id="forwardQuery"[^>]*aria-invalid="true"/);
    expect(t.countLinks()).toBe(0);
  });

  it('when the visit limit is offered, then the form says in one sentence that only browsers use it up', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    expect(res.text).toMatch(
      /<p class="hint" id="max_visits-hint">Only visits from people’s browsers count: [^<]*bots and scripts don’t use up the limit[^<]*<\/p>/,
    );
    expect(res.text).toMatch(/id="max_visits"[^>]*aria-describedby="[^"]*max_visits-hint/);
  });

  it('when a valid URL is sent, then it answers 303 to a result page with the full short link', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' }, { generateCode: () => 'Abc4567' });
    const res = await shorten({ url: 'https://example.com/some/long/path?q=1' }).expect(303);
    expect(res.headers.location).toMatch(MANAGE_LOCATION);
    const page = await request(t.app).get(res.headers.location!).expect(200);
    expect(page.text).toContain('value="https://snip.example/Abc4567"');
    expect(page.text).toContain('https://example.com/some/long/path?q=1');
    expect(page.text).toContain('data-copy="#short-url"');
    expect(t.countLinks()).toBe(1);
  });

  it('when BASE_URL is unset, then the short link uses the request origin', async () => {
    t = buildTestApp({}, { generateCode: () => 'Abc4567' });
    const res = await shorten({ url: 'https://example.com/' }).expect(303);
    const page = await request(t.app)
      .get(res.headers.location!)
      .set('Host', 'sn.test:8080')
      .expect(200);
    expect(page.text).toContain('value="http://sn.test:8080/Abc4567"');
  });

  it('when BASE_URL is set and the Host header is spoofed, then the short link still uses BASE_URL', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' }, { generateCode: () => 'Abc4567' });
    const res = await shorten({ url: 'https://example.com/' }).expect(303);
    const page = await request(t.app)
      .get(res.headers.location!)
      .set('Host', 'SNIP.example.:8443')
      .expect(200);
    expect(page.text).toContain('https://snip.example/Abc4567');
    // A host that is not snip's gets a bare 404, never the page under its name (ADR 028).
    const spoofed = await request(t.app)
      .get(res.headers.location!)
      .set('Host', 'evil.example')
      .expect(404);
    expect(spoofed.text).toBe('Not found\n');
  });

  it('when a custom alias is given, then the link uses it', async () => {
    t = buildTestApp();
    await shorten({ url: 'https://example.com/', alias: 'my-docs_2' }).expect(303);
    expect(t.lastCode()).toBe('my-docs_2');
    await request(t.app).get('/my-docs_2').expect(302).expect('Location', 'https://example.com/');
  });

  it('when the URL has no scheme, then the form adds https://', async () => {
    t = buildTestApp({}, { generateCode: () => 'Abc4567' });
    await shorten({ url: '  evil.example  ' }).expect(303);
    await request(t.app).get('/Abc4567').expect(302).expect('Location', 'https://evil.example/');
  });

  it('when the URL is refused, then the form is shown again with the values kept and the message beside the field', async () => {
    t = buildTestApp();
    const res = await shorten({ url: 'javascript:alert(1)', alias: 'keep-me' }).expect(422);
    expect(res.text).toContain('value="javascript:alert(1)"');
    expect(res.text).toContain('value="keep-me"');
    expect(res.text).toMatch(/id="url-error"[^>]*>[\s\S]*http/);
    expect(res.text).toContain('aria-invalid="true"');
    expect(t.countLinks()).toBe(0);
  });

  it('when the host is longer than DNS allows, then the form refuses it as too long and stores nothing', async () => {
    t = buildTestApp({ MAX_URL_LENGTH: '8192' });
    const res = await shorten({ url: `https://${'é.'.repeat(1000)}com/` }).expect(422);
    expect(res.text).toContain('This website name is too long');
    expect(t.countLinks()).toBe(0);
  });

  it('when the alias is taken, then the form shows 409 and nothing new is stored', async () => {
    t = buildTestApp();
    await shorten({ url: 'https://example.com/', alias: 'taken' }).expect(303);
    const res = await shorten({ url: 'https://example.org/', alias: 'taken' }).expect(409);
    expect(res.text).toContain('id="alias-error"');
    expect(res.text).toContain('already taken');
    expect(t.countLinks()).toBe(1);
  });

  it('when a generated code collides, then another one is tried', async () => {
    const codes = ['Same777', 'Same777', 'Other77'];
    t = buildTestApp({}, { generateCode: () => codes.shift() ?? 'Last777' });
    await shorten({ url: 'https://example.com/1' }).expect(303);
    expect(t.lastCode()).toBe('Same777');
    await shorten({ url: 'https://example.com/2' }).expect(303);
    expect(t.lastCode()).toBe('Other77');
    expect(t.countLinks()).toBe(2);
  });

  it.each([
    ['unset', {}, 7],
    ['5', { CODE_LENGTH: '5' }, 5],
    ['12', { CODE_LENGTH: '12' }, 12],
  ])(
    'when CODE_LENGTH is %s and the real generator runs, then codes have that length, from the look-alike-free alphabet',
    async (_, env, length) => {
      t = buildTestApp(env);
      const codes = new Set<string>();
      for (let i = 0; i < 5; i++) {
        await shorten({ url: `https://example.com/${i}` }).expect(303);
        codes.add(t.lastCode()!);
      }
      expect(codes.size).toBe(5);
      for (const code of codes) {
        expect(code).toHaveLength(length);
        expect(
          [...code].every((ch) => CODE_ALPHABET.includes(ch)),
          code,
        ).toBe(true);
        await request(t.app).get(`/${code}`).expect(302);
      }
    },
  );

  it('when a generated code is a reserved word in any case, then another one is drawn', async () => {
    const codes = ['HEALTHZ', 'Metrics', 'Abc4567'];
    t = buildTestApp({}, { generateCode: () => codes.shift() ?? 'Last777' });
    await shorten({ url: 'https://example.com/' }).expect(303);
    expect(t.lastCode()).toBe('Abc4567');
    expect(t.countLinks()).toBe(1);
  });

  it('when every generated code is taken, then it gives up after 8 draws with a 500 and stores nothing new', async () => {
    let draws = 0;
    t = buildTestApp({}, { generateCode: () => (draws++, 'Same777') });
    await shorten({ url: 'https://example.com/1' }).expect(303);
    draws = 0;
    const res = await shorten({ url: 'https://example.com/2' }).expect(500);
    expect(res.text).not.toMatch(/\n\s+at /);
    expect(draws).toBe(8);
    expect(t.countLinks()).toBe(1);
  });

  it('when the same URL is shortened twice, then it gets two links', async () => {
    t = buildTestApp();
    await shorten({ url: 'https://example.com/' }).expect(303);
    await shorten({ url: 'https://example.com/' }).expect(303);
    expect(t.countLinks()).toBe(2);
  });

  it('when the url field is repeated, then it answers 400 and stores nothing', async () => {
    t = buildTestApp();
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send('url=https%3A%2F%2Fa.example%2F&url=https%3A%2F%2Fb.example%2F')
      .expect(400);
    expect(res.text).toContain('Send one URL');
    expect(t.countLinks()).toBe(0);
  });

  it.each([
    ['an empty form', (r: request.Test) => r.type('form').send('')],
    ['no body at all', (r: request.Test) => r],
  ])('when %s is sent, then the form asks for the URL beside the field', async (_, send) => {
    t = buildTestApp();
    const res = await send(request(t.app).post('/shorten').set(SAME_ORIGIN)).expect(422);
    expect(res.text).toMatch(/<p[^>]*id="url-error"[^>]*>[\s\S]*Enter a link to shorten\./);
    expect(res.text).toContain('aria-invalid="true"');
    expect(t.countLinks()).toBe(0);
  });
});

describe('following a short link', () => {
  it('when the code exists, then GET answers 302 with the stored URL and no-index headers', async () => {
    t = buildTestApp({}, { generateCode: () => 'Abc4567' });
    await shorten({ url: 'https://Example.COM:443/a%20b?x=1#frag' }).expect(303);
    const res = await request(t.app).get('/Abc4567').expect(302);
    expect(res.headers.location).toBe('https://example.com/a%20b?x=1#frag');
    expect(res.headers['x-robots-tag']).toBe('noindex');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.text).toBe('');
  });

  it('when HEAD is sent, then it answers the same status and Location without a body', async () => {
    t = buildTestApp({}, { generateCode: () => 'Abc4567' });
    await shorten({ url: 'https://example.com/x' }).expect(303);
    const res = await request(t.app).head('/Abc4567').expect(302);
    const get = await request(t.app).get('/Abc4567').expect(302);
    expect(res.headers.location).toBe('https://example.com/x');
    // A client never sees a HEAD body (BAD-INPUTS row 49 reads the socket): the headers say none.
    expect(res.headers['content-length']).toBe('0');
    for (const name of ['location', 'cache-control', 'x-robots-tag', 'referrer-policy']) {
      expect(res.headers[name], name).toBe(get.headers[name]);
    }
  });

  it('when the code is unknown, then it answers a 404 page without Location', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/doesnotexist').expect(404);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('No such link');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('when a row is marked deleted but still holds its target, then it answers 410 saying it was deleted', async () => {
    t = buildTestApp();
    t.db
      .prepare(
        "INSERT INTO urls (code, target, created, updated, deleted_at) VALUES ('del1', 'https://example.com/', 1, 1, 2)",
      )
      .run();
    const res = await request(t.app).get('/del1').expect(410);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('deleted');
    await request(t.app).get('/del1+').expect(410);
  });

  it.each([
    ['an empty target (a tombstone whose deletion mark a rollback dropped)', ''],
    ['a target that is not a web address', 'javascript:alert(1)'],
    ['a target that does not parse', 'http://[broken'],
  ])(
    'when a row holds %s, then neither the link nor its preview redirects or fails',
    async (_, target) => {
      t = buildTestApp();
      t.db
        .prepare("INSERT INTO urls (code, target, created, updated) VALUES ('odd1', ?, 1, 1)")
        .run(target);
      const follow = await request(t.app).get('/odd1');
      const preview = await request(t.app).get('/odd1+');
      if (target.startsWith('http')) {
        // A web target that does not parse still never yields an empty Location or a 500.
        expect(follow.status).toBe(302);
        expect(follow.headers.location).toBe(target);
        expect(preview.status).toBe(200);
      } else {
        expect(follow.status).toBe(410);
        expect(follow.headers.location).toBeUndefined();
        expect(follow.text).toContain('deleted');
        expect(preview.status).toBe(410);
      }
    },
  );

  it('when codes differ only in case, then they are different links', async () => {
    t = buildTestApp();
    await shorten({ url: 'https://example.com/', alias: 'CaseY' }).expect(303);
    await request(t.app).get('/CaseY').expect(302);
    await request(t.app).get('/casey').expect(404);
  });
});

describe('GET /healthz', () => {
  it('when the database answers, then it is 200 ok and not cached', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: { answers: true, writable: true } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('when the database is closed, then it is 503', async () => {
    t = buildTestApp();
    const { app, db } = t;
    db.close();
    const res = await request(app).get('/healthz').expect(503);
    expect(res.body).toEqual({
      status: 'unavailable',
      database: { answers: false, writable: false, problem: 'no-answer' },
    });
    t = buildTestApp(); // afterEach closes a fresh one
  });
});
