import type { RedirectTarget } from './link.js';
import type { RedirectCache } from './redirect-cache.js';

/**
 * A redirect cache whose entries expire: a row stored `ttlMs` or more ago is a miss, and is
 * dropped from `inner`. It is the safety net of the cross-machine invalidation
 * (cache-invalidation.postgres.ts): where LISTEN is unavailable (a transaction-mode pooler, a
 * read replica) or notifications were missed, no machine serves a changed link for longer than
 * `ttlMs`.
 *
 * Each row is stored as its own copy, and the time it was stored is kept in a WeakMap keyed by
 * that copy, so the stamps go with the rows when `inner` evicts them: nothing here grows beyond
 * what `inner` holds. `now` is the clock in milliseconds (Date.now in production).
 */
export function createTtlRedirectCache(
  inner: RedirectCache,
  ttlMs: number,
  now: () => number,
): RedirectCache {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive number, not ${ttlMs}`);
  }
  const storedAt = new WeakMap<RedirectTarget, number>();

  return {
    get(code) {
      const link = inner.get(code);
      if (link === undefined) return undefined;
      const stamp = storedAt.get(link);
      if (stamp === undefined || now() - stamp >= ttlMs) {
        inner.invalidate(code);
        return undefined;
      }
      return link;
    },
    set(code, link) {
      const entry = { ...link };
      storedAt.set(entry, now());
      inner.set(code, entry);
    },
    invalidate(code) {
      inner.invalidate(code);
    },
    clear() {
      inner.clear();
    },
    changes: () => inner.changes(),
  };
}
