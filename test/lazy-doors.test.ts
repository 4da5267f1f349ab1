import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp, createManagedLink } from './support/test-app.js';

/**
 * The doors src/app.ts loads on their first request (ADR 043): each app built here is new, so
 * its first request to a door goes through the load, and must be answered exactly as the next
 * one, which reaches the loaded door directly.
 */
const PASSWORD = 'correct horse battery staple admin';

type Answer = { status: number; type: string | undefined; body: string };

async function answerOf(app: Parameters<typeof request>[0], path: string, headers = {}) {
  const res = await request(app).get(path).set(headers);
  return {
    status: res.status,
    type: res.headers['content-type'] as string | undefined,
    // Per-request values (ids, supertest's port) aside, the answer is the same.
    body: (res.text ?? '')
      .replace(/127\.0\.0\.1:\d+/g, '<host>')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>'),
  } satisfies Answer;
}

describe('a door loaded on first use', () => {
  it.each([
    ['the admin', '/admin/sign-in', 200, /text\/html/],
    ['the admin, signed out', '/admin', 303, undefined],
    ['the Shlink API', '/rest/health', 200, /application\/health\+json/],
    ['the Shlink API without a key', '/rest/v3/short-urls', 401, /application\/problem\+json/],
    ['the Kutt API', '/api/v2/health', 200, /text\/plain|application\/json/],
    ['the YOURLS API', '/yourls-api.php?action=version&format=json', 200, /application\/json/],
    ['the API reference', '/api/docs', 200, /text\/html/],
  ])(
    'when %s gets its first request, then it answers as it does afterwards',
    async (_, path, status, type) => {
      const t = buildTestApp({ ADMIN_PASSWORD: PASSWORD });

      const first = await answerOf(t.app, path);
      const second = await answerOf(t.app, path);

      expect(first.status).toBe(status);
      if (type !== undefined) expect(first.type).toMatch(type);
      expect(first).toEqual(second);
    },
  );

  it('when a QR code is asked for first, then the library loads and draws it', async () => {
    // The image draws the short URL: with BASE_URL it does not change with supertest's port.
    const t = buildTestApp({ BASE_URL: 'https://s.example' });
    await createManagedLink(t.app, 'lazyqr');

    const first = await request(t.app).get('/qr/lazyqr.svg').expect(200);
    const second = await request(t.app).get('/qr/lazyqr.svg').expect(200);

    expect(first.headers['content-type']).toMatch(/^image\/svg\+xml/);
    const svg = String(first.body);
    expect(svg).toMatch(/^<svg /);
    expect(String(second.body)).toBe(svg);
  });

  it('when a page is asked for in a language not used yet, then its catalog is read and used', async () => {
    const t = buildTestApp();

    const first = await answerOf(t.app, '/', { 'Accept-Language': 'de' });
    const second = await answerOf(t.app, '/', { 'Accept-Language': 'de' });

    expect(first.status).toBe(200);
    expect(first.body).toMatch(/<html lang="de"/);
    expect(first.body).toContain('Kürzen');
    expect(first).toEqual(second);
  });

  it('when there is no ADMIN_PASSWORD, then /admin is an unknown page and nothing is loaded for it', async () => {
    const t = buildTestApp();

    await request(t.app).get('/admin/sign-in').expect(404);
  });
});
