import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, MANAGE_LOCATION, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

/**
 * The home form's domain select (ADR 031): offered only when links can be on several domains,
 * the default domain first; the link is made on the domain chosen, and its management page
 * prints, opens and draws it there.
 */
let t: TestApp;
afterEach(() => t?.db.close());

const BASE = 'https://s.example';

async function withDomains(env: Record<string, string> = { BASE_URL: BASE }) {
  t = buildTestApp(env);
  const add = async (host: string, aliasOf?: string) => {
    const added = await t.services.domains.add({ host, aliasOf }, []);
    expect(added.ok).toBe(true);
  };
  await add('go.example');
  await add('old-go.example', 'go.example');
}

function shorten(fields: Record<string, string | string[]>) {
  return request(t.app).post('/shorten').set(SAME_ORIGIN).type('form').send(fields);
}

const rows = () =>
  t.db.prepare('SELECT code, domain_id AS domainId, target FROM urls ORDER BY id').all();

/** The options of the domain select, as [value, text, selected]. */
function selectOptions(html: string): [string, string, boolean][] {
  const select = /<select id="domain" name="domain"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1];
  if (select === undefined) return [];
  return [...select.matchAll(/<option value="([^"]*)" (selected)?>([^<]*)<\/option>/g)].map((m) => [
    m[1]!,
    m[3]!,
    m[2] === 'selected',
  ]);
}

