import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * The admin and links on several domains (ADR 031): the new-link form's domain select, the
 * list's domain column and filter, and a link's page and every action on it reaching the code on
 * the domain `?domain=` names — never the same code on another domain.
 */
const PASSWORD = 'correct horse battery staple';
let t: TestApp;
let cookie: string;
afterEach(() => t?.db.close());

async function setup(domains = true) {
  t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example' });
  if (domains) {
    expect((await t.services.domains.add({ host: 'go.example' }, [])).ok).toBe(true);
    const alias = await t.services.domains.add(
      { host: 'old-go.example', aliasOf: 'go.example' },
      [],
    );
    expect(alias.ok).toBe(true);
  }
  cookie = await signInAdmin(t.app, PASSWORD);
}

const get = (path: string) => request(t.app).get(path).set('Cookie', cookie);
const post = (path: string, body: Record<string, string | string[]> = {}) =>
  request(t.app)
    .post(path)
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .type('form')
    .send(body);

type Row = {
  code: string;
  domainId: number | null;
  target: string;
  disabled: number;
  deleted: number;
  banned: number;
  password: number;
};
const rows = (): Row[] =>
  t.db
    .prepare(
      `SELECT code, domain_id AS domainId, target, disabled_at IS NOT NULL AS disabled,
              deleted_at IS NOT NULL AS deleted, banned_at IS NOT NULL AS banned,
              password_hash IS NOT NULL AS password
         FROM urls ORDER BY id`,
    )
    .all() as Row[];
const rowOn = (domainId: number | null) => rows().find((row) => row.domainId === domainId)!;

/** `twin` on the default domain and on go.example, both with a password, made through the admin. */
async function twins() {
  const first = await post('/admin/links', {
    url: 'https://default.example/',
    alias: 'twin',
    password: 'secret one',
  });
  expect(first.status).toBe(303);
  expect(first.headers.location).toBe('/admin/links/twin?done=created');
  const second = await post('/admin/links', {
    url: 'https://go-target.example/',
    alias: 'twin',
    domain: 'go.example',
    password: 'secret two',
  });
  expect(second.status).toBe(303);
  expect(second.headers.location).toBe('/admin/links/twin?domain=go.example&done=created');
}

