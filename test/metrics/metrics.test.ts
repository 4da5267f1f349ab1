import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestListener } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createKeyService } from '../../src/keys/key-service.js';
import type { VisitCounter } from '../../src/stats/visit-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import { parsePrometheusText, type Scrape } from '../support/prometheus-text.js';
import { buildTestServices, createTempDir, createTestDatabase } from '../support/test-app.js';

// Each test runs snip as the server does: the redirect fast path in front of the Express app on
// a real loopback port, one metrics object shared with the visit counter the server flushes,
// and scrapes /metrics through it with the bearer token.

const TOKEN = 'metrics-token-for-tests-0123456789';
const NOW = Date.UTC(2026, 10, 29, 12);
const DAY = 86_400_000;
/** isbot counts undici's own `node` agent as a bot, whose visits are not counted. */
const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const FORM = {
  'Content-Type': 'application/x-www-form-urlencoded',
  'Sec-Fetch-Site': 'same-origin',
};

type Snip = {
  base: string;
  db: Db;
  clock: { now: number };
  visitCounter: VisitCounter;
  send(path: string, init?: RequestInit): Promise<Response>;
  shorten(fields: Record<string, string>): Promise<Response>;
  scrape(): Promise<Scrape>;
};

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

async function startSnip(env: Record<string, string> = {}, db = createTestDatabase()) {
  const config = loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    RATE_LIMITS: 'off',
    METRICS_TOKEN: TOKEN,
    ...env,
  });
  const clock = { now: NOW };
  const now = () => clock.now;
  // The visit counter the server flushes: measured by the metrics, as the server measures it.
  const services = buildTestServices(config, db, { now });
  const { visitCounter } = services;
  const listener = createRequestListener(services);
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  running.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    db.close();
  });
  const send = (p: string, init: RequestInit = {}) =>
    fetch(base + p, {
      redirect: 'manual',
      ...init,
      headers: { 'User-Agent': BROWSER, ...(init.headers as Record<string, string>) },
    });
  const snip: Snip = {
    base,
    db,
    clock,
    visitCounter,
    send,
    shorten: (fields) =>
      send('/shorten', { method: 'POST', headers: FORM, body: new URLSearchParams(fields) }),
    async scrape() {
      const res = await send('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      return parsePrometheusText(await res.text());
    },
  };
  return snip;
}

/** Creates a link through the form and returns its management path. */
async function createLink(snip: Snip, fields: Record<string, string>): Promise<string> {
  const res = await snip.shorten(fields);
  expect(res.status).toBe(303);
  return res.headers.get('location')!.replace('?created=1', '');
}

const requests = (scrape: Scrape, route: string, method: string, status: number) =>
  scrape.get('snip_http_requests_total', { route, method, status: String(status) }) ?? 0;

