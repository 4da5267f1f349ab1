import QRCode from 'qrcode';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildTestApp, createManagedLink, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => {
  t?.db.close();
  vi.restoreAllMocks();
});

describe('QR codes', () => {
  it('when the same QR code is asked for with changing query strings, then it is drawn once', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' });
    await createManagedLink(t.app);
    const draw = vi.spyOn(QRCode, 'toBuffer');
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await request(t.app).get(`/qr/qr-link.png?v=${i}`).expect(200);
      bodies.add((res.body as Buffer).toString('base64'));
    }
    expect(draw).toHaveBeenCalledTimes(1);
    expect(bodies.size).toBe(1);
  });

  it('when BASE_URL is set, then the image may be cached publicly and does not vary by host', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' });
    await createManagedLink(t.app);
    const res = await request(t.app).get('/qr/qr-link.svg').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers.vary ?? '').not.toMatch(/Host/);
  });

  it('when BASE_URL is unset, then the image depends on the Host header: private, and Vary: Host', async () => {
    t = buildTestApp();
    await createManagedLink(t.app);
    const one = await request(t.app).get('/qr/qr-link.svg').set('Host', 'one.example').expect(200);
    const two = await request(t.app).get('/qr/qr-link.svg').set('Host', 'two.example').expect(200);
    expect(one.headers['cache-control']).toBe('private, max-age=86400');
    expect(one.headers.vary).toMatch(/\bHost\b/);
    expect(String(one.body)).not.toBe(String(two.body));
  });

  it('when the Host header is kilobytes long, then the answer is a clean 400, never a 500 with a stack trace', async () => {
    t = buildTestApp();
    await createManagedLink(t.app);
    for (const path of ['/qr/qr-link.png', '/qr/qr-link.svg', '/', '/qr-link+']) {
      const res = await request(t.app)
        .get(path)
        .set('Host', `${'h'.repeat(2300)}.example`);
      expect(res.status, path).toBe(400);
      expect(res.text).toContain('The Host header is too long');
      expect(res.text).not.toMatch(/\n\s+at /);
    }
  });
});
