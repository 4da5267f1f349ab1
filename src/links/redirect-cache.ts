import { DEFAULT_DOMAIN_KEY, type RedirectTarget } from './link.js';

/**
 * The key of a code on a domain, in the cache and in the notifications of
 * cache-invalidation.postgres.ts: `<domain key>/<code>` (ADR 031). Neither part holds a `/`.
 */
export function linkKey(domainKey: number, code: string): string {
  return `${domainKey}/${code}`;
}

/**
 * The cache key a notification names: `<domain key>/<code>`, or a bare code, which a machine of
 * the version before domains sent and which means the default domain's.
 */
export function linkKeyOfPayload(payload: string): string {
  return payload.includes('/') ? payload : linkKey(DEFAULT_DOMAIN_KEY, payload);
}

/**
 * A link's key (linkKey) → the row the redirect decides on, in front of the database. The link service is its only
 * user: it fills it on lookups and invalidates a link's key after every change to that link (target,
 * redirect type, expiry, visit limit, disabling, enabling, deletion). It is an interface because
 * several snip machines on one shared database (PRODUCT §10) will each keep one and invalidate it
 * on the others' changes, which needs nothing more than `invalidate` and `clear`.
 */
export type RedirectCache = {
  get(key: string): RedirectTarget | undefined;
  set(key: string, link: RedirectTarget): void;
  invalidate(key: string): void;
  clear(): void;
  /**
   * How many invalidations and clears there have been. A lookup that waits for the database
   * notes it first, and stores its row only if it has not moved: otherwise a change (another
   * machine's, heard meanwhile) may have come after the row was read, and the row is stale.
   */
  changes(): number;
};

/**
 * A bounded cache that keeps what was used recently, in two generations: new and used rows go
 * into `recent`; when it holds half of `maxEntries`, it becomes `older` and the previous older
 * generation is dropped whole. A row used from `older` moves back into `recent`. Every operation
 * is a lookup or two (a Map used as an exact LRU has to skip its deleted entries to find the
 * oldest one, which cost several microseconds per eviction on a large table).
 */
export function createRedirectCache(maxEntries: number): RedirectCache {
  const generationSize = Math.max(1, Math.ceil(maxEntries / 2));
  let recent = new Map<string, RedirectTarget>();
  let older = new Map<string, RedirectTarget>();
  let changes = 0;

  function remember(code: string, link: RedirectTarget): void {
    recent.set(code, link);
    if (recent.size >= generationSize) {
      older = recent;
      recent = new Map();
    }
  }

  return {
    get(code) {
      const link = recent.get(code);
      if (link !== undefined) return link;
      const old = older.get(code);
      if (old !== undefined) {
        older.delete(code);
        remember(code, old);
      }
      return old;
    },
    set(code, link) {
      // A copy left in `older` is never read: `recent` is looked at first, and it goes at the turnover.
      if (recent.has(code)) recent.set(code, link);
      else remember(code, link);
    },
    invalidate(code) {
      changes += 1;
      recent.delete(code);
      older.delete(code);
    },
    clear() {
      changes += 1;
      recent.clear();
      older.clear();
    },
    changes: () => changes,
  };
}

/**
 * An admission policy in front of a cache (ADR 044): a row is kept only when its key was asked
 * for once before, recently. The keys of recent misses are remembered as 32-bit hashes in a
 * direct-mapped table about twice the cache's size (128 KB for 10,000 links), each new miss
 * taking the slot of an older one. So a code asked for once — most of a spread-out traffic, or a
 * scan of many codes — never pushes a popular link out, and costs no cache write; a popular link
 * is kept from its second visit. Only rows are filtered: reads, invalidations and clears go
 * straight through, and a remembered hash holds no row, so nothing stale can come of it.
 */
export function admitOnSecondSight(inner: RedirectCache, maxEntries: number): RedirectCache {
  const slots = 2 ** Math.ceil(Math.log2(Math.max(16, maxEntries * 2)));
  const seen = new Uint32Array(slots);
  return {
    get: (key) => inner.get(key),
    set(key, link) {
      let h = 0x811c9dc5;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
      h = h >>> 0 || 1;
      const slot = h & (slots - 1);
      // Seen before (or a row of it is held already, being set again): keep it.
      if (seen[slot] === h || inner.get(key) !== undefined) inner.set(key, link);
      else seen[slot] = h;
    },
    invalidate: (key) => inner.invalidate(key),
    clear: () => inner.clear(),
    changes: () => inner.changes(),
  };
}
