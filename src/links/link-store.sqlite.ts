import type Database from 'better-sqlite3';
import type { Db } from '../db/open-database.sqlite.js';
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
import type { LinkStore } from './link-store.js';
import { pickOptions } from './link-options.js';

export type LinkRepository = ReturnType<typeof createLinkRepository>;

/** The only place that speaks SQL about links. Statements are prepared once. */
export function createLinkRepository(db: Db) {
  const insert = db.prepare<[Record<string, unknown>], LinkWithTokenHash>(INSERT_LINK.sqlite);
  const byCode = db.prepare<[{ code: string; domainKey: number }], LinkWithTokenHash>(
    LINK_BY_CODE.sqlite,
  );
  // Its own text, positional: the redirect path's statement stays as lean as it can be. The
  // PostgreSQL twin has its own text for the same columns.
  const redirectByCode = db.prepare<[string, number], RedirectTarget>(
    `SELECT id, target, redirect_status AS redirectStatus, forward_query AS forwardQuery,
       redirect_rules AS rules, crawlable, expires_at AS expiresAt, starts_at AS startsAt,
       max_visits AS maxVisits, visits, disabled_at AS disabledAt, deleted_at AS deletedAt,
       banned_at AS bannedAt, password_hash AS passwordHash
     FROM urls WHERE code = ? AND COALESCE(domain_id, 0) = ?`,
  );
  const byTokenHash = db.prepare<[{ hash: Buffer }], LinkWithTokenHash>(LINK_BY_TOKEN_HASH.sqlite);
  const updateSettings = db.prepare(UPDATE_SETTINGS.sqlite);
  const setDisabled = db.prepare<[{ disabledAt: number | null; now: number; id: number }]>(
    SET_DISABLED.sqlite,
  );
  const tombstone = db.prepare<[{ now: number; id: number }]>(TOMBSTONE.sqlite);
  const deleteDaily = db.prepare<[{ id: number }]>(DELETE_DAILY.sqlite);
  const deleteReferrers = db.prepare<[{ id: number }]>(DELETE_REFERRERS.sqlite);
  const deleteDimensions = db.prepare<[{ id: number }]>(DELETE_DIMENSIONS.sqlite);
  const deleteLinkTags = db.prepare<[{ id: number }]>(DELETE_LINK_TAGS.sqlite);
  const count = db.prepare<[], { n: number }>(COUNT_LINKS.sqlite);
  const sumVisits = db.prepare<[], { n: number }>(SUM_VISITS.sqlite);
  const countStates = db.prepare<{ now: number }, { state: LinkStateName | 'all'; n: number }>(
    COUNT_BY_STATE.sqlite,
  );
  // A write is acknowledged only after its commit: better-sqlite3's .get() on INSERT … RETURNING
  // outside a transaction steps once and resets, and a failed autocommit (SQLITE_FULL when the
  // WAL cannot grow) is reported only by that reset, which the driver ignores. In a transaction
  // the COMMIT is a statement of its own, and its failure throws.
  const insertRow = db.transaction((link: NewLink, now: number) =>
    insert.get({
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
  const setBanned = db.prepare(SET_BANNED.sqlite);
  const setPassword = db.prepare<[{ passwordHash: string | null; now: number; id: number }]>(
    SET_PASSWORD.sqlite,
  );
  const keepSecret = db.prepare<[{ name: string; value: string }]>(KEEP_SECRET.sqlite);
  const secretByName = db.prepare<[{ name: string }], { value: string }>(SECRET_BY_NAME.sqlite);
  const activeMentioning = db.prepare<
    { host: string; now: number; after: number; limit: number },
    { id: number; code: string; domainId: number | null; target: string }
  >(activeMentioningSql('instr').sqlite);
  const deleteOne = (id: number, now: number) => {
    tombstone.run({ now, id });
    deleteDaily.run({ id });
    deleteReferrers.run({ id });
    deleteDimensions.run({ id });
    deleteLinkTags.run({ id });
  };
  const deleteLink = db.transaction(deleteOne);
  // A bulk change is one transaction (one commit, one fsync) for all its links, or none of them.
  const deleteMany = db.transaction((ids: readonly number[], now: number) => {
    for (const id of ids) deleteOne(id, now);
  });
  const setDisabledMany = db.transaction(
    (ids: readonly number[], disabledAt: number | null, now: number) => {
      for (const id of ids) setDisabled.run({ disabledAt, now, id });
    },
  );

  const newestActiveByTarget = db.prepare<
    { target: string; key: number; now: number; code: string; domainKey: number },
    LinkWithTokenHash
  >(NEWEST_ACTIVE_BY_KEY_AND_TARGET.sqlite);
  // One statement per combination of filter, search and order, each prepared on first use.
  // Their own text: SQLite's LIKE, and its NULLs sort first by themselves (see the twin).
  const listings = new Map<string, { page: Database.Statement; total: Database.Statement }>();
  function listing(query: LinkQuery) {
    const key = listingKey(query);
    let statements = listings.get(key);
    if (!statements) {
      const where = listingWhere(
        query,
        'LIKE',
        (param) => `IN (SELECT value FROM json_each(:${param}))`,
      );
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC';
      const order = ORDER_SQL[query.orderBy];
      statements = {
        page: db.prepare(
          `SELECT ${LINK_COLUMNS} FROM urls WHERE ${where}
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
        return { ok: true, link: row };
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          return { ok: false, reason: 'code_taken' };
        }
        throw error;
      }
    },
    /** The redirect path's only query: one indexed lookup of the columns it needs. */
    findRedirect(code: string, domainKey = DEFAULT_DOMAIN_KEY): RedirectTarget | null {
      return redirectByCode.get(code, domainKey) ?? null;
    },
    findLink(code: string, domainKey = DEFAULT_DOMAIN_KEY): LinkWithTokenHash | null {
      return byCode.get({ code, domainKey }) ?? null;
    },
    findLinkByTokenHash(hash: Buffer): LinkWithTokenHash | null {
      return byTokenHash.get({ hash }) ?? null;
    },
    updateSettings(id: number, settings: LinkSettings, now: number): void {
      updateSettings.run({
        target: settings.target,
        ...pickOptions(settings),
        now,
        id,
      });
    },
    setDisabled(id: number, disabled: boolean, now: number): void {
      setDisabled.run({ disabledAt: disabled ? now : null, now, id });
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
      setBanned.run({ bannedAt: ban ? now : null, reason: ban?.reason ?? null, now, id });
    },
    setPasswordHash(id: number, passwordHash: string | null, now: number): void {
      setPassword.run({ passwordHash, now, id });
    },
    keepSecret(name: string, candidate: string): string {
      keepSecret.run({ name, value: candidate });
      return secretByName.get({ name })!.value;
    },
    /**
     * Active links whose target contains `host` (to be checked on their parsed host), in the
     * order of their ids: those after `page.after`, at most `page.limit` of them.
     */
    activeLinksMentioning(
      host: string,
      now: number,
      page: LinkPage = ALL_LINKS_PAGE,
    ): { id: number; code: string; domainId: number | null; target: string }[] {
      return activeMentioning.all({ host, now, after: page.after, limit: page.limit });
    },
    countLinks(): number {
      return count.get()?.n ?? 0;
    },
    sumVisits(): number {
      return sumVisits.get()?.n ?? 0;
    },
    /** How many links are in each state at `now` (visits still in memory are not seen). */
    countByState(now: number): Record<LinkStateName, number> {
      const counts = zeroStateCounts();
      for (const row of countStates.all({ now })) counts[row.state] = row.n;
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
    findActiveByTarget(
      target: string,
      apiKeyId: number,
      now: number,
      code = '',
      domainKey = DEFAULT_DOMAIN_KEY,
    ): LinkWithTokenHash | null {
      return newestActiveByTarget.get({ target, key: apiKeyId, now, code, domainKey }) ?? null;
    },
    /** One page of links and how many match in all. */
    listLinks(query: LinkQuery, now: number): { links: LinkWithTokenHash[]; total: number } {
      const { page, total } = listing(query);
      const params = {
        now,
        pattern: likePattern(query.search),
        limit: query.limit,
        offset: query.offset,
        domainKey: query.domainKey ?? DEFAULT_DOMAIN_KEY,
        createdFrom: query.createdFrom ?? 0,
        createdTo: query.createdTo ?? 0,
        ...tagParams(query, (keys) => JSON.stringify(keys)),
      };
      const used = (sql: string) =>
        Object.fromEntries(Object.entries(params).filter(([name]) => sql.includes(`:${name}`)));
      return {
        links: page.all(used(page.source)) as LinkWithTokenHash[],
        total: total.get(used(total.source)) as number,
      };
    },
  };
}

createLinkRepository satisfies (db: Db) => LinkStore;
