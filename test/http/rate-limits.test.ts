import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { addressKey, parseRateLimit, retryIn } from '../../src/http/rate-limits.js';
import { buildTestApp, MANAGE_LOCATION, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => {
  t?.db.close();
  vi.useRealTimers();
});

function shorten(fields: Record<string, string>, headers: Record<string, string> = {}) {
  return request(t.app)
    .post('/shorten')
    .set({ ...SAME_ORIGIN, ...headers })
    .type('form')
    .send(fields);
}

describe('parseRateLimit', () => {
  it.each([
    ['60/h', 60, 3600],
    ['120/min', 120, 60],
    ['10/15min', 10, 900],
    ['1000/d', 1000, 86_400],
    [' 5 / 30s ', 5, 30],
  ])('when the rule is %s, then it allows %i requests per %i seconds', (text, points, seconds) => {
    expect(parseRateLimit(text)).toMatchObject({ points, seconds });
  });

  it.each(['60', '60/hour', '0/min', '-1/min', '1.5/min', '10/0min', 'ten/min', '/min'])(
    'when the rule is %s, then it is refused',
    (text) => {
      expect(parseRateLimit(text)).toBeNull();
    },
  );

  it('when a variable holds a bad rule, then the configuration error says how to write one', () => {
    expect(() => loadConfig({ RATE_LIMIT_CREATE: '60 per hour', RATE_LIMITS: 'maybe' })).toThrow(
      /RATE_LIMITS must be on or off[\s\S]*RATE_LIMIT_CREATE must be a count per window such as 60\/h/,
    );
  });
});

describe('client keys', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::99', '2001:db8:1:2::/64'],
  ])('when the address is %s, then the key is %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('when a wait is spelled out, then it uses the largest sensible unit', () => {
    expect([retryIn(1), retryIn(59), retryIn(600), retryIn(3600 * 5)]).toEqual([
      'in 1 second',
      'in 59 seconds',
      'in 10 minutes',
      'in 5 hours',
    ]);
  });
});

describe('creation limit (RATE_LIMIT_CREATE)', () => {
  it('row 51: when a client makes one link more than its limit, then it gets 429 with Retry-After, the form keeps its values and nothing is stored', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '10/min' });
    for (let i = 0; i < 10; i++) {
      const ok = await shorten({ url: `https://a.example/${i}` }).expect(303);
      expect(ok.headers['ratelimit-limit']).toBe('10');
      expect(ok.headers['ratelimit-remaining']).toBe(String(9 - i));
      expect(ok.headers['ratelimit-policy']).toBe('10;w=60');
    }
    const refused = await shorten({ url: 'https://a.example/eleventh', alias: 'keep-me' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit-reset']).toBe(refused.headers['retry-after']);
    expect(refused.text).toContain('You have made many links in a short time. Try again in');
    expect(refused.text).toContain('value="https://a.example/eleventh"');
    expect(refused.text).toContain('value="keep-me"');
    expect(t.countLinks()).toBe(10);
  });

  it('row 52: when each request spoofs another X-Forwarded-For or Fly-Client-IP off Fly, then the limit still holds at the same count', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '10/min' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await shorten(
        { url: `https://a.example/${i}` },
        { 'X-Forwarded-For': `198.51.100.${i}`, 'Fly-Client-IP': `192.0.2.${i}` },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(303), 429]);
    expect(t.countLinks()).toBe(10);
  });

  it('when snip runs on Fly, then each Fly-Client-IP is its own client', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '2/min', FLY_APP_NAME: 'snip' });
    const as = (ip: string) => shorten({ url: 'https://a.example/' }, { 'Fly-Client-IP': ip });
    expect([(await as('203.0.113.1')).status, (await as('203.0.113.1')).status]).toEqual([
      303, 303,
    ]);
    expect((await as('203.0.113.1')).status).toBe(429);
    expect((await as('203.0.113.2')).status).toBe(303);
  });

  it('when the window has passed, then the client may create again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '1/min' });
    await shorten({ url: 'https://a.example/1' }).expect(303);
    await shorten({ url: 'https://a.example/2' }).expect(429);
    vi.advanceTimersByTime(61_000);
    await shorten({ url: 'https://a.example/3' }).expect(303);
  });

  it('when RATE_LIMITS is off, then nothing is counted and no limit headers are sent', async () => {
    t = buildTestApp({ RATE_LIMITS: 'off', RATE_LIMIT_CREATE: '1/min' });
    for (let i = 0; i < 3; i++) {
      const res = await shorten({ url: `https://a.example/${i}` }).expect(303);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('not-found limit (RATE_LIMIT_NOT_FOUND)', () => {
  it('row 50: when a client guesses codes, then 404s turn into 429 at the limit, while existing links keep redirecting', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_NOT_FOUND: '5/min' });
    await shorten({ url: 'https://a.example/', alias: 'real-one' }).expect(303);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await request(t.app).get(`/guess${i}`)).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
    const limited = await request(t.app).get('/guess-more');
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.text).toContain('Too many requests for links that do not exist');
    expect(limited.headers['cache-control']).toBe('no-store');
    // Redirects are never limited, however many there are.
    for (let i = 0; i < 20; i++) await request(t.app).get('/real-one').expect(302);
  });

  it('when a client guesses management tokens, then the same limit stops it', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_NOT_FOUND: '3/min' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await request(t.app).get(`/manage/${'A'.repeat(31)}${i}`)).status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
  });
});

describe('management limit (RATE_LIMIT_MANAGE)', () => {
  it('when a client changes links faster than its limit, then the next change is refused with 429 and not made', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_MANAGE: '3/min' });
    const created = await shorten({ url: 'https://a.example/', alias: 'managed' }).expect(303);
    expect(created.headers.location).toMatch(MANAGE_LOCATION);
    const manage = created.headers.location!.replace('?created=1', '');
    for (const action of ['disable', 'enable', 'disable']) {
      await request(t.app).post(`${manage}/${action}`).set(SAME_ORIGIN).expect(303);
    }
    const refused = await request(t.app).post(`${manage}/enable`).set(SAME_ORIGIN);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.text).toContain('Too many changes in a short time');
    // Still disabled: the refused change was not made.
    await request(t.app).get('/managed').expect(410);
  });
});
