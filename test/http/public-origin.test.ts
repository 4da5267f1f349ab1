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
    expect(await printedShortLink(FORWARDED)).toBe('https://s.example');
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
