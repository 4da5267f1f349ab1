import { sqlText } from '../db/sql-text.js';
import { LINK_OPTIONS, OPTION_NAMES, type LinkOptions } from './link-options.js';
import type { LinkFilter, LinkQuery } from './link.js';

/**
 * The SQL both engines' link repositories share, with named parameters (`:now`, `:pattern`):
 * SQLite binds them by name, the PostgreSQL repository numbers them (see db/sql-text.ts). One
 * copy, so that a state means the same thing on either engine. Statements that differ have a
 * text in each engine's file, saying why.
 */

/** A column under the name of its field. Quoted: PostgreSQL folds unquoted names to lower case. */
function selected(column: string, name: string): string {
  return column === name ? column : `${column} AS "${name}"`;
}

/** The option columns of the catalogue (link-options.ts), each with its field's name. */
export const OPTION_COLUMNS: readonly {
  name: keyof LinkOptions;
  column: string;
  sqlType: string;
}[] = OPTION_NAMES.map((name) => ({
  name,
  column: LINK_OPTIONS[name].column,
  sqlType: LINK_OPTIONS[name].sqlType,
}));
/** The option columns under the names of their fields, for a SELECT list. */
const OPTION_FIELDS = OPTION_COLUMNS.map((c) => selected(c.column, c.name)).join(', ');
const OPTION_COLUMN_LIST = OPTION_COLUMNS.map((c) => c.column).join(', ');
const OPTION_PARAMS = OPTION_COLUMNS.map((c) => `:${c.name}`).join(', ');
const OPTION_SETS = OPTION_COLUMNS.map((c) => `${c.column} = :${c.name}`).join(', ');
/** The options a tombstone erases, back to their empty value (as SQL: NULL or a literal). */
export const OPTION_ERASES = OPTION_NAMES.filter((name) => !LINK_OPTIONS[name].kept)
  .map((name) => `${LINK_OPTIONS[name].column} = ${sqlLiteral(LINK_OPTIONS[name].empty)}`)
  .join(', ');

function sqlLiteral(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  return `'${String(value).replaceAll("'", "''")}'`;
}

/**
 * A link's columns under the names of `Link`, so that a row is a link on either engine without
 * mapping.
 */
export const LINK_FIELDS = `id, code, domain_id AS "domainId", target, created, updated, ${OPTION_FIELDS}, visits,
  last_visit AS "lastVisit", disabled_at AS "disabledAt", deleted_at AS "deletedAt",
  banned_at AS "bannedAt", ban_reason AS "banReason", password_hash AS "passwordHash"`;

/** The columns of `LinkWithTokenHash`: a link and the hash of its management token. */
export const LINK_COLUMNS = `${LINK_FIELDS}, manage_token_hash AS "manageTokenHash"`;

export const INSERT_LINK = sqlText(
  `INSERT INTO urls (code, domain_id, target, created, updated, manage_token_hash, api_key_id,
     password_hash, ${OPTION_COLUMN_LIST})
   VALUES (:code, :domainId, :target, :now, :now, :manageTokenHash, :apiKeyId, :passwordHash,
     ${OPTION_PARAMS})
   RETURNING ${LINK_COLUMNS}`,
);
/**
 * A code on one domain: `:domainKey` is the domain's id, or 0 for the default domain (ADR 031),
 * the expression of idx_urls_code_domain, so this is one lookup in it.
 */
export const LINK_BY_CODE = sqlText(
  `SELECT ${LINK_COLUMNS} FROM urls WHERE code = :code AND COALESCE(domain_id, 0) = :domainKey`,
);
export const LINK_BY_TOKEN_HASH = sqlText(
  `SELECT ${LINK_COLUMNS} FROM urls WHERE manage_token_hash = :hash`,
);

// The changes to one link. PostgreSQL runs each inside a statement that also notifies the other
// machines (link-store.postgres.ts); the change itself is this text on both engines.
export const UPDATE_SETTINGS = sqlText(
  `UPDATE urls SET target = :target, ${OPTION_SETS}, updated = :now
   WHERE id = :id AND deleted_at IS NULL`,
);
export const SET_DISABLED = sqlText(
  'UPDATE urls SET disabled_at = :disabledAt, updated = :now WHERE id = :id AND deleted_at IS NULL',
);
/** Sets, changes (a new hash) or removes (NULL) a link's password. */
export const SET_PASSWORD = sqlText(
  `UPDATE urls SET password_hash = :passwordHash, updated = :now
   WHERE id = :id AND deleted_at IS NULL`,
);
/** Keeps `:value` under `:name` unless a secret of that name is kept already. */
export const KEEP_SECRET = sqlText(
  'INSERT INTO app_secrets (name, value) VALUES (:name, :value) ON CONFLICT (name) DO NOTHING',
);
export const SECRET_BY_NAME = sqlText('SELECT value FROM app_secrets WHERE name = :name');
export const SET_BANNED = sqlText(
  `UPDATE urls SET banned_at = :bannedAt, ban_reason = :reason, updated = :now
   WHERE id = :id AND deleted_at IS NULL`,
);
// A tombstone: the code stays taken forever, everything else the owner gave us is erased.
export const TOMBSTONE = sqlText(
  `UPDATE urls SET target = '', manage_token_hash = NULL, password_hash = NULL, ${OPTION_ERASES},
     deleted_at = :now, updated = :now
   WHERE id = :id`,
);
export const DELETE_DAILY = sqlText('DELETE FROM visits_daily WHERE url_id = :id');
export const DELETE_REFERRERS = sqlText('DELETE FROM visits_referrers WHERE url_id = :id');
export const DELETE_DIMENSIONS = sqlText('DELETE FROM visit_dimensions WHERE url_id = :id');
/** A tombstone carries no tags (tag-store.ts), so no tag counts a deleted link. */
export const DELETE_LINK_TAGS = sqlText('DELETE FROM link_tags WHERE url_id = :id');
export const COUNT_LINKS = sqlText('SELECT COUNT(*) AS n FROM urls WHERE deleted_at IS NULL');

