import type { Awaitable } from '../db/awaitable.js';
import type {
  InsertResult,
  LinkPage,
  LinkQuery,
  LinkSettings,
  LinkStateName,
  LinkWithTokenHash,
  NewLink,
  RedirectTarget,
} from './link.js';

/**
 * The storage contract of links, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface LinkStore {
  insertLink(link: NewLink, now: number): Awaitable<InsertResult>;
  /**
   * The redirect path's only query: one indexed lookup of the columns it needs, for a code on
   * one domain (its domain key: the domain's id; DEFAULT_DOMAIN_KEY, the default domain's, when
   * not given).
   */
  findRedirect(code: string, domainKey?: number): Awaitable<RedirectTarget | null>;
  /** The link with this code on this domain (its domain key; the default domain without one). */
  findLink(code: string, domainKey?: number): Awaitable<LinkWithTokenHash | null>;
  findLinkByTokenHash(hash: Buffer): Awaitable<LinkWithTokenHash | null>;
  updateSettings(id: number, settings: LinkSettings, now: number): Awaitable<void>;
  setDisabled(id: number, disabled: boolean, now: number): Awaitable<void>;
  deleteLink(id: number, now: number): Awaitable<void>;
  /** Deletes these links in one transaction: all of them or, when it fails, none. */
  deleteLinks(ids: readonly number[], now: number): Awaitable<void>;
  /** Disables or enables these links in one transaction: all of them or none. */
  setDisabledMany(ids: readonly number[], disabled: boolean, now: number): Awaitable<void>;
  /** Sets, changes or (null) removes the hash of a link's password; a deleted link keeps none. */
  setPasswordHash(id: number, passwordHash: string | null, now: number): Awaitable<void>;
  /**
   * The secret kept under `name`: `candidate`, kept now, when none was; the one kept first
   * otherwise, so every machine on the database reads the same.
   */
  keepSecret(name: string, candidate: string): Awaitable<string>;
  setBanned(
    id: number,
    ban: {
      reason: string;
    } | null,
    now: number,
  ): Awaitable<void>;
  /**
   * Active links whose target contains `host` (to be checked on their parsed host), in the
   * order of their ids: those after `page.after`, at most `page.limit` of them.
   */
  activeLinksMentioning(
    host: string,
    now: number,
    page?: LinkPage,
  ): Awaitable<{ id: number; code: string; domainId: number | null; target: string }[]>;
  countLinks(): Awaitable<number>;
  /** The visits written to the database of every link not deleted. */
  sumVisits(): Awaitable<number>;
  /** How many links are in each state at `now` (visits still in memory are not seen). */
  countByState(now: number): Awaitable<Record<LinkStateName, number>>;
  /**
   * The newest link this API key made to this exact target on this domain (its domain key; the
   * default domain without one) that still redirects, for idempotent creation; links made without a key or by another key
   * are never found. With a code, only the link with that code.
   */
  findActiveByTarget(
    target: string,
    apiKeyId: number,
    now: number,
    code?: string,
    domainKey?: number,
  ): Awaitable<LinkWithTokenHash | null>;
  /** One page of links and how many match in all. */
  listLinks(
    query: LinkQuery,
    now: number,
  ): Awaitable<{
    links: LinkWithTokenHash[];
    total: number;
  }>;
}
