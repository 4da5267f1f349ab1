import { sqlText } from '../db/sql-text.js';

/** The SQL of domains both engines share (see db/sql-text.ts). */

const COLUMNS = `id, host, root_redirect AS "rootRedirect", not_found_redirect AS "notFoundRedirect",
  expired_redirect AS "expiredRedirect", alias_of AS "aliasOf", created, updated`;

export const LIST_DOMAINS = sqlText(`SELECT ${COLUMNS} FROM domains ORDER BY host`);

/** ON CONFLICT DO NOTHING: a taken host returns no row, on both engines, and writes nothing. */
export const INSERT_DOMAIN = sqlText(
  `INSERT INTO domains (host, root_redirect, not_found_redirect, expired_redirect, alias_of, created, updated)
   VALUES (:host, :rootRedirect, :notFoundRedirect, :expiredRedirect, :aliasOf, :now, :now)
   ON CONFLICT (host) DO NOTHING
   RETURNING ${COLUMNS}`,
);

/** Replaces a domain's three redirects; a host that is no domain returns no row. */
export const UPDATE_DOMAIN_REDIRECTS = sqlText(
  `UPDATE domains SET root_redirect = :rootRedirect, not_found_redirect = :notFoundRedirect,
     expired_redirect = :expiredRedirect, updated = :now
   WHERE host = :host
   RETURNING ${COLUMNS}`,
);

/**
 * One statement: an alias or a link added at the same moment cannot slip between a check and the
 * delete. Any link on the domain keeps it, a deleted one too: its tombstone keeps its code from
 * ever being taken again (ADR 031). idx_urls_domain answers the link check.
 */
export const DELETE_DOMAIN = sqlText(
  `DELETE FROM domains WHERE host = :host
   AND NOT EXISTS (SELECT 1 FROM domains AS alias WHERE alias.alias_of = :host)
   AND NOT EXISTS (SELECT 1 FROM urls WHERE urls.domain_id = domains.id)`,
);

/** How many links (deleted ones too) are on the domain with this host. */
export const COUNT_LINKS_ON = sqlText(
  `SELECT COUNT(*) AS n FROM urls
   WHERE domain_id = (SELECT id FROM domains WHERE host = :host) AND domain_id IS NOT NULL`,
);

/**
 * Stored targets are normalised URLs (lower-case host, punycode), so the host sits right after
 * the scheme, followed by `/`, `:` (a port) or a trailing dot. Canonical hosts hold no `%` or `_`,
 * the only LIKE wildcards.
 */
export const COUNT_LINKS_TARGETING = sqlText(
  `SELECT COUNT(*) AS n FROM urls
   WHERE deleted_at IS NULL AND (
     target LIKE 'http://' || CAST(:host AS TEXT) || '/%' OR target LIKE 'https://' || CAST(:host AS TEXT) || '/%'
     OR target LIKE 'http://' || CAST(:host AS TEXT) || ':%' OR target LIKE 'https://' || CAST(:host AS TEXT) || ':%'
     OR target LIKE 'http://' || CAST(:host AS TEXT) || './%' OR target LIKE 'https://' || CAST(:host AS TEXT) || './%'
     OR target LIKE 'http://' || CAST(:host AS TEXT) || '.:%' OR target LIKE 'https://' || CAST(:host AS TEXT) || '.:%')`,
);
