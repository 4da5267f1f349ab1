/**
 * Without BASE_URL, snip prints short links under whatever host a request names, so "links to
 * this site" cannot mean only the host of the request at hand: a link made through one name
 * could point at a short link printed under another, and redirect in a loop. This remembers the
 * host names snip has printed short links under, for the no-loop rule and for the QR image cache.
 *
 * Bounded: anyone can send any Host header, so only the most recently printed `limit` names are
 * kept. In memory, per process (ADR 024): production sets BASE_URL, which makes this moot.
 */
export type PrintedHosts = {
  /** Notes that a short link was printed under `host` (a request's host name, no port). */
  remember(host: string | undefined): void;
  has(host: string | undefined): boolean;
  /** The names remembered; the same array until one is added or forgotten. */
  list(): readonly string[];
};

/** Enough for every name a real deployment answers to (its domain, a fly.dev name, an IP). */
export const PRINTED_HOSTS_LIMIT = 100;

export function createPrintedHosts(limit = PRINTED_HOSTS_LIMIT): PrintedHosts {
  // A Map keeps insertion order: the first key is the one printed least recently.
  const hosts = new Map<string, true>();
  let listed: readonly string[] | null = null;
  const keyOf = (host: string | undefined) => host?.toLowerCase().replace(/\.+$/, '') ?? '';
  return {
    remember(host) {
      const key = keyOf(host);
      if (key === '') return;
      const known = hosts.delete(key);
      hosts.set(key, true);
      if (known) return;
      if (hosts.size > limit) hosts.delete(hosts.keys().next().value!);
      listed = null;
    },
    has(host) {
      return hosts.has(keyOf(host));
    },
    list() {
      listed ??= Object.freeze([...hosts.keys()]);
      return listed;
    },
  };
}
