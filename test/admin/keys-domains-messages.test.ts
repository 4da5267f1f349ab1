import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * What the admin's keys and domains pages say after an action: refusals at their fields,
 * notices, and the error page's message, each worded from the catalog (English here).
 */
const PASSWORD = 'correct horse battery staple';
let t: TestApp;
let cookie: string;
afterEach(() => t?.db.close());

async function setup() {
  t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example' });
  expect((await t.services.domains.add({ host: 'go.example' }, [])).ok).toBe(true);
  expect(
    (await t.services.domains.add({ host: 'old.example', aliasOf: 'go.example' }, [])).ok,
  ).toBe(true);
  cookie = await signInAdmin(t.app, PASSWORD);
}

const get = (path: string) => request(t.app).get(path).set('Cookie', cookie);
const post = (path: string, body: Record<string, string> = {}) =>
  request(t.app)
    .post(path)
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .type('form')
    .send(body);

describe('the admin’s API keys page', () => {
  it('when a key name is taken or a date is past, then the form says so at its field; a revoked key gets a notice', async () => {
    await setup();
    await post('/admin/keys', { name: 'twice', scope: 'full' }).expect(201);
    const taken = await post('/admin/keys', { name: 'twice', scope: 'full' }).expect(422);
    expect(taken.text).toMatch(/id="key-error"[\s\S]*A key named “twice” exists already\./);
    expect(taken.text).toContain('<title>Error: API keys · Admin · snip</title>');
    const past = await post('/admin/keys', {
      name: 'late',
      scope: 'full',
      expires: '2001-01-01',
    }).expect(422);
    expect(past.text).toContain('Enter a future date as YYYY-MM-DD, or leave it empty.');
    await post('/admin/keys/revoke', { name: 'twice' }).expect(303);
    const list = await get('/admin/keys?done=revoked').expect(200);
    expect(list.text).toContain('The key is revoked.');
    const gone = await post('/admin/keys/revoke', { name: 'twice' }).expect(404);
    expect(gone.text).toContain('There is no active key named “twice”.');
  });
});

describe('the admin’s domains pages', () => {
  it('when a domain is refused, then the page says why at the field', async () => {
    await setup();
    const again = await post('/admin/domains', { host: 'GO.example' }).expect(409);
    expect(again.text).toMatch(/id="domain-host-error"[\s\S]*go\.example is a domain already\./);
    const self = await post('/admin/domains', { host: 'new.example', aliasOf: 'old.example' });
    expect(self.status).toBe(422);
    expect(self.text).toContain(
      'old.example is an alias itself: name the domain it is an alias of (go.example).',
    );
    expect(self.text).not.toContain('[object Object]');
  });

  it('when a domain is added, edited or cannot be deleted, then the notice or the error page says so', async () => {
    await setup();
    await post('/admin/domains', { host: 'more.example' }).expect(303);
    expect((await get('/admin/domains?done=added').expect(200)).text).toContain(
      'The domain is added.',
    );
    const aliased = await post('/admin/domains/delete', { host: 'go.example' }).expect(409);
    expect(aliased.text).toContain('1 domain is an alias of go.example: delete it first.');
    const unknown = await get('/admin/domains/edit?host=nope.example').expect(404);
    expect(unknown.text).toContain('“nope.example” is not an added domain.');
    const edit = await get('/admin/domains/edit?host=old.example').expect(200);
    expect(edit.text).toContain(
      'Where old.example/ sends a visitor; the redirect of go.example if empty.',
    );
    expect(edit.text).toContain('<title>old.example · Domains · Admin · snip</title>');
  });
});
