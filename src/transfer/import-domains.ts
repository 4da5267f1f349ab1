import { canonicalHost, hostKey } from '../domains/canonical-host.js';
import type { Domain } from '../domains/domain.js';

/**
 * Which domain a row of an imported file puts its link on (ADR 031): its `domain` cell in any
 * spelling of a host (case, a trailing dot, a port, Unicode or punycode, as the doors take it).
 * Empty, or the default domain's host, is the default domain; an added domain that is no alias
 * is itself. An alias answers the links of another domain and holds none of its own, so a row
 * naming one is refused; a value that is no host name at all is invalid. A host that is not one
 * of snip's domains is refused in snip's own files, and is the default domain in another
 * product's (`othersToDefault`): Shlink writes its own default domain's host in every row, and
 * the product snip replaces seldom had snip's host.
 */
export type ImportDomain =
  /** `note`: the host of another product's file that was put on the default domain, and why. */
  | { ok: true; domainId: number | null; host?: string; note?: string }
  | { ok: false; result: 'refused' | 'invalid'; reason: string };

export type ImportDomains = (cell: string, othersToDefault?: boolean) => ImportDomain;

/** Distinct cells remembered per import: a file names a handful of domains, not thousands. */
const CELLS_KEPT = 1_000;

const DEFAULT: ImportDomain = { ok: true, domainId: null };

/**
 * The resolver of one import, from the domains read once when it starts: every row is answered
 * from memory, and each distinct cell is worked out once (canonicalHost converts to punycode).
 * `defaultHost` is BASE_URL's host, or null without BASE_URL (then only an empty cell is the
 * default domain).
 */
export function importDomains(
  domains: readonly Domain[],
  defaultHost: string | null,
): ImportDomains {
  const byHost = new Map(domains.map((domain) => [domain.host, domain]));
  const home = defaultHost === null ? null : hostKey(defaultHost);
  const known = new Map<string, ImportDomain>([['', DEFAULT]]);

  function resolve(cell: string, othersToDefault: boolean): ImportDomain {
    // BASE_URL may name an IP address, which is no domain name but is what the export writes.
    if (home !== null && hostKey(cell) === home) return DEFAULT;
    const host = canonicalHost(cell);
    if (host === null) {
      return {
        ok: false,
        result: 'invalid',
        reason: `domain: “${cell}” is not a host name; write a domain's host, such as go.example, or leave it empty for the default domain.`,
      };
    }
    const domain = byHost.get(host);
    if (domain === undefined) {
      if (othersToDefault) {
        return {
          ok: true,
          domainId: null,
          note: `Its domain ${host} is not one of this snip's domains: the link is on the default domain.`,
        };
      }
      return {
        ok: false,
        result: 'refused',
        reason: `The domain ${host} is not one of this snip's domains: add it first, or empty the domain column to import the link on the default domain.`,
      };
    }
    if (domain.aliasOf !== null) {
      return {
        ok: false,
        result: 'refused',
        reason: `The domain ${host} is an alias of ${domain.aliasOf} and holds no links of its own: name ${domain.aliasOf} instead.`,
      };
    }
    return { ok: true, domainId: domain.id, host: domain.host };
  }

  const knownOthers = new Map<string, ImportDomain>([['', DEFAULT]]);
  return (cell, othersToDefault = false) => {
    const kept = othersToDefault ? knownOthers : known;
    let answer = kept.get(cell);
    if (answer === undefined) {
      answer = resolve(cell, othersToDefault);
      if (kept.size < CELLS_KEPT) kept.set(cell, answer);
    }
    return answer;
  };
}
