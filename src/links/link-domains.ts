/**
 * The domain select of the forms that make a link (the home page, the admin's new link): which
 * domains it offers, and which domain the value sent names (ADR 031). The domains themselves are
 * src/domains/'s; this file knows them only through `LinkDomains`, so links/ stays below them.
 */

import { text, type Text } from '../i18n/catalog.js';

/** What the forms need of the domain service (src/domains/domain-service.ts). */
export type LinkDomains = {
  /** BASE_URL's host, or null without BASE_URL. */
  defaultHost: string | null;
  /** The added domains, as kept in memory (read first if they never were). */
  current():
    | { domains: readonly { host: string; aliasOf: string | null }[] }
    | Promise<{ domains: readonly { host: string; aliasOf: string | null }[] }>;
  /** The domain a host names for links (any spelling); aliases are refused. */
  domainForLinks(
    name: string,
  ): Promise<{ ok: true; domainId: number | null } | { ok: false; message: string }>;
};

/** One option of the select: the value sent and the host shown. */
export type DomainOption = { value: string; host: string };

/**
 * The options of the domain select: the default domain first (BASE_URL's host; without
 * BASE_URL, the host the page was asked under, sent as ''), then every added domain that is no
 * alias (an alias answers another domain's links and holds none). Empty when there is only the
 * default domain: the form then has no select and is exactly as before domains.
 */
export async function domainOptions(
  domains: LinkDomains | undefined,
  requestHost: string,
): Promise<DomainOption[]> {
  if (domains === undefined) return [];
  const added = (await domains.current()).domains.filter((domain) => domain.aliasOf === null);
  if (added.length === 0) return [];
  const defaultHost = domains.defaultHost;
  return [
    defaultHost === null
      ? { value: '', host: requestHost }
      : { value: defaultHost, host: defaultHost },
    ...added.map((domain) => ({ value: domain.host, host: domain.host })),
  ];
}

export type ChosenDomain = { ok: true; domainId: number | null } | { ok: false; message: Text };

/**
 * The domain a form's `domain` field names: absent, the default domain (a form without the
 * select); '' only where the default domain has no host to send (no BASE_URL); otherwise the
 * default or an added domain that is no alias, in any spelling. Anything else — a repeated
 * field, an unknown host, an alias — is refused with a message for the field.
 */
export async function chooseDomain(
  domains: LinkDomains | undefined,
  body: unknown,
): Promise<ChosenDomain> {
  const value = (body as { domain?: unknown } | null)?.domain;
  if (value === undefined) return { ok: true, domainId: null };
  const refused = { ok: false, message: text('domainSelect.refused') } as const;
  if (typeof value !== 'string' || domains === undefined) return refused;
  if (value === '') return domains.defaultHost === null ? { ok: true, domainId: null } : refused;
  const found = await domains.domainForLinks(value);
  return found.ok
    ? found
    : { ok: false, message: text('domainSelect.refusedBecause', { problem: found.message }) };
}
