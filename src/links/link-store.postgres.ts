import type pg from 'pg';
import { postgresQuery, postgresValues, sqlText, type SqlText } from '../db/sql-text.js';
import { inTransaction } from '../db/transaction.postgres.js';
import type { LinkStore } from './link-store.js';
import { pickOptions } from './link-options.js';
import {
  ALL_LINKS_PAGE,
  DEFAULT_DOMAIN_KEY,
  type InsertResult,
  type LinkPage,
  type LinkQuery,
  type LinkSettings,
  type LinkStateName,
  type LinkWithTokenHash,
  type NewLink,
  type RedirectTarget,
  zeroStateCounts,
} from './link.js';
import {
  activeMentioningSql,
  COUNT_BY_STATE,
  COUNT_LINKS,
  SUM_VISITS,
  DELETE_DAILY,
  DELETE_LINK_TAGS,
  DELETE_REFERRERS,
  DELETE_DIMENSIONS,
  INSERT_LINK,
  LINK_BY_CODE,
  LINK_BY_TOKEN_HASH,
  LINK_COLUMNS,
  likePattern,
  OPTION_ERASES,
  listingKey,
  listingWhere,
  tagParams,
  NEWEST_ACTIVE_BY_KEY_AND_TARGET,
  ORDER_SQL,
  KEEP_SECRET,
  SECRET_BY_NAME,
  SET_BANNED,
  SET_DISABLED,
  SET_PASSWORD,
  TOMBSTONE,
  UPDATE_SETTINGS,
} from './link-sql.js';
import { LINK_CHANGED_CHANNEL } from './cache-invalidation.postgres.js';

/**
 * The PostgreSQL twin of link-store.sqlite.ts, with the same methods and results. Give it a pool
 * from createPostgresPool, which reads BIGINT as a JavaScript number.
 *
 * Every change to an existing link also sends `pg_notify('snip_link_changed', key)` in the same
 * statement, the key being the link's `<domain key>/<code>` (linkKey, redirect-cache.ts), so other machines drop the link from their redirect cache once it commits (and never
 * for a change that rolled back or changed nothing).
 */

/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * SQLite sorts NULL before every number, PostgreSQL after: say where it goes, so that links never
 * visited come first in ascending order and last in descending order on both engines.
 */
const DIRECTION_SQL: Record<LinkQuery['direction'], string> = {
  asc: 'ASC NULLS FIRST',
  desc: 'DESC NULLS LAST',
};

// Its own text: SQLite's twin is the redirect path's statement, kept positional and apart.
const REDIRECT_BY_CODE = `SELECT id, target, redirect_status AS "redirectStatus",
    forward_query AS "forwardQuery", redirect_rules AS rules, crawlable,
    expires_at AS "expiresAt", starts_at AS "startsAt", max_visits AS "maxVisits", visits, disabled_at AS "disabledAt",
    deleted_at AS "deletedAt", banned_at AS "bannedAt", password_hash AS "passwordHash"
  FROM urls WHERE code = $1 AND COALESCE(domain_id, 0) = $2`;

/**
 * What a change returns for the notification: the changed link's cache key, linkKey in
 * redirect-cache.ts (`<domain key>/<code>`).
 */
const CHANGED_KEY = `CAST(COALESCE(domain_id, 0) AS TEXT) || '/' || code AS key`;

/**
 * A change shared with SQLite, wrapped so that it returns the key of the row it changed and
 * notifies with it in the same statement; no row, no message. SQLite has one process and nobody
 * to notify.
 */
function notifying(change: SqlText): SqlText {
  return sqlText(
    `WITH changed AS (${change.sqlite} RETURNING ${CHANGED_KEY}) SELECT pg_notify(:channel, key) FROM changed`,
  );
}

const UPDATE_SETTINGS_NOTIFYING = notifying(UPDATE_SETTINGS);
const SET_DISABLED_NOTIFYING = notifying(SET_DISABLED);
const SET_BANNED_NOTIFYING = notifying(SET_BANNED);
const SET_PASSWORD_NOTIFYING = notifying(SET_PASSWORD);
const TOMBSTONE_NOTIFYING = notifying(TOMBSTONE);
// The bulk twins, their own texts: one statement for many ids (an array), each changed link
// notified by its key. SQLite has no arrays; it runs the one-link statement per id in one
// transaction instead.
const SET_DISABLED_MANY = `WITH changed AS (
    UPDATE urls SET disabled_at = $1, updated = $2
    WHERE id = ANY($3) AND deleted_at IS NULL RETURNING ${CHANGED_KEY})
  SELECT pg_notify($4, key) FROM changed`;
const TOMBSTONE_MANY = `WITH changed AS (
    UPDATE urls SET target = '', manage_token_hash = NULL, password_hash = NULL, ${OPTION_ERASES},
      deleted_at = $1, updated = $1
    WHERE id = ANY($2) RETURNING ${CHANGED_KEY})
  SELECT pg_notify($3, key) FROM changed`;
