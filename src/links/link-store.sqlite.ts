import type Database from 'better-sqlite3';
import type { Db } from '../db/open-database.sqlite.js';
import {
  ALL_LINKS_PAGE,
  type InsertResult,
  type LinkPage,
  type LinkQuery,
  type LinkSettings,
  type LinkStateName,
  type LinkWithTokenHash,
  type NewLink,
  type RedirectStatus,
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
import type { LinkStore } from './link-store.js';

type LinkRow = {
  id: number;
  code: string;
  target: string;
  created: number;
  updated: number;
  redirect_status: RedirectStatus;
  expires_at: number | null;
  max_visits: number | null;
  visits: number;
  last_visit: number | null;
  disabled_at: number | null;
  deleted_at: number | null;
  banned_at: number | null;
  ban_reason: string | null;
  manage_token_hash: Buffer | null;
};

const COLUMNS =
  'id, code, target, created, updated, redirect_status, expires_at, max_visits, visits, last_visit, disabled_at, deleted_at, banned_at, ban_reason, manage_token_hash';

function toLink(row: LinkRow): LinkWithTokenHash {
  return {
    id: row.id,
    code: row.code,
    target: row.target,
    created: row.created,
    updated: row.updated,
    redirectStatus: row.redirect_status,
    expiresAt: row.expires_at,
    maxVisits: row.max_visits,
    visits: row.visits,
    lastVisit: row.last_visit,
    disabledAt: row.disabled_at,
    deletedAt: row.deleted_at,
    bannedAt: row.banned_at,
    banReason: row.ban_reason,
    manageTokenHash: row.manage_token_hash,
  };
}

export type LinkRepository = ReturnType<typeof createLinkRepository>;

/** The only place that speaks SQL about links. Statements are prepared once. */
export function createLinkRepository(db: Db) {
  const insert = db.prepare<unknown[], LinkRow>(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status, expires_at, max_visits, api_key_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  );
  const byCode = db.prepare<[string], LinkRow>(`SELECT ${COLUMNS} FROM urls WHERE code = ?`);
  const redirectByCode = db.prepare<[string], RedirectTarget>(
    `SELECT id, target, redirect_status AS redirectStatus, expires_at AS expiresAt,
       max_visits AS maxVisits, visits, disabled_at AS disabledAt, deleted_at AS deletedAt,
       banned_at AS bannedAt
     FROM urls WHERE code = ?`,
  );
  const byTokenHash = db.prepare<[Buffer], LinkRow>(
    `SELECT ${COLUMNS} FROM urls WHERE manage_token_hash = ?`,
  );
  const updateSettings = db.prepare<unknown[]>(
    `UPDATE urls SET target = ?, redirect_status = ?, expires_at = ?, max_visits = ?, updated = ?
     WHERE id = ? AND deleted_at IS NULL`,
  );
  const setDisabled = db.prepare<[number | null, number, number]>(
    'UPDATE urls SET disabled_at = ?, updated = ? WHERE id = ? AND deleted_at IS NULL',
  );
  // A tombstone: the code stays taken forever, everything else the owner gave us is erased.
  const tombstone = db.prepare<[number, number, number]>(
    `UPDATE urls SET target = '', manage_token_hash = NULL, expires_at = NULL, max_visits = NULL,
       deleted_at = ?, updated = ? WHERE id = ?`,
  );
  const deleteDaily = db.prepare<[number]>('DELETE FROM visits_daily WHERE url_id = ?');
  const deleteReferrers = db.prepare<[number]>('DELETE FROM visits_referrers WHERE url_id = ?');
  const count = db.prepare<[], { n: number }>(
    'SELECT COUNT(*) AS n FROM urls WHERE deleted_at IS NULL',
  );
  const countStates = db.prepare<{ now: number }, { state: LinkStateName | 'all'; n: number }>(
    COUNT_BY_STATE_SQL,
  );
  // A write is acknowledged only after its commit: better-sqlite3's .get() on INSERT … RETURNING
  // outside a transaction steps once and resets, and a failed autocommit (SQLITE_FULL when the
  // WAL cannot grow) is reported only by that reset, which the driver ignores. In a transaction
  // the COMMIT is a statement of its own, and its failure throws.
  const insertRow = db.transaction((link: NewLink, now: number) =>
    insert.get(
      link.code,
      link.target,
      now,
      now,
      link.manageTokenHash,
      link.redirectStatus,
      link.expiresAt,
      link.maxVisits,
      link.apiKeyId ?? null,
    ),
  );
  const setBanned = db.prepare<[number | null, string | null, number, number]>(
    'UPDATE urls SET banned_at = ?, ban_reason = ?, updated = ? WHERE id = ? AND deleted_at IS NULL',
  );
  // A prefilter in SQL; the caller compares the parsed host (a substring can be a false match).
  // Read a page at a time in the order of the ids, so a large result never holds the event loop.
  const activeMentioning = db.prepare<
    { host: string; now: number; after: number; limit: number },
    { id: number; code: string; target: string }
  >(
    `SELECT id, code, target FROM urls
     WHERE instr(target, :host) > 0 AND ${STATE_SQL.active} AND id > :after
     ORDER BY id LIMIT :limit`,
  );
  const deleteOne = (id: number, now: number) => {
    tombstone.run(now, now, id);
    deleteDaily.run(id);
    deleteReferrers.run(id);
  };
  const deleteLink = db.transaction(deleteOne);
  // A bulk change is one transaction (one commit, one fsync) for all its links, or none of them.
  const deleteMany = db.transaction((ids: readonly number[], now: number) => {
    for (const id of ids) deleteOne(id, now);
  });
  const setDisabledMany = db.transaction(
    (ids: readonly number[], disabledAt: number | null, now: number) => {
      for (const id of ids) setDisabled.run(disabledAt, now, id);
    },
  );

  const newestActiveByTarget = db.prepare<
    { target: string; key: number; now: number; code: string },
    LinkRow
  >(newestActiveByKeyAndTargetSql(COLUMNS));
  // One statement per combination of filter, search and order, each prepared on first use.
  const listings = new Map<string, { page: Database.Statement; total: Database.Statement }>();
  function listing(query: LinkQuery) {
    const key = listingKey(query);
    let statements = listings.get(key);
    if (!statements) {
      const where = listingWhere(query, 'LIKE');
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC';
      const order = ORDER_SQL[query.orderBy];
      statements = {
        page: db.prepare(
          `SELECT ${COLUMNS} FROM urls WHERE ${where}
           ORDER BY ${order} ${direction}, id ${direction} LIMIT :limit OFFSET :offset`,
        ),
        total: db.prepare(`SELECT COUNT(*) AS n FROM urls WHERE ${where}`).pluck(),
      };
      listings.set(key, statements);
    }
    return statements;
  }

  return {
    insertLink(link: NewLink, now: number): InsertResult {
      try {
        const row = insertRow(link, now);
        if (!row) throw new Error('INSERT … RETURNING returned no row');
        return { ok: true, link: toLink(row) };
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          return { ok: false, reason: 'code_taken' };
        }
        throw error;
      }
    },
    /** The redirect path's only query: one indexed lookup of the columns it needs. */
    findRedirect(code: string): RedirectTarget | null {
      return redirectByCode.get(code) ?? null;
    },
    findLink(code: string): LinkWithTokenHash | null {
      const row = byCode.get(code);
      return row ? toLink(row) : null;
    },
    findLinkByTokenHash(hash: Buffer): LinkWithTokenHash | null {
      const row = byTokenHash.get(hash);
      return row ? toLink(row) : null;
    },
    updateSettings(id: number, settings: LinkSettings, now: number): void {
      updateSettings.run(
        settings.target,
        settings.redirectStatus,
        settings.expiresAt,
        settings.maxVisits,
        now,
        id,
      );
    },
    setDisabled(id: number, disabled: boolean, now: number): void {
      setDisabled.run(disabled ? now : null, now, id);
    },
    deleteLink(id: number, now: number): void {
      deleteLink(id, now);
    },
    /** Deletes these links in one transaction: all of them or, when it fails, none. */
    deleteLinks(ids: readonly number[], now: number): void {
      deleteMany(ids, now);
    },
    /** Disables or enables these links in one transaction: all of them or none. */
    setDisabledMany(ids: readonly number[], disabled: boolean, now: number): void {
      setDisabledMany(ids, disabled ? now : null, now);
    },
    setBanned(id: number, ban: { reason: string } | null, now: number): void {
      setBanned.run(ban ? now : null, ban?.reason ?? null, now, id);
    },
    /**
     * Active links whose target contains `host` (to be checked on their parsed host), in the
     * order of their ids: those after `page.after`, at most `page.limit` of them.
     */
    activeLinksMentioning(
      host: string,
      now: number,
      page: LinkPage = ALL_LINKS_PAGE,
    ): { id: number; code: string; target: string }[] {
      return activeMentioning.all({ host, now, after: page.after, limit: page.limit });
    },
    countLinks(): number {
      return count.get()?.n ?? 0;
    },
    /** How many links are in each state at `now` (visits still in memory are not seen). */
    countByState(now: number): Record<LinkStateName, number> {
      const counts = { active: 0, expired: 0, disabled: 0, banned: 0, deleted: 0, all: 0 };
      for (const row of countStates.all({ now })) counts[row.state] = row.n;
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
    findActiveByTarget(
      target: string,
      apiKeyId: number,
      now: number,
      code = '',
    ): LinkWithTokenHash | null {
      const row = newestActiveByTarget.get({ target, key: apiKeyId, now, code });
      return row ? toLink(row) : null;
    },
    /** One page of links and how many match in all. */
    listLinks(query: LinkQuery, now: number): { links: LinkWithTokenHash[]; total: number } {
      const { page, total } = listing(query);
      const params = {
        now,
        pattern: likePattern(query.search),
        limit: query.limit,
        offset: query.offset,
      };
      const used = (sql: string) =>
        Object.fromEntries(Object.entries(params).filter(([name]) => sql.includes(`:${name}`)));
      return {
        links: (page.all(used(page.source)) as LinkRow[]).map(toLink),
        total: total.get(used(total.source)) as number,
      };
    },
  };
}

createLinkRepository satisfies (db: Db) => LinkStore;
