import { englishOf } from '../i18n/catalog.js';
import { z } from 'zod';
import { text as said, type Text } from '../i18n/catalog.js';
import { readTime } from '../links/link-limits.js';
import {
  DEFAULT_OPTIONS,
  LINK_OPTIONS,
  OPTION_NAMES,
  startOrderProblem,
  type LinkOptions,
} from '../links/link-options.js';
import { checkTags } from '../links/tags.js';
import { restoreFormula } from './csv.js';

export { parseTimestamp } from '../links/link-limits.js';

/**
 * The CSV files snip imports, told apart by their header row, and how each row becomes a link.
 * Where each product’s columns come from (checked against their source code; ADR 015 says why
 * these):
 *
 * - snip: its own export (src/transfer/link-export.ts): code, target, created, updated, visits,
 *   last_visit, state, expires_at, max_visits, redirect_status, disabled_at, banned_at,
 *   ban_reason, deleted_at (banned_at and ban_reason may be missing: files from before bans),
 *   then the newer options and `tags` (comma-separated; missing in older files: no tags),
 *   `has_password` and `domain` (the host of the link's added domain; empty for the default
 *   domain, and missing in files from before domains).
 * - Shlink: the web client's "Export" button on the short URL list (shlink-web-component,
 *   src/short-urls/helpers/ExportShortUrlsBtn.tsx, written by @json2csv/plainjs with a header of
 *   the property names): createdAt, domain, shortCode, shortUrl, longUrl, title, tags (joined
 *   with `|`), visits. `domain` is the host of each short URL, the default domain's included: one that is not snip's is
 *   snip's default domain (import-domains.ts). The older web client (shlink-web-client,
 *   src/short-urls/helpers/ExportShortUrlsBtn.tsx) wrote createdAt, shortUrl, longUrl, title,
 *   tags (joined with `,`), visits: no shortCode and no domain, so the code is the short URL's
 *   last path segment (a Shlink served under a base path writes `https://host/base/abc`) and the
 *   domain its host.
 *   `shlink short-url:list` prints a table, not CSV, but its headings (Short Code, Title,
 *   Short URL, Long URL, Date created, Visits count) are read too, and so is the CSV that
 *   Shlink's own importer reads (shlink-importer, src/Sources/Csv/CsvImporter.php: longUrl,
 *   shortCode, domain, title, tags, headers compared without case and spaces).
 * - Kutt: has no CSV export (kutt v3, server/). Its API's link object (GET /api/v2/links,
 *   server/utils/utils.js `sanitize.link` over server/queries/link.queries.js) is what people
 *   save as CSV, and what Shlink's Kutt importer reads: id, address, banned, created_at,
 *   updated_at, password, description, expire_in, target, visit_count, domain, link. Its
 *   `domain` is a Kutt custom domain's address (empty for Kutt's default domain): read as
 *   Shlink's is.
 * - YOURLS: its table and API (includes/functions-install.php: keyword, url, title, timestamp,
 *   ip, clicks; timestamps are UTC, `Y-m-d H:i:s`), as a database dump or the list plugins
 *   write it; and the YOURLS-Import-Export plugin's CSV (fileio/csv.php: source, target, hits,
 *   with the keyword written as `/keyword/`).
 * - Bitly: the Bitlink object of API v4, which Bitly's exports and export tools write as columns:
 *   id (`bit.ly/abc`), link (`https://bit.ly/abc`), long_url, title, created_at
 *   (`2019-03-29T17:04:55+0000`), archived, tags, custom_bitlinks (custom back-halves as URLs),
 *   created_by, group_guid. A column named `bitlink` is read as `link`. A link's clicks are its
 *   visits: `total_clicks` (the clicks summary of API v4, /v4/bitlinks/{bitlink}/clicks/summary)
 *   or `clicks`.
 *
 * Each format's own title column (Shlink's, YOURLS's and Bitly's `title`, Kutt's `description`)
 * becomes the link's title.
 *
 * Header names are compared without case, spaces, underscores, hyphens and dots, so `long_url`,
 * `longUrl` and `Long URL` are one name.
 */

