import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Express } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleApp, createRequestListener } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { createVisitCounter, type VisitCounter } from '../../src/stats/visit-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import { buildTestServices, createTestDatabase } from '../support/test-app.js';

// The redirect fast path must answer exactly as the Express route does. Two identical snips are
// built on two identical databases: one is the Express app alone, the other the fast path in
// front of the same kind of app. Every request below goes to both, and the answers (status,
// every header in order, body), the visits counted and the log lines must be the same.

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
/** Sent with every request, so both sides use the same id and pages match byte for byte. */
const REQUEST_ID = 'test-request-0001';

type Side = {
  name: string;
  app: Express;
  server: http.Server;
  port: number;
  db: Db;
  counter: VisitCounter;
  /** Requests the fast path handed to Express (always all of them on the Express side). */
  toExpress: string[];
  /** Log lines without their time and duration. */
  logLines: Record<string, unknown>[];
  clock: { now: number };
  /** Each link's management path on this side (tokens are random, so they differ). */
  managePaths: Map<string, string>;
};

type Answer = { status: number; headers: string[]; body: string };

type Req = {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
};

async function buildSide(
  name: 'express' | 'fast path',
  logLevel: 'info' | 'debug' = 'info',
  env: Record<string, string> = {},
): Promise<Side> {
  const db = createTestDatabase();
  const clock = { now: NOW };
  const now = () => clock.now;
  const counter = createVisitCounter({ visits: createVisitRepository(db), now });
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const fields = JSON.parse(line) as Record<string, unknown>;
        for (const varying of ['time', 'ms', 'pid', 'hostname']) delete fields[varying];
        logLines.push(fields);
      }
      done();
    },
  });
  const { app, redirectFastPath } = assembleApp(
    buildTestServices(
      loadConfig({ DATABASE_URL: 'sqlite::memory:', BASE_URL: 'https://snip.example', ...env }),
      db,
      {
        logger: pino({ level: logLevel }, sink),
        visitCounter: counter,
        now,
        generateCode: () => {
          throw new Error('every link in this test has an alias');
        },
      },
    ),
  );
  const toExpress: string[] = [];
  const server =
    name === 'express'
      ? http.createServer((req, res) => {
          toExpress.push(`${req.method} ${req.url}`);
          app(req, res);
        })
      : http.createServer(
          redirectFastPath((req, res) => {
            toExpress.push(`${req.method} ${req.url}`);
            app(req, res);
          }),
        );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    app,
    server,
    port,
    db,
    counter,
    toExpress,
    logLines,
    clock,
    managePaths: new Map(),
  };
}

