import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from '../support/server-process.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

/**
 * Shlink's official JS SDK (the library shlink-web-client is built on) against a running snip:
 * the real client's requests, over HTTP, to the real server process. Each call asserts the data
 * it returns, not only that it did not throw.
 */
const KEY = 'snip_shlink-sdk-test-key-0123456789abcdefghijklmn';

/**
 * The part of the SDK these tests call. Its own type declarations re-export without file
 * extensions, which TypeScript's NodeNext resolution cannot follow, so the module is imported
 * at run time and typed here by what the SDK's documentation and source say it returns.
 */
type ShortUrl = {
  shortCode: string;
  shortUrl: string;
  domain: string | null;
  longUrl: string;
  tags: string[];
  title: string | null;
  forwardQuery: boolean;
  hasRedirectRules: boolean;
};
type RedirectRules = {
  defaultLongUrl: string;
  redirectRules: {
    longUrl: string;
    priority: number;
    conditions: { type: string; matchKey: string | null; matchValue: string | null }[];
  }[];
};
type DomainRedirects = {
  baseUrlRedirect: string | null;
  regular404Redirect: string | null;
  invalidShortUrlRedirect: string | null;
};
type Client = {
  createShortUrl(data: object): Promise<ShortUrl>;
  updateShortUrl(id: { shortCode: string; domain?: string }, data: object): Promise<ShortUrl>;
  getShortUrl(id: { shortCode: string; domain?: string }): Promise<ShortUrl>;
  listShortUrls(params: object): Promise<{ data: ShortUrl[] }>;
  listTags(): Promise<{ data: string[] }>;
  tagsStats(): Promise<{ data: { tag: string; shortUrlsCount: number }[] }>;
  listDomains(): Promise<{
    data: { domain: string; isDefault: boolean; redirects: DomainRedirects }[];
  }>;
  editDomainRedirects(
    data: { domain: string } & Partial<DomainRedirects>,
  ): Promise<DomainRedirects>;
  setShortUrlRedirectRules(
    id: { shortCode: string },
    data: { redirectRules: Omit<RedirectRules['redirectRules'][number], 'priority'>[] },
  ): Promise<RedirectRules>;
  getShortUrlRedirectRules(id: { shortCode: string }): Promise<RedirectRules>;
  getVisitsOverview(): Promise<Record<'nonOrphanVisits' | 'orphanVisits', VisitsSummary>>;
  getShortUrlVisits(
    id: { shortCode: string; domain?: string },
    params?: { page?: number; itemsPerPage?: number; startDate?: string; endDate?: string },
  ): Promise<{ data: Visit[]; pagination: { totalItems: number; pagesCount: number } }>;
};
type VisitsSummary = { total: number; nonBots: number; bots: number };
type Visit = {
  referer: string;
  date: string;
  userAgent: string;
  visitLocation: { countryCode: string } | null;
  potentialBot: boolean;
};
type Sdk = {
  ShlinkApiClient: new (http: unknown, server: { baseUrl: string; apiKey: string }) => Client;
};
type SdkNode = { NodeHttpClient: new () => unknown };

let proc: RunningProcess | undefined;
let client: Client;
let origin: string;

beforeAll(async () => {
  const file = path.join(createTempDir(), 'db', 'snip.sqlite3');
  createTestDatabase(file).close();
  const port = await findFreePort();
  origin = `http://127.0.0.1:${port}`;
  proc = startProcess('node', [path.resolve('dist/server.js')], {
    PORT: String(port),
    DATABASE_URL: `sqlite:${file}`,
    BASE_URL: origin,
    INITIAL_API_KEY: KEY,
  });
  await waitForHealthy(port, proc);
  const { ShlinkApiClient } = (await import('@shlinkio/shlink-js-sdk')) as unknown as Sdk;
  const { NodeHttpClient } = (await import('@shlinkio/shlink-js-sdk/node')) as unknown as SdkNode;
  client = new ShlinkApiClient(new NodeHttpClient(), { baseUrl: origin, apiKey: KEY });
});

/** A visit to a path on a host, as a browser sends it: the status and where it is sent. */
function visitOn(host: string, pathname: string): Promise<{ status: number; location?: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: pathname, headers: { Host: host } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      })
      .on('error', reject);
  });
}

