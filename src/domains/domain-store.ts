import type { Awaitable } from '../db/awaitable.js';
import type { Domain, DomainRedirects, NewDomain } from './domain.js';

export type InsertDomainResult = { ok: true; domain: Domain } | { ok: false; reason: 'host_taken' };

/**
 * The storage contract of domains, written by hand: what every engine must do. Hosts given here
 * are canonical already (canonicalHost); the service checks everything else.
 */
export interface DomainStore {
  /** Every added domain, by host. */
  listDomains(): Awaitable<Domain[]>;
  /** Adds a domain; a host that is already one is `host_taken` and changes nothing. */
  insertDomain(domain: NewDomain, now: number): Awaitable<InsertDomainResult>;
  /**
   * Replaces the three redirects of the domain with this host (checked by the service): the
   * domain as it is now, or null when no domain has this host.
   */
  updateRedirects(host: string, redirects: DomainRedirects, now: number): Awaitable<Domain | null>;
  /**
   * Deletes the domain with this host unless another domain is an alias of it or a link (a
   * deleted one too) is on it: true when a row was deleted.
   */
  deleteDomain(host: string): Awaitable<boolean>;
  /** How many links, deleted ones too, are on the domain with this host. */
  countLinksOn(host: string): Awaitable<number>;
  /**
   * Links that are not deleted whose target's host is exactly this one (any scheme, any port,
   * a trailing dot or not): they would redirect to snip itself if it answered on that host.
   */
  countLinksTargeting(host: string): Awaitable<number>;
}