export const IMPORT_FORMATS = ['snip', 'shlink', 'kutt', 'yourls', 'bitly'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The format a form or query asks for: one of the formats, or `auto` to read it from the header. */
export const ImportFormatChoiceSchema = z.enum(['auto', ...IMPORT_FORMATS]);
export type ImportFormatChoice = z.infer<typeof ImportFormatChoiceSchema>;

export const FORMAT_LABELS: Record<ImportFormat, string> = {
  snip: 'snip',
  shlink: 'Shlink',
  kutt: 'Kutt',
  yourls: 'YOURLS',
  bitly: 'Bitly',
};

/** What a row says about a link, in snip's terms, before snip's own policies have looked at it. */
export type ImportedLinkFields = {
  code: string;
  target: string;
  /** Null: the time of the import. */
  created: number | null;
  updated: number | null;
  visits: number;
  lastVisit: number | null;
  disabledAt: number | null;
  /** Banned for abuse: imported banned (answering 410), whatever the blocklist says. */
  bannedAt: number | null;
  banReason: string | null;
  /** A deleted link of snip's own: imported as a tombstone so that its code is never reused. */
  deletedAt: number | null;
  /** Its tags, checked as every door checks them (links/tags.ts). */
  tags: string[];
  /**
   * The host of the domain it goes on, as the file spells it (snip's and Shlink's `domain`
   * column); '' for the default domain. The import resolves it (ADR 031).
   */
  domain: string;
} & LinkOptions;

export type RowReading =
  | { kind: 'link'; link: ImportedLinkFields; remark: string }
  | { kind: 'invalid'; code: string; target: string; reason: string }
  | { kind: 'refused'; code: string; target: string; reason: string };

export type RowReader = (fields: readonly string[], now: number) => RowReading;

type Column = { index: number; name: string };
type Columns = ReadonlyMap<string, Column>;

type FormatSpec = {
  /** Columns that together identify the format; any one of the sets will do. */
  signatures: readonly (readonly string[])[];
  reader: (columns: Columns) => RowReader;
};

/** `Long URL`, `long_url` and `longUrl` all become `longurl`. */
export function normaliseHeaderName(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

/** A value in a column is not what the column holds; the row is reported as invalid. */
class ValueProblem extends Error {
  constructor(
    readonly column: string,
    readonly problem: string,
  ) {
    super(`${column}: ${problem}`);
  }
}

function find(columns: Columns, ...names: string[]): Column | null {
  for (const name of names) {
    const column = columns.get(name);
    if (column) return column;
  }
  return null;
}

/**
 * A cell's value, trimmed, with the apostrophe that snip's export puts before a spreadsheet
 * formula taken off again (csv.ts, restoreFormula): `'-abc` is the code `-abc`.
 */
function text(fields: readonly string[], column: Column | null): string {
  return column === null ? '' : restoreFormula((fields[column.index] ?? '').trim());
}

function time(fields: readonly string[], column: Column | null): number | null {
  const reading = readTime(text(fields, column));
  if (!reading.ok) throw new ValueProblem(column!.name, reading.problem);
  return reading.value;
}

/** The options of snip's own export, each read by its entry of the catalogue. */
function options(fields: readonly string[], columns: Columns): LinkOptions {
  const read = Object.fromEntries(
    OPTION_NAMES.map((name) => {
      const file = LINK_OPTIONS[name].file;
      const column = find(columns, normaliseHeaderName(file.column));
      const reading = file.read(text(fields, column));
      if (!reading.ok) throw new ValueProblem(column!.name, reading.problem);
      return [name, reading.value];
    }),
  ) as LinkOptions;
  const order = startOrderProblem(read.startsAt, read.expiresAt);
  if (order !== null) throw new ValueProblem(LINK_OPTIONS.startsAt.file.column, englishOf(order));
  return read;
}

/** A product's own title column, read as snip's title (trimmed, at most 200 characters). */
function title(fields: readonly string[], column: Column | null): string | null {
  const reading = LINK_OPTIONS.title.file.read(text(fields, column));
  if (!reading.ok) throw new ValueProblem(column!.name, reading.problem);
  return reading.value;
}

/**
 * A cell of tags, split by `separator` (snip's export: a comma, as in its forms; Shlink's: `|`),
 * or a JSON array of strings (as Bitly's API gives them). Checked as every door checks tags.
 */
function tags(fields: readonly string[], column: Column | null, separator: RegExp): string[] {
  const value = text(fields, column);
  if (value === '') return [];
  let names: unknown = value.split(separator);
  if (value.startsWith('[')) {
    try {
      names = JSON.parse(value);
    } catch {
      names = null;
    }
    if (!Array.isArray(names) || names.some((tag) => typeof tag !== 'string')) {
      throw new ValueProblem(column!.name, `“${value}” is not a list of tags.`);
    }
  }
  const checked = checkTags(names as string[]);
  if (!checked.ok) throw new ValueProblem(column!.name, englishOf(checked.message));
  return checked.tags;
}

/** Far above any real count, and exact in a double and in SQLite's integer. */
const MAX_COUNT = 1e15;

function count(fields: readonly string[], column: Column | null): number {
  const value = text(fields, column);
  if (value === '') return 0;
  if (!/^\d+$/.test(value) || Number(value) > MAX_COUNT) {
    throw new ValueProblem(column!.name, `“${value}” is not a whole number of visits.`);
  }
  return Number(value);
}

/** As the admin's ban form: up to 200 characters. */
function banReason(fields: readonly string[], column: Column | null): string | null {
  const value = text(fields, column);
  if (value.length > 200) {
    throw new ValueProblem(column!.name, 'a ban reason is at most 200 characters.');
  }
  return value === '' ? null : value;
}

/** A boolean as exports write one: true/false, 1/0, yes/no; empty is false. */
function flag(fields: readonly string[], column: Column | null): boolean {
  const value = text(fields, column).toLowerCase();
  if (value === '' || value === 'false' || value === '0' || value === 'no') return false;
  if (value === 'true' || value === '1' || value === 'yes') return true;
  throw new ValueProblem(column!.name, `“${value}” is neither true nor false.`);
}

/** `https://bit.ly/abc`, `bit.ly/abc/` or `abc` → `abc`: the path of a short link, or the value itself. */
export function shortLinkPath(value: string): string {
  const withoutScheme = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  if (slash === -1) return value;
  return withoutScheme
    .slice(slash + 1)
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '');
}

/**
 * `https://s.test/abc`, `https://s.test/base/abc/` → `abc`: the last segment of a short URL's
 * path, percent-escapes decoded (as a browser would send them); '' for no path at all.
 */
export function lastPathSegment(value: string): string {
  // A URL's path as WHATWG reads it (`.` and `..` steps resolved); `s.test/abc` or `abc` as written.
  const path = URL.canParse(value) ? new URL(value).pathname : shortLinkPath(value);
  const segment = path.split('/').findLast((part) => part !== '') ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The host of a short URL (`https://s.test/abc` → `s.test`), or '' when it names none. */
function hostOf(value: string): string {
  return URL.canParse(value) ? new URL(value).host : '';
}

/** The first URL of a list however it was written: a JSON array, or separated by commas, spaces or bars. */
function firstListedUrl(value: string): string {
  return /[^\s"'[\],;|]+/.exec(value)?.[0] ?? '';
}

/** How a row names its link: the column (for messages) and how the value is read from it. */
type Part = { column: Column | null; read: (fields: readonly string[]) => string };

function part(
  column: Column | null,
  read = (fields: readonly string[]) => text(fields, column),
): Part {
  return { column, read };
}

/** The common part of every reader: the code and target first, then the rest of the row. */
function rowReader(
  code: Part,
  target: Part,
  rest: (
    fields: readonly string[],
    now: number,
  ) => Omit<ImportedLinkFields, 'code' | 'target'> & { remark?: string; refusal?: string },
): RowReader {
  return (fields, now) => {
    const codeValue = code.read(fields);
    const targetValue = target.read(fields);
    try {
      if (codeValue === '') throw new ValueProblem(code.column!.name, 'no short code.');
      const { remark = '', refusal, ...details } = rest(fields, now);
      // A deleted link of snip's has no target left; every other link needs one.
      if (targetValue === '' && details.deletedAt === null) {
        throw new ValueProblem(target.column!.name, 'no target URL.');
      }
      if (refusal !== undefined) {
        return { kind: 'refused', code: codeValue, target: targetValue, reason: refusal };
      }
      return {
        kind: 'link',
        link: { code: codeValue, target: targetValue, ...details },
        remark,
      };
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      return { kind: 'invalid', code: codeValue, target: targetValue, reason: error.message };
    }
  };
}

/** A password-protected link in a file: an import sets no password, so it is not imported. */
const PROTECTED_REFUSAL =
  'This link is password-protected; an import cannot carry its password, so it is not imported open to anyone. Create it again with its password.';

const plain = {
  ...DEFAULT_OPTIONS,
  tags: [] as string[],
  lastVisit: null,
  disabledAt: null,
  bannedAt: null,
  banReason: null,
  deletedAt: null,
  // Only snip's, Shlink's and Kutt's files name a link's domain; the others' go on the default one.
  domain: '',
};

const SPECS: Record<ImportFormat, FormatSpec> = {
  snip: {
    signatures: [['code', 'target']],
    reader(columns) {
      const c = (name: string) => find(columns, name);
      const [code, target] = [c('code'), c('target')];
      return rowReader(part(code), part(target), (fields) => {
        const details = {
          created: time(fields, c('created')),
          updated: time(fields, c('updated')),
          visits: count(fields, c('visits')),
          lastVisit: time(fields, c('lastvisit')),
          // `state` is derived from the other columns, so it is not read back.
          ...options(fields, columns),
          disabledAt: time(fields, c('disabledat')),
          bannedAt: time(fields, c('bannedat')),
          banReason: banReason(fields, c('banreason')),
          deletedAt: time(fields, c('deletedat')),
          tags: tags(fields, c('tags'), /,/),
          // Missing in files from before domains: the default domain.
          domain: text(fields, c('domain')),
        };
        // The file says whether a link had a password, never which: imported, it would open
        // to anyone, so it is refused (a deleted link has none to lose).
        return flag(fields, c('haspassword')) && details.deletedAt === null
          ? { ...details, refusal: PROTECTED_REFUSAL }
          : details;
      });
    },
  },
  shlink: {
    signatures: [
      ['shortcode', 'longurl'],
      // The older web client's export: the code only in the short URL.
      ['shorturl', 'longurl'],
    ],
    reader(columns) {
      const code = find(columns, 'shortcode');
      const shortUrl = find(columns, 'shorturl');
      const target = find(columns, 'longurl');
      const created = find(columns, 'createdat', 'datecreated');
      const visits = find(columns, 'visits', 'visitscount');
      const tagList = find(columns, 'tags');
      const domain = find(columns, 'domain');
      return rowReader(
        part(code ?? shortUrl, (fields) => {
          const own = text(fields, code);
          return own !== '' || shortUrl === null ? own : lastPathSegment(text(fields, shortUrl));
        }),
        part(target),
        (fields) => ({
          ...plain,
          title: title(fields, find(columns, 'title')),
          created: time(fields, created),
          updated: null,
          visits: count(fields, visits),
          // The web client joins a short URL's tags with `|` (the older one with `,`), and
          // Shlink's importer splits them so; both separate them, since no tag of snip's holds one.
          tags: tags(fields, tagList, /[|,]/),
          // The web client writes every short URL's host, the default domain's too; Shlink's
          // importer reads an empty cell as the default domain. Without the column (the older
          // web client), the short URL's host says it.
          domain: domain === null ? hostOf(text(fields, shortUrl)) : text(fields, domain),
        }),
      );
    },
  },
  kutt: {
    signatures: [['address', 'target']],
    reader(columns) {
      const c = (name: string) => find(columns, name);
      const [code, target] = [c('address'), c('target')];
      return rowReader(part(code), part(target), (fields, now) => {
        const banned = flag(fields, c('banned'));
        const details = {
          ...plain,
          title: title(fields, c('description')),
          created: time(fields, c('createdat')),
          updated: time(fields, c('updatedat')),
          visits: count(fields, c('visitcount')),
          expiresAt: time(fields, c('expirein')),
          // A Kutt custom domain's address; empty for Kutt's default domain.
          domain: text(fields, c('domain')),
          // A banned link keeps its code taken and redirects nowhere, as in Kutt.
          bannedAt: banned ? now : null,
          banReason: banned ? 'Banned in Kutt.' : null,
        };
        if (flag(fields, c('password'))) {
          // The file says only that there was a password: imported, the link would open to anyone.
          return { ...details, refusal: PROTECTED_REFUSAL };
        }
        return banned ? { ...details, remark: 'Banned in Kutt: imported banned.' } : details;
      });
    },
  },
  yourls: {
    signatures: [
      ['keyword', 'url'],
      ['source', 'target'],
    ],
    reader(columns) {
      const keyword = find(columns, 'keyword');
      // The Import-Export plugin writes the keyword as a path, `/abc/`.
      const code = keyword ?? find(columns, 'source');
      const target = find(columns, 'url') ?? find(columns, 'target');
      const created = find(columns, 'timestamp');
      const visits = find(columns, 'clicks', 'hits');
      return rowReader(
        part(code, (fields) => text(fields, code).replace(/^\/+|\/+$/g, '')),
        part(target),
        (fields) => ({
          ...plain,
          title: title(fields, find(columns, 'title')),
          created: time(fields, created),
          updated: null,
          visits: count(fields, visits),
        }),
      );
    },
  },
  bitly: {
    signatures: [
      ['longurl', 'link'],
      ['longurl', 'bitlink'],
      ['longurl', 'id'],
      ['longurl', 'custombitlinks'],
    ],
    reader(columns) {
      const link = find(columns, 'link', 'bitlink', 'id');
      const custom = find(columns, 'custombitlinks');
      const target = find(columns, 'longurl');
      const created = find(columns, 'createdat');
      const clicks = find(columns, 'totalclicks', 'clicks');
      const tagList = find(columns, 'tags');
      return rowReader(
        // A custom back-half is the code people were given, so it wins over the generated one.
        part(link ?? custom, (fields) =>
          shortLinkPath(firstListedUrl(text(fields, custom)) || text(fields, link)),
        ),
        part(target),
        (fields) => ({
          ...plain,
          title: title(fields, find(columns, 'title')),
          created: time(fields, created),
          updated: null,
          visits: count(fields, clicks),
          // A Bitlink's tags are a list: a JSON array, or names separated by commas or `|`.
          tags: tags(fields, tagList, /[,|]/),
        }),
      );
    },
  },
};

export type FormatChoice =
  { ok: true; format: ImportFormat; readRow: RowReader } | { ok: false; message: Text };

function describeSignatures(format: ImportFormat): string {
  return SPECS[format].signatures.map((columns) => columns.join(' + ')).join(' or ');
}

/**
 * The format of a file from its header row, or the one asked for. Auto-detection tries snip,
 * Shlink, Kutt, YOURLS, Bitly in that order and takes the first whose columns are all there.
 */
export function chooseFormat(
  header: readonly string[],
  asked: ImportFormat | 'auto',
): FormatChoice {
  const columns = new Map<string, Column>();
  header.forEach((name, index) => {
    const key = normaliseHeaderName(name);
    if (key !== '' && !columns.has(key)) columns.set(key, { index, name: name.trim() });
  });
  const fits = (format: ImportFormat) =>
    SPECS[format].signatures.some((signature) => signature.every((name) => columns.has(name)));

  const format = asked === 'auto' ? IMPORT_FORMATS.find(fits) : fits(asked) ? asked : undefined;
  if (format === undefined) {
    const named = header
      .map((name) => name.trim())
      .filter(Boolean)
      .join(', ');
    const found = named === '' ? said('transfer.noColumns') : named;
    if (asked !== 'auto') {
      return {
        ok: false,
        message: said('transfer.headerNotFormat', {
          format: FORMAT_LABELS[asked],
          columns: describeSignatures(asked),
          found,
        }),
      };
    }
    const expected = IMPORT_FORMATS.map(
      (f) => `${FORMAT_LABELS[f]} (${describeSignatures(f)})`,
    ).join('; ');
    return {
      ok: false,
      message: said('transfer.headerUnknown', { found, expected }),
    };
  }
  return { ok: true, format, readRow: SPECS[format].reader(columns) };
}
