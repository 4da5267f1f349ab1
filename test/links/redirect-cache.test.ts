import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DOMAIN_KEY, type RedirectTarget } from '../../src/links/link.js';
import {
  admitOnSecondSight,
  createRedirectCache,
  linkKey,
  type RedirectCache,
} from '../../src/links/redirect-cache.js';
import { createVisitCounter, type VisitCounter } from '../../src/stats/visit-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  buildTestApp,
  createTestDatabase,
  SAME_ORIGIN,
  type TestApp,
} from '../support/test-app.js';

const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

function row(id: number): RedirectTarget {
  return {
    id,
    target: `https://example.com/${id}`,
    redirectStatus: 302,
    forwardQuery: 0,
    rules: null,
    crawlable: 0,
    expiresAt: null,
    startsAt: null,
    maxVisits: null,
    visits: 0,
    disabledAt: null,
    deletedAt: null,
    bannedAt: null,
    passwordHash: null,
  };
}

describe('the redirect cache', () => {
  const held = (cache: RedirectCache, codes: string[]) =>
    codes.filter((code) => cache.get(code) !== undefined);

  it('when many more links are set than it holds, then it never holds more than its size', () => {
    const cache = createRedirectCache(10);
    const codes = Array.from({ length: 100 }, (_, i) => `c${i}`);
    for (const [i, code] of codes.entries()) cache.set(code, row(i));
    expect(held(cache, codes).length).toBeGreaterThan(0);
    expect(held(cache, codes).length).toBeLessThanOrEqual(10);
  });

  it('when links are set beyond its size, then one used meanwhile stays and one not used goes', () => {
    const cache = createRedirectCache(4);
    cache.set('a', row(1));
    cache.set('b', row(2));
    expect(cache.get('a')).toEqual(row(1));
    cache.set('c', row(3));
    expect(cache.get('b')).toBeUndefined();
    expect(held(cache, ['a', 'c'])).toEqual(['a', 'c']);
  });

  it('when a code is set again, then it holds the new row', () => {
    const cache = createRedirectCache(4);
    cache.set('a', row(1));
    cache.set('b', row(2));
    cache.set('a', row(9));
    expect(cache.get('a')).toEqual(row(9));
    cache.set('a', row(8));
    expect(cache.get('a')).toEqual(row(8));
    expect(cache.get('b')).toEqual(row(2));
  });

  it('when a code is invalidated or the cache cleared, then those rows are gone', () => {
    const cache = createRedirectCache(10);
    cache.set('a', row(1));
    cache.set('b', row(2));
    cache.set('c', row(3));
    cache.set('d', row(4));
    cache.set('e', row(5)); // a–e have moved to the older generation
    cache.set('f', row(6));
    cache.invalidate('a');
    cache.invalidate('f');
    expect(held(cache, ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual(['b', 'c', 'd', 'e']);
    cache.clear();
    expect(held(cache, ['b', 'c', 'd', 'e'])).toEqual([]);
  });
});

describe('admission on second sight', () => {
  it('when a key is set once, then no row is kept; when set again, it is', () => {
    const cache = admitOnSecondSight(createRedirectCache(100), 100);
    cache.set('a', row(1));
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', row(1));
    expect(cache.get('a')).toEqual(row(1));
  });

  it('when a scan of many codes seen once follows, then a popular link stays', () => {
    const inner = createRedirectCache(100);
    const cache = admitOnSecondSight(inner, 100);
    cache.set('hot', row(1));
    cache.set('hot', row(1));
    for (let i = 0; i < 10_000; i++) {
      if (cache.get(`cold${i}`) === undefined) cache.set(`cold${i}`, row(i + 2));
    }
    expect(cache.get('hot')).toEqual(row(1));
    // Without the policy, the same scan pushes it out.
    const plain = createRedirectCache(100);
    plain.set('hot', row(1));
    for (let i = 0; i < 10_000; i++) plain.set(`cold${i}`, row(i + 2));
    expect(plain.get('hot')).toBeUndefined();
  });

  it('when a held key is set again, then its new row replaces the old at once', () => {
    const cache = admitOnSecondSight(createRedirectCache(100), 100);
    cache.set('a', row(1));
    cache.set('a', row(1));
    // Many other keys meanwhile: the table of recent misses forgets `a`, the cache does not.
    for (let i = 0; i < 1_000; i++) cache.set(`other${i}`, row(i + 2));
    cache.set('a', row(9));
    expect(cache.get('a')).toEqual(row(9));
  });

  it('invalidations and clears reach the cache, and are counted', () => {
    const cache = admitOnSecondSight(createRedirectCache(100), 100);
    cache.set('a', row(1));
    cache.set('a', row(1));
    cache.set('b', row(2));
    cache.set('b', row(2));
    const before = cache.changes();
    cache.invalidate('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual(row(2));
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.changes()).toBe(before + 2);
  });
});

// Every change to a link must reach visitors at once, although its redirect row is cached: each
// test follows the link first (so it is cached), changes it, and follows it again.
describe('invalidation by the link service', () => {
  let t: TestApp;
  let cache: RedirectCache;
  let counter: VisitCounter;
  let clock: number;
  afterEach(() => t.db.close());

  function setup() {
    clock = Date.UTC(2026, 10, 25, 12, 0, 0);
    const db = createTestDatabase();
    cache = createRedirectCache(100);
    counter = createVisitCounter({ visits: createVisitRepository(db), now: () => clock });
    t = buildTestApp({}, { db, now: () => clock, visitCounter: counter, redirectCache: cache });
  }

  async function create(fields: Record<string, string> = {}) {
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.com/start', alias: 'cached', ...fields })
      .expect(303);
    return res.headers.location!.replace('?created=1', '');
  }

  const follow = () => request(t.app).get('/cached').set('User-Agent', BROWSER);

  /**
   * Follows the link twice (on SQLite a row is kept from its second visit: ADR 044) and checks
   * that its row is now in the cache.
   */
  async function followCached(status = 302) {
    await follow().expect(status);
    await follow().expect(status);
    expect(cache.get(linkKey(DEFAULT_DOMAIN_KEY, 'cached'))).toBeDefined();
  }

  it('when a link is followed once, then its row is not kept; from the second visit, it is', async () => {
    setup();
    await create();
    await follow().expect(302);
    expect(cache.get(linkKey(DEFAULT_DOMAIN_KEY, 'cached'))).toBeUndefined();
    await follow().expect(302);
    expect(cache.get(linkKey(DEFAULT_DOMAIN_KEY, 'cached'))?.target).toBe(
      'https://example.com/start',
    );
  });

  const manage = (path: string, fields: Record<string, string> = {}) =>
    request(t.app).post(path).set(SAME_ORIGIN).type('form').send(fields).expect(303);

  it('when the target and redirect type are changed, then the next visit gets the new ones', async () => {
    setup();
    const token = await create();
    await followCached();
    await manage(token, { url: 'https://example.org/new', redirect: '308' });
    await follow().expect(308).expect('Location', 'https://example.org/new');
  });

  it('when the link is disabled and enabled again, then visits get 410 and then the redirect', async () => {
    setup();
    const token = await create();
    await followCached();
    await manage(`${token}/disable`);
    const gone = await follow().expect(410);
    expect(gone.text).toContain('disabled');
    await manage(`${token}/enable`);
    await follow().expect(302).expect('Location', 'https://example.com/start');
  });

  it('when the link is deleted, then visits get 410', async () => {
    setup();
    const token = await create();
    await followCached();
    await manage(`${token}/delete`);
    const gone = await follow().expect(410);
    expect(gone.text).toContain('deleted');
  });

  it('when a cached link passes its expiry date, then visits get 410 without any change', async () => {
    setup();
    await create({ expires_on: '2026-11-26' });
    await followCached();
    clock = Date.UTC(2026, 10, 27);
    const gone = await follow().expect(410);
    expect(gone.text).toContain('expired');
  });

  it('when an expiry date is added to a cached link, then it stops at that date', async () => {
    setup();
    const token = await create();
    await followCached();
    await manage(token, { url: 'https://example.com/start', expires_on: '2026-11-26' });
    await follow().expect(302);
    clock = Date.UTC(2026, 10, 27);
    await follow().expect(410);
  });

  it('when a link with a visit limit is followed across flushes, then it stops at the limit', async () => {
    setup();
    await create({ max_visits: '3' });
    await follow().expect(302);
    counter.flush();
    await follow().expect(302);
    counter.flush();
    await follow().expect(302);
    counter.flush();
    await follow().expect(410);
    expect(cache.get(linkKey(DEFAULT_DOMAIN_KEY, 'cached'))).toBeUndefined();
  });

  it('when a visit limit is added to a cached link, then the visits already made count', async () => {
    setup();
    const token = await create();
    await followCached(); // two visits
    counter.flush();
    await manage(token, { url: 'https://example.com/start', max_visits: '3' });
    await follow().expect(302);
    await follow().expect(410);
  });
});