/** The visits written to the database of every link not deleted. */
export const SUM_VISITS = sqlText(
  'SELECT COALESCE(SUM(visits), 0) AS n FROM urls WHERE deleted_at IS NULL',
);

/**
 * The states. Visits still counted in memory are not seen here: a link at its visit limit may
 * list as active for up to a second.
 */
export const STATE_SQL: Record<LinkFilter, string> = {
  active: `deleted_at IS NULL AND banned_at IS NULL AND disabled_at IS NULL
    AND (expires_at IS NULL OR expires_at > :now) AND (max_visits IS NULL OR visits < max_visits)
    AND (starts_at IS NULL OR starts_at <= :now)`,
  expired: `deleted_at IS NULL AND banned_at IS NULL AND disabled_at IS NULL
    AND ((expires_at IS NOT NULL AND expires_at <= :now) OR (max_visits IS NOT NULL AND visits >= max_visits))`,
  // Not yet at its start and nothing more final: linkState's order (link-service.ts).
  scheduled: `deleted_at IS NULL AND banned_at IS NULL AND disabled_at IS NULL
    AND (expires_at IS NULL OR expires_at > :now) AND (max_visits IS NULL OR visits < max_visits)
    AND starts_at IS NOT NULL AND starts_at > :now`,
  disabled: 'deleted_at IS NULL AND banned_at IS NULL AND disabled_at IS NOT NULL',
  banned: 'deleted_at IS NULL AND banned_at IS NOT NULL',
  deleted: 'deleted_at IS NOT NULL',
  reported:
    'EXISTS (SELECT 1 FROM abuse_reports r WHERE r.url_id = urls.id AND r.resolved_at IS NULL)',
};

/**
 * The newest active link an API key made to a target on one domain (idempotent creation);
 * `:code` narrows it to one code, '' to none. Only the key's own links: another
 * key's, or one made without a key, would hand out a link whose management token someone else
 * holds (idx_urls_api_key_target).
 */
export const NEWEST_ACTIVE_BY_KEY_AND_TARGET = sqlText(
  `SELECT ${LINK_COLUMNS} FROM urls
    WHERE api_key_id = :key AND target = :target AND (code = :code OR :code = '')
      AND COALESCE(domain_id, 0) = :domainKey
      AND ${STATE_SQL.active}
    ORDER BY id DESC LIMIT 1`,
);

export const ORDER_SQL: Record<LinkQuery['orderBy'], string> = {
  created: 'created',
  visits: 'visits',
  lastVisit: 'last_visit',
  code: 'code',
  target: 'target',
  title: "COALESCE(title, '')",
};

/**
 * Links that are not plainly active: exactly the WHERE of the partial index idx_urls_state, so
 * that counting them by state reads that small index alone, never the table.
 */
const NOT_PLAIN_SQL =
  'deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL OR expires_at IS NOT NULL OR max_visits IS NOT NULL OR starts_at IS NOT NULL';

/**
 * The links of idx_urls_state by state, and the number of all links (a scan of the small
 * idx_dates on SQLite): about 35 ms for a million links, where reading every row took ten times
 * that. Exported for the test that checks SQLite's plan.
 */
export const COUNT_BY_STATE_SQL = `SELECT CASE WHEN ${STATE_SQL.deleted} THEN 'deleted'
    WHEN ${STATE_SQL.banned} THEN 'banned' WHEN ${STATE_SQL.disabled} THEN 'disabled'
    WHEN ${STATE_SQL.expired} THEN 'expired' WHEN ${STATE_SQL.scheduled} THEN 'scheduled'
    ELSE 'active' END AS state, COUNT(*) AS n
  FROM urls WHERE ${NOT_PLAIN_SQL} GROUP BY state
  UNION ALL SELECT 'all', COUNT(*) FROM urls`;
export const COUNT_BY_STATE = sqlText(COUNT_BY_STATE_SQL);

