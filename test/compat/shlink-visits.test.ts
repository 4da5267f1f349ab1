import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import {
  DE,
  flushVisits,
  IPHONE,
  JP,
  LINUX_FIREFOX,
  US,
  visitFrom,
  WINDOWS_CHROME,
} from '../support/compat-visits.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Shlink's visit summaries and a short URL's visits from real visits: the overview
 * (`/visits`), each short URL's and tag's `visitsSummary`, and `/short-urls/{shortCode}/visits`
 * built from snip's daily aggregates (ADR 034), with Shlink's pagination and problems.
 */

const DAY = 86_400_000;
/** 2030-01-15 12:00 UTC. */
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);

let t: TestApp;
let key: string;
let clock = NOW;

beforeEach(async () => {
  clock = NOW;
  t = buildTestApp({ BASE_URL: ORIGIN, TRUST_PROXY: 'loopback' }, { now: () => clock });
  key = await createApiKey(t);
});
afterEach(() => t?.db.close());

const sdk = (path: string, apiKey: string | null = key) => {
  const req = request(t.app).get(`/rest/v3${path}`);
  return apiKey === null ? req : req.set('X-Api-Key', apiKey);
};

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `https://shlink.io/api/error/${code}`, status });
  return body;
}

async function shorten(slug: string, extra: Record<string, unknown> = {}) {
  await request(t.app)
    .post('/rest/v3/short-urls')
    .set('X-Api-Key', key)
    .send({ longUrl: 'https://t.example/', customSlug: slug, ...extra })
    .expect(200);
}

/** /launch: one visit two days ago, four today (one with DNT); /other: one visit today. */
async function launchWithVisits() {
  await shorten('launch', { tags: ['news'] });
  await shorten('other', { tags: ['news'] });
  clock = NOW - 2 * DAY;
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX);
  clock = NOW;
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX, { Referer: 'https://news.example/a' });
  await visitFrom(t, '/launch', DE, LINUX_FIREFOX);
  await visitFrom(t, '/launch', JP, IPHONE);
  await visitFrom(t, '/launch', US, WINDOWS_CHROME, { DNT: '1' });
  await visitFrom(t, '/other', US, WINDOWS_CHROME);
  await flushVisits(t);
}

const location = (countryCode: string, countryName: string) => ({
  countryCode,
  countryName,
  regionName: '',
  cityName: '',
  latitude: 0,
  longitude: 0,
  timezone: '',
  isEmpty: false,
});

/** A visit as snip builds it from the aggregates: the day, a country and a referring host. */
const visit = (day: string, referer: string, country: ReturnType<typeof location> | null) => ({
  referer,
  date: `${day}T00:00:00+00:00`,
  userAgent: '',
  visitLocation: country,
  potentialBot: false,
  visitedUrl: `${ORIGIN}/launch`,
  redirectUrl: null,
});

describe('Shlink: visit summaries', () => {
  it('answers the overview with every counted visit as a non-bot one, and the requests for unknown codes as orphan visits', async () => {
    await launchWithVisits();
    const res = await sdk('/visits').expect(200);
    expect(res.body).toEqual({
      visits: {
        nonOrphanVisits: { total: 6, nonBots: 6, bots: 0 },
        orphanVisits: { total: 0, nonBots: 0, bots: 0 },
        visitsCount: 6,
        orphanVisitsCount: 0,
      },
    });
    for (const code of ['nope1', 'nope2', 'nope3'])
      await request(t.app).get(`/${code}`).expect(404);
    await t.services.notFoundCounter.flush();
    expect((await sdk('/visits').expect(200)).body.visits.orphanVisits).toEqual({
      total: 3,
      nonBots: 3,
      bots: 0,
    });
    // A deleted short URL's visits are gone from the overview, as in Shlink.
    await request(t.app).delete('/rest/v3/short-urls/other').set('X-Api-Key', key).expect(204);
    expect((await sdk('/visits').expect(200)).body.visits.nonOrphanVisits).toEqual({
      total: 5,
      nonBots: 5,
      bots: 0,
    });
  });

  it("answers each short URL's and each tag's visitsSummary with the real counts", async () => {
    await launchWithVisits();
    const one = await sdk('/short-urls/launch').expect(200);
    expect(one.body).toMatchObject({
      visitsSummary: { total: 5, nonBots: 5, bots: 0 },
      visitsCount: 5,
    });
    const list = await sdk('/short-urls?orderBy=visits-DESC').expect(200);
    expect(
      list.body.shortUrls.data.map((s: { shortCode: string; visitsSummary: unknown }) => [
        s.shortCode,
        s.visitsSummary,
      ]),
    ).toEqual([
      ['launch', { total: 5, nonBots: 5, bots: 0 }],
      ['other', { total: 1, nonBots: 1, bots: 0 }],
    ]);
    const tags = await sdk('/tags/stats').expect(200);
    expect(tags.body.tags.data).toEqual([
      {
        tag: 'news',
        shortUrlsCount: 2,
        visitsSummary: { total: 6, nonBots: 6, bots: 0 },
        // Shlink 3's field, still read by clients written then.
        visitsCount: 6,
      },
    ]);
  });

  it('refuses the overview without a key, and with a create-only key', async () => {
    expectProblem(await sdk('/visits', null), 401, 'missing-authentication');
    const createOnly = await createApiKey(t, 'create-only');
    expectProblem(await sdk('/visits', createOnly), 403, 'forbidden-operation');
  });
});

