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
  dateCreated: string;
  tags: string[];
  title: string | null;
  crawlable: boolean;
  forwardQuery: boolean;
  hasRedirectRules: boolean;
  meta: { validSince: string | null; validUntil: string | null; maxVisits: number | null };
  visitsSummary: VisitsSummary;
};
type Pagination = {
  currentPage: number;
  pagesCount: number;
  itemsPerPage: number;
  itemsInCurrentPage: number;
  totalItems: number;
};
type VisitsParams = {
  page?: number;
  itemsPerPage?: number;
  startDate?: string;
  endDate?: string;
  excludeBots?: boolean;
  domain?: string;
  type?: string;
};
type VisitsList = { data: Visit[]; pagination: Pagination };
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
  listShortUrls(params: object): Promise<{ data: ShortUrl[]; pagination: Pagination }>;
  deleteShortUrl(id: { shortCode: string; domain?: string }): Promise<void>;
  listTags(): Promise<{ data: string[] }>;
  tagsStats(): Promise<{
    data: { tag: string; shortUrlsCount: number; visitsSummary: VisitsSummary }[];
  }>;
  editTag(renaming: { oldName: string; newName: string }): Promise<unknown>;
  deleteTags(tags: string[]): Promise<unknown>;
  getTagVisits(tag: string, params?: VisitsParams): Promise<VisitsList>;
  getDomainVisits(domain: string, params?: VisitsParams): Promise<VisitsList>;
  getOrphanVisits(params?: VisitsParams): Promise<VisitsList>;
  getNonOrphanVisits(params?: VisitsParams): Promise<VisitsList>;
  health(): Promise<{ status: string; version: string }>;
  mercureInfo(): Promise<unknown>;
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
  visitedUrl?: string | null;
  type?: string;
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

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

