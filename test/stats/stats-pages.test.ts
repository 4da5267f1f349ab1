import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { VisitFacts } from '../../src/stats/visit-counter.js';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';
import {
  buildTestApp,
  MANAGE_LOCATION,
  SAME_ORIGIN,
  signInAdmin,
  type TestApp,
} from '../support/test-app.js';

/**
 * The statistics section of the management page and of the admin's link page, and its CSV
 * download: the range a query asks for, the totals with unique visitors, a bar list per
 * dimension with its values named, the notes, refused ranges as a 400 page, and the same access
 * rules for the download as for the page. Visits go through the real counter and SQLite store.
 */

const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
/** Visitors' keyed hashes under one fixed key: visitor n is the address 10.0.x.y numbered n. */
const VISITORS = createVisitorKeys({ now: () => 0, randomBytes: (n) => Buffer.alloc(n, 7) });

let t: TestApp;
let clock: number;

afterEach(() => t?.db.close());

function setup() {
  // 2026-06-15 12:00 UTC: the link is made today; "today" moves with the clock.
  clock = Date.UTC(2026, 5, 15, 12);
  t = buildTestApp(
    { BASE_URL: 'https://s.example', ADMIN_PASSWORD: PASSWORD },
    { now: () => clock },
  );
}

async function create(alias = 'launch') {
  const res = await request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: 'https://example.com/', alias })
    .expect(303);
  expect(res.headers.location).toMatch(MANAGE_LOCATION);
  const manage = res.headers.location!.replace('?created=1', '');
  const link = (await t.services.store.links.findLink(alias))!;
  return { manage, id: link.id };
}

function facts(n: number, values: Partial<Omit<VisitFacts, 'visitor'>> = {}): VisitFacts {
  return {
    visitor: VISITORS.hashOf(`10.0.${n >> 8}.${n & 255}`, 'Mozilla/5.0'),
    country: 'DE',
    browser: 'chrome',
    os: 'windows',
    device: 'desktop',
    language: 'de',
    ...values,
  };
}

/**
 * Today (2026-06-15): visitors 1–3 from Germany (visitor 1 twice), one from France on Firefox
 * for iOS on a phone, from news.example; one that asks not to be tracked. Ten days ago: one.
 */
async function recordVisits(id: number) {
  const counter = t.services.visitCounter;
  counter.record(id, '', facts(1));
  counter.record(id, '', facts(1));
  counter.record(id, '', facts(2));
  counter.record(id, '', facts(3, { language: 'en' }));
  counter.record(
    id,
    'news.example',
    facts(4, { country: 'FR', browser: 'firefox', os: 'ios', device: 'mobile', language: 'fr' }),
  );
  counter.record(id, 'news.example', null);
  await counter.flush();
  const today = clock;
  clock = today - 10 * DAY;
  counter.record(id, '', facts(5, { country: 'unknown', language: 'unknown' }));
  await counter.flush();
  clock = today;
}

/** The row of a bar list: its label, visits and unique visitors, as the table shows them. */
function barRow(label: string, visits: number, unique: number): RegExp {
  return new RegExp(
    `<th scope="row" class="bar-list__label"><bdi>${label}</bdi></th>\\s*<td class="num">${visits}</td>\\s*<td class="num">${unique}</td>`,
  );
}

