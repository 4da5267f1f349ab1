import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DE, IPHONE, JP, LINUX_FIREFOX, US, WINDOWS_CHROME } from '../support/compat-visits.js';
import { buildEngineApp, engineKey } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';

/**
 * The statistics of the compatible APIs from real visits, on every engine: Kutt's link stats,
 * Shlink's overview and a short URL's visits built from the aggregates (ADR 034).
 */
function suite(engine: 'sqlite' | 'postgres') {
  it("answers Kutt's stats, Shlink's overview and Shlink's visit list with the counted visits", async () => {
    const s = await buildEngineApp(engine, {
      BASE_URL: 'https://s.example',
      TRUST_PROXY: 'loopback',
    });
    const key = await engineKey(s, 'compat-stats');
    await request(s.app)
      .post('/rest/v3/short-urls')
      .set('X-Api-Key', key)
      .send({ longUrl: 'https://t.example/', customSlug: 'launch' })
      .expect(200);
    const visit = (address: string, agent: string, headers: Record<string, string> = {}) =>
      request(s.listener)
        .get('/launch')
        .set({ Host: 's.example', 'X-Forwarded-For': address, 'User-Agent': agent, ...headers })
        .expect(302);
    await visit(DE, LINUX_FIREFOX, { Referer: 'https://news.example/a' });
    await visit(DE, LINUX_FIREFOX);
    await visit(JP, IPHONE);
    await visit(US, WINDOWS_CHROME, { 'Sec-GPC': '1' });
    await s.flushVisits();

    const kutt = await request(s.app)
      .get('/api/v2/links/launch/stats')
      .set('X-API-Key', key)
      .expect(200);
    expect(kutt.body.lastDay.total).toBe(4);
    expect(kutt.body.lastDay.views.at(-1)).toBe(4);
    expect(kutt.body.lastDay.stats.country).toEqual([
      { name: 'de', value: 2 },
      { name: 'jp', value: 1 },
    ]);
    expect(kutt.body.lastDay.stats.browser.slice(0, 2)).toEqual([
      { name: 'firefox', value: 2 },
      { name: 'safari', value: 1 },
    ]);
    expect(kutt.body.lastDay.stats.referrer).toEqual([
      { name: 'direct', value: 2 },
      { name: 'news[dot]example', value: 1 },
    ]);
    expect(kutt.body).toMatchObject({ id: 'launch', visit_count: 4 });

    const overview = await request(s.app).get('/rest/v3/visits').set('X-Api-Key', key).expect(200);
    expect(overview.body.visits).toEqual({
      nonOrphanVisits: { total: 4, nonBots: 4, bots: 0 },
      orphanVisits: { total: 0, nonBots: 0, bots: 0 },
      visitsCount: 4,
      orphanVisitsCount: 0,
    });

    const list = await request(s.app)
      .get('/rest/v3/short-urls/launch/visits?itemsPerPage=3')
      .set('X-Api-Key', key)
      .expect(200);
    expect(list.body.visits.pagination).toEqual({
      currentPage: 1,
      pagesCount: 2,
      itemsPerPage: 3,
      itemsInCurrentPage: 3,
      totalItems: 4,
    });
    expect(
      list.body.visits.data.map(
        (v: { referer: string; visitLocation: { countryCode: string } }) => [
          v.visitLocation.countryCode,
          v.referer,
        ],
      ),
    ).toEqual([
      ['DE', ''],
      ['DE', ''],
      ['JP', 'news.example'],
    ]);
  });
}

describe('compatible statistics on sqlite', () => suite('sqlite'));
describeWithPostgres('compatible statistics on postgres', () => suite('postgres'));