/** A visit to a path on a host, as a browser sends it: the status and where it is sent. */
function visitOn(host: string, pathname: string): Promise<{ status: number; location?: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    http
      .get(
        { hostname, port, path: pathname, headers: { Host: host, 'User-Agent': FIREFOX } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        },
      )
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

/** A person's visit to a path of the default domain; the answer's status. */
async function browse(pathname: string): Promise<number> {
  const res = await fetch(`${origin}${pathname}`, {
    redirect: 'manual',
    headers: {
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
    },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Asks again every 100 ms (the server writes its counts once a second) until `done` holds. */
async function until<T>(ask: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await ask();
  for (let i = 0; i < 100 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await ask();
  }
  return value;
}

const codes = (list: { data: ShortUrl[] }) => list.data.map((shortUrl) => shortUrl.shortCode);

describe("Shlink's JS SDK: every method snip answers, one by one", () => {
  /**
   * Three short URLs tagged `ord`: ord-a (visited once, its limit), ord-b (visited twice) and
   * ord-c (none; expires soon), each with its own long URL, title and tags.
   */
  beforeAll(async () => {
    await client.createShortUrl({
      longUrl: 'https://example.com/c',
      customSlug: 'ord-a',
      title: 'Banana',
      tags: ['ord', 'fruit'],
      maxVisits: 1,
    });
    await client.createShortUrl({
      longUrl: 'https://example.com/a',
      customSlug: 'ord-b',
      title: 'Apple',
      tags: ['ord', 'fruit', 'red'],
    });
    await client.createShortUrl({
      longUrl: 'https://example.com/b',
      customSlug: 'ord-c',
      tags: ['ord', 'red'],
      validUntil: new Date(Date.now() + 1500).toISOString(),
    });
    expect(await browse('/ord-a')).toBe(302);
    expect(await browse('/ord-b')).toBe(302);
    expect(await browse('/ord-b')).toBe(302);
    // Written to the database (the server flushes once a second), where the lists read them.
    await until(
      () => client.getTagVisits('ord'),
      (list) => list.pagination.totalItems === 3,
    );
  });

  it('listShortUrls sorts by every orderBy field, both ways', async () => {
    const sorted = async (field: string, dir: 'ASC' | 'DESC') =>
      codes(await client.listShortUrls({ tags: ['ord'], orderBy: { field, dir } }));
    expect(await sorted('shortCode', 'ASC')).toEqual(['ord-a', 'ord-b', 'ord-c']);
    expect(await sorted('shortCode', 'DESC')).toEqual(['ord-c', 'ord-b', 'ord-a']);
    expect(await sorted('longUrl', 'ASC')).toEqual(['ord-b', 'ord-c', 'ord-a']);
    // No title sorts as '' (Shlink's COALESCE): first going up.
    expect(await sorted('title', 'ASC')).toEqual(['ord-c', 'ord-b', 'ord-a']);
    expect(await sorted('title', 'DESC')).toEqual(['ord-a', 'ord-b', 'ord-c']);
    expect(await sorted('visits', 'DESC')).toEqual(['ord-b', 'ord-a', 'ord-c']);
    expect(await sorted('nonBotVisits', 'ASC')).toEqual(['ord-c', 'ord-a', 'ord-b']);
    expect(await sorted('dateCreated', 'ASC')).toEqual(['ord-a', 'ord-b', 'ord-c']);
    expect(await sorted('dateCreated', 'DESC')).toEqual(['ord-c', 'ord-b', 'ord-a']);
  });

  it('listShortUrls filters by searchTerm (code, long URL, title, tag names)', async () => {
    expect(codes(await client.listShortUrls({ searchTerm: 'APPLE' }))).toEqual(['ord-b']);
    expect(codes(await client.listShortUrls({ searchTerm: 'example.com/c' }))).toEqual(['ord-a']);
    // A tag's name, as Shlink searches it too.
    expect(
      codes(
        await client.listShortUrls({
          searchTerm: 'red',
          orderBy: { field: 'shortCode', dir: 'ASC' },
        }),
      ),
    ).toEqual(['ord-b', 'ord-c']);
  });

  it('listShortUrls filters by tags with tagsMode any and all', async () => {
    const list = (tags: string[], tagsMode: 'any' | 'all') =>
      client.listShortUrls({ tags, tagsMode, orderBy: { field: 'shortCode', dir: 'ASC' } });
    expect(codes(await list(['fruit', 'red'], 'any'))).toEqual(['ord-a', 'ord-b', 'ord-c']);
    expect(codes(await list(['fruit', 'red'], 'all'))).toEqual(['ord-b']);
  });

  it('listShortUrls filters by creation date with startDate and endDate', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const list = (params: object) => client.listShortUrls({ tags: ['ord'], ...params });
    expect((await list({ startDate: yesterday, endDate: tomorrow })).data).toHaveLength(3);
    expect((await list({ endDate: yesterday })).data).toEqual([]);
    expect((await list({ startDate: tomorrow })).data).toEqual([]);
  });

  it('listShortUrls leaves out short URLs at their visit limit or past validUntil', async () => {
    const list = (params: object) =>
      client.listShortUrls({
        tags: ['ord'],
        orderBy: { field: 'shortCode', dir: 'ASC' },
        ...params,
      });
    expect(codes(await list({ excludeMaxVisitsReached: true }))).toEqual(['ord-b', 'ord-c']);
    // ord-c's validUntil is 1.5 s after it was made.
    await until(
      () => list({ excludePastValidUntil: true }),
      (page) => page.data.length === 2,
    );
    expect(codes(await list({ excludePastValidUntil: true }))).toEqual(['ord-a', 'ord-b']);
    expect(codes(await list({}))).toEqual(['ord-a', 'ord-b', 'ord-c']);
  });

  it("listShortUrls filters by domain and pages with Shlink's pagination block", async () => {
    const onDefault = await client.listShortUrls({ tags: ['ord'], domain: 'DEFAULT' });
    expect(onDefault.data).toHaveLength(3);
    expect((await client.listShortUrls({ tags: ['ord'], domain: 'go.example' })).data).toEqual([]);
    const page = await client.listShortUrls({
      tags: ['ord'],
      itemsPerPage: 2,
      page: '2',
      orderBy: { field: 'shortCode', dir: 'ASC' },
    });
    expect(codes(page)).toEqual(['ord-c']);
    expect(page.pagination).toEqual({
      currentPage: 2,
      pagesCount: 2,
      itemsPerPage: 2,
      itemsInCurrentPage: 1,
      totalItems: 3,
    });
  });

  it('getShortUrl answers every field, the meta block and the visits summary', async () => {
    const read = await client.getShortUrl({ shortCode: 'ord-a' });
    expect(read).toMatchObject({
      shortCode: 'ord-a',
      shortUrl: `${origin}/ord-a`,
      longUrl: 'https://example.com/c',
      domain: null,
      title: 'Banana',
      tags: ['ord', 'fruit'],
      crawlable: false,
      forwardQuery: true,
      meta: { validSince: null, validUntil: null, maxVisits: 1 },
      visitsSummary: { total: 1, nonBots: 1, bots: 0 },
    });
    expect(read.dateCreated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
  });

  it('createShortUrl keeps tags, title, domain, maxVisits, validUntil and a shortCodeLength sent as a string', async () => {
    const created = await client.createShortUrl({
      longUrl: 'https://example.com/every-field',
      tags: ['made'],
      title: 'Every field',
      domain: 'go.example',
      maxVisits: 9,
      validUntil: '2031-01-02T03:04:05+00:00',
      // Shlink's web client sends the length as its form holds it.
      shortCodeLength: '9',
    });
    expect(created).toMatchObject({
      domain: 'go.example',
      tags: ['made'],
      title: 'Every field',
      meta: { validSince: null, validUntil: '2031-01-02T03:04:05+00:00', maxVisits: 9 },
      visitsSummary: { total: 0, nonBots: 0, bots: 0 },
    });
    expect(created.shortCode).toHaveLength(9);
    const read = await client.getShortUrl({ shortCode: created.shortCode, domain: 'go.example' });
    expect(read).toEqual(created);
  });

  it('updateShortUrl changes every field it is sent, and null clears one', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/before', customSlug: 'sdk-edit' });
    const edited = await client.updateShortUrl(
      { shortCode: 'sdk-edit' },
      {
        longUrl: 'https://example.com/after',
        tags: ['edited-here'],
        title: 'After',
        forwardQuery: false,
        maxVisits: 5,
        validUntil: '2031-06-01T00:00:00+00:00',
      },
    );
    expect(edited).toMatchObject({
      shortCode: 'sdk-edit',
      longUrl: 'https://example.com/after',
      tags: ['edited-here'],
      title: 'After',
      forwardQuery: false,
      meta: { validSince: null, validUntil: '2031-06-01T00:00:00+00:00', maxVisits: 5 },
    });
    expect(await client.getShortUrl({ shortCode: 'sdk-edit' })).toEqual(edited);
    const cleared = await client.updateShortUrl(
      { shortCode: 'sdk-edit' },
      { title: null, maxVisits: null, validUntil: null },
    );
    expect(cleared).toMatchObject({
      longUrl: 'https://example.com/after',
      tags: ['edited-here'],
      title: null,
      forwardQuery: false,
      meta: { validSince: null, validUntil: null, maxVisits: null },
    });
  });

  it('deleteShortUrl removes it: reading it again is short-url-not-found', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/gone', customSlug: 'sdk-gone' });
    await client.deleteShortUrl({ shortCode: 'sdk-gone' });
    await expect(client.getShortUrl({ shortCode: 'sdk-gone' })).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/short-url-not-found',
      status: 404,
    });
    expect(codes(await client.listShortUrls({ searchTerm: 'sdk-gone' }))).toEqual([]);
  });

  it('getTagVisits lists the visits of the short URLs with the tag; an unknown tag is tag-not-found', async () => {
    const fruit = await client.getTagVisits('fruit');
    expect(fruit.pagination.totalItems).toBe(3);
    expect(fruit.data).toHaveLength(3);
    expect(fruit.data[0]).toMatchObject({ potentialBot: false, userAgent: '', visitedUrl: null });
    expect((await client.getTagVisits('red')).pagination.totalItems).toBe(2);
    expect((await client.getTagVisits('fruit', { domain: 'go.example' })).data).toEqual([]);
    await expect(client.getTagVisits('no-such-tag')).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/tag-not-found',
      status: 404,
    });
  });

  it('getDomainVisits lists the visits of a domain’s short URLs; DEFAULT is the default domain', async () => {
    const added = await until(
      () => client.getDomainVisits('go.example'),
      (list) => list.pagination.totalItems === 1,
    );
    expect(added.data).toHaveLength(1);
    const overview = await client.getVisitsOverview();
    const onDefault = await client.getDomainVisits('DEFAULT', { itemsPerPage: 1 });
    expect(onDefault.pagination.totalItems).toBe(overview.nonOrphanVisits.total - 1);
    expect(onDefault.data).toHaveLength(1);
    await expect(client.getDomainVisits('nowhere.example')).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/domain-not-found',
      status: 404,
    });
  });

  it('getNonOrphanVisits lists every short URL’s visits, as many as the overview counts', async () => {
    const overview = await client.getVisitsOverview();
    const all = await client.getNonOrphanVisits();
    expect(all.pagination.totalItems).toBe(overview.nonOrphanVisits.total);
    expect(all.data).toHaveLength(overview.nonOrphanVisits.total);
    const page = await client.getNonOrphanVisits({ itemsPerPage: 2, page: 2, excludeBots: true });
    expect(page.pagination).toMatchObject({ currentPage: 2, itemsPerPage: 2 });
    expect(page.data).toHaveLength(2);
  });

  it('getVisitsOverview and getOrphanVisits count the requests for unknown short codes', async () => {
    expect(await browse('/no-such-code-1')).toBe(404);
    expect(await browse('/no-such-code-2')).toBe(404);
    const overview = await until(
      () => client.getVisitsOverview(),
      (o) => o.orphanVisits.total === 2,
    );
    expect(overview.orphanVisits).toEqual({ total: 2, nonBots: 2, bots: 0 });
    const orphans = await client.getOrphanVisits();
    expect(orphans.pagination.totalItems).toBe(2);
    const today = new Date().toISOString().slice(0, 10);
    expect(orphans.data).toEqual(
      Array.from({ length: 2 }, () => ({
        referer: '',
        date: `${today}T00:00:00+00:00`,
        userAgent: '',
        visitLocation: null,
        potentialBot: false,
        visitedUrl: null,
        redirectUrl: null,
        type: 'invalid_short_url',
      })),
    );
    expect((await client.getOrphanVisits({ type: 'invalid_short_url' })).data).toHaveLength(2);
    expect((await client.getOrphanVisits({ type: 'base_url' })).data).toEqual([]);
    expect((await client.getOrphanVisits({ domain: 'go.example' })).data).toEqual([]);
  });

  it('tagsStats answers each tag’s short URLs and visits summary', async () => {
    const stats = await client.tagsStats();
    expect(stats.data).toContainEqual(
      expect.objectContaining({
        tag: 'fruit',
        shortUrlsCount: 2,
        visitsSummary: { total: 3, nonBots: 3, bots: 0 },
      }),
    );
    expect(stats.data).toContainEqual(
      expect.objectContaining({
        tag: 'red',
        shortUrlsCount: 2,
        visitsSummary: { total: 2, nonBots: 2, bots: 0 },
      }),
    );
  });

  it('listTags lists every tag by name', async () => {
    const tags = (await client.listTags()).data;
    expect(tags).toEqual(expect.arrayContaining(['fruit', 'made', 'ord', 'red']));
    expect(tags).toEqual([...tags].sort());
  });

  it('editTag renames a tag on every short URL; to a tag that exists is tag-conflict', async () => {
    await client.editTag({ oldName: 'red', newName: 'Crimson' });
    expect((await client.getShortUrl({ shortCode: 'ord-b' })).tags).toEqual([
      'ord',
      'fruit',
      'Crimson',
    ]);
    expect(
      codes(
        await client.listShortUrls({
          tags: ['crimson'],
          orderBy: { field: 'shortCode', dir: 'ASC' },
        }),
      ),
    ).toEqual(['ord-b', 'ord-c']);
    expect((await client.listTags()).data).not.toContain('red');
    await expect(client.editTag({ oldName: 'Crimson', newName: 'fruit' })).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/tag-conflict',
      status: 409,
    });
    await expect(client.editTag({ oldName: 'no-such-tag', newName: 'x' })).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/tag-not-found',
      status: 404,
    });
  });

  it('deleteTags takes the tags off every short URL', async () => {
    await client.deleteTags(['crimson', 'made']);
    expect((await client.getShortUrl({ shortCode: 'ord-b' })).tags).toEqual(['ord', 'fruit']);
    const tags = (await client.listTags()).data;
    expect(tags).not.toContain('Crimson');
    expect(tags).not.toContain('made');
    expect(tags).toContain('fruit');
  });

  it('health answers pass and the version', async () => {
    expect(await client.health()).toEqual({
      status: 'pass',
      version: expect.any(String),
      links: expect.any(Object),
    });
  });

  it('mercureInfo answers that no Mercure hub is configured', async () => {
    await expect(client.mercureInfo()).rejects.toMatchObject({
      type: 'https://shlink.io/api/error/mercure-not-configured',
      status: 501,
    });
  });
});
