import type pg from 'pg';
import { inTransaction } from '../db/transaction.postgres.js';
import type { LinkStore } from './link-store.js';
import {
  ALL_LINKS_PAGE,
  type InsertResult,
  type LinkPage,
  type LinkQuery,
  type LinkSettings,
  type LinkStateName,
  type LinkWithTokenHash,
  type NewLink,
  type RedirectTarget,
} from './link.js';
import {
  COUNT_BY_STATE_SQL,
  likePattern,
  listingKey,
  listingWhere,
  newestActiveByKeyAndTargetSql,
  ORDER_SQL,
  STATE_SQL,
} from './link-sql.js';
import { LINK_CHANGED_CHANNEL } from './cache-invalidation.postgres.js';

/**
 * The PostgreSQL twin of link-store.sqlite.ts, with the same methods and results. Give it a pool
 * from createPostgresPool, which reads BIGINT as a JavaScript number.
 *
 * Every change to an existing link also sends `pg_notify('snip_link_changed', code)` in the same
 * statement, so other machines drop the link from their redirect cache once it commits (and never
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

/** Quoted: PostgreSQL folds unquoted names to lower case. */
const COLUMNS = `id, code, target, created, updated, redirect_status AS "redirectStatus",
  expires_at AS "expiresAt", max_visits AS "maxVisits", visits, last_visit AS "lastVisit",
  disabled_at AS "disabledAt", deleted_at AS "deletedAt", banned_at AS "bannedAt",
  ban_reason AS "banReason", manage_token_hash AS "manageTokenHash"`;

const INSERT = `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status,
    expires_at, max_visits, api_key_id)
  VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`;
const BY_CODE = `SELECT ${COLUMNS} FROM urls WHERE code = $1`;
const REDIRECT_BY_CODE = `SELECT id, target, redirect_status AS "redirectStatus",
    expires_at AS "expiresAt", max_visits AS "maxVisits", visits, disabled_at AS "disabledAt",
    deleted_at AS "deletedAt", banned_at AS "bannedAt"
  FROM urls WHERE code = $1`;
const BY_TOKEN_HASH = `SELECT ${COLUMNS} FROM urls WHERE manage_token_hash = $1`;

// Each change returns the code of the row it changed and notifies with it; no row, no message.
const UPDATE_SETTINGS = `WITH changed AS (
    UPDATE urls SET target = $1, redirect_status = $2, expires_at = $3, max_visits = $4, updated = $5
    WHERE id = $6 AND deleted_at IS NULL RETURNING code)
  SELECT pg_notify($7, code) FROM changed`;
const SET_DISABLED = `WITH changed AS (
    UPDATE urls SET disabled_at = $1, updated = $2
    WHERE id = $3 AND deleted_at IS NULL RETURNING code)
  SELECT pg_notify($4, code) FROM changed`;
const SET_BANNED = `WITH changed AS (
    UPDATE urls SET banned_at = $1, ban_reason = $2, updated = $3
    WHERE id = $4 AND deleted_at IS NULL RETURNING code)
  SELECT pg_notify($5, code) FROM changed`;
// A tombstone: the code stays taken forever, everything else the owner gave us is erased.
const TOMBSTONE = `WITH changed AS (
    UPDATE urls SET target = '', manage_token_hash = NULL, expires_at = NULL, max_visits = NULL,
      deleted_at = $1, updated = $1
    WHERE id = $2 RETURNING code)
  SELECT pg_notify($3, code) FROM changed`;
const DELETE_DAILY = 'DELETE FROM visits_daily WHERE url_id = $1';
const DELETE_REFERRERS = 'DELETE FROM visits_referrers WHERE url_id = $1';
// The bulk twins: one statement for many ids (an array), each changed link notified by its code.
const SET_DISABLED_MANY = `WITH changed AS (
    UPDATE urls SET disabled_at = $1, updated = $2
    WHERE id = ANY($3) AND deleted_at IS NULL RETURNING code)
  SELECT pg_notify($4, code) FROM changed`;
const TOMBSTONE_MANY = `WITH changed AS (
    UPDATE urls SET target = '', manage_token_hash = NULL, expires_at = NULL, max_visits = NULL,
      deleted_at = $1, updated = $1
    WHERE id = ANY($2) RETURNING code)
  SELECT pg_notify($3, code) FROM changed`;
