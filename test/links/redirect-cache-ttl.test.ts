import { describe, expect, it } from 'vitest';
import type { RedirectTarget } from '../../src/links/link.js';
import { createRedirectCache } from '../../src/links/redirect-cache.js';
import { createTtlRedirectCache } from '../../src/links/redirect-cache-ttl.js';

function row(id: number, target = `https://example.com/${id}`): RedirectTarget {
  return {
    id,
    target,
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

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('the redirect cache with a time to live', () => {
  it('when an entry is younger than the TTL, then it is a hit', () => {
    const clock = fakeClock();
    const cache = createTtlRedirectCache(createRedirectCache(100), 1000, clock.now);
    cache.set('abc', row(1));

    clock.advance(999);

    expect(cache.get('abc')?.target).toBe('https://example.com/1');
  });

  it('when an entry has reached the TTL, then it is a miss and is dropped from the inner cache', () => {
    const clock = fakeClock();
    const inner = createRedirectCache(100);
    const cache = createTtlRedirectCache(inner, 1000, clock.now);
    cache.set('abc', row(1));

    clock.advance(1000);

    expect(cache.get('abc')).toBeUndefined();
    expect(inner.get('abc')).toBeUndefined();
    // The clock going back does not bring it back: it is gone.
    clock.advance(-1000);
    expect(cache.get('abc')).toBeUndefined();
  });

  it('when an entry is set again, then its age starts again from then', () => {
    const clock = fakeClock();
    const cache = createTtlRedirectCache(createRedirectCache(100), 1000, clock.now);
    cache.set('abc', row(1, 'https://example.com/old'));
    clock.advance(800);
    cache.set('abc', row(1, 'https://example.com/new'));

    clock.advance(800);

    expect(cache.get('abc')?.target).toBe('https://example.com/new');
    clock.advance(200);
    expect(cache.get('abc')).toBeUndefined();
  });

  it('when entries of different ages are read, then only the old ones expire', () => {
    const clock = fakeClock();
    const cache = createTtlRedirectCache(createRedirectCache(100), 1000, clock.now);
    cache.set('old', row(1));
    clock.advance(600);
    cache.set('young', row(2));
    clock.advance(600);

    expect(cache.get('old')).toBeUndefined();
    expect(cache.get('young')?.id).toBe(2);
  });

  it('when a code is invalidated or the cache is cleared, then the inner cache forgets it', () => {
    const clock = fakeClock();
    const inner = createRedirectCache(100);
    const cache = createTtlRedirectCache(inner, 1000, clock.now);
    cache.set('a', row(1));
    cache.set('b', row(2));
    cache.set('c', row(3));

    cache.invalidate('a');
    expect(cache.get('a')).toBeUndefined();
    expect(inner.get('a')).toBeUndefined();
    expect(cache.get('b')?.id).toBe(2);

    cache.clear();
    expect(inner.get('b')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
  });

  it('when a row stored under one code is stored again later under another, then each code keeps its own age', () => {
    const clock = fakeClock();
    const cache = createTtlRedirectCache(createRedirectCache(100), 1000, clock.now);
    const shared = row(1);
    cache.set('first', shared);
    clock.advance(900);
    cache.set('second', shared);
    clock.advance(200);

    expect(cache.get('first')).toBeUndefined();
    expect(cache.get('second')?.id).toBe(1);
  });

  it('when the TTL is not a positive number, then it refuses it', () => {
    const inner = createRedirectCache(10);
    expect(() => createTtlRedirectCache(inner, 0, Date.now)).toThrow(RangeError);
    expect(() => createTtlRedirectCache(inner, Number.NaN, Date.now)).toThrow(RangeError);
  });
});
