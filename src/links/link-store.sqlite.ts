import type Database from 'better-sqlite3';
import type { Db } from '../db/open-database.sqlite.js';
import {
  ALL_LINKS_PAGE,
  DEFAULT_DOMAIN_KEY,
  domainKeyOf,
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
import { createCodeIndex, type CodeIndex } from './code-index.js';

export type LinkRepository = ReturnType<typeof createLinkRepository>;

/**
 * The most links the redirect's in-memory index holds (ADR 044): 8 bytes a slot at 70% load, so
 * at most about 46 MB. A table with more rows is not indexed, and one that grows past it drops
 * its index: lookups then take SQLite's index, as without it.
 */
export const MAX_INDEXED_LINKS = 4_000_000;
/** Rows read per turn of the event loop while the index is built (a few milliseconds each). */
const INDEX_SLICE_ROWS = 4_000;

export type LinkRepositoryOptions = {
  /**
   * The in-memory index of codes in front of the redirect's lookup (ADR 044): at most this many
   * links (MAX_INDEXED_LINKS unless given), or none at all with `false`.
   */
  codeIndex?: { maxLinks: number } | false;
};

/** Where the in-memory index of codes stands. */
export type CodeIndexState = {
  state: 'not started' | 'building' | 'built' | 'off';
  entries: number;
  bytes: number;
  /** Milliseconds from the first slice to the last (0 until built). */
  buildMs: number;
  /** Lookups the index answered, and those it sent to SQLite's index (unknown to it, or no link). */
  found: number;
  fellBack: number;
};

/** The only place that speaks SQL about links. Statements are prepared once. */
export function createLinkRepository(db: Db, options: LinkRepositoryOptions = {}) {
  const insert = db.prepare<[Record<string, unknown>], LinkWithTokenHash>(INSERT_LINK.sqlite);
  const byCode = db.prepare<[{ code: string; domainKey: number }], LinkWithTokenHash>(
    LINK_BY_CODE.sqlite,
  );
  // Its own text, positional: the redirect path's statement stays as lean as it can be. The
  // PostgreSQL twin has its own text for the same columns.
  const REDIRECT_COLUMNS = `id, target, redirect_status AS redirectStatus,
       forward_query AS forwardQuery, redirect_rules AS rules, crawlable, expires_at AS expiresAt,
       starts_at AS startsAt, max_visits AS maxVisits, visits, disabled_at AS disabledAt,
       deleted_at AS deletedAt, banned_at AS bannedAt, password_hash AS passwordHash`;
  const redirectByCode = db.prepare<[string, number], RedirectTarget>(
    `SELECT ${REDIRECT_COLUMNS} FROM urls WHERE code = ? AND COALESCE(domain_id, 0) = ?`,
  );
  // The row the in-memory index names, only if it still holds that code on that domain: one
  // descent of the table's B-tree instead of the code index's and then the table's.
  const redirectById = db.prepare<[number, string, number], RedirectTarget>(
    `SELECT ${REDIRECT_COLUMNS} FROM urls
     WHERE id = ? AND code = ? AND COALESCE(domain_id, 0) = ?`,
  );
  const readIndexed = (id: number, code: string, domainKey: number) =>
    redirectById.get(id, code, domainKey);
  const indexSlice = db
    .prepare<[number, number], [number, string, number]>(
      'SELECT id, code, COALESCE(domain_id, 0) FROM urls WHERE id > ? ORDER BY id LIMIT ?',
    )
    .raw();
  const highestId = db.prepare<[], number | null>('SELECT MAX(id) FROM urls').pluck();
  const maxIndexed =
    options.codeIndex === false ? 0 : (options.codeIndex?.maxLinks ?? MAX_INDEXED_LINKS);
  let index: CodeIndex | null = null;
  const indexState: CodeIndexState = {
    state: options.codeIndex === false ? 'off' : 'not started',
    entries: 0,
    bytes: 0,
    buildMs: 0,
    found: 0,
    fellBack: 0,
  };

  /**
   * Builds the index a slice of rows per turn of the event loop, so that the requests that come
   * meanwhile are answered (the index serves what it holds already; the rest is looked up in
   * SQLite). A table larger than the budget is not indexed.
   */
  function startIndexing(): void {
    const highest = highestId.get() ?? 0;
    if (highest > maxIndexed) {
      indexState.state = 'off';
      return;
    }
    indexState.state = 'building';
    const building = createCodeIndex(highest, maxIndexed);
    index = building;
    const started = performance.now();
    let after = 0;
    const slice = () => {
      // The connection may be closed meanwhile (shutdown, a test's end): the build just stops.
      if (!db.open || building.abandoned()) return;
      let rows: [number, string, number][];
      try {
        rows = indexSlice.all(after, INDEX_SLICE_ROWS);
      } catch {
        // A partial index is still right (every hit is checked, every miss looked up).
        return;
      }
      for (const [id, code, domainKey] of rows) building.add(domainKey, code, id);
      if (rows.length === INDEX_SLICE_ROWS) {
        after = rows[rows.length - 1]![0];
        setImmediate(slice).unref();
        return;
      }
      indexState.state = building.abandoned() ? 'off' : 'built';
      indexState.buildMs = performance.now() - started;
    };
    setImmediate(slice).unref();
  }
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
        index?.add(domainKeyOf(row.domainId), row.code, row.id);
        return { ok: true, link: row };
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          return { ok: false, reason: 'code_taken' };
        }
        throw error;
      }
    },
    /**
     * The redirect path's only query: the row the in-memory index names, checked to hold this
     * code (ADR 044); otherwise one indexed lookup of the columns it needs.
     */
    findRedirect(code: string, domainKey = DEFAULT_DOMAIN_KEY): RedirectTarget | null {
      if (index === null) {
        if (indexState.state === 'not started') startIndexing();
        return redirectByCode.get(code, domainKey) ?? null;
      }
      const indexed = index.find(domainKey, code, readIndexed);
      if (indexed !== undefined) {
        indexState.found += 1;
        return indexed;
      }
      indexState.fellBack += 1;
      // Not in the index (another process's link, one not reached by the build yet, a code that
      // is no link): SQLite's index says, and the index learns it.
      const found = redirectByCode.get(code, domainKey) ?? null;
      if (found !== null) index.add(domainKey, code, found.id);
      return found;
    },
    /** Where the redirect's in-memory index stands (for the bench and the tests). */
    codeIndexState(): CodeIndexState {
      if (index !== null) {
        indexState.entries = index.size();
        indexState.bytes = index.bytes();
        if (index.abandoned()) indexState.state = 'off';
      }
      return { ...indexState };
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