const DELETE_DAILY_MANY = 'DELETE FROM visits_daily WHERE url_id = ANY($1)';
const DELETE_REFERRERS_MANY = 'DELETE FROM visits_referrers WHERE url_id = ANY($1)';

const COUNT = 'SELECT COUNT(*) AS n FROM urls WHERE deleted_at IS NULL';

/** A statement written with `:name` parameters, and the names its `$1`, `$2`, … stand for. */
type Named = { text: string; names: string[] };

/**
 * Turns the `:name` parameters of `sql` into pg's `$1`, `$2`, … (a name used twice keeps its
 * number), so the state fragments can be shared as they are: PostgreSQL refuses a parameter that
 * the statement does not use, so each statement may number only the names it contains. Only for
 * the SQL of this file, which has no `::` casts.
 */
function named(sql: string): Named {
  const names: string[] = [];
  const text = sql.replace(/:([a-z]+)/g, (_match, name: string) => {
    const index = names.includes(name) ? names.indexOf(name) : names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text, names };
}

function valuesOf(statement: Named, params: Record<string, unknown>): unknown[] {
  return statement.names.map((name) => {
    if (!(name in params)) throw new Error(`no value for :${name}`);
    return params[name];
  });
}

const COUNT_BY_STATE = named(COUNT_BY_STATE_SQL);
// A prefilter in SQL; the caller compares the parsed host (a substring can be a false match).
// A page at a time, in the order of the ids, as on SQLite.
const ACTIVE_MENTIONING = named(
  `SELECT id, code, target FROM urls
   WHERE strpos(target, :host) > 0 AND ${STATE_SQL.active} AND id > :after
   ORDER BY id LIMIT :limit`,
);
const NEWEST_ACTIVE_BY_KEY_AND_TARGET = named(newestActiveByKeyAndTargetSql(COLUMNS));

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

export function createPostgresLinkRepository(pool: pg.Pool) {
  // One pair of statements per combination of filter, search and order, built on first use.
  const listings = new Map<string, { page: Named; total: Named }>();
  function listing(query: LinkQuery) {
    const key = listingKey(query);
    let statements = listings.get(key);
    if (!statements) {
      // ILIKE: SQLite's LIKE ignores the case of ASCII letters, PostgreSQL's LIKE does not.
      const where = listingWhere(query, 'ILIKE');
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC';
      const order = `${ORDER_SQL[query.orderBy]} ${DIRECTION_SQL[query.direction]}, id ${direction}`;
      statements = {
        page: named(
          `SELECT ${COLUMNS} FROM urls WHERE ${where} ORDER BY ${order} LIMIT :limit OFFSET :offset`,
        ),
        total: named(`SELECT COUNT(*) AS n FROM urls WHERE ${where}`),
      };
      listings.set(key, statements);
    }
    return statements;
  }

  return {
    async insertLink(link: NewLink, now: number): Promise<InsertResult> {
      try {
        // One statement commits on its own: no transaction is needed.
        const { rows } = await pool.query<LinkWithTokenHash>(INSERT, [
          link.code,
          link.target,
          now,
          link.manageTokenHash,
          link.redirectStatus,
          link.expiresAt,
          link.maxVisits,
          link.apiKeyId ?? null,
        ]);
        const row = rows[0];
        if (!row) throw new Error('INSERT … RETURNING returned no row');
        return { ok: true, link: row };
      } catch (error) {
        // Any unique index, as on SQLite: the code, or (never in practice) the token's hash.
        if (isUniqueViolation(error)) return { ok: false, reason: 'code_taken' };
        throw error;
      }
    },
    async findRedirect(code: string): Promise<RedirectTarget | null> {
      const { rows } = await pool.query<RedirectTarget>(REDIRECT_BY_CODE, [code]);
      return rows[0] ?? null;
    },
    async findLink(code: string): Promise<LinkWithTokenHash | null> {
      const { rows } = await pool.query<LinkWithTokenHash>(BY_CODE, [code]);
      return rows[0] ?? null;
    },
    async findLinkByTokenHash(hash: Buffer): Promise<LinkWithTokenHash | null> {
      const { rows } = await pool.query<LinkWithTokenHash>(BY_TOKEN_HASH, [hash]);
      return rows[0] ?? null;
    },
    async updateSettings(id: number, settings: LinkSettings, now: number): Promise<void> {
      await pool.query(UPDATE_SETTINGS, [
        settings.target,
        settings.redirectStatus,
        settings.expiresAt,
        settings.maxVisits,
        now,
        id,
        LINK_CHANGED_CHANNEL,
      ]);
    },
    async setDisabled(id: number, disabled: boolean, now: number): Promise<void> {
      await pool.query(SET_DISABLED, [disabled ? now : null, now, id, LINK_CHANGED_CHANNEL]);
    },
    async deleteLink(id: number, now: number): Promise<void> {
      await inTransaction(pool, async (client) => {
        await client.query(TOMBSTONE, [now, id, LINK_CHANGED_CHANNEL]);
        await client.query(DELETE_DAILY, [id]);
        await client.query(DELETE_REFERRERS, [id]);
      });
    },
    /** Deletes these links in one transaction: all of them or, when it fails, none. */
    async deleteLinks(ids: readonly number[], now: number): Promise<void> {
      const list = [...ids];
      await inTransaction(pool, async (client) => {
        await client.query(TOMBSTONE_MANY, [now, list, LINK_CHANGED_CHANNEL]);
        await client.query(DELETE_DAILY_MANY, [list]);
        await client.query(DELETE_REFERRERS_MANY, [list]);
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
      await pool.query(SET_BANNED, [
        ban ? now : null,
        ban?.reason ?? null,
        now,
        id,
        LINK_CHANGED_CHANNEL,
      ]);
    },
    /**
     * Active links whose target contains `host` (to be checked on their parsed host), in the
     * order of their ids: those after `page.after`, at most `page.limit` of them.
     */
    async activeLinksMentioning(
      host: string,
      now: number,
      page: LinkPage = ALL_LINKS_PAGE,
    ): Promise<{ id: number; code: string; target: string }[]> {
      const { rows } = await pool.query<{ id: number; code: string; target: string }>(
        ACTIVE_MENTIONING.text,
        valuesOf(ACTIVE_MENTIONING, { host, now, after: page.after, limit: page.limit }),
      );
      return rows;
    },
    async countLinks(): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(COUNT);
      return rows[0]?.n ?? 0;
    },
    /** How many links are in each state at `now` (visits still in memory are not seen). */
    async countByState(now: number): Promise<Record<LinkStateName, number>> {
      const { rows } = await pool.query<{ state: LinkStateName | 'all'; n: number }>(
        COUNT_BY_STATE.text,
        valuesOf(COUNT_BY_STATE, { now }),
      );
      const counts = { active: 0, expired: 0, disabled: 0, banned: 0, deleted: 0, all: 0 };
      for (const row of rows) counts[row.state] = row.n;
      const { all, ...states } = counts;
      // Links outside the index are active, as are those in it whose expiry is still ahead.
      states.active = all - states.expired - states.disabled - states.banned - states.deleted;
      return states;
    },
    /**
     * The newest link this API key made to this exact target that still redirects, for
     * idempotent creation; links made without a key or by another key are never found. With a
     * code, only the link with that code.
     */
    async findActiveByTarget(
      target: string,
      apiKeyId: number,
      now: number,
      code = '',
    ): Promise<LinkWithTokenHash | null> {
      const { rows } = await pool.query<LinkWithTokenHash>(
        NEWEST_ACTIVE_BY_KEY_AND_TARGET.text,
        valuesOf(NEWEST_ACTIVE_BY_KEY_AND_TARGET, { target, key: apiKeyId, now, code }),
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
      };
      const [links, counted] = await Promise.all([
        pool.query<LinkWithTokenHash>(page.text, valuesOf(page, params)),
        pool.query<{ n: number }>(total.text, valuesOf(total, params)),
      ]);
      return { links: links.rows, total: counted.rows[0]?.n ?? 0 };
    },
  };
}

createPostgresLinkRepository satisfies (pool: pg.Pool) => LinkStore;