function send(side: Side, req: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port: side.port,
        method: req.method ?? 'GET',
        path: req.path,
        agent: false,
        headers: { 'X-Request-Id': REQUEST_ID, ...req.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            // The date is the only header that may differ between two identical answers.
            if (res.rawHeaders[i]!.toLowerCase() === 'date') continue;
            headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({ status: res.statusCode ?? 0, headers, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

let express: Side;
let fast: Side;

/** Sends the request to both sides; both answers must be identical. Returns the fast path's. */
async function sendBoth(req: Req): Promise<Answer> {
  const [a, b] = [await send(express, req), await send(fast, req)];
  expect(b, `${req.method ?? 'GET'} ${req.path}`).toEqual(a);
  expect(fast.counter.pendingTotal()).toBe(express.counter.pendingTotal());
  return b;
}

const FORM_HEADERS = {
  'Content-Type': 'application/x-www-form-urlencoded',
  'Sec-Fetch-Site': 'same-origin',
};

/**
 * Creates a link through the form on each side. Its management token (in the 303 and the
 * cookie) is random, so the two answers are compared without it.
 */
async function createLink(alias: string, options: Record<string, string> = {}): Promise<void> {
  const body = new URLSearchParams({ url: `https://example.com/${alias}?q=1`, alias, ...options });
  for (const side of [express, fast]) {
    const res = await send(side, {
      method: 'POST',
      path: '/shorten',
      headers: FORM_HEADERS,
      body: body.toString(),
    });
    expect(res.status).toBe(303);
    const location = res.headers.find((h) => h.startsWith('Location: '))!;
    side.managePaths.set(alias, location.slice('Location: '.length).replace('?created=1', ''));
  }
  expect(fast.counter.pendingTotal()).toBe(express.counter.pendingTotal());
}

/** Posts a management action (`/disable`, `/enable`, `/delete`) for the link on both sides. */
async function manageBoth(alias: string, action: string): Promise<void> {
  for (const side of [express, fast]) {
    const path = `${side.managePaths.get(alias)!}${action}`;
    const res = await send(side, { method: 'POST', path, headers: FORM_HEADERS, body: '' });
    expect(res.status).toBe(303);
  }
}

function expectedVisits(side: Side) {
  side.counter.flush();
  return {
    links: side.db.prepare('SELECT code, visits, last_visit FROM urls ORDER BY code').all(),
    daily: side.db
      .prepare(
        'SELECT u.code, d.day, d.count FROM visits_daily d JOIN urls u ON u.id = d.url_id ORDER BY 1, 2',
      )
      .all(),
    referrers: side.db
      .prepare(
        'SELECT u.code, r.host, r.count FROM visits_referrers r JOIN urls u ON u.id = r.url_id ORDER BY 1, 2',
      )
      .all(),
  };
}

beforeEach(async () => {
  express = await buildSide('express');
  fast = await buildSide('fast path');
});

async function closeSides(): Promise<void> {
  for (const side of [express, fast]) {
    await new Promise((resolve) => side.server.close(resolve));
    side.db.close();
  }
}

afterEach(closeSides);

describe('the redirect fast path, side by side with the Express route', () => {
  it.each([302, 301, 307, 308])(
    'when an active %i link is followed, then the fast path answers it exactly as Express, without Express',
    async (status) => {
      const code = `r${status}`;
      await createLink(code, { redirect: String(status) });
      fast.toExpress.length = 0;
      const answer = await sendBoth({ path: `/${code}`, headers: { 'User-Agent': CHROME } });
      expect(answer.status).toBe(status);
      expect(answer.headers).toEqual([
        `X-Request-Id: ${REQUEST_ID}`,
        `Location: https://example.com/${code}?q=1`,
        'Cache-Control: private, max-age=0',
        'X-Robots-Tag: noindex',
        'Referrer-Policy: strict-origin-when-cross-origin',
        'Content-Length: 0',
        'Connection: close',
      ]);
      expect(answer.body).toBe('');
      expect(fast.toExpress).toEqual([]);
      expect(fast.counter.pendingTotal()).toBe(1);
      expect(expectedVisits(fast)).toEqual(expectedVisits(express));
    },
  );

  it('when a forwarding link is followed with a query string, then both add it to the target, with the same head, HEAD and counting', async () => {
    // The form's box ticked (as a browser sends it), and left unticked.
    await createLink('fwd', { forwardQuery: 'on', forwardQuery_shown: '1' });
    await createLink('nofwd', { forwardQuery_shown: '1' });
    fast.toExpress.length = 0;
    const headers = { 'User-Agent': CHROME };
    const answer = await sendBoth({ path: '/fwd?q=2&utm_source=a%20b', headers });
    expect(answer.status).toBe(302);
    expect(answer.headers).toEqual([
      `X-Request-Id: ${REQUEST_ID}`,
      'Location: https://example.com/fwd?q=1&q=2&utm_source=a%20b',
      'Cache-Control: private, max-age=0',
      'X-Robots-Tag: noindex',
      'Referrer-Policy: strict-origin-when-cross-origin',
      'Content-Length: 0',
      'Connection: close',
    ]);
    const head = await sendBoth({ method: 'HEAD', path: '/fwd?a=1', headers });
    expect(head.headers).toContain('Location: https://example.com/fwd?q=1&a=1');
    const bot = await sendBoth({ path: '/fwd?a=1', headers: { 'User-Agent': GOOGLEBOT } });
    expect(bot.headers).toContain('Location: https://example.com/fwd?q=1&a=1');
    // Without a query string, the answer is the one a link that does not forward gives.
    const plain = await sendBoth({ path: '/fwd', headers });
    const off = await sendBoth({ path: '/nofwd', headers });
    expect(plain.headers).toEqual(off.headers.map((h) => h.replace('/nofwd?q=1', '/fwd?q=1')));
    expect(plain.headers).toContain('Location: https://example.com/fwd?q=1');
    const notForwarded = await sendBoth({ path: '/nofwd?a=1', headers });
    expect(notForwarded.headers).toContain('Location: https://example.com/nofwd?q=1');
    // A percent-encoded code goes through Express and is answered alike.
    const viaExpress = await sendBoth({ path: '/%66wd?a=1', headers });
    expect(viaExpress.headers).toContain('Location: https://example.com/fwd?q=1&a=1');
    expect(fast.toExpress).toEqual(['GET /%66wd?a=1']);
    // Counted once per browser visit (HEAD and the bot are not), as for every redirect.
    expect(fast.counter.pendingTotal()).toBe(5);
    expect(expectedVisits(fast)).toEqual(expectedVisits(express));
  });

  it('when a crawlable link is followed, then both leave out X-Robots-Tag, first from the database and then from the cache', async () => {
    await createLink('crawl', { crawlable: 'on' });
    await createLink('hidden');
    fast.toExpress.length = 0;
    const headers = { 'User-Agent': CHROME };
    for (let visit = 0; visit < 2; visit += 1) {
      const crawl = await sendBoth({ path: '/crawl', headers });
      expect(crawl.status).toBe(302);
      expect(crawl.headers).toEqual([
        `X-Request-Id: ${REQUEST_ID}`,
        'Location: https://example.com/crawl?q=1',
        'Cache-Control: private, max-age=0',
        'Referrer-Policy: strict-origin-when-cross-origin',
        'Content-Length: 0',
        'Connection: close',
      ]);
      const hidden = await sendBoth({ path: '/hidden', headers });
      expect(hidden.headers).toContain('X-Robots-Tag: noindex');
      const bot = await sendBoth({ path: '/crawl', headers: { 'User-Agent': GOOGLEBOT } });
      expect(bot.headers).not.toContain('X-Robots-Tag: noindex');
    }
    expect(fast.toExpress).toEqual([]);
  });

  it('when a request carries no usable id, then each side makes a new one in the same form', async () => {
    await createLink('fresh-id');
    const ids = [];
    for (const side of [express, fast]) {
      const answer = await send(side, { path: '/fresh-id', headers: { 'X-Request-Id': 'short' } });
      expect(answer.status).toBe(302);
      ids.push(answer.headers.find((h) => h.startsWith('X-Request-Id: '))!.slice(14));
    }
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('when HEAD is sent, then the fast path answers the same head without a body or a visit', async () => {
    await createLink('head-me');
    fast.toExpress.length = 0;
    const answer = await sendBoth({
      method: 'HEAD',
      path: '/head-me',
      headers: { 'User-Agent': CHROME },
    });
    expect(answer.status).toBe(302);
    expect(answer.body).toBe('');
    expect(fast.toExpress).toEqual([]);
    expect(fast.counter.pendingTotal()).toBe(0);
  });

  it.each([
    ['a known bot', { 'User-Agent': GOOGLEBOT }],
    ['no user agent', {}],
    ['a prefetch', { 'User-Agent': CHROME, 'Sec-Purpose': 'prefetch;prerender' }],
    ['an old prefetch', { 'User-Agent': CHROME, Purpose: 'prefetch' }],
  ])(
    'when %s follows a link, then it is redirected and not counted, as by Express',
    async (_what, headers) => {
      await createLink('not-counted');
      fast.toExpress.length = 0;
      const answer = await sendBoth({ path: '/not-counted', headers });
      expect(answer.status).toBe(302);
      expect(fast.toExpress).toEqual([]);
      expect(fast.counter.pendingTotal()).toBe(0);
    },
  );

  it('when visitors come from other sites, from snip itself or with a query string, then the same referrer hosts are counted', async () => {
    await createLink('referred');
    fast.toExpress.length = 0;
    const requests: Req[] = [
      { path: '/referred', headers: { 'User-Agent': CHROME, Referer: 'https://News.example/a?b' } },
      { path: '/referred', headers: { 'User-Agent': CHROME, Referer: 'https://snip.example/' } },
      {
        path: '/referred',
        headers: { 'User-Agent': CHROME, Host: 'localhost:8080', Referer: 'http://localhost/x' },
      },
      { path: '/referred', headers: { 'User-Agent': CHROME, Referer: 'android-app://x' } },
      { path: '/referred?fbclid=abc', headers: { 'User-Agent': CHROME } },
    ];
    for (const req of requests) expect((await sendBoth(req)).status).toBe(302);
    expect(fast.toExpress).toEqual([]);
    const visits = expectedVisits(fast);
    expect(visits).toEqual(expectedVisits(express));
    expect(visits.referrers).toEqual([
      { code: 'referred', host: '', count: 4 },
      { code: 'referred', host: 'news.example', count: 1 },
    ]);
  });

  it('when TRUST_PROXY trusts the proxy, then a Referer from the forwarded host is snip itself on both paths', async () => {
    await closeSides();
    express = await buildSide('express', 'info', { TRUST_PROXY: 'true' });
    fast = await buildSide('fast path', 'info', { TRUST_PROXY: 'true' });
    await createLink('proxied');
    const headers = {
      'User-Agent': CHROME,
      // With BASE_URL, a host that is not snip's gets a bare 404; loopback names are snip's.
      'X-Forwarded-Host': 'localhost',
      Referer: 'https://localhost/page',
    };
    fast.toExpress.length = 0;
    expect((await sendBoth({ path: '/proxied', headers })).status).toBe(302);
    expect(fast.toExpress).toEqual([]);
    const visits = expectedVisits(fast);
    expect(visits).toEqual(expectedVisits(express));
    expect(visits.referrers).toEqual([{ code: 'proxied', host: '', count: 1 }]);
  });

  it('when a link expires by date, then the fast path hands it to Express, which answers 410', async () => {
    await createLink('dated', { expires_on: '2026-11-21' });
    expect((await sendBoth({ path: '/dated', headers: { 'User-Agent': CHROME } })).status).toBe(
      302,
    );
    express.clock.now = fast.clock.now = Date.UTC(2026, 10, 22);
    fast.toExpress.length = 0;
    const answer = await sendBoth({ path: '/dated', headers: { 'User-Agent': CHROME } });
    expect(answer.status).toBe(410);
    expect(answer.body).toContain('expired');
    expect(fast.toExpress).toEqual(['GET /dated']);
  });

  it('when a link reaches its visit limit with visits still in memory, then both answer 410 from then on', async () => {
    await createLink('limited', { max_visits: '3' });
    const follow = { path: '/limited', headers: { 'User-Agent': CHROME } };
    expect((await sendBoth(follow)).status).toBe(302);
    // One flush on each side: the limit must add the database's count and the one in memory.
    express.counter.flush();
    fast.counter.flush();
    expect((await sendBoth(follow)).status).toBe(302);
    expect((await sendBoth(follow)).status).toBe(302);
    expect(fast.counter.pendingTotal()).toBe(2);
    fast.toExpress.length = 0;
    const answer = await sendBoth(follow);
    expect(answer.status).toBe(410);
    expect(fast.toExpress).toEqual(['GET /limited']);
    expect(expectedVisits(fast)).toEqual(expectedVisits(express));
  });

  it('when a link is disabled, enabled again and deleted, then each state is answered as by Express', async () => {
    await createLink('managed');
    const follow = { path: '/managed', headers: { 'User-Agent': CHROME } };
    await manageBoth('managed', '/disable');
    const disabled = await sendBoth(follow);
    expect(disabled.status).toBe(410);
    expect(disabled.body).toContain('disabled');
    await manageBoth('managed', '/enable');
    expect((await sendBoth(follow)).status).toBe(302);
    await manageBoth('managed', '/delete');
    fast.toExpress.length = 0;
    const deleted = await sendBoth(follow);
    expect(deleted.status).toBe(410);
    expect(deleted.body).toContain('deleted');
    expect(fast.toExpress).toEqual(['GET /managed']);
  });

  it.each<[string, Req, number]>([
    ['an unknown code', { path: '/nope404' }, 404],
    ['a code longer than 64 characters', { path: `/${'a'.repeat(65)}` }, 404],
    ['a preview', { path: '/known+' }, 200],
    ['a percent-encoded code', { path: '/%6Bnown' }, 302],
    ['a trailing slash', { path: '/known/' }, 302],
    ['a query string on an unknown code', { path: '/nope404?x=1' }, 404],
    ['a POST to a code', { method: 'POST', path: '/known', body: '' }, 404],
    ['a PUT to a code', { method: 'PUT', path: '/known', body: '' }, 404],
    ['an absolute-form target', { path: 'http://snip.example/known' }, 302],
    ['the health check', { path: '/healthz' }, 200],
    ['the home page', { path: '/' }, 200],
  ])(
    'when the request is %s, then Express answers it on both sides',
    async (_what, req, status) => {
      await createLink('known');
      fast.toExpress.length = 0;
      const answer = await sendBoth({ ...req, headers: { 'User-Agent': CHROME } });
      expect(answer.status).toBe(status);
      expect(fast.toExpress).toEqual([`${req.method ?? 'GET'} ${req.path}`]);
      expect(expectedVisits(fast)).toEqual(expectedVisits(express));
    },
  );

  it('when the log level is debug, then the fast path logs its redirects with the same fields at debug', async () => {
    for (const side of [express, fast]) {
      await new Promise((resolve) => side.server.close(resolve));
      side.db.close();
    }
    express = await buildSide('express', 'debug');
    fast = await buildSide('fast path', 'debug');
    await createLink('logged');
    express.logLines.length = fast.logLines.length = 0;
    await sendBoth({ path: '/logged', headers: { 'User-Agent': CHROME } });
    await sendBoth({ method: 'HEAD', path: '/logged?utm=1' });
    await sendBoth({ path: '/logged+' });
    const asInfo = fast.logLines.map((line) => ({ ...line, level: 30 }));
    expect(asInfo).toEqual(express.logLines);
    expect(fast.logLines.map((line) => [line.level, line.method, line.path, line.status])).toEqual([
      [20, 'GET', '/logged', 302],
      [20, 'HEAD', '/logged', 302],
      [30, 'GET', '/logged+', 200],
    ]);
    expect(fast.logLines[0]).toMatchObject({ reqId: REQUEST_ID, msg: 'request' });
  });

  it('when the log level is info, then the fast path writes no line for a redirect and Express one for a page', async () => {
    await createLink('quiet');
    express.logLines.length = fast.logLines.length = 0;
    await sendBoth({ path: '/quiet', headers: { 'User-Agent': CHROME } });
    await sendBoth({ path: '/quiet+' });
    expect(express.logLines.map((line) => line.path)).toEqual(['/quiet', '/quiet+']);
    expect(fast.logLines.map((line) => line.path)).toEqual(['/quiet+']);
  });

  it('when the database fails, then the fast path hands the request to Express and its error page', async () => {
    await createLink('broken');
    express.db.close();
    fast.db.close();
    fast.toExpress.length = 0;
    const answer = await sendBoth({ path: '/broken', headers: { 'User-Agent': CHROME } });
    expect(answer.status).toBe(500);
    expect(answer.body).toContain(REQUEST_ID);
    expect(fast.toExpress).toEqual(['GET /broken']);
    // afterEach closes them again.
    express.db = createTestDatabase();
    fast.db = createTestDatabase();
  });
});

describe('createRequestListener', () => {
  it('when the server listens with it, then it redirects active links and serves pages', async () => {
    const db = createTestDatabase();
    const server = http.createServer(
      createRequestListener(buildTestServices(loadConfig({ DATABASE_URL: 'sqlite::memory:' }), db)),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const side = { port: (server.address() as AddressInfo).port } as Side;
    try {
      const created = await send(side, {
        method: 'POST',
        path: '/shorten',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Sec-Fetch-Site': 'same-origin',
        },
        body: 'url=https%3A%2F%2Fexample.com%2F&alias=listened',
      });
      expect(created.status).toBe(303);
      const followed = await send(side, { path: '/listened' });
      expect(followed.status).toBe(302);
      expect(followed.headers).toContain('Location: https://example.com/');
      expect((await send(side, { path: '/missing' })).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      db.close();
    }
  });
});
