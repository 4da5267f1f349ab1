import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t.db.close());

/** Creates a link through the form and answers the short link its result page prints. */
async function printedShortLink(headers: Record<string, string>): Promise<string> {
  const created = await request(t.app)
    .post('/shorten')
    .set({ ...SAME_ORIGIN, Host: 'snip.internal:8080', ...headers })
    .type('form')
    .send({ url: 'https://a.example/' })
    .expect(303);
  const page = await request(t.app)
    .get(created.headers.location!)
    .set({ Host: 'snip.internal:8080', ...headers })
    .expect(200);
  const code = t.lastCode()!;
  const match = new RegExp(`(https?://[^"<\\s]+)/${code}\\b`).exec(page.text);
  return match?.[1] ?? '';
}

const FORWARDED = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'snip.example' };

describe('the origin printed in short links', () => {
  it('when BASE_URL is set, then it wins over the Host header and any forwarded header', async () => {
    t = buildTestApp({ BASE_URL: 'https://s.example', TRUST_PROXY: 'true' });
    // A forwarded host that is not snip's would get a bare 404 (ADR 028); loopback names are.
    expect(await printedShortLink({ ...FORWARDED, 'X-Forwarded-Host': 'localhost' })).toBe(
      'https://s.example',
    );
  });

  it('when TRUST_PROXY trusts the proxy, then the forwarded protocol and host are used', async () => {
    t = buildTestApp({ TRUST_PROXY: 'loopback' });
    expect(await printedShortLink(FORWARDED)).toBe('https://snip.example');
  });

  it('when no proxy is trusted, then forwarded headers are ignored and the Host header is used', async () => {
    t = buildTestApp();
    expect(await printedShortLink(FORWARDED)).toBe('http://snip.internal:8080');
  });
});

describe('links back to snip under another host name', () => {
  it('when a short link was printed under host A, then a link to it cannot be made through host B: 422 on the API and the form, and nothing is stored', async () => {
    t = buildTestApp();
    const created = await request(t.app)
      .post('/api/v1/links')
      .set('Host', 'a.snip.test')
      .send({ url: 'https://example.com/', alias: 'printed' })
      .expect(201);
    expect((created.body as { shortUrl: string }).shortUrl).toBe('http://a.snip.test/printed');
    const before = t.countLinks();
    for (const url of ['https://a.snip.test/printed', 'http://A.SNIP.TEST./printed']) {
      const api = await request(t.app)
        .post('/api/v1/links')
        .set('Host', 'b.snip.test')
        .send({ url })
        .expect(422);
      expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
      const form = await request(t.app)
        .post('/shorten')
        .set({ ...SAME_ORIGIN, Host: 'b.snip.test' })
        .type('form')
        .send({ url })
        .expect(422);
      expect(form.text).toContain('Links to this site can');
    }
    expect(t.countLinks()).toBe(before);
    // A host snip never printed a link under is any other website.
    await request(t.app)
      .post('/api/v1/links')
      .set('Host', 'b.snip.test')
      .send({ url: 'https://c.snip.test/printed' })
      .expect(201);
  });
});
