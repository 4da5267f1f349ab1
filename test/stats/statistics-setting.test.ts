import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { linkStats } from '../../src/stats/link-stats.js';
import { buildTestApp } from '../support/test-app.js';

/**
 * STATISTICS: `full` (the default) adds a visit's dimensions and visitor to the statistics;
 * `basic` keeps its day and referrer only, as snip did before the dimensions — and the privacy
 * page says which, from the same setting.
 */

const NOW = Date.UTC(2026, 5, 15, 12);
const DAY = '2026-06-15';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

async function visited(statistics: 'full' | 'basic') {
  const t = buildTestApp(
    { BASE_URL: 'https://s.example', STATISTICS: statistics },
    { now: () => NOW },
  );
  const created = await request(t.app)
    .post('/shorten')
    .set('Origin', 'https://s.example')
    .type('form')
    .send({ url: 'https://t.example/', alias: 'launch' })
    .expect(303);
  const manage = created.headers.location!.replace('?created=1', '');
  const visit = () =>
    request(t.app)
      .get('/launch')
      .set('User-Agent', FIREFOX)
      .set('Accept-Language', 'de-DE,de;q=0.9')
      .set('Referer', 'https://news.example/item');
  await visit().expect(302);
  await visit().set('DNT', '1').expect(302);
  await t.services.visitCounter.flush();
  const link = (await t.services.store.links.findLink('launch'))!;
  const stats = (groupBy: 'day' | 'browser' | 'referrer') =>
    linkStats(t.services.store.visits, link.id, groupBy, DAY, DAY);
  const page = async () => (await request(t.app).get(manage).expect(200)).text;
  return { t, link, stats, page };
}

describe('STATISTICS', () => {
  it('is full by default, basic when asked, and refuses anything else', () => {
    expect(loadConfig({}).statistics).toBe('full');
    expect(loadConfig({ STATISTICS: 'basic' }).statistics).toBe('basic');
    expect(() => loadConfig({ STATISTICS: 'none' })).toThrow(/STATISTICS.*must be full or basic/);
  });

  it('when full, a visit adds its browser, referrer and visitor; a DNT visit only counts', async () => {
    const { link, stats, page } = await visited('full');
    const html = await page();
    expect(html).toContain('Countries');
    expect(html).toContain('Unique visitors,');
    expect(html).not.toContain('STATISTICS=basic');
    expect(link.visits).toBe(2);
    expect(await stats('browser')).toMatchObject({
      visits: 2,
      uniqueVisitors: 1,
      data: [{ key: 'firefox', visits: 1, uniqueVisitors: 1 }],
    });
    expect((await stats('referrer')).data).toEqual([
      { key: 'news.example', visits: 1, uniqueVisitors: 1 },
    ]);
  });

  it('when basic, a visit adds its day and referrer only (no dimension, no visitor), and a DNT visit still only counts', async () => {
    const { t, link, stats, page } = await visited('basic');
    const html = await page();
    expect(html).toContain(
      'This site keeps visits per day only (<code dir="ltr">STATISTICS=basic</code>)',
    );
    expect(html).not.toContain('Countries');
    expect(html).not.toContain('Unique visitors,');
    expect(link.visits).toBe(2);
    expect(await stats('browser')).toMatchObject({ visits: 2, uniqueVisitors: 0, data: [] });
    expect((await stats('referrer')).data).toEqual([]);
    expect(await t.services.store.visits.topReferrers(link.id, 10)).toEqual([
      { host: 'news.example', count: 1 },
    ]);
  });

  it('the privacy page says what each setting keeps', async () => {
    const text = async (statistics: 'full' | 'basic') => {
      const { app } = buildTestApp({ STATISTICS: statistics });
      return (await request(app).get('/privacy').expect(200)).text.replace(/\s+/g, ' ');
    };
    const full = await text('full');
    const basic = await text('basic');
    expect(full).toContain('Unique visitors are estimated');
    expect(basic).not.toContain('Unique visitors are estimated');
    expect(full).not.toContain('No country is derived from a visit.');
    expect(basic).toContain('No country is derived from a visit.');
    expect(basic).not.toContain('Per UTC day, the number of visits for each value of');
    expect(full).toContain('Per UTC day, the number of visits for each value of');
    for (const text of [full, basic]) expect(text).toContain('over the link’s whole life');
  });
});
