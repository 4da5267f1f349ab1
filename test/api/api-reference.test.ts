import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, signInAdmin, type TestApp } from '../support/test-app.js';

// GET /api/docs: the API reference, Swagger UI drawing /api/v1/openapi.json (ADR 038). Every
// file it loads comes from snip, and the page keeps the site's strict Content-Security-Policy.

let t: TestApp;
afterEach(() => t?.db.close());

const RENDERER_DIR = path.dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

/** The policy every page sends (src/http/security-headers.ts); the reference asks for nothing more. */
const SITE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join(';');

/** Every URL the page's markup loads: scripts, style sheets, the icon. */
function loadedUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

describe('GET /api/docs', () => {
  it('answers the page to anyone, with the site’s strict policy and nothing inline', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/api/docs').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(SITE_POLICY);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    // No inline script, no style element or attribute: all of it would be refused by the policy.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/<style\b/);
    expect(res.text).not.toMatch(/\sstyle=/);
    expect(res.text).toContain('data-document="/api/v1/openapi.json"');
    // Without JavaScript the page still says where the description is.
    expect(res.text).toContain('<a href="/api/v1/openapi.json">OpenAPI document</a>');
  });

  it('loads only files snip serves itself, each with its type and a year of caching', async () => {
    t = buildTestApp();
    const html = (await request(t.app).get('/api/docs').expect(200)).text;
    const urls = loadedUrls(html);
    expect(urls).toHaveLength(5);
    for (const url of urls) {
      // A path on this origin: no scheme, no protocol-relative `//host`.
      expect(url).toMatch(/^\/[^/]/);
      const res = await request(t.app).get(url).expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-security-policy']).toBe(SITE_POLICY);
    }
    const typeOf = async (pattern: RegExp) => {
      const url = urls.find((u) => pattern.test(u));
      expect(url, String(pattern)).toBeDefined();
      return (await request(t.app).get(url!)).headers['content-type'];
    };
    expect(await typeOf(/^\/api\/docs\/assets\/swagger-ui-bundle\.[0-9a-f]{10}\.js$/)).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(await typeOf(/^\/api\/docs\/assets\/swagger-ui\.[0-9a-f]{10}\.css$/)).toBe(
      'text/css; charset=utf-8',
    );
    expect(await typeOf(/^\/static\/api-reference\.[0-9a-f]{10}\.js$/)).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(await typeOf(/^\/static\/api-reference\.[0-9a-f]{10}\.css$/)).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('serves the renderer exactly as the npm package ships it, and none of its other files', async () => {
    t = buildTestApp();
    const html = (await request(t.app).get('/api/docs').expect(200)).text;
    const bundleUrl = loadedUrls(html).find((u) => u.includes('swagger-ui-bundle'))!;
    const bundle = await request(t.app)
      .get(bundleUrl)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(
      (bundle.body as Buffer).equals(
        fs.readFileSync(path.join(RENDERER_DIR, 'swagger-ui-bundle.js')),
      ),
    ).toBe(true);
    // Source maps, other bundles, the sample page, under the name they would be served by, and
    // the unhashed names: not served.
    const hashedUrl = (name: string) => {
      const hash = createHash('sha256')
        .update(fs.readFileSync(path.join(RENDERER_DIR, name)))
        .digest('hex')
        .slice(0, 10);
      const ext = path.extname(name);
      return `/api/docs/assets/${path.basename(name, ext)}.${hash}${ext}`;
    };
    expect(hashedUrl('swagger-ui-bundle.js')).toBe(bundleUrl);
    for (const other of [
      hashedUrl('swagger-ui-bundle.js.map'),
      hashedUrl('swagger-ui-es-bundle.js'),
      hashedUrl('index.html'),
      hashedUrl('swagger-initializer.js'),
      hashedUrl('package.json'),
      '/api/docs/assets/swagger-ui-bundle.js',
      '/api/docs/assets/swagger-ui.css',
    ]) {
      await request(t.app).get(other).expect(404);
    }
  });

  it('renders the document snip serves, which needs no key', async () => {
    t = buildTestApp({ CREATE_ACCESS: 'private', INITIAL_API_KEY: 'k'.repeat(40) });
    await request(t.app).get('/api/docs').expect(200);
    const doc = await request(t.app).get('/api/v1/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
  });
});

describe('links to the reference', () => {
  it('the admin’s API keys page links to it', async () => {
    const password = 'correct horse battery staple';
    t = buildTestApp({ ADMIN_PASSWORD: password });
    const cookie = await signInAdmin(t.app, password);
    const page = await request(t.app).get('/admin/keys').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<a href="/api/docs">API reference</a>');
  });
});