describe('request and redirect counts', () => {
  it('when pages, 404s and redirects are answered, by the fast path or by Express, then each is counted once under a bounded route name', async () => {
    const snip = await startSnip();
    const manage = await createLink(snip, { url: 'https://a.example/', alias: 'follow' });
    await createLink(snip, { url: 'https://b.example/', alias: 'permanent', redirect: '301' });
    const before = await snip.scrape();

    const statuses = [
      (await snip.send('/follow')).status, // the fast path
      (await snip.send('/follow', { method: 'HEAD' })).status, // the fast path
      (await snip.send('/follow?utm=x')).status, // the fast path
      (await snip.send('/%66ollow')).status, // percent-encoded: the Express route
      (await snip.send('/permanent')).status,
      (await snip.send('/')).status,
      (await snip.send('/no-such-link')).status,
      (await snip.send('/no-such-link+')).status,
      (await snip.send(manage)).status,
      (await snip.send('/manage/not-a-real-token-at-all')).status,
      (await snip.send('/follow+')).status,
    ];
    expect(statuses).toEqual([302, 302, 302, 302, 301, 200, 404, 404, 200, 404, 200]);
    const after = await snip.scrape();
    const moved = (route: string, method: string, status: number) =>
      requests(after, route, method, status) - requests(before, route, method, status);

    expect(after.get('snip_redirects_total', { status: '302' })).toBe(4);
    expect(after.get('snip_redirects_total', { status: '301' })).toBe(1);
    expect(after.get('snip_redirects_total', { status: '307' })).toBe(0);
    expect(moved('redirect', 'GET', 302)).toBe(3);
    expect(moved('redirect', 'HEAD', 302)).toBe(1);
    expect(moved('redirect', 'GET', 301)).toBe(1);
    expect(moved('/', 'GET', 200)).toBe(1);
    expect(moved('not_found', 'GET', 404)).toBe(3);
    expect(moved('/manage/:token', 'GET', 200)).toBe(1);
    expect(moved('/:code', 'GET', 200)).toBe(1); // the preview
    expect(requests(after, '/shorten', 'POST', 303)).toBe(2);
    // The scrape before counts itself once it is answered.
    expect(requests(after, '/metrics', 'GET', 200)).toBe(1);
    // Express's answers are timed; redirects are not.
    const timed = (scrape: Scrape, route: string) =>
      scrape.get('snip_http_request_duration_seconds_count', { route }) ?? 0;
    expect(timed(after, '/') - timed(before, '/')).toBe(1);
    expect(timed(after, 'not_found') - timed(before, 'not_found')).toBe(3);
    expect(timed(after, 'redirect')).toBe(0);

    // No label holds a code, a path or a management token.
    const token = manage.split('/').pop()!;
    const values = after.samples.flatMap((s) => Object.values(s.labels));
    for (const secret of [token, 'follow', 'no-such-link', 'not-a-real-token']) {
      expect(values.filter((v) => v.includes(secret))).toEqual([]);
    }
    const routes = new Set(
      after.samples.filter((s) => s.name === 'snip_http_requests_total').map((s) => s.labels.route),
    );
    expect([...routes].sort()).toEqual([
      '/',
      '/:code',
      '/manage/:token',
      '/metrics',
      '/shorten',
      'not_found',
      'redirect',
    ]);
  });

  it('when the API and static files answer, then their routes are named by pattern and mount', async () => {
    const snip = await startSnip();
    const key = (await createKeyService({
      keys: createKeyRepository(snip.db),
      now: () => NOW,
    }).createKey({
      name: 'ci',
      scope: 'full',
      expiresAt: null,
    }))!;
    const auth = { Authorization: `Bearer ${key}` };
    const created = await snip.send('/api/v1/links', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'https://c.example/', alias: 'from-api' }),
    });
    expect(created.status).toBe(201);
    expect((await snip.send('/api/v1/links/from-api', { headers: auth })).status).toBe(200);
    // Refused by the route itself, and by the key check before any route.
    expect((await snip.send('/api/v1/links/from-api')).status).toBe(401);
    const wrongKey = { Authorization: 'Bearer snip_not-a-key' };
    expect((await snip.send('/api/v1/links/from-api', { headers: wrongKey })).status).toBe(401);
    const home = await (await snip.send('/')).text();
    const stylesheet = /href="(\/static\/[^"]+\.css)"/.exec(home)![1]!;
    expect((await snip.send(stylesheet)).status).toBe(200);

    const after = await snip.scrape();
    expect(requests(after, '/api/v1/links', 'POST', 201)).toBe(1);
    expect(requests(after, '/api/v1/links/:code', 'GET', 200)).toBe(1);
    expect(requests(after, '/api/v1/links/:code', 'GET', 401)).toBe(1);
    // No route was reached: named by the API's mount.
    expect(requests(after, '/api/v1', 'GET', 401)).toBe(1);
    expect(requests(after, '/static', 'GET', 200)).toBe(1);
  });
});

