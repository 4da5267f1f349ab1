import type { Awaitable } from '../db/awaitable.js';
import type { WriteGate } from '../db/write-gate.js';
import { englishOf, text, type Text } from '../i18n/catalog.js';
import { DEFAULT_DOMAIN_KEY } from '../links/link.js';
import { checkTargetUrl } from '../links/url-policy.js';
import { canonicalHost, hostKey, isLoopbackHost } from './canonical-host.js';
import { REDIRECT_FIELDS, type Domain, type DomainRedirects, type NewDomain } from './domain.js';
import type { DomainStore } from './domain-store.js';

/** What snip knows of the domains at one moment: read once, kept in memory (it is tiny). */
export type DomainTable = {
  domains: readonly Domain[];
  byHost: ReadonlyMap<string, Domain>;
  /** Each added domain's scope, worked out once per read of the list: a request only looks it up. */
  scopes: ReadonlyMap<string, HostScope & { kind: 'domain' }>;
  /** Every host that is snip's: the default's (when BASE_URL names one) and each added one. */
  hosts: readonly string[];
};

/** How a request's host is answered. */
export type HostScope =
  /** No BASE_URL and no added domain: any host is the default domain, as before domains. */
  | { kind: 'open' }
  | { kind: 'default' }
  | {
      kind: 'domain';
      domain: Domain;
      /**
       * The domain key (links/link.ts) of the links that answer here: its own id, or for an
       * alias the key of the domain it aliases (DEFAULT_DOMAIN_KEY for the default domain);
       * null when that domain is gone, so no link answers (ADR 031).
       */
      linkDomainKey: number | null;
      /** Its own redirects, each falling back to those of the domain it aliases. */
      redirects: DomainRedirects;
    }
  /** A host that is not snip's: a bare 404. */
  | { kind: 'foreign' };

/**
 * The domain key of the links a request's host answers: DEFAULT_DOMAIN_KEY for the default domain
 * (and any host while snip is open), the scope's for an added domain; null for none.
 */
export function linkDomainKeyOf(scope: HostScope): number | null {
  if (scope.kind === 'open' || scope.kind === 'default') return DEFAULT_DOMAIN_KEY;
  return scope.kind === 'domain' ? scope.linkDomainKey : null;
}

/**
 * A link's domain and short URL, every door's (ADR 031): an added domain's host under the public
 * origin's scheme (BASE_URL's), the default domain's under the public origin itself. `host` is
 * the host of the link's domain (hostOfDomainId), null when there is none to name.
 */
export function linkAddressFor(
  publicOrigin: string,
  host: string | null,
  link: { code: string; domainId: number | null },
): { domain: string; shortUrl: string } {
  const origin = new URL(publicOrigin);
  if (link.domainId === null || host === null) {
    return { domain: host ?? origin.hostname, shortUrl: `${origin.origin}/${link.code}` };
  }
  return { domain: host, shortUrl: `${origin.protocol}//${host}/${link.code}` };
}

/** A domain as `/api/v1/domains` and the admin list it, the default one first. */
export type ListedDomain = DomainRedirects & {
  host: string;
  isDefault: boolean;
  aliasOf: string | null;
};

export type DomainInput = {
  host: string;
  rootRedirect?: string | null;
  notFoundRedirect?: string | null;
  expiredRedirect?: string | null;
  aliasOf?: string | null;
};

export type DomainField = 'host' | 'aliasOf' | (typeof REDIRECT_FIELDS)[number];
/**
 * Why a field was refused: a Text of this service, or the URL policy's message for a redirect
 * (a page words it with `say`, a door answers `domainErrorInEnglish`).
 */
export type DomainError = Text | string;
export type DomainErrors = Partial<Record<DomainField, DomainError>>;

/** A field's refusal as the APIs say it, word for word. */
export function domainErrorInEnglish(error: DomainError): string {
  return typeof error === 'string' ? error : englishOf(error);
}

export type AddDomainResult =
  { ok: true; domain: Domain } | { ok: false; status: 409 | 422; errors: DomainErrors };

export type EditRedirectsResult =
  | { ok: true; domain: Domain }
  /** No added domain has this host. */
  | { ok: false; reason: 'unknown' }
  /** The default domain has no redirects of its own (ADR 028). */
  | { ok: false; reason: 'default' }
  | { ok: false; reason: 'invalid'; errors: DomainErrors };