describe('the domain select of the home form', () => {
  it('when no domain was added, or only an alias of the default one, then the form has no select', async () => {
    t = buildTestApp({ BASE_URL: BASE });
    const plain = await request(t.app).get('/').expect(200);
    expect(plain.text).not.toContain('name="domain"');
    await t.services.domains.add({ host: 'old-s.example', aliasOf: 's.example' }, []);
    const aliased = await request(t.app).get('/').expect(200);
    expect(aliased.text).not.toContain('name="domain"');
  });

  it('when a domain was added, then a labelled select offers the default domain first and selected, then every domain that is no alias', async () => {
    await withDomains();
    const page = await request(t.app).get('/').expect(200);
    expect(page.text).toContain('<label for="domain">Domain</label>');
    expect(selectOptions(page.text)).toEqual([
      ['s.example', 's.example', false],
      ['go.example', 'go.example', false],
    ]);
    // No option is marked: the browser selects the first one, the default domain.
    expect(page.text).not.toContain('old-go.example');
  });

  it('when a link is made on go.example, then it is stored there and its management page prints, opens and draws it on go.example', async () => {
    await withDomains();
    const made = await shorten({
      url: 'https://target.example/go',
      alias: 'guide',
      domain: 'go.example',
    });
    expect(made.status).toBe(303);
    expect(made.headers.location).toMatch(MANAGE_LOCATION);
    const manage = await request(t.app).get(made.headers.location!).expect(200);
    expect(manage.text).toContain('value="https://go.example/guide"');
    expect(manage.text).toContain('<a href="https://go.example/guide">Open the short link');
    expect(manage.text).toContain('src="/qr/guide.svg?domain=go.example"');
    expect(manage.text).toContain('href="/qr/guide.png?domain=go.example&amp;download"');
    // The image the page shows draws the link on go.example, not a code of the default domain.
    const svg = await request(t.app).get('/qr/guide.svg?domain=go.example').expect(200);
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    await request(t.app).get('/qr/guide.svg').expect(404);
    await request(t.app).get('/qr/guide.svg?domain=nowhere.example').expect(404);
    // The home page's list of this browser's links prints it there too.
    const cookie = (made.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const home = await request(t.app).get('/').set('Cookie', cookie).expect(200);
    expect(home.text).toContain(
      '<a href="https://go.example/guide"><code>https://go.example/guide</code>',
    );
    // And go.example answers it.
    const visit = await request(t.app).get('/guide').set('Host', 'go.example');
    expect(visit.status).toBe(302);
    expect(visit.headers.location).toBe('https://target.example/go');
  });

  it('when the same alias is made on both domains, then they are two links, and a third time on one of them is 409', async () => {
    await withDomains();
    await shorten({ url: 'https://a.example/', alias: 'same', domain: 's.example' }).expect(303);
    await shorten({ url: 'https://b.example/', alias: 'same', domain: 'GO.example.' }).expect(303);
    const again = await shorten({ url: 'https://c.example/', alias: 'same', domain: 'go.example' });
    expect(again.status).toBe(409);
    expect(selectOptions(again.text)).toEqual([
      ['s.example', 's.example', false],
      ['go.example', 'go.example', true],
    ]);
    expect(rows()).toEqual([
      { code: 'same', domainId: null, target: 'https://a.example/' },
      { code: 'same', domainId: 1, target: 'https://b.example/' },
    ]);
  });

  it('when the form sends no domain, then the link is on the default domain, as before domains', async () => {
    await withDomains();
    await shorten({ url: 'https://a.example/', alias: 'plain' }).expect(303);
    expect(rows()).toEqual([{ code: 'plain', domainId: null, target: 'https://a.example/' }]);
  });

  it.each([
    ['an unknown domain', 'nowhere.example'],
    ['an alias', 'old-go.example'],
    ['a host that is no host', 'https://go.example/'],
    ['an empty value while BASE_URL names the default domain', ''],
    ['the field twice', ['go.example', 's.example']],
  ])(
    'when the form sends %s as the domain, then 422 with the message at the select, the form as sent, and nothing is stored',
    async (_case, domain) => {
      await withDomains();
      const res = await shorten({ url: 'https://a.example/kept', alias: 'kept', domain });
      expect(res.status).toBe(422);
      expect(res.text).toMatch(/<title>Error: /);
      expect(res.text).toMatch(
        /<select id="domain" name="domain" aria-describedby="domain-hint domain-error"\s+aria-invalid="true"\s+autofocus>/,
      );
      expect(res.text).toContain('id="domain-error"');
      expect(res.text).toContain('Choose one of the domains offered.');
      expect(res.text).toContain('value="https://a.example/kept"');
      expect(rows()).toEqual([]);
    },
  );

  it('when a domain is refused and another field too, then both messages are shown', async () => {
    await withDomains();
    const res = await shorten({
      url: 'https://a.example/',
      domain: 'nowhere.example',
      max_visits: 'x',
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="domain-error"');
    expect(res.text).toContain('id="max_visits-error"');
    expect(rows()).toEqual([]);
  });

  it('when snip has no BASE_URL, then the default domain is offered as the host asked, sent as an empty value', async () => {
    await withDomains({});
    const page = await request(t.app).get('/').set('Host', 'localhost').expect(200);
    expect(selectOptions(page.text)).toEqual([
      ['', 'localhost', false],
      ['go.example', 'go.example', false],
    ]);
    await shorten({ url: 'https://a.example/', alias: 'here', domain: '' }).expect(303);
    expect(rows()).toEqual([{ code: 'here', domainId: null, target: 'https://a.example/' }]);
  });

  it('when the management form of a link on go.example is saved, then that link changes and the same code on the default domain does not', async () => {
    await withDomains();
    await shorten({ url: 'https://a.example/', alias: 'twin', domain: 's.example' }).expect(303);
    const made = await shorten({ url: 'https://b.example/', alias: 'twin', domain: 'go.example' });
    const manage = made.headers.location!.replace('?created=1', '');
    const saved = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://b.example/changed', forwardQuery_shown: '1' });
    expect(saved.status).toBe(303);
    const page = await request(t.app).get(manage).expect(200);
    expect(page.text).toContain('value="https://go.example/twin"');
    expect(rows()).toEqual([
      { code: 'twin', domainId: null, target: 'https://a.example/' },
      { code: 'twin', domainId: 1, target: 'https://b.example/changed' },
    ]);
  });
});