describe('route names of errors', () => {
  it('when a route under a prefix ends in an error page (a 404 of its own, a 409, a 401), then it is still named by its whole pattern, and unknown addresses share one name', async () => {
    const password = 'correct horse battery staple';
    const snip = await startSnip({ ADMIN_PASSWORD: password });
    const signIn = await snip.send('/admin/sign-in', {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ password }),
    });
    expect(signIn.status).toBe(303);
    const admin = { Cookie: signIn.headers.get('set-cookie')!.split(';')[0]! };
    await createLink(snip, { url: 'https://a.example/', alias: 'known' });
    const statuses = [
      (await snip.send('/admin/links/known', { headers: admin })).status,
      (await snip.send('/admin/links/unknown', { headers: admin })).status,
      (await snip.send('/admin/backup', { headers: admin })).status, // :memory: has no file
      (
        await snip.send('/admin/links/unknown/ban', {
          method: 'POST',
          headers: { ...FORM, ...admin },
        })
      ).status,
      (await snip.send('/admin/no-such-page', { headers: admin })).status,
      (await snip.send('/api/v1/links/known')).status,
      (await snip.send('/rest/v3/short-urls/known')).status,
      (await snip.send('/no/such/page')).status,
      (await snip.send('/another/unknown/page')).status,
    ];
    expect(statuses).toEqual([200, 404, 409, 404, 404, 401, 401, 404, 404]);
    const scrape = await snip.scrape();
    const routes = scrape.samples
      .filter((s) => s.name === 'snip_http_requests_total' && s.labels.route !== '/metrics')
      .map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status}`)
      .sort();
    expect(routes).toEqual(
      [
        'GET /admin/links/:code 200',
        'GET /admin/links/:code 404',
        'GET /admin/backup 409',
        'POST /admin/links/:code/ban 404',
        'GET not_found 404',
        'GET /api/v1/links/:code 401',
        'GET /rest/v3/short-urls/:shortCode 401',
        'POST /admin/sign-in 303',
        'POST /shorten 303',
      ].sort(),
    );
  });
});

describe('links by state', () => {
  const STATES = ['active', 'expired', 'disabled', 'banned', 'deleted'];
  it('when links are active, expired, disabled, banned and deleted, then snip_links counts each state at scrape time', async () => {
    const snip = await startSnip();
    expect((await snip.scrape()).get('snip_links', { state: 'active' })).toBe(0);

    await createLink(snip, { url: 'https://a.example/', alias: 'stays' });
    await createLink(snip, { url: 'https://a.example/', alias: 'once', max_visits: '1' });
    await createLink(snip, { url: 'https://a.example/', alias: 'today', expires_on: '2026-11-29' });
    const off = await createLink(snip, { url: 'https://a.example/', alias: 'off' });
    const gone = await createLink(snip, { url: 'https://a.example/', alias: 'gone' });
    await createLink(snip, { url: 'https://a.example/', alias: 'phish' });
    expect((await snip.send(`${off}/disable`, { method: 'POST', headers: FORM })).status).toBe(303);
    expect((await snip.send(`${gone}/delete`, { method: 'POST', headers: FORM })).status).toBe(303);
    const links = createLinkRepository(snip.db);
    links.setBanned(links.findLink('phish')!.id, { reason: 'phishing' }, NOW);
    const now = await snip.scrape();
    expect(STATES.map((state) => now.get('snip_links', { state }))).toEqual([3, 0, 1, 1, 1]);

    // The visit limit is reached once the visit is written; the date passes at midnight.
    expect((await snip.send('/once')).status).toBe(302);
    snip.visitCounter.flush();
    snip.clock.now = NOW + DAY;
    const later = await snip.scrape();
    expect(STATES.map((state) => later.get('snip_links', { state }))).toEqual([1, 2, 1, 1, 1]);
  });
});

describe('visit flushes', () => {
  it('when visits wait and are then flushed, then the lag grows until the flush and the batch size is observed', async () => {
    const snip = await startSnip();
    await createLink(snip, { url: 'https://a.example/', alias: 'counted' });
    const idle = await snip.scrape();
    expect(idle.get('snip_visit_flush_lag_seconds')).toBe(0);
    expect(idle.get('snip_visit_flush_batch_size_count')).toBe(0);

    for (let i = 0; i < 3; i++) expect((await snip.send('/counted')).status).toBe(302);
    // A bot's visit is answered but not counted: redirects move, the batch does not.
    const bot = { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' };
    expect((await snip.send('/counted', { headers: bot })).status).toBe(302);
    snip.clock.now += 4_500;
    const waiting = await snip.scrape();
    expect(waiting.get('snip_visit_flush_lag_seconds')).toBe(4.5);
    expect(waiting.get('snip_redirects_total', { status: '302' })).toBe(4);

    expect(snip.visitCounter.flush()).toBe(3);
    expect(snip.visitCounter.flush()).toBe(0);
    snip.clock.now += 1_000;
    const flushed = await snip.scrape();
    expect(flushed.get('snip_visit_flush_lag_seconds')).toBe(0);
    expect(flushed.get('snip_visit_flush_batch_size_count')).toBe(1);
    expect(flushed.get('snip_visit_flush_batch_size_sum')).toBe(3);
    expect(flushed.get('snip_visit_flush_batch_size_bucket', { le: '1' })).toBe(0);
    expect(flushed.get('snip_visit_flush_batch_size_bucket', { le: '10' })).toBe(1);
    expect(flushed.get('snip_visit_flush_failures_total')).toBe(0);
  });
});

describe('visit flushes into the visit log', () => {
  it('when the server asks a measured flush to log its visits, then they go to the visit log and are observed', async () => {
    const snip = await startSnip();
    await createLink(snip, { url: 'https://a.example/', alias: 'logged' });
    for (let i = 0; i < 2; i++) expect((await snip.send('/logged')).status).toBe(302);
    const rows = () =>
      (snip.db.prepare('SELECT COUNT(*) AS n FROM visit_log').get() as { n: number }).n;
    expect(snip.visitCounter.flush(Number.POSITIVE_INFINITY, 0, true)).toBe(2);
    expect(rows()).toBe(1);
    expect((await snip.scrape()).get('snip_visit_flush_batch_size_sum')).toBe(2);
  });

  it("the visit log's backlog is on /metrics: its rows and the age of the oldest, 0 once folded", async () => {
    const snip = await startSnip();
    const empty = await snip.scrape();
    expect(empty.get('snip_visit_log_rows')).toBe(0);
    expect(empty.get('snip_visit_log_oldest_seconds')).toBe(0);
    for (const alias of ['first', 'second']) {
      await createLink(snip, { url: 'https://a.example/', alias });
      expect((await snip.send(`/${alias}`)).status).toBe(302);
    }
    snip.visitCounter.flush(Number.POSITIVE_INFINITY, 0, true);
    snip.clock.now += 12_500;
    const waiting = await snip.scrape();
    expect(waiting.get('snip_visit_log_rows')).toBe(2);
    expect(waiting.get('snip_visit_log_oldest_seconds')).toBe(12.5);
    createVisitRepository(snip.db).log.foldAll();
    const folded = await snip.scrape();
    expect(folded.get('snip_visit_log_rows')).toBe(0);
    expect(folded.get('snip_visit_log_oldest_seconds')).toBe(0);
  });

  it('when a measured flush into the log is given a visit budget, then it stops there as an unmeasured one does', async () => {
    const snip = await startSnip();
    for (const alias of ['first', 'second']) {
      await createLink(snip, { url: 'https://a.example/', alias });
      for (let i = 0; i < 3; i++) expect((await snip.send(`/${alias}`)).status).toBe(302);
    }
    // After the first link's three visits the budget of two is spent: the second waits.
    expect(snip.visitCounter.flush(Number.POSITIVE_INFINITY, 0, true, 2)).toBe(3);
    expect(snip.visitCounter.flush(Number.POSITIVE_INFINITY, 0, true, 2)).toBe(3);
    expect((await snip.scrape()).get('snip_visit_flush_batch_size_count')).toBe(2);
  });
});

describe('rate-limit refusals', () => {
  it('when clients go over the create and not-found limits, then each refusal is counted under its limit', async () => {
    const snip = await startSnip({
      RATE_LIMITS: 'on',
      RATE_LIMIT_CREATE: '1/h',
      RATE_LIMIT_NOT_FOUND: '2/min',
    });
    const start = await snip.scrape();
    for (const limit of ['create', 'notFound', 'manage', 'api']) {
      expect(start.get('snip_rate_limited_total', { limit }), limit).toBe(0);
    }
    await createLink(snip, { url: 'https://a.example/' });
    expect((await snip.shorten({ url: 'https://a.example/' })).status).toBe(429);
    const unknown = [];
    for (let i = 0; i < 4; i++) unknown.push((await snip.send(`/unknown${i}`)).status);
    expect(unknown).toEqual([404, 404, 429, 429]);
    // Redirects of existing links are never limited.
    const after = await snip.scrape();
    expect(after.get('snip_rate_limited_total', { limit: 'create' })).toBe(1);
    expect(after.get('snip_rate_limited_total', { limit: 'notFound' })).toBe(2);
    expect(after.get('snip_rate_limited_total', { limit: 'manage' })).toBe(0);
    expect(requests(after, 'not_found', 'GET', 429)).toBe(2);
    expect(requests(after, '/shorten', 'POST', 429)).toBe(1);
  });
});

describe('storage refusals', () => {
  /** A file database whose write lock another connection can hold, as in test/db/busy-database. */
  function lockableDatabase() {
    const file = path.join(createTempDir(), 'metrics.sqlite3');
    createTestDatabase(file).close();
    const db = openDatabase(file);
    db.pragma('busy_timeout = 150');
    const locker = openDatabase(file);
    running.push(async () => {
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
    });
    return { file, db, locker };
  }

  it('when a lock is held past busy_timeout, then the 503s of the form, the API and the compatible APIs and the failed flush are counted as SQLITE_BUSY', async () => {
    const { file, db, locker } = lockableDatabase();
    const snip = await startSnip({ DATABASE_URL: `sqlite:${file}` }, db);
    const key = (await createKeyService({
      keys: createKeyRepository(db),
      now: () => NOW,
    }).createKey({
      name: 'ci',
      scope: 'full',
      expiresAt: null,
    }))!;
    await createLink(snip, { url: 'https://a.example/', alias: 'visited' });
    expect((await snip.send('/visited')).status).toBe(302);
    const json = { 'Content-Type': 'application/json' };
    // The key's first use records it (a write that would wait for the lock below).
    const listed = await snip.send('/api/v1/links', {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(listed.status).toBe(200);

    locker.exec('BEGIN IMMEDIATE');
    expect(() => snip.visitCounter.flush()).toThrow(
      expect.objectContaining({ code: 'SQLITE_BUSY' }),
    );
    const answers = [
      await snip.shorten({ url: 'https://a.example/locked' }),
      await snip.send('/api/v1/links', {
        method: 'POST',
        headers: { ...json, Authorization: `Bearer ${key}` },
        body: JSON.stringify({ url: 'https://a.example/api' }),
      }),
      await snip.send('/rest/v3/short-urls', {
        method: 'POST',
        headers: { ...json, 'X-Api-Key': key },
        body: JSON.stringify({ longUrl: 'https://a.example/shlink' }),
      }),
      await snip.send('/api/v2/links', {
        method: 'POST',
        headers: { ...json, 'X-API-KEY': key },
        body: JSON.stringify({ target: 'https://a.example/kutt' }),
      }),
      await snip.send(
        `/yourls-api.php?signature=${key}&action=shorturl&format=json&url=https://a.example/yourls`,
      ),
    ];
    expect(answers.map((res) => res.status)).toEqual([503, 503, 503, 503, 503]);
    const locked = await snip.scrape();
    locker.exec('ROLLBACK');

    expect(locked.get('snip_storage_unavailable_total', { code: 'SQLITE_BUSY' })).toBe(5);
    expect(locked.get('snip_storage_unavailable_total', { code: 'SQLITE_FULL' })).toBe(0);
    expect(locked.get('snip_visit_flush_failures_total')).toBe(1);
    expect(locked.get('snip_visit_flush_batch_size_count')).toBe(0);
    // The visit waits in memory, and the lag says so.
    snip.clock.now += 3_000;
    expect((await snip.scrape()).get('snip_visit_flush_lag_seconds')).toBe(3);

    expect(snip.visitCounter.flush()).toBe(1);
    const resumed = await snip.scrape();
    expect(resumed.get('snip_visit_flush_lag_seconds')).toBe(0);
    expect(resumed.get('snip_visit_flush_batch_size_count')).toBe(1);
  });

  it('when the database file is deleted, then the write gate refuses creations and each 503 is counted as DATABASE_FILE', async () => {
    const { file, db } = lockableDatabase();
    const snip = await startSnip({ DATABASE_URL: `sqlite:${file}` }, db);
    fs.rmSync(file);
    expect((await snip.shorten({ url: 'https://a.example/' })).status).toBe(503);
    const scrape = await snip.scrape();
    expect(scrape.get('snip_storage_unavailable_total', { code: 'DATABASE_FILE' })).toBe(1);
    expect(scrape.get('snip_storage_unavailable_total', { code: 'SQLITE_BUSY' })).toBe(0);
    expect(requests(scrape, '/shorten', 'POST', 503)).toBe(1);
  });
});
