/**
 * What a link is, independent of the engine that stores it: the types every layer above the
 * store speaks, and the states and statuses a link may have.
 */
import type { LinkOptions } from './link-options.js';
import type { TagFilter } from './tags.js';

/** The characters and length of a code (an alias or a generated one) in a short link's path. */
export const CODE_CHARS = '[A-Za-z0-9_-]{1,64}';

/** What a code can look like; anything else is not a short link and falls through to 404. */
export const CODE_PATTERN = new RegExp(`^${CODE_CHARS}$`);

/** Whether `code` can be a link's code: only then is it looked up. */
export function isLinkCode(code: string): boolean {
  return CODE_PATTERN.test(code);
}

/**
 * The domain key of the default domain (BASE_URL's host, not stored): the value of
 * `COALESCE(domain_id, 0)` in SQL, which the per-domain unique index and the redirect lookup use.
 * Added domains' ids start at 1 (ADR 031).
 */
export const DEFAULT_DOMAIN_KEY = 0;

/** The domain key of a link's domain id: its id, or DEFAULT_DOMAIN_KEY for the default domain. */
export function domainKeyOf(domainId: number | null | undefined): number {
  return domainId ?? DEFAULT_DOMAIN_KEY;
}

/**
 * A link: its code and target, the options its owner set (declared once, in link-options.ts),
 * and what happened to it since.
 */
export type Link = {
  id: number;
  code: string;
  /** The added domain the link belongs to (domains.id); null: the default domain. */
  domainId: number | null;
  target: string;
  created: number;
  updated: number;
  /** Visits written to the database; the visit counter may hold a few more in memory. */
  visits: number;
  lastVisit: number | null;
  disabledAt: number | null;
  deletedAt: number | null;
  /** Removed by the operator for abuse: answers 410 and keeps its code forever. */
  bannedAt: number | null;
  banReason: string | null;
  /** The scrypt hash of the link's password (link-password.ts); null: no password. */
  passwordHash: string | null;
} & LinkOptions;

/** What an owner sets: the target and the options. */
export type LinkSettings = { target: string } & LinkOptions;

export type NewLink = LinkSettings & {
  code: string;
  /** The added domain it goes on; null (or absent): the default domain. */
  domainId?: number | null;
  manageTokenHash: Buffer;
  /** The API key that made the link; null (or absent) when none did. */
  apiKeyId?: number | null;
  /** The hash of its password (link-password.ts); null (or absent): none. */
  passwordHash?: string | null;
};

export type LinkWithTokenHash = Link & { manageTokenHash: Buffer | null };

/** What the redirect path needs to decide, and nothing more. */
export type RedirectTarget = Pick<
  Link,
  | 'id'
  | 'target'
  | 'redirectStatus'
  | 'forwardQuery'
  | 'rules'
  | 'crawlable'
  | 'expiresAt'
  | 'startsAt'
  | 'maxVisits'
  | 'visits'
  | 'disabledAt'
  | 'deletedAt'
  | 'bannedAt'
  | 'passwordHash'
>;

export type InsertResult = { ok: true; link: Link } | { ok: false; reason: 'code_taken' };

/** `scheduled`: not yet at its start (`startsAt`), so it does not redirect yet (ADR 037). */
export const LINK_STATES = [
  'active',
  'expired',
  'disabled',
  'banned',
  'deleted',
  'scheduled',
] as const;
export type LinkStateName = (typeof LINK_STATES)[number];

/** Counts by state, every state at 0, and `all`: what the stores' countByState fill in. */
export function zeroStateCounts(): Record<LinkStateName | 'all', number> {
  return Object.fromEntries([...LINK_STATES, 'all'].map((state) => [state, 0])) as Record<
    LinkStateName | 'all',
    number
  >;
}
/** What the admin may filter by: a state, or links with open abuse reports. */
export type LinkFilter = LinkStateName | 'reported';

export type LinkQuery = {
  /** Matched anywhere in the code, the target or the title, case-insensitively; '' matches every link. */
  search: string;
  state: LinkFilter | null;
  /** Leave deleted links (tombstones) out of the page and the total; they stay in by default. */
  excludeDeleted?: boolean;
  /** Keep only links with any, all or none of these tags (their keys); none: every link. */
  tags?: TagFilter;
  /** Keep only the links on this domain (its domain key); absent: links on every domain. */
  domainKey?: number;
  /** Also match `search` in the names of the link's tags (Shlink's searchTerm does). */
  searchTags?: boolean;
  /** Keep only links created from this instant on (epoch ms, included). */
  createdFrom?: number;
  /** Keep only links created up to this instant (epoch ms, included). */
  createdTo?: number;
  /** Leave out links whose visits have reached their limit (as written to the database). */
  excludeMaxVisitsReached?: boolean;
  /** Leave out links whose expiry date has passed. */
  excludeExpired?: boolean;
  /** `code`, `target` and `title` (none as '') sort by the text, byte by byte. */
  orderBy: 'created' | 'visits' | 'lastVisit' | 'code' | 'target' | 'title';
  direction: 'asc' | 'desc';
  limit: number;
  offset: number;
};

/** A page of links in the order of their ids: those whose id is above `after`, `limit` at most. */
export type LinkPage = { after: number; limit: number };
/** Every link: ids start at 1. */
export const ALL_LINKS_PAGE: LinkPage = { after: 0, limit: Number.MAX_SAFE_INTEGER };
