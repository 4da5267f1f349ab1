import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../support/prometheus-text.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const TOKEN = 'metrics-token-for-tests-0123456789';

let t: TestApp;
afterEach(() => t?.db.close());

describe('GET /metrics without METRICS_TOKEN', () => {
  it('when it is requested, with or without a token, then it is the 404 page like any unknown address', async () => {
    t = buildTestApp();
    for (const auth of [undefined, `Bearer ${TOKEN}`]) {
      const req = request(t.app).get('/metrics');
      if (auth) req.set('Authorization', auth);
      const res = await req.expect(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).not.toContain('snip_');
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { Authorization: 'Bearer metrics-token-for-tests-0123456788' }],
    ['the token with a character more', { Authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { Authorization: `Bearer ${TOKEN.slice(0, 16)}` }],
    ['the token without the Bearer scheme', { Authorization: TOKEN }],
    ['the token as Basic credentials', { Authorization: `Basic ${btoa(`user:${TOKEN}`)}` }],
    ['the token as an API key header', { 'X-Api-Key': TOKEN }],
    ['the token in a cookie', { Cookie: `token=${TOKEN}` }],
    ['an empty Bearer', { Authorization: 'Bearer ' }],
  ])(
    'when the scraper sends %s, then 401 with WWW-Authenticate: Bearer and no figures',
    async (_case, headers) => {
      t = buildTestApp({ METRICS_TOKEN: TOKEN });
      const res = await request(t.app).get('/metrics').set(headers).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer( |$)/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toContain('snip_');
    },
  );

  it('when the token is in the query string, then 401: only the Authorization header counts', async () => {
    t = buildTestApp({ METRICS_TOKEN: TOKEN });
    await request(t.app).get(`/metrics?token=${TOKEN}`).expect(401);
    await request(t.app).get(`/metrics?access_token=${TOKEN}`).expect(401);
  });

  it('when the right bearer token is sent, then 200 in Prometheus text format, not cached, with HELP and TYPE for every series', async () => {
    t = buildTestApp({ METRICS_TOKEN: TOKEN });
    // The scheme is case-insensitive (RFC 9110 §11.1).
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await request(t.app)
        .get('/metrics')
        .set('Authorization', `${scheme} ${TOKEN}`)
        .expect(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      const scrape = parsePrometheusText(res.text);
      const snip = [...scrape.families].filter(([name]) => name.startsWith('snip_'));
      expect(Object.fromEntries(snip.map(([name, { type }]) => [name, type]))).toEqual({
        snip_http_requests_total: 'counter',
        snip_http_request_duration_seconds: 'histogram',
        snip_redirects_total: 'counter',
        snip_links: 'gauge',
        snip_visit_flush_lag_seconds: 'gauge',
        snip_visit_flush_batch_size: 'histogram',
        snip_visit_flush_failures_total: 'counter',
        snip_visit_log_rows: 'gauge',
        snip_visit_log_oldest_seconds: 'gauge',
        snip_rate_limited_total: 'counter',
        snip_password_failures_total: 'counter',
        snip_storage_unavailable_total: 'counter',
      });
      for (const [, { help }] of snip) expect(help.length).toBeGreaterThan(20);
      // prom-client's process metrics, under their usual names.
      for (const name of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ]) {
        expect(scrape.families.has(name), name).toBe(true);
      }
    }
  });

  it('when scraped, then a HEAD gets the same head without a body and other methods are not answered', async () => {
    t = buildTestApp({ METRICS_TOKEN: TOKEN });
    const head = await request(t.app)
      .head('/metrics')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(head.text ?? '').toBe('');
    await request(t.app).post('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('when scrapes come often from one address, then none is rate-limited, and successful ones are logged at debug only', async () => {
    const lines: { level: number; path: string; status: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as (typeof lines)[number] & { msg: string };
          if (entry.msg === 'request') lines.push(entry);
        }
        done();
      },
    });
    t = buildTestApp(
      { METRICS_TOKEN: TOKEN, RATE_LIMITS: 'on', RATE_LIMIT_NOT_FOUND: '2/min' },
      { logger: pino({ level: 'debug' }, sink) },
    );
    for (let i = 0; i < 5; i++) {
      await request(t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    }
    await request(t.app).get('/metrics').expect(401);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l.path, l.status, l.level])).toEqual([
      ...Array(5).fill(['/metrics', 200, 20]),
      ['/metrics', 401, 30],
    ]);
  });
});