export type RemoveDomainResult =
  | { ok: true }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'default' }
  | { ok: false; reason: 'aliased'; aliases: number }
  /** Links (deleted ones too) are on it. */
  | { ok: false; reason: 'in_use'; links: number };

export type DomainServiceDeps = {
  domains: DomainStore;
  write: WriteGate;
  now: () => number;
  /** BASE_URL's host, or null without BASE_URL. */
  defaultHost: string | null;
  /** MAX_URL_LENGTH, for the redirects. */
  maxUrlLength: number;
  /** The admin's blocklist, as for link targets. */
  blockedHosts: () => Awaitable<readonly string[]>;
  /**
   * How long the list read once is used before it is read again in the background: for ever on
   * one machine (each change here reloads it), briefly where other machines change it too.
   */
  ttlMs: number;
};

/** Host keys remembered at most; anyone can send any Host, so the memory is bounded. */
const HOST_KEYS_KEPT = 256;

const EMPTY: DomainTable = { domains: [], byHost: new Map(), scopes: new Map(), hosts: [] };
const OPEN: HostScope = { kind: 'open' };
const DEFAULT: HostScope = { kind: 'default' };
const FOREIGN: HostScope = { kind: 'foreign' };

export type DomainService = ReturnType<typeof createDomainService>;

/**
 * Domains: adding, listing and deleting them, and which one a request's host names. The list
 * lives in memory and is read again after every change made here, and — where other machines
 * share the database — after `ttlMs`, in the background, so that a request never waits for it
 * once it has been read.
 */
