/** Where an added domain sends a visitor instead of showing snip's own page; null: snip's page. */
export type DomainRedirects = {
  /** `GET /` on the domain. */
  rootRedirect: string | null;
  /** A code (or any address) the domain does not know. */
  notFoundRedirect: string | null;
  /** A link that is expired, disabled, banned or deleted. */
  expiredRedirect: string | null;
};

/** A domain snip answers on besides the default one (BASE_URL's host). */
export type Domain = DomainRedirects & {
  id: number;
  /** Canonical (src/domains/canonical-host.ts). */
  host: string;
  /** The host of the domain whose links this one answers too (the default's, or another's). */
  aliasOf: string | null;
  created: number;
  updated: number;
};

export type NewDomain = DomainRedirects & { host: string; aliasOf: string | null };

export const REDIRECT_FIELDS = ['rootRedirect', 'notFoundRedirect', 'expiredRedirect'] as const;