/** The bar list of one dimension, from its heading to the end of its section. */
function listOf(html: string, id: string): string {
  const start = html.indexOf(`<h3 id="bars-${id}"`);
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('the statistics section of the management page', () => {
  it('when a link has no visits, then it shows zeros, an empty chart and an empty list per dimension', async () => {
    setup();
    const { manage } = await create();
    const res = await request(t.app).get(manage).expect(200);
    expect(res.text).toMatch(/Visits, the last 30 days<\/dt><dd>0</);
    expect(res.text).toMatch(/Unique visitors, the last 30 days<\/dt><dd>0</);
    expect(res.text).toContain('No visits from May 17, 2026 to Jun 15, 2026.');
    for (const id of ['country', 'browser', 'os', 'device', 'language', 'referrer']) {
      expect(listOf(res.text, id)).toContain('None in this range.');
    }
    expect(res.text).toContain('href="/manage/');
    expect(res.text).toMatch(/href="\/manage\/[\w-]+\/stats\.csv\?days=30" download/);
  });

  it('when visits are counted, then each dimension lists its values by name with visits and unique visitors', async () => {
    setup();
    const { manage, id } = await create();
    await recordVisits(id);
    const res = await request(t.app).get(manage).expect(200);
    const html = res.text;
    expect(html).toMatch(/Visits in total<\/dt><dd>7</);
    expect(html).toMatch(/Visits, the last 30 days<\/dt><dd>7</);
    // Visitor 1 came twice today; the visit that asked not to be tracked has no visitor.
    expect(html).toMatch(/Unique visitors, the last 30 days<\/dt><dd>5</);
    expect(listOf(html, 'country')).toMatch(barRow('Germany', 4, 3));
    expect(listOf(html, 'country')).toMatch(barRow('France', 1, 1));
    expect(listOf(html, 'country')).toMatch(barRow('Unknown', 1, 1));
    expect(listOf(html, 'browser')).toMatch(barRow('Chrome', 5, 4));
    expect(listOf(html, 'browser')).toMatch(barRow('Firefox', 1, 1));
    expect(listOf(html, 'os')).toMatch(barRow('Windows', 5, 4));
    expect(listOf(html, 'os')).toMatch(barRow('iOS', 1, 1));
    expect(listOf(html, 'device')).toMatch(barRow('Desktop', 5, 4));
    expect(listOf(html, 'device')).toMatch(barRow('Mobile', 1, 1));
    expect(listOf(html, 'language')).toMatch(barRow('German', 3, 2));
    expect(listOf(html, 'language')).toMatch(barRow('English', 1, 1));
    expect(listOf(html, 'language')).toMatch(barRow('French', 1, 1));
    expect(listOf(html, 'referrer')).toMatch(barRow('Direct \\(no referrer\\)', 5, 4));
    // The visit with DNT counts under news.example's day, never under its referrer.
    expect(listOf(html, 'referrer')).toMatch(barRow('news\\.example', 1, 1));
    // The most visited value's bar is full; the others' in proportion, unique visitors inside.
    expect(listOf(html, 'country')).toContain(
      '<rect class="bar-list__visits" width="100" height="10"/><rect class="bar-list__unique" y="3" width="75" height="4"/>',
    );
    expect(listOf(html, 'country')).toContain('<rect class="bar-list__visits" width="25"');
    // The chart's table: visits and unique visitors per day.
    expect(html).toContain(
      '<tr><td>Jun 15, 2026</td><td class="num">6</td><td class="num">4</td></tr>',
    );
    expect(html).toContain(
      '<tr><td>Jun 5, 2026</td><td class="num">1</td><td class="num">1</td></tr>',
    );
    // What the section says about what is counted, the country database and the privacy page.
    expect(html).toContain(
      'Visits that ask not to be tracked (Do Not Track or Global Privacy Control) count in the totals and the days only',
    );
    expect(html).toContain(t.services.geoSource.attribution);
    expect(html).toContain('<a href="/privacy">');
  });

  it('when a visit comes through the redirect, then its browser, system, device, language and referrer are listed', async () => {
    setup();
    const { manage } = await create();
    await request(t.app)
      .get('/launch')
      .set({
        'User-Agent': BROWSER,
        'Accept-Language': 'es-ES,es;q=0.9,en;q=0.5',
        Referer: 'https://blog.example/post',
      })
      .expect(302);
    await request(t.app)
      .get('/launch')
      .set({ 'User-Agent': BROWSER, 'Sec-GPC': '1', Referer: 'https://blog.example/' })
      .expect(302);
    await t.services.visitCounter.flush();
    const html = (await request(t.app).get(manage).expect(200)).text;
    expect(html).toMatch(/Visits, the last 30 days<\/dt><dd>2</);
    expect(listOf(html, 'browser')).toMatch(barRow('Chrome', 1, 1));
    expect(listOf(html, 'os')).toMatch(barRow('Windows', 1, 1));
    expect(listOf(html, 'language')).toMatch(barRow('Spanish', 1, 1));
    expect(listOf(html, 'referrer')).toMatch(barRow('blog\\.example', 1, 1));
    // A loopback address has no country.
    expect(listOf(html, 'country')).toMatch(barRow('Unknown', 1, 1));
  });

  it('when a period is chosen, then the totals, chart and lists cover it', async () => {
    setup();
    const { manage, id } = await create();
    await recordVisits(id);
    const week = (await request(t.app).get(`${manage}?days=7`).expect(200)).text;
    expect(week).toMatch(/Visits, the last 7 days<\/dt><dd>6</);
    expect(week).toMatch(/href="\?days=7" aria-current="page"/);
    expect(listOf(week, 'country')).not.toContain('Unknown');
    expect(week).toContain('Visits and unique visitors per day, Jun 9, 2026 to Jun 15, 2026');
    // All time starts on the day the link was made, whatever the visits before it.
    const all = (await request(t.app).get(`${manage}?days=all`).expect(200)).text;
    expect(all).toMatch(/Visits, all time \(since Jun 15, 2026\)<\/dt><dd>6</);
    const range = (await request(t.app).get(`${manage}?from=2026-06-01&to=2026-06-10`).expect(200))
      .text;
    expect(range).toMatch(/Visits, Jun 1, 2026 to Jun 10, 2026<\/dt><dd>1</);
    expect(range).toContain('value="2026-06-01"');
    expect(range).not.toContain('aria-current="page"');
    expect(range).toMatch(/stats\.csv\?from=2026-06-01&amp;to=2026-06-10" download/);
    // Empty fields: from the day the link was made to today.
    const empty = (await request(t.app).get(`${manage}?from=&to=`).expect(200)).text;
    expect(empty).toMatch(/Visits, Jun 15, 2026<\/dt><dd>6</);
  });

  it('when the range is long, then the chart has a bar per week or per month', async () => {
    setup();
    const { manage } = await create();
    const year = (await request(t.app).get(`${manage}?from=2025-06-16&to=2026-06-15`)).text;
    expect(year).toContain('Visits and unique visitors per week, Jun 16, 2025 to Jun 15, 2026');
    expect(year).toContain('<th scope="col">Week from (UTC)</th>');
    const decade = (await request(t.app).get(`${manage}?from=2017-01-01&to=2026-06-15`)).text;
    expect(decade).toContain('<th scope="col">Month (UTC)</th>');
    expect(decade).toContain('<tr><td>Jun 2026</td>');
  });

  it.each([
    ['?days=13', 'Choose the last 7, 30 or 90 days, or all time.'],
    ['?days=7&days=30', 'Choose the last 7, 30 or 90 days, or all time.'],
    ['?from=2026-02-30&to=2026-03-01', 'Enter the first day as YYYY-MM-DD, a day that exists.'],
    ['?from=2026-06-01&to=15-06-2026', 'Enter the last day as YYYY-MM-DD, a day that exists.'],
    ['?from=2026-06-10&to=2026-06-01', 'The last day must not be before the first day.'],
    [
      '?from=2026-06-01&to=2026-06-16',
      'The last day can be today (2026-06-15, UTC) at the latest.',
    ],
    ['?from=2000-01-01&to=2026-06-01', 'A range has at most 3,660 days (ten years).'],
    ['?from=2026-06-01&from=2026-06-02', 'Give the first day once.'],
  ])(
    'when the range is %s, then the page is a 400 that says what to fix',
    async (query, message) => {
      setup();
      const { manage } = await create();
      const res = await request(t.app).get(`${manage}${query}`).expect(400);
      expect(res.text).toContain(message);
      expect(res.text).toMatch(/<title>Error: /);
      // The rest of the page is there; the statistics wait for a range.
      expect(res.text).toContain('Change the link');
      expect(res.text).not.toContain('class="bar-lists"');
      const csv = await request(t.app).get(`${manage}/stats.csv${query}`).expect(400);
      expect(csv.headers['content-disposition']).toBeUndefined();
    },
  );

  it('when a refused day was typed, then the field keeps it and points at its error', async () => {
    setup();
    const { manage } = await create();
    const res = await request(t.app).get(`${manage}?from=2026-06-10&to=2026-06-01`).expect(400);
    expect(res.text).toMatch(
      /<input id="stats-to" name="to" type="date" value="2026-06-01"\s*aria-invalid="true" aria-describedby="stats-to-error" autofocus>/,
    );
    expect(res.text).toContain('value="2026-06-10"');
  });

  it('when the page language is switched, then countries and languages are named in it', async () => {
    setup();
    const { manage, id } = await create();
    await recordVisits(id);
    const html = (await request(t.app).get(manage).set('Accept-Language', 'de').expect(200)).text;
    expect(html).toContain('<html lang="de" dir="ltr">');
    expect(listOf(html, 'country')).toMatch(barRow('Deutschland', 4, 3));
    expect(listOf(html, 'language')).toMatch(barRow('Deutsch', 3, 2));
  });
});

describe('the statistics download', () => {
  it('when the CSV is asked for, then it has a day row and a row per stored value, defused for spreadsheets', async () => {
    setup();
    const { manage, id } = await create();
    const counter = t.services.visitCounter;
    counter.record(id, '=HYPERLINK("https://evil.example")', facts(1, { language: '@x' }));
    counter.record(id, '', facts(2, { browser: '+1', os: '-2', device: '\tx' }));
    await counter.flush();
    const res = await request(t.app).get(`${manage}/stats.csv?days=7`).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename=snip-launch-stats-2026-06-09-to-2026-06-15.csv',
    );
    expect(res.text.split('\r\n')).toEqual([
      'day,dimension,value,visits,unique_visitors',
      '2026-06-15,day,2026-06-15,2,2',
      '2026-06-15,country,DE,2,2',
      "2026-06-15,browser,'+1,1,1",
      '2026-06-15,browser,chrome,1,1',
      "2026-06-15,os,'-2,1,1",
      '2026-06-15,os,windows,1,1',
      "2026-06-15,device,'\tx,1,1",
      '2026-06-15,device,desktop,1,1',
      "2026-06-15,language,'@x,1,1",
      '2026-06-15,language,de,1,1',
      '2026-06-15,referrer,"\'=HYPERLINK(""https://evil.example"")",1,1',
      '2026-06-15,referrer,direct,1,1',
      '',
    ]);
  });

  it('when the link has no visits in the range, then the CSV is its header', async () => {
    setup();
    const { manage } = await create();
    const res = await request(t.app).get(`${manage}/stats.csv`).expect(200);
    expect(res.text).toBe('day,dimension,value,visits,unique_visitors\r\n');
  });

  it('when the token is wrong, then the download is a 404 like the page', async () => {
    setup();
    await create();
    await request(t.app)
      .get(`/manage/${'x'.repeat(32)}/stats.csv`)
      .expect(404);
    await request(t.app)
      .get(`/manage/${'x'.repeat(32)}`)
      .expect(404);
  });
});

describe('the statistics on the admin link page', () => {
  it('when the admin opens a link, then it shows the same section and download; without a session, neither', async () => {
    setup();
    const { id } = await create();
    await recordVisits(id);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const page = await request(t.app)
      .get('/admin/links/launch?days=all')
      .set('Cookie', cookie)
      .expect(200);
    expect(listOf(page.text, 'country')).toMatch(barRow('Germany', 4, 3));
    expect(page.text).toMatch(/href="\/admin\/links\/launch\/stats\.csv\?days=all" download/);
    expect(page.text).toContain(
      '<form class="range-form" method="get" action="/admin/links/launch#stats-title"',
    );
    const csv = await request(t.app)
      .get('/admin/links/launch/stats.csv?days=all')
      .set('Cookie', cookie)
      .expect(200);
    expect(csv.text).toContain('2026-06-15,country,DE,4,3\r\n');
    const bad = await request(t.app)
      .get('/admin/links/launch?from=2026-13-01')
      .set('Cookie', cookie)
      .expect(400);
    expect(bad.text).toContain('Enter the first day as YYYY-MM-DD');
    await request(t.app)
      .get('/admin/links/launch/stats.csv?from=nope')
      .set('Cookie', cookie)
      .expect(400);
    await request(t.app).get('/admin/links/nope/stats.csv').set('Cookie', cookie).expect(404);
    // Without a session: sent to sign in, no statistics.
    const anonymous = await request(t.app).get('/admin/links/launch/stats.csv').expect(303);
    expect(anonymous.headers.location).toBe('/admin/sign-in');
    expect(anonymous.text).not.toContain('day,dimension');
  });
});

describe('the admin overview of the whole site', () => {
  async function overviewSetUp() {
    setup();
    expect((await t.services.domains.add({ host: 'go.example' }, [])).ok).toBe(true);
    const cookie = await signInAdmin(t.app, PASSWORD);
    const made = await request(t.app)
      .post('/admin/links')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({ url: 'https://b.example/', alias: 'other', domain: 'go.example' })
      .expect(303);
    expect(made.headers.location).toBe('/admin/links/other?domain=go.example&done=created');
    const { id } = await create();
    const other = t.db
      .prepare<[], { id: number; domainId: number }>(
        "SELECT id, domain_id AS domainId FROM urls WHERE code = 'other'",
      )
      .get()!;
    await recordVisits(id);
    t.services.visitCounter.record(other.id, 'news.example', facts(1, { country: 'FR' }));
    await t.services.visitCounter.flush();
    const goKey = other.domainId!;
    await t.services.store.visits.addNotFound([
      { domainKey: 0, day: '2026-06-15', count: 3 },
      { domainKey: goKey, day: '2026-06-14', count: 2 },
      { domainKey: goKey, day: '2026-06-15', count: 5 },
    ]);
    return { cookie };
  }

  it('when the admin opens it, then it shows visits over time, top links, countries, referrers and unknown codes per domain', async () => {
    const { cookie } = await overviewSetUp();
    const res = await request(t.app).get('/admin/stats').set('Cookie', cookie).expect(200);
    const html = res.text;
    expect(html).toMatch(/<a href="\/admin\/stats" aria-current="page">Statistics<\/a>/);
    expect(html).toMatch(/<dt>Visits<\/dt><dd>8</);
    // Visitor 1 visited both links today: one visitor of the site.
    expect(html).toMatch(/<dt>Unique visitors<\/dt><dd>5</);
    expect(html).toMatch(/<dt>Requests for unknown codes<\/dt><dd>10</);
    expect(html).toContain(
      '<tr><td>Jun 15, 2026</td><td class="num">7</td><td class="num">4</td></tr>',
    );
    const links = listOf(html, 'links');
    expect(links).toMatch(
      /<a href="\/admin\/links\/launch">\/launch<\/a><\/bdi><\/th>\s*<td class="num">7<\/td>\s*<td class="num">5<\/td>/,
    );
    expect(links).toMatch(
      /<a href="\/admin\/links\/other\?domain=go\.example">go\.example\/other<\/a><\/bdi><\/th>\s*<td class="num">1<\/td>/,
    );
    expect(listOf(html, 'country')).toMatch(barRow('Germany', 4, 3));
    expect(listOf(html, 'country')).toMatch(barRow('France', 2, 2));
    expect(listOf(html, 'referrer')).toMatch(barRow('news\\.example', 2, 2));
    expect(html).toMatch(/go\.example<\/bdi><\/th><td class="num">7<\/td>/);
    expect(html).toMatch(/s\.example<\/bdi><\/th><td class="num">3<\/td>/);
    expect(html).toContain(t.services.geoSource.attribution);
    expect(html).toContain('count in the totals and the days only');
  });

  it('when a period is chosen, then it covers it; all time starts on the first day with a visit', async () => {
    const { cookie } = await overviewSetUp();
    const get = (query: string) => request(t.app).get(`/admin/stats${query}`).set('Cookie', cookie);
    const all = (await get('?days=all').expect(200)).text;
    expect(all).toContain('Visits, all time (since Jun 5, 2026)');
    expect(all).toMatch(/<dt>Visits<\/dt><dd>8</);
    const day = (await get('?from=2026-06-14&to=2026-06-14').expect(200)).text;
    expect(day).toMatch(/<dt>Visits<\/dt><dd>0</);
    expect(day).toMatch(/<dt>Requests for unknown codes<\/dt><dd>2</);
    expect(listOf(day, 'links')).toContain('None in this range.');
    const bad = await get('?from=2026-06-15&to=2026-06-01').expect(400);
    expect(bad.text).toContain('The last day must not be before the first day.');
    expect(bad.text).toMatch(/<title>Error: Statistics/);
  });

  it('when nobody is signed in, then the overview sends to the sign-in and shows nothing', async () => {
    await overviewSetUp();
    const res = await request(t.app).get('/admin/stats').expect(303);
    expect(res.headers.location).toBe('/admin/sign-in');
    expect(res.text).not.toContain('Top links');
  });
});