describe('Shlink: GET /short-urls/{shortCode}/visits', () => {
  it('lists as many visits as were counted, newest day first, with the real countries and referrers of each day', async () => {
    await launchWithVisits();
    const res = await sdk('/short-urls/launch/visits').expect(200);
    const de = location('DE', 'Germany');
    expect(res.body).toEqual({
      visits: {
        data: [
          // Today: DE twice and JP once; direct twice and news.example once; the DNT visit
          // under neither. Which country goes with which referrer in a row is not known.
          visit('2030-01-15', '', de),
          visit('2030-01-15', '', de),
          visit('2030-01-15', 'news.example', location('JP', 'Japan')),
          visit('2030-01-15', '', null),
          visit('2030-01-13', '', de),
        ],
        pagination: {
          currentPage: 1,
          pagesCount: 1,
          itemsPerPage: 5,
          itemsInCurrentPage: 5,
          totalItems: 5,
        },
      },
    });
    // excludeBots changes nothing: snip counts no bot.
    expect((await sdk('/short-urls/launch/visits?excludeBots=true').expect(200)).body).toEqual(
      res.body,
    );
  });

  it('pages through the visits, and keeps to the days of startDate and endDate', async () => {
    await launchWithVisits();
    const page2 = await sdk('/short-urls/launch/visits?page=2&itemsPerPage=3').expect(200);
    expect(page2.body.visits.data.map((v: { date: string }) => v.date)).toEqual([
      '2030-01-15T00:00:00+00:00',
      '2030-01-13T00:00:00+00:00',
    ]);
    expect(page2.body.visits.pagination).toEqual({
      currentPage: 2,
      pagesCount: 2,
      itemsPerPage: 3,
      itemsInCurrentPage: 2,
      totalItems: 5,
    });
    const beyond = await sdk('/short-urls/launch/visits?page=9&itemsPerPage=3').expect(200);
    expect(beyond.body.visits).toMatchObject({
      data: [],
      pagination: { currentPage: 9, itemsInCurrentPage: 0, totalItems: 5 },
    });
    // The web client's range: its dates with an offset, read as UTC days.
    const today = await sdk(
      `/short-urls/launch/visits?startDate=${encodeURIComponent('2030-01-15T00:30:00+01:00')}&endDate=${encodeURIComponent('2030-01-15T23:59:59+01:00')}`,
    ).expect(200);
    expect(today.body.visits.pagination.totalItems).toBe(4);
    // A date-time without an offset is read as UTC.
    const local = await sdk('/short-urls/launch/visits?startDate=2030-01-14T23:30:00').expect(200);
    expect(local.body.visits.pagination.totalItems).toBe(4);
    const before = await sdk('/short-urls/launch/visits?endDate=2030-01-14').expect(200);
    expect(before.body.visits.pagination.totalItems).toBe(1);
    expect(before.body.visits.data).toEqual([visit('2030-01-13', '', location('DE', 'Germany'))]);
    const none = await sdk('/short-urls/launch/visits?startDate=2031-01-01').expect(200);
    expect(none.body.visits).toEqual({
      data: [],
      pagination: {
        currentPage: 1,
        pagesCount: 0,
        itemsPerPage: 0,
        itemsInCurrentPage: 0,
        totalItems: 0,
      },
    });
  });

  it('finds a short URL on an added domain with ?domain=', async () => {
    await request(t.app)
      .post('/api/v1/domains')
      .set('X-Api-Key', key)
      .send({ host: 'go.example' })
      .expect(201);
    await shorten('launch', { domain: 'go.example' });
    await visitFrom(t, '/launch', JP, IPHONE, {}, 'go.example');
    await flushVisits(t);
    const res = await sdk('/short-urls/launch/visits?domain=go.example').expect(200);
    expect(res.body.visits.data).toEqual([
      {
        ...visit('2030-01-15', '', location('JP', 'Japan')),
        visitedUrl: 'https://go.example/launch',
      },
    ]);
    const body = expectProblem(await sdk('/short-urls/launch/visits'), 404, 'short-url-not-found');
    expect(body).toMatchObject({ shortCode: 'launch' });
  });

  it("refuses bad queries, unknown short URLs and callers without a full key with Shlink's problems", async () => {
    await launchWithVisits();
    for (const query of [
      'startDate=yesterday',
      'endDate=2030-13-01',
      'startDate=2030-01-01&startDate=2030-01-02',
    ]) {
      const name = query.split(/[=[]/)[0]!;
      const body = expectProblem(
        await sdk(`/short-urls/launch/visits?${query}`),
        400,
        'invalid-data',
      );
      expect(body.invalidElements).toEqual([name]);
    }
    for (const query of ['page=two', 'itemsPerPage=1e3']) {
      expectProblem(await sdk(`/short-urls/launch/visits?${query}`), 400, 'invalid-data');
    }
    const missing = expectProblem(await sdk('/short-urls/nope/visits'), 404, 'short-url-not-found');
    expect(missing).toMatchObject({
      title: 'Short URL not found',
      detail: 'No URL found with short code "nope"',
      shortCode: 'nope',
    });
    expectProblem(
      await sdk('/short-urls/launch/visits?domain=elsewhere.example'),
      404,
      'short-url-not-found',
    );
    expectProblem(await sdk('/short-urls/launch/visits', null), 401, 'missing-authentication');
    const createOnly = await createApiKey(t, 'create-only');
    expectProblem(await sdk('/short-urls/launch/visits', createOnly), 403, 'forbidden-operation');
    await request(t.app).delete('/rest/v3/short-urls/launch').set('X-Api-Key', key).expect(204);
    expectProblem(await sdk('/short-urls/launch/visits'), 404, 'short-url-not-found');
  });
});

describe('Shlink: the visit lists of tags, domains, every short URL and the orphans', () => {
  /** A row of a list over several short URLs: it does not say which one it went to. */
  const groupVisit = (
    day: string,
    referer: string,
    country: ReturnType<typeof location> | null,
  ) => ({
    ...visit(day, referer, country),
    visitedUrl: null,
  });

  it('/tags/{tag}/visits sums the visits of the short URLs with the tag, per day, country and referrer', async () => {
    await launchWithVisits();
    await shorten('untagged');
    await visitFrom(t, '/untagged', JP, IPHONE);
    await flushVisits(t);
    const res = await sdk('/tags/NEWS/visits').expect(200);
    const de = location('DE', 'Germany');
    const us = location('US', 'United States');
    // Today: launch's four (one with DNT) and other's one (US); two days ago launch's one.
    expect(res.body.visits.data).toEqual([
      groupVisit('2030-01-15', '', de),
      groupVisit('2030-01-15', '', de),
      // Most frequent first: three direct visits and one from news.example are handed out to
      // the day's rows as the countries are (ADR 034).
      groupVisit('2030-01-15', '', location('JP', 'Japan')),
      groupVisit('2030-01-15', 'news.example', us),
      groupVisit('2030-01-15', '', null),
      groupVisit('2030-01-13', '', de),
    ]);
    expect(res.body.visits.pagination).toEqual({
      currentPage: 1,
      pagesCount: 1,
      itemsPerPage: 6,
      itemsInCurrentPage: 6,
      totalItems: 6,
    });
    const page = await sdk('/tags/news/visits?startDate=2030-01-14&itemsPerPage=2&page=3');
    expect(page.body.visits.pagination).toEqual({
      currentPage: 3,
      pagesCount: 3,
      itemsPerPage: 2,
      itemsInCurrentPage: 1,
      totalItems: 5,
    });
    const missing = expectProblem(await sdk('/tags/nothing/visits'), 404, 'tag-not-found');
    expect(missing).toMatchObject({
      title: 'Tag not found',
      detail: 'Tag with name "nothing" could not be found',
      tag: 'nothing',
    });
  });

  it('/domains/{domain}/visits answers a domain’s visits; DEFAULT and the default host are the default domain', async () => {
    await launchWithVisits();
    const byDefault = await sdk('/domains/DEFAULT/visits').expect(200);
    expect(byDefault.body.visits.pagination.totalItems).toBe(6);
    const byHost = await sdk(`/domains/${new URL(ORIGIN).host}/visits`).expect(200);
    expect(byHost.body.visits).toEqual(byDefault.body.visits);
    const missing = expectProblem(
      await sdk('/domains/elsewhere.example/visits'),
      404,
      'domain-not-found',
    );
    expect(missing).toMatchObject({ authority: 'elsewhere.example' });
  });

  it('/visits/non-orphan lists every short URL’s visits; ?domain= keeps to one domain', async () => {
    await launchWithVisits();
    const all = await sdk('/visits/non-orphan').expect(200);
    expect(all.body.visits.pagination.totalItems).toBe(6);
    expect(all.body.visits.data[0]).toEqual(
      groupVisit('2030-01-15', '', location('DE', 'Germany')),
    );
    const onDefault = await sdk('/visits/non-orphan?domain=DEFAULT&excludeBots=true').expect(200);
    expect(onDefault.body.visits).toEqual(all.body.visits);
    const elsewhere = await sdk('/visits/non-orphan?domain=elsewhere.example').expect(200);
    expect(elsewhere.body.visits.data).toEqual([]);
    expect(elsewhere.body.visits.pagination.totalItems).toBe(0);
  });

  it('/visits/orphan lists the requests for unknown codes per day, as invalid_short_url visits', async () => {
    clock = NOW - 2 * 86_400_000;
    await request(t.app).get('/nope1').expect(404);
    await t.services.notFoundCounter.flush();
    clock = NOW;
    await request(t.app).get('/nope2').expect(404);
    await request(t.app).get('/nope3').expect(404);
    await t.services.notFoundCounter.flush();
    const orphan = (day: string) => ({
      referer: '',
      date: `${day}T00:00:00+00:00`,
      userAgent: '',
      visitLocation: null,
      potentialBot: false,
      visitedUrl: null,
      redirectUrl: null,
      type: 'invalid_short_url',
    });
    const res = await sdk('/visits/orphan').expect(200);
    expect(res.body.visits.data).toEqual([
      orphan('2030-01-15'),
      orphan('2030-01-15'),
      orphan('2030-01-13'),
    ]);
    expect(res.body.visits.pagination.totalItems).toBe(3);
    const today = await sdk('/visits/orphan?startDate=2030-01-15&type=invalid_short_url');
    expect(today.body.visits.pagination.totalItems).toBe(2);
    for (const type of ['base_url', 'regular_404']) {
      expect((await sdk(`/visits/orphan?type=${type}`)).body.visits.data).toEqual([]);
    }
    expect((await sdk('/visits/orphan?domain=DEFAULT')).body.visits.pagination.totalItems).toBe(3);
    const bad = expectProblem(await sdk('/visits/orphan?type=bots'), 400, 'invalid-data');
    expect(bad.invalidElements).toEqual(['type']);
    const overview = await sdk('/visits').expect(200);
    expect(overview.body.visits).toMatchObject({
      orphanVisits: { total: 3, nonBots: 3, bots: 0 },
      orphanVisitsCount: 3,
    });
  });

  it('refuses callers without a full key and bad dates on every list', async () => {
    await launchWithVisits();
    const createOnly = await createApiKey(t, 'create-only');
    for (const path of [
      '/visits/orphan',
      '/visits/non-orphan',
      '/tags/news/visits',
      '/domains/DEFAULT/visits',
    ]) {
      expectProblem(await sdk(path, null), 401, 'missing-authentication');
      expectProblem(await sdk(path, createOnly), 403, 'forbidden-operation');
      const bad = expectProblem(await sdk(`${path}?endDate=soon`), 400, 'invalid-data');
      expect(bad.invalidElements).toEqual(['endDate']);
    }
  });
});