export function createDomainService(deps: DomainServiceDeps) {
  const defaultHost = deps.defaultHost === null ? null : hostKey(deps.defaultHost);
  let table: DomainTable | null = null;
  let readAt = 0;
  let reading: Promise<DomainTable> | null = null;

  function build(domains: Domain[]): DomainTable {
    const byHost = new Map(domains.map((domain) => [domain.host, domain]));
    const hosts = [...(defaultHost === null ? [] : [defaultHost]), ...byHost.keys()];
    const scopes = new Map(
      domains.map((domain) => [domain.host, scopeOf(domain, byHost)] as const),
    );
    return { domains, byHost, scopes, hosts };
  }

  /** An added domain's scope: its redirects (an alias's falling back to its domain's) and links. */
  function scopeOf(
    domain: Domain,
    byHost: ReadonlyMap<string, Domain>,
  ): HostScope & { kind: 'domain' } {
    const aliased = domain.aliasOf === null ? undefined : byHost.get(domain.aliasOf);
    const redirects = Object.fromEntries(
      REDIRECT_FIELDS.map((field) => [field, domain[field] ?? aliased?.[field] ?? null]),
    ) as DomainRedirects;
    const linkDomainKey =
      domain.aliasOf === null
        ? domain.id
        : domain.aliasOf === defaultHost
          ? DEFAULT_DOMAIN_KEY
          : (aliased?.id ?? null);
    return { kind: 'domain', domain, linkDomainKey, redirects };
  }

  function keep(domains: Domain[], at: number): DomainTable {
    table = build(domains);
    readAt = at;
    return table;
  }

  /** Reads the list now: at once on SQLite, a promise on PostgreSQL. */
  function read(): Awaitable<DomainTable> {
    const at = deps.now();
    const listed = deps.domains.listDomains();
    if (!(listed instanceof Promise)) return keep(listed, at);
    reading ??= listed.then(
      (domains) => {
        reading = null;
        return keep(domains, at);
      },
      (error: unknown) => {
        reading = null;
        throw error;
      },
    );
    return reading;
  }

  /** The list in memory, or null before it was first read; an old list starts a new read. */
  function snapshot(): DomainTable | null {
    if (table !== null && deps.now() - readAt >= deps.ttlMs && reading === null) {
      const next = read();
      // A failed background read keeps the old list; the next request tries again.
      if (next instanceof Promise) next.catch(() => {});
    }
    return table;
  }

  /** The list, read first if it never was. */
  function current(): Awaitable<DomainTable> {
    return snapshot() ?? read();
  }

  // Requests name a handful of hosts: their keys are kept rather than converted each time.
  const keys = new Map<string, string>();
  function keyOf(hostname: string): string {
    let key = keys.get(hostname);
    if (key === undefined) {
      if (keys.size >= HOST_KEYS_KEPT) keys.clear();
      key = hostKey(hostname);
      keys.set(hostname, key);
    }
    return key;
  }

  function resolve(current: DomainTable, hostname: string | undefined): HostScope {
    if (defaultHost === null && current.domains.length === 0) return OPEN;
    const key = keyOf(hostname ?? '');
    const scope = current.scopes.get(key);
    if (scope !== undefined) return scope;
    return key === defaultHost || isLoopbackHost(key) ? DEFAULT : FOREIGN;
  }

  /** Whether a host (any spelling) is the default domain or an added one. */
  function isOwnHost(current: DomainTable, name: string): boolean {
    const key = hostKey(name);
    return key === defaultHost || current.byHost.has(key);
  }

  async function checkRedirect(url: string, ownHosts: readonly string[]) {
    return checkTargetUrl(url, {
      maxLength: deps.maxUrlLength,
      ownHosts,
      blockedHosts: await deps.blockedHosts(),
      addMissingScheme: false,
      purpose: 'change',
    });
  }

  async function add(input: DomainInput, ownHosts: readonly string[]): Promise<AddDomainResult> {
    const known = await current();
    const errors: DomainErrors = {};
    const host = canonicalHost(input.host);
    if (host === null) {
      errors.host = text('domains.hostInvalid');
    } else if (host === defaultHost) {
      return conflict('host', text('domains.isDefault', { host }));
    } else if (known.byHost.has(host)) {
      return conflict('host', text('domains.exists', { host }));
    }
    let aliasOf: string | null = null;
    if (input.aliasOf !== undefined && input.aliasOf !== null && input.aliasOf.trim() !== '') {
      const target = hostKey(input.aliasOf);
      const aliased = known.byHost.get(target);
      if (target !== defaultHost && aliased === undefined) {
        errors.aliasOf = text('domains.aliasUnknown');
      } else if (target === host) {
        errors.aliasOf = text('domains.aliasSelf');
      } else if (aliased?.aliasOf != null) {
        errors.aliasOf = text('domains.aliasOfAlias', { host: target, aliasOf: aliased.aliasOf });
      } else {
        aliasOf = target;
      }
    }
    const redirects: DomainRedirects = {
      rootRedirect: null,
      notFoundRedirect: null,
      expiredRedirect: null,
    };
    // A redirect to the new domain itself, or any of snip's, would be a loop.
    const own = [...ownHosts, ...known.hosts, ...(host === null ? [] : [host])];
    for (const field of REDIRECT_FIELDS) {
      const value = input[field]?.trim() ?? '';
      if (value === '') continue;
      const checked = await checkRedirect(value, own);
      if (checked.ok) redirects[field] = checked.url;
      else errors[field] = englishOf(checked.message);
    }
    if (host === null || Object.keys(errors).length > 0) {
      return { ok: false, status: 422, errors };
    }
    const looping = await deps.domains.countLinksTargeting(host);
    if (looping > 0) {
      return conflict('host', text('domains.linksPointTo', { count: looping, host }));
    }
    const domain: NewDomain = { host, aliasOf, ...redirects };
    const inserted = await deps.write(() => deps.domains.insertDomain(domain, deps.now()));
    await read();
    if (!inserted.ok) return conflict('host', text('domains.exists', { host }));
    return { ok: true, domain: inserted.domain };
  }

  /**
   * Changes an added domain's redirects (an alias's too: they are its own): a field given as a
   * URL replaces that redirect, null or '' removes it, a field left out stays. Each URL is
   * checked as `add` checks it; one refused changes nothing.
   */
  async function editRedirects(
    name: string,
    changes: Partial<Record<(typeof REDIRECT_FIELDS)[number], string | null>>,
    ownHosts: readonly string[],
  ): Promise<EditRedirectsResult> {
    const known = await current();
    const host = hostKey(name);
    if (defaultHost !== null && host === defaultHost) return { ok: false, reason: 'default' };
    const domain = known.byHost.get(host);
    if (domain === undefined) return { ok: false, reason: 'unknown' };
    const redirects: DomainRedirects = {
      rootRedirect: domain.rootRedirect,
      notFoundRedirect: domain.notFoundRedirect,
      expiredRedirect: domain.expiredRedirect,
    };
    const errors: DomainErrors = {};
    // A redirect to any of snip's domains, this one included, would be a loop.
    const own = [...ownHosts, ...known.hosts];
    for (const field of REDIRECT_FIELDS) {
      const value = changes[field];
      if (value === undefined) continue;
      const text = value?.trim() ?? '';
      if (text === '') {
        redirects[field] = null;
        continue;
      }
      const checked = await checkRedirect(text, own);
      if (checked.ok) redirects[field] = checked.url;
      else errors[field] = englishOf(checked.message);
    }
    if (Object.keys(errors).length > 0) return { ok: false, reason: 'invalid', errors };
    const updated = await deps.write(() =>
      deps.domains.updateRedirects(host, redirects, deps.now()),
    );
    await read();
    // Deleted by another request meanwhile.
    if (updated === null) return { ok: false, reason: 'unknown' };
    return { ok: true, domain: updated };
  }

  async function remove(name: string): Promise<RemoveDomainResult> {
    const known = await current();
    const host = hostKey(name);
    if (host === defaultHost) return { ok: false, reason: 'default' };
    if (!known.byHost.has(host)) return { ok: false, reason: 'unknown' };
    const deleted = await deps.write(() => deps.domains.deleteDomain(host));
    const after = await read();
    if (deleted) return { ok: true };
    const aliases = after.domains.filter((domain) => domain.aliasOf === host).length;
    if (aliases > 0) return { ok: false, reason: 'aliased', aliases };
    const links = await deps.domains.countLinksOn(host);
    return links > 0 ? { ok: false, reason: 'in_use', links } : { ok: false, reason: 'unknown' };
  }

  /**
   * The domain a door names for a link by its host, in any spelling: the default domain (null)
   * or an added domain that is no alias (a link lives on the domain an alias answers for).
   */
  async function domainForLinks(
    name: string,
  ): Promise<{ ok: true; domainId: number | null } | { ok: false; message: string }> {
    const known = await current();
    const host = hostKey(name);
    if (defaultHost !== null && host === defaultHost) return { ok: true, domainId: null };
    const domain = known.byHost.get(host);
    if (domain === undefined) {
      return { ok: false, message: `“${name}” is not one of this snip's domains.` };
    }
    if (domain.aliasOf !== null) {
      return {
        ok: false,
        message: `${host} is an alias of ${domain.aliasOf}: its links are those of ${domain.aliasOf}, name that domain.`,
      };
    }
    return { ok: true, domainId: domain.id };
  }

  /**
   * The host of a link's domain (its domain id; null: the default domain, BASE_URL's host), or
   * null when there is none to name: no BASE_URL, or a list not read yet.
   */
  function hostOfDomainId(domainId: number | null): string | null {
    if (domainId === null) return defaultHost;
    return snapshot()?.domains.find((domain) => domain.id === domainId)?.host ?? null;
  }

  async function list(): Promise<ListedDomain[]> {
    const known = await read();
    const none = { rootRedirect: null, notFoundRedirect: null, expiredRedirect: null };
    return [
      ...(defaultHost === null
        ? []
        : [{ host: defaultHost, isDefault: true, aliasOf: null, ...none }]),
      ...known.domains.map((domain) => ({
        host: domain.host,
        isDefault: false,
        rootRedirect: domain.rootRedirect,
        notFoundRedirect: domain.notFoundRedirect,
        expiredRedirect: domain.expiredRedirect,
        aliasOf: domain.aliasOf,
      })),
    ];
  }

  return {
    defaultHost,
    snapshot,
    current,
    resolve,
    isOwnHost,
    add,
    editRedirects,
    remove,
    list,
    domainForLinks,
    hostOfDomainId,
    /**
     * The domain key of the links a host answers, in any spelling (an alias: those of the
     * domain it aliases), or null for a host that is not snip's: what a request to it would find.
     */
    async linkKeyOfHost(hostname: string): Promise<number | null> {
      return linkDomainKeyOf(resolve(await current(), hostname));
    },
    /** Every host that is snip's, for the URL policy; none before the list was first read. */
    hosts(): readonly string[] {
      return (snapshot() ?? EMPTY).hosts;
    },
  };
}

/** Why a domain with links on it cannot be deleted, as a page words it. */
export function linksOnDomainText(host: string, links: number): Text {
  return text('domains.linksOn', { count: links, host });
}

/** Why a domain with links on it cannot be deleted, as the APIs say it. */
export function linksOnDomainMessage(host: string, links: number): string {
  return englishOf(linksOnDomainText(host, links));
}

function conflict(field: DomainField, message: Text): AddDomainResult {
  return { ok: false, status: 409, errors: { [field]: message } };
}