describe('the admin new-link form', () => {
  it('when no domain was added, then the form has no domain select', async () => {
    await setup(false);
    const page = await get('/admin/new').expect(200);
    expect(page.text).not.toContain('name="domain"');
  });

  it('when a domain was added, then a labelled select offers the default domain first and every domain that is no alias', async () => {
    await setup();
    const page = await get('/admin/new').expect(200);
    expect(page.text).toContain('<label for="domain">Domain</label>');
    const select = /<select id="domain" name="domain"[^>]*>([\s\S]*?)<\/select>/.exec(
      page.text,
    )![1]!;
    expect([...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual([
      's.example',
      'go.example',
    ]);
  });

  it('when the same alias is made on both domains, then they are two links, each page printing its own short URL', async () => {
    await setup();
    await twins();
    expect(rows().map((row) => [row.code, row.domainId])).toEqual([
      ['twin', null],
      ['twin', 1],
    ]);
    const onGo = await get('/admin/links/twin?domain=go.example').expect(200);
    expect(onGo.text).toContain('<code>https://go.example/twin</code>');
    expect(onGo.text).toContain('https://go-target.example/');
    expect(onGo.text).toContain('<dt>Domain</dt><dd dir="ltr">go.example</dd>');
    const onDefault = await get('/admin/links/twin').expect(200);
    expect(onDefault.text).toContain('<code>https://s.example/twin</code>');
    expect(onDefault.text).toContain('<dt>Domain</dt><dd dir="ltr">s.example</dd>');
    // Any spelling of the domain reaches it.
    const spelled = await get('/admin/links/twin?domain=GO.Example.').expect(200);
    expect(spelled.text).toContain('<code>https://go.example/twin</code>');
  });

  it.each([
    ['an unknown domain', 'nowhere.example'],
    ['an alias', 'old-go.example'],
    ['the field twice', ['go.example', 's.example']],
  ])(
    'when the form sends %s, then 422 with the message at the select and nothing is created',
    async (_case, domain) => {
      await setup();
      const res = await post('/admin/links', { url: 'https://a.example/', alias: 'x-y-z', domain });
      expect(res.status).toBe(422);
      expect(res.text).toMatch(/<select id="domain" name="domain"[^>]*aria-invalid="true"/);
      expect(res.text).toContain('Choose one of the domains offered.');
      expect(rows()).toEqual([]);
    },
  );
});

describe('a link on an added domain in the admin', () => {
  it('when its page is opened, then every form on it posts back to the link on its domain', async () => {
    await setup();
    await twins();
    const page = await get('/admin/links/twin?domain=go.example').expect(200);
    const actions = [...page.text.matchAll(/<form[^>]*method="post" action="([^"]*)"/g)].map(
      (m) => m[1],
    );
    expect(actions.filter((action) => action!.startsWith('/admin/links/'))).toEqual([
      '/admin/links/twin/disable?domain=go.example',
      '/admin/links/twin/remove-password?domain=go.example',
      '/admin/links/twin/delete?domain=go.example',
      '/admin/links/twin/edit?domain=go.example',
      '/admin/links/twin/ban?domain=go.example',
    ]);
    // The statistics' period links, their form and the download keep the domain.
    expect(page.text).toContain('href="?domain=go.example&amp;days=90"');
    expect(page.text).toContain('<input type="hidden" name="domain" value="go.example">');
    expect(page.text).toContain('href="/admin/links/twin/stats.csv?domain=go.example&amp;days=30"');
    const plain = await get('/admin/links/twin').expect(200);
    expect(plain.text).toContain('action="/admin/links/twin/disable"');
  });

  it.each([
    ['nowhere.example', 404],
    ['old-go.example', 404],
  ])(
    'when ?domain= names %s, then the page and its actions are a %d and nothing changes',
    async (domain, status) => {
      await setup();
      await twins();
      const before = rows();
      await get(`/admin/links/twin?domain=${domain}`).expect(status);
      await post(`/admin/links/twin/delete?domain=${domain}`).expect(status);
      await post(`/admin/links/twin/edit?domain=${domain}`, { url: 'https://x.example/' }).expect(
        status,
      );
      expect(rows()).toEqual(before);
    },
  );

  it('when a code is only on go.example, then the default domain has no such link', async () => {
    await setup();
    await post('/admin/links', {
      url: 'https://a.example/',
      alias: 'only-go',
      domain: 'go.example',
    });
    await get('/admin/links/only-go').expect(404);
    await get('/admin/links/only-go?domain=go.example').expect(200);
  });

  it('when it is disabled, enabled, edited, unlocked, banned and deleted, then the same code on the default domain is untouched throughout', async () => {
    await setup();
    await twins();
    const untouched = rowOn(null);
    const onGo = (action: string, body: Record<string, string> = {}) =>
      post(`/admin/links/twin/${action}?domain=go.example`, body);

    let res = await onGo('disable').expect(303);
    expect(res.headers.location).toBe('/admin/links/twin?domain=go.example&done=disabled');
    expect(rowOn(1).disabled).toBe(1);
    expect(rowOn(null)).toEqual(untouched);

    res = await onGo('enable').expect(303);
    expect(res.headers.location).toBe('/admin/links/twin?domain=go.example&done=enabled');
    expect(rowOn(1).disabled).toBe(0);

    res = await onGo('edit', { url: 'https://go-target.example/changed', forwardQuery_shown: '1' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/links/twin?domain=go.example&done=saved');
    expect(rowOn(1).target).toBe('https://go-target.example/changed');
    expect(rowOn(null)).toEqual(untouched);

    // A refused edit comes back on the same link's page, its forms still on go.example.
    const refused = await onGo('edit', { url: 'javascript:alert(1)' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('action="/admin/links/twin/edit?domain=go.example"');

    res = await onGo('remove-password').expect(303);
    expect(res.headers.location).toBe('/admin/links/twin?domain=go.example&done=password-removed');
    expect(rowOn(1).password).toBe(0);
    expect(rowOn(null)).toEqual(untouched);

    res = await onGo('ban', { reason: 'phishing' }).expect(303);
    expect(res.headers.location).toBe(
      '/admin/links/twin?domain=go.example&done=banned&blocked=0&disabled=0',
    );
    expect(rowOn(1).banned).toBe(1);
    await onGo('unban').expect(303);
    expect(rowOn(1).banned).toBe(0);
    expect(rowOn(null)).toEqual(untouched);

    res = await onGo('delete').expect(303);
    expect(res.headers.location).toBe('/admin/links/twin?domain=go.example&done=deleted');
    expect(rowOn(1).deleted).toBe(1);
    expect(rowOn(null)).toEqual(untouched);
    // The default domain's link still answers, with its password still asked for.
    const visit = await request(t.app).get('/twin').set('Host', 's.example');
    expect(visit.status).toBe(401);
    expect(visit.text).toContain('type="password"');
  });

  it('when the default domain’s link is disabled, then the one on go.example is untouched', async () => {
    await setup();
    await twins();
    const untouched = rowOn(1);
    await post('/admin/links/twin/disable')
      .expect(303)
      .expect('Location', '/admin/links/twin?done=disabled');
    expect(rowOn(null).disabled).toBe(1);
    expect(rowOn(1)).toEqual(untouched);
  });
});

describe('the admin list of links on several domains', () => {
  it('when links are on two domains, then each row names its domain and links to its page on that domain', async () => {
    await setup();
    await twins();
    const list = await get('/admin').expect(200);
    expect(list.text).toContain('<th scope="col">Domain</th>');
    expect(list.text).toContain(
      '<a href="/admin/links/twin?domain=go.example" dir="ltr"><code>/twin</code></a>',
    );
    expect(list.text).toContain('<a href="/admin/links/twin" dir="ltr"><code>/twin</code></a>');
    expect(list.text).toContain('<bdi dir="ltr">go.example</bdi></td>');
    expect(list.text).toContain('<bdi dir="ltr">s.example</bdi></td>');
    expect(list.text).toMatch(
      /value="go\.example\/twin" id="domain-pick-1-twin" aria-label="Select go\.example\/twin"/,
    );
    expect(list.text).toMatch(/value="twin" id="pick-twin" aria-label="Select s\.example\/twin"/);
  });

  it('when snip has no BASE_URL, then the default domain is named as the host asked, and the filter offers the added domains', async () => {
    t = buildTestApp({ ADMIN_PASSWORD: PASSWORD });
    expect((await t.services.domains.add({ host: 'go.example' }, [])).ok).toBe(true);
    cookie = await signInAdmin(t.app, PASSWORD);
    await post('/admin/links', { url: 'https://a.example/', alias: 'here', domain: '' }).expect(
      303,
    );
    await post('/admin/links', { url: 'https://a.example/', alias: 'there', domain: 'go.example' });
    const list = await get('/admin').set('Host', 'localhost').expect(200);
    expect(list.text).toContain('<th scope="col">Domain</th>');
    expect(list.text).toContain('<bdi dir="ltr">localhost</bdi></td>');
    expect(list.text).toContain('<bdi dir="ltr">go.example</bdi></td>');
    const filter = /<select id="domain" name="domain">([\s\S]*?)<\/select>/.exec(list.text)![1]!;
    expect([...filter.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual([
      '',
      'go.example',
    ]);
  });

  it('when no domain was added, then the list has neither the column nor the filter', async () => {
    await setup(false);
    await post('/admin/links', { url: 'https://a.example/', alias: 'alone' }).expect(303);
    const list = await get('/admin').expect(200);
    expect(list.text).not.toContain('<th scope="col">Domain</th>');
    expect(list.text).not.toContain('id="domain"');
    expect(list.text).toMatch(/id="pick-alone" aria-label="Select \/alone"/);
  });

  it('when the list is filtered by a domain, then only its links are listed, and an unknown domain is a 404', async () => {
    await setup();
    await twins();
    await post('/admin/links', {
      url: 'https://a.example/',
      alias: 'only-go',
      domain: 'go.example',
    });
    const codesOf = (html: string) =>
      [...html.matchAll(/<a href="(\/admin\/links\/[^"]*)"[^>]*><code>/g)].map((m) => m[1]);
    const onGo = await get('/admin?domain=go.example').expect(200);
    expect(onGo.text).toMatch(/<option value="go\.example" selected>go\.example<\/option>/);
    expect(codesOf(onGo.text)).toEqual([
      '/admin/links/only-go?domain=go.example',
      '/admin/links/twin?domain=go.example',
    ]);
    const onDefault = await get('/admin?domain=s.example').expect(200);
    expect(codesOf(onDefault.text)).toEqual(['/admin/links/twin']);
    expect(codesOf((await get('/admin').expect(200)).text)).toHaveLength(3);
    await get('/admin?domain=nowhere.example').expect(404);
  });

  it('when the bulk form disables go.example/twin, then only that link is disabled, and back on the same filtered list', async () => {
    await setup();
    await twins();
    const res = await post('/admin/links/bulk', {
      action: 'disable',
      code: 'go.example/twin',
      list: '/admin?domain=go.example',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin?domain=go.example&done=bulk');
    expect(rowOn(1).disabled).toBe(1);
    expect(rowOn(null).disabled).toBe(0);
    await post('/admin/links/bulk', { action: 'delete', code: 'twin' }).expect(303);
    expect(rowOn(null).deleted).toBe(1);
    expect(rowOn(1).deleted).toBe(0);
  });

  it('when the bulk form names a code on an unknown domain or an alias, then 404 and nothing changes', async () => {
    await setup();
    await twins();
    const before = rows();
    for (const code of ['nowhere.example/twin', 'old-go.example/twin', 'go.example/absent']) {
      await post('/admin/links/bulk', { action: 'disable', code: ['twin', code] }).expect(404);
    }
    expect(rows()).toEqual(before);
  });
});

describe('reports about a link on an added domain', () => {
  it('when a visitor reports twin on go.example, then the report is about that link, and the reports page reaches and dismisses it on go.example', async () => {
    await setup();
    await twins();
    const onGo = (path: string) => request(t.app).get(path).set('Host', 'go.example');
    const form = await onGo('/report/twin').expect(200);
    expect(form.text).toContain('/twin');
    await request(t.app)
      .post('/report/twin')
      .set({ ...SAME_ORIGIN, Host: 'go.example' })
      .type('form')
      .send({ reason: 'phishing', details: 'on go' })
      .expect(200);
    const reported = t.db
      .prepare('SELECT u.domain_id AS domainId FROM abuse_reports r JOIN urls u ON u.id = r.url_id')
      .all();
    expect(reported).toEqual([{ domainId: 1 }]);
    // A code only on go.example cannot be reported on the default domain.
    await post('/admin/links', {
      url: 'https://a.example/',
      alias: 'only-go',
      domain: 'go.example',
    });
    await request(t.app).get('/report/only-go').set('Host', 's.example').expect(404);

    const page = await get('/admin/reports').expect(200);
    expect(page.text).toContain(
      '<a href="/admin/links/twin?domain=go.example"><code>/twin</code></a>',
    );
    expect(page.text).toContain('href="/admin/links/twin?domain=go.example#ban-title"');
    expect(page.text).toContain('action="/admin/links/twin/dismiss?domain=go.example"');
    const linkPage = await get('/admin/links/twin?domain=go.example').expect(200);
    expect(linkPage.text).toContain('on go');
    const plain = await get('/admin/links/twin').expect(200);
    expect(plain.text).not.toContain('on go');
    await post('/admin/links/twin/dismiss?domain=go.example').expect(303);
    expect((await get('/admin/reports').expect(200)).text).toContain('No open reports.');
  });
});