afterAll(() => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

describe("Shlink's JS SDK against a running snip", () => {
  it('creates a short URL with tags and a title, edits it, and lists it by tag and by title', async () => {
    const created = await client.createShortUrl({
      longUrl: 'https://example.com/sdk',
      customSlug: 'sdk-link',
      tags: ['Launch', 'sdk'],
      title: 'From the SDK',
    });
    expect(created).toMatchObject({
      shortCode: 'sdk-link',
      shortUrl: `${origin}/sdk-link`,
      longUrl: 'https://example.com/sdk',
      tags: ['Launch', 'sdk'],
      title: 'From the SDK',
      forwardQuery: true,
      hasRedirectRules: false,
    });
    const updated = await client.updateShortUrl(
      { shortCode: 'sdk-link' },
      { tags: ['sdk', 'edited'], title: 'Edited' },
    );
    expect(updated).toMatchObject({ tags: ['sdk', 'edited'], title: 'Edited' });
    const byTag = await client.listShortUrls({ tags: ['EDITED'], tagsMode: 'any' });
    expect(byTag.data.map((s) => s.shortCode)).toEqual(['sdk-link']);
    const byTitle = await client.listShortUrls({ searchTerm: 'edited' });
    expect(byTitle.data.map((s) => s.shortCode)).toEqual(['sdk-link']);
    expect((await client.listTags()).data).toEqual(['edited', 'sdk']);
    const stats = await client.tagsStats();
    expect(stats.data.map((tag) => [tag.tag, tag.shortUrlsCount])).toEqual([
      ['edited', 1],
      ['sdk', 1],
    ]);
  });

  it('lists the domains', async () => {
    const domains = await client.listDomains();
    expect(domains.data).toContainEqual(
      expect.objectContaining({ domain: new URL(origin).host, isDefault: true }),
    );
  });

  it('creates a short URL on an added domain, reads it back with its domain, and edits the domain’s redirects', async () => {
    const added = await fetch(`${origin}/api/v1/domains`, {
      method: 'POST',
      headers: { 'X-Api-Key': KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ host: 'go.example' }),
    });
    expect(added.status).toBe(201);
    const created = await client.createShortUrl({
      longUrl: 'https://example.com/on-go',
      customSlug: 'sdk-domain',
      domain: 'go.example',
    });
    expect(created).toMatchObject({
      shortCode: 'sdk-domain',
      domain: 'go.example',
      shortUrl: 'http://go.example/sdk-domain',
    });
    const read = await client.getShortUrl({ shortCode: 'sdk-domain', domain: 'go.example' });
    expect(read).toMatchObject({ domain: 'go.example', longUrl: 'https://example.com/on-go' });
    // Not on the default domain.
    await expect(client.getShortUrl({ shortCode: 'sdk-domain' })).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/short-url-not-found',
    });
    expect(await visitOn('go.example', '/sdk-domain')).toEqual({
      status: 302,
      location: 'https://example.com/on-go',
    });

    const redirects = await client.editDomainRedirects({
      domain: 'go.example',
      baseUrlRedirect: 'https://example.com/home',
      regular404Redirect: 'https://example.com/404',
    });
    expect(redirects).toEqual({
      baseUrlRedirect: 'https://example.com/home',
      regular404Redirect: 'https://example.com/404',
      invalidShortUrlRedirect: 'https://example.com/404',
    });
    const domains = await client.listDomains();
    expect(domains.data).toContainEqual({
      domain: 'go.example',
      isDefault: false,
      redirects,
    });
    expect(await visitOn('go.example', '/')).toEqual({
      status: 302,
      location: 'https://example.com/home',
    });
  });

  it('sets redirect rules and reads them back, and the short URL follows them', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/app', customSlug: 'sdk-rules' });
    const set = await client.setShortUrlRedirectRules(
      { shortCode: 'sdk-rules' },
      {
        redirectRules: [
          {
            longUrl: 'https://apps.example/ios',
            conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }],
          },
          {
            longUrl: 'https://example.com/news',
            conditions: [{ type: 'query-param', matchKey: 'ref', matchValue: 'news' }],
          },
        ],
      },
    );
    expect(set.defaultLongUrl).toBe('https://example.com/app');
    expect(set.redirectRules.map((rule) => [rule.priority, rule.longUrl])).toEqual([
      [1, 'https://apps.example/ios'],
      [2, 'https://example.com/news'],
    ]);
    const read = await client.getShortUrlRedirectRules({ shortCode: 'sdk-rules' });
    expect(read).toEqual(set);
    expect((await client.getShortUrl({ shortCode: 'sdk-rules' })).hasRedirectRules).toBe(true);
    const visit = await fetch(`${origin}/sdk-rules?ref=news`, { redirect: 'manual' });
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe('https://example.com/news?ref=news');
  });

  it("reads the visits overview and a short URL's visits, built from snip's counts", async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/seen', customSlug: 'sdk-visits' });
    for (const referer of ['https://news.example/a', '']) {
      const visit = await fetch(`${origin}/sdk-visits`, {
        redirect: 'manual',
        headers: {
          'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
          ...(referer ? { Referer: referer } : {}),
        },
      });
      expect(visit.status).toBe(302);
    }
    // The server writes its counts once a second, what the visits say within five more (ADR 035).
    let visits = await client.getShortUrlVisits({ shortCode: 'sdk-visits' });
    const written = () => visits.data.some((visit) => visit.referer === 'news.example');
    for (let i = 0; i < 100 && !written(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      visits = await client.getShortUrlVisits({ shortCode: 'sdk-visits' });
    }
    const today = new Date().toISOString().slice(0, 10);
    expect(visits.pagination).toMatchObject({ totalItems: 2, pagesCount: 1 });
    expect(visits.data.map((v) => [v.date, v.referer, v.userAgent, v.potentialBot])).toEqual([
      [`${today}T00:00:00+00:00`, '', '', false],
      [`${today}T00:00:00+00:00`, 'news.example', '', false],
    ]);
    const overview = await client.getVisitsOverview();
    expect(overview.nonOrphanVisits.total).toBeGreaterThanOrEqual(2);
    expect(overview.nonOrphanVisits.nonBots).toBe(overview.nonOrphanVisits.total);
    expect(overview.nonOrphanVisits.bots).toBe(0);
    expect(overview.orphanVisits).toEqual({ total: 0, nonBots: 0, bots: 0 });
  });
});
