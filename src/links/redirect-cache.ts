import type { RedirectTarget } from './link-repository.js';

/**
 * Code → the row the redirect decides on, in front of the database. The link service is its only
 * user: it fills it on lookups and invalidates a code after every change to that link (target,
 * redirect type, expiry, visit limit, disabling, enabling, deletion). It is an interface because
 * several snip machines on one shared database (PRODUCT §10) will each keep one and invalidate it
 * on the others' changes, which needs nothing more than `invalidate` and `clear`.
 */
export type RedirectCache = {
  get(code: string): RedirectTarget | undefined;
  set(code: string, link: RedirectTarget): void;
  invalidate(code: string): void;
  clear(): void;
};

/** The most recently used `maxEntries` links; a Map keeps insertion order, so the oldest is first. */
export function createRedirectCache(maxEntries: number): RedirectCache {
  const entries = new Map<string, RedirectTarget>();
  return {
    get(code) {
      const link = entries.get(code);
      if (link !== undefined) {
        entries.delete(code);
        entries.set(code, link);
      }
      return link;
    },
    set(code, link) {
      entries.delete(code);
      entries.set(code, link);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    invalidate(code) {
      entries.delete(code);
    },
    clear() {
      entries.clear();
    },
  };
}