/**
 * Active links (and scheduled ones, which will redirect) whose target contains `:host`, a page at a time in the order of the ids, so a
 * large result never holds the event loop. A prefilter in SQL; the caller compares the parsed
 * host (a substring can be a false match). `position` is the engine's name for the position of
 * a substring: SQLite's instr, PostgreSQL's strpos, with the same arguments.
 */
export function activeMentioningSql(position: 'instr' | 'strpos') {
  return sqlText(
    `SELECT id, code, domain_id AS "domainId", target FROM urls
     WHERE ${position}(target, :host) > 0
       AND ((${STATE_SQL.active}) OR (${STATE_SQL.scheduled})) AND id > :after
     ORDER BY id LIMIT :limit`,
  );
}

/** Which statements a listing needs: one pair per combination of filter, search and order. */
export function listingKey(query: LinkQuery): string {
  const scope = query.state ?? (query.excludeDeleted ? 'undeleted' : 'all');
  const tags = query.tags;
  const tagScope = tags
    ? [tags.any, tags.all, tags.none, tags.notAll ?? []].map((keys) => keys.length > 0).join(' ')
    : '';
  const onDomain = query.domainKey !== undefined;
  const more = [
    query.searchTags === true,
    query.createdFrom !== undefined,
    query.createdTo !== undefined,
    query.excludeMaxVisitsReached === true,
    query.excludeExpired === true,
  ].join(' ');
  return `${scope} ${query.search !== ''} ${onDomain} ${query.orderBy} ${query.direction} ${tagScope} ${more}`;
}

/**
 * The listing's parameters for its tag filter: each list of keys as `toList` makes it (SQLite a
 * JSON text, PostgreSQL an array), and how many keys "all of" needs.
 */
export function tagParams(query: LinkQuery, toList: (keys: readonly string[]) => unknown) {
  const all = [...new Set(query.tags?.all ?? [])];
  const notAll = [...new Set(query.tags?.notAll ?? [])];
  return {
    anyTags: toList(query.tags?.any ?? []),
    allTags: toList(all),
    noneTags: toList(query.tags?.none ?? []),
    notAllTags: toList(notAll),
    allCount: all.length,
    notAllCount: notAll.length,
  };
}

/** Links carrying a tag whose key is in the list `inList` tests (tag-store.ts). */
function carries(inList: string): string {
  return `SELECT lt.url_id FROM link_tags lt JOIN tags t ON t.id = lt.tag_id WHERE t.key ${inList}`;
}

function tagWhere(query: LinkQuery, inList: (param: string) => string): string {
  const tags = query.tags;
  const parts: string[] = [];
  if (tags && tags.any.length > 0) parts.push(`urls.id IN (${carries(inList('anyTags'))})`);
  const carried = (param: string) =>
    `(SELECT COUNT(*) FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
      WHERE lt.url_id = urls.id AND t.key ${inList(param)})`;
  if (tags && tags.all.length > 0) parts.push(`${carried('allTags')} = :allCount`);
  if (tags && (tags.notAll ?? []).length > 0) {
    parts.push(`${carried('notAllTags')} < :notAllCount`);
  }
  if (tags && tags.none.length > 0) parts.push(`urls.id NOT IN (${carries(inList('noneTags'))})`);
  return parts.length > 0 ? parts.join(' AND ') : '1 = 1';
}

/**
 * A listing's WHERE. `like` is the operator that ignores the case of ASCII letters: SQLite's
 * LIKE does, PostgreSQL's ILIKE does. `inList` tests a value against a list parameter: SQLite
 * reads it from a JSON array, PostgreSQL from an array.
 */
export function listingWhere(
  query: LinkQuery,
  like: 'LIKE' | 'ILIKE',
  inList: (param: string) => string,
): string {
  const scope = query.state
    ? STATE_SQL[query.state]
    : query.excludeDeleted
      ? 'deleted_at IS NULL'
      : '1 = 1';
  const inTags = query.searchTags
    ? ` OR urls.id IN (SELECT lt.url_id FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
        WHERE t.name ${like} :pattern ESCAPE '\\')`
    : '';
  const search =
    query.search !== ''
      ? `(code ${like} :pattern ESCAPE '\\' OR target ${like} :pattern ESCAPE '\\' OR title ${like} :pattern ESCAPE '\\'${inTags})`
      : '1 = 1';
  const domain = query.domainKey !== undefined ? 'COALESCE(domain_id, 0) = :domainKey' : '1 = 1';
  const more = [
    ...(query.createdFrom !== undefined ? ['created >= :createdFrom'] : []),
    ...(query.createdTo !== undefined ? ['created <= :createdTo'] : []),
    ...(query.excludeMaxVisitsReached ? ['(max_visits IS NULL OR visits < max_visits)'] : []),
    ...(query.excludeExpired ? ['(expires_at IS NULL OR expires_at > :now)'] : []),
  ];
  return [scope, search, domain, tagWhere(query, inList), ...more].join(' AND ');
}

/** `%` and `_` typed by a person are literal characters, not wildcards. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