const DELETE_DAILY_MANY = 'DELETE FROM visits_daily WHERE url_id = ANY($1)';
const DELETE_REFERRERS_MANY = 'DELETE FROM visits_referrers WHERE url_id = ANY($1)';
const DELETE_DIMENSIONS_MANY = 'DELETE FROM visit_dimensions WHERE url_id = ANY($1)';
const DELETE_LINK_TAGS_MANY = 'DELETE FROM link_tags WHERE url_id = ANY($1)';

const ACTIVE_MENTIONING = activeMentioningSql('strpos');

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

export function createPostgresLinkRepository(pool: pg.Pool) {
  // One pair of statements per combination of filter, search and order, built on first use.
  const listings = new Map<string, { page: SqlText; total: SqlText }>();
  function listing(query: LinkQuery) {
    const key = listingKey(query);
    let statements = listings.get(key);
    if (!statements) {
      // ILIKE: SQLite's LIKE ignores the case of ASCII letters, PostgreSQL's LIKE does not.
      const where = listingWhere(query, 'ILIKE', (param) => `= ANY(:${param})`);
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC';
      // Texts sort byte by byte, as SQLite sorts them; PostgreSQL's collation may not.
      const collate = ['code', 'target', 'title'].includes(query.orderBy) ? ' COLLATE "C"' : '';
      const order = `${ORDER_SQL[query.orderBy]}${collate} ${DIRECTION_SQL[query.direction]}, id ${direction}`;
      statements = {
        page: sqlText(
          `SELECT ${LINK_COLUMNS} FROM urls WHERE ${where} ORDER BY ${order} LIMIT :limit OFFSET :offset`,
        ),
        total: sqlText(`SELECT COUNT(*) AS n FROM urls WHERE ${where}`),
      };
      listings.set(key, statements);
    }
    return statements;
  }

  return {
    async insertLink(link: NewLink, now: number): Promise<InsertResult> {
      try {
        // One statement commits on its own: no transaction is needed.
        const { rows } = await pool.query<LinkWithTokenHash>(
          postgresQuery(INSERT_LINK, {
            code: link.code,
            domainId: link.domainId ?? null,
            target: link.target,
            now,
            manageTokenHash: link.manageTokenHash,
            apiKeyId: link.apiKeyId ?? null,
            passwordHash: link.passwordHash ?? null,
            ...pickOptions(link),
          }),
        );
        const row = rows[0];
        if (!row) throw new Error('INSERT … RETURNING returned no row');
        return { ok: true, link: row };
      } catch (error) {
        // Any unique index, as on SQLite: the code, or (never in practice) the token's hash.
        if (isUniqueViolation(error)) return { ok: false, reason: 'code_taken' };
        throw error;
      }
    },
    async findRedirect(
      code: string,
      domainKey = DEFAULT_DOMAIN_KEY,
    ): Promise<RedirectTarget | null> {
      const { rows } = await pool.query<RedirectTarget>(REDIRECT_BY_CODE, [code, domainKey]);
      return rows[0] ?? null;
    },
    async findLink(
      code: string,
      domainKey = DEFAULT_DOMAIN_KEY,
    ): Promise<LinkWithTokenHash | null> {
      const { rows } = await pool.query<LinkWithTokenHash>(
        postgresQuery(LINK_BY_CODE, { code, domainKey }),
      );
      return rows[0] ?? null;
    },
    async findLinkByTokenHash(hash: Buffer): Promise<LinkWithTokenHash | null> {
      const { rows } = await pool.query<LinkWithTokenHash>(
        postgresQuery(LINK_BY_TOKEN_HASH, { hash }),
      );
      return rows[0] ?? null;
    },
    async updateSettings(id: number, settings: LinkSettings, now: number): Promise<void> {
      await pool.query(
        postgresQuery(UPDATE_SETTINGS_NOTIFYING, {
          target: settings.target,
          ...pickOptions(settings),
          now,
          id,
          channel: LINK_CHANGED_CHANNEL,
        }),
      );
    },
    async setDisabled(id: number, disabled: boolean, now: number): Promise<void> {
      await pool.query(
        postgresQuery(SET_DISABLED_NOTIFYING, {
          disabledAt: disabled ? now : null,
          now,
          id,
          channel: LINK_CHANGED_CHANNEL,
        }),
      );
    },
    async deleteLink(id: number, now: number): Promise<void> {
      await inTransaction(pool, async (client) => {
        await client.query(
          postgresQuery(TOMBSTONE_NOTIFYING, { now, id, channel: LINK_CHANGED_CHANNEL }),
        );
        await client.query(postgresQuery(DELETE_DAILY, { id }));
        await client.query(postgresQuery(DELETE_REFERRERS, { id }));
        await client.query(postgresQuery(DELETE_DIMENSIONS, { id }));
        await client.query(postgresQuery(DELETE_LINK_TAGS, { id }));
      });
    },
    /** Deletes these links in one transaction: all of them or, when it fails, none. */
    async deleteLinks(ids: readonly number[], now: number): Promise<void> {
      const list = [...ids];
      await inTransaction(pool, async (client) => {
        await client.query(TOMBSTONE_MANY, [now, list, LINK_CHANGED_CHANNEL]);
        await client.query(DELETE_DAILY_MANY, [list]);
        await client.query(DELETE_REFERRERS_MANY, [list]);
        await client.query(DELETE_DIMENSIONS_MANY, [list]);
        await client.query(DELETE_LINK_TAGS_MANY, [list]);
      });
    },
    /** Disables or enables these links in one statement: all of them or none. */
    async setDisabledMany(ids: readonly number[], disabled: boolean, now: number): Promise<void> {
      await pool.query(SET_DISABLED_MANY, [
        disabled ? now : null,
        now,
        [...ids],
        LINK_CHANGED_CHANNEL,
      ]);
    },
    async setBanned(id: number, ban: { reason: string } | null, now: number): Promise<void> {
      await pool.query(
        postgresQuery(SET_BANNED_NOTIFYING, {
          bannedAt: ban ? now : null,
          reason: ban?.reason ?? null,
          now,
          id,
          channel: LINK_CHANGED_CHANNEL,
        }),
      );
    },
    async setPasswordHash(id: number, passwordHash: string | null, now: number): Promise<void> {
      await pool.query(
        postgresQuery(SET_PASSWORD_NOTIFYING, {
          passwordHash,
          now,
          id,
          channel: LINK_CHANGED_CHANNEL,
        }),
      );
    },
    async keepSecret(name: string, candidate: string): Promise<string> {
      await pool.query(postgresQuery(KEEP_SECRET, { name, value: candidate }));
      const { rows } = await pool.query<{ value: string }>(postgresQuery(SECRET_BY_NAME, { name }));
      return rows[0]!.value;
    },
    /**
     * Active links whose target contains `host` (to be checked on their parsed host), in the
     * order of their ids: those after `page.after`, at most `page.limit` of them.
     */
    async activeLinksMentioning(
      host: string,
      now: number,
      page: LinkPage = ALL_LINKS_PAGE,
    ): Promise<{ id: number; code: string; domainId: number | null; target: string }[]> {
      const { rows } = await pool.query<{
        id: number;
        code: string;
        domainId: number | null;
        target: string;
      }>(postgresQuery(ACTIVE_MENTIONING, { host, now, after: page.after, limit: page.limit }));
      return rows;
    },
    async countLinks(): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(COUNT_LINKS.postgres);
      return rows[0]?.n ?? 0;
    },
    async sumVisits(): Promise<number> {
      // SUM of an integer column is a bigint, which pg answers as a string.
      const { rows } = await pool.query<{ n: string | number }>(SUM_VISITS.postgres);
      return Number(rows[0]?.n ?? 0);
    },
    /** How many links are in each state at `now` (visits still in memory are not seen). */
    async countByState(now: number): Promise<Record<LinkStateName, number>> {
      const { rows } = await pool.query<{ state: LinkStateName | 'all'; n: number }>(
        postgresQuery(COUNT_BY_STATE, { now }),
      );
      const counts = zeroStateCounts();
      for (const row of rows) counts[row.state] = row.n;
      const { all, ...states } = counts;
      // Links outside the index are active, as are those in it whose expiry is still ahead.
      states.active =
        all - states.expired - states.disabled - states.banned - states.deleted - states.scheduled;
      return states;
    },
    /**
     * The newest link this API key made to this exact target on this domain that still
     * redirects, for idempotent creation; links made without a key or by another key are never
     * found. With a code, only the link with that code.
     */
    async findActiveByTarget(
      target: string,
      apiKeyId: number,
      now: number,
      code = '',
      domainKey = DEFAULT_DOMAIN_KEY,
    ): Promise<LinkWithTokenHash | null> {
      const { rows } = await pool.query<LinkWithTokenHash>(
        postgresQuery(NEWEST_ACTIVE_BY_KEY_AND_TARGET, {
          target,
          key: apiKeyId,
          now,
          code,
          domainKey,
        }),
      );
      return rows[0] ?? null;
    },
    /** One page of links and how many match in all. */
    async listLinks(
      query: LinkQuery,
      now: number,
    ): Promise<{ links: LinkWithTokenHash[]; total: number }> {
      const { page, total } = listing(query);
      const params = {
        now,
        pattern: likePattern(query.search),
        limit: query.limit,
        offset: query.offset,
        domainKey: query.domainKey ?? DEFAULT_DOMAIN_KEY,
        createdFrom: query.createdFrom ?? 0,
        createdTo: query.createdTo ?? 0,
        ...tagParams(query, (keys) => [...keys]),
      };
      const [links, counted] = await Promise.all([
        pool.query<LinkWithTokenHash>(page.postgres, postgresValues(page, params)),
        pool.query<{ n: number }>(total.postgres, postgresValues(total, params)),
      ]);
      return { links: links.rows, total: counted.rows[0]?.n ?? 0 };
    },
  };
}

createPostgresLinkRepository satisfies (pool: pg.Pool) => LinkStore;
