import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { exportTime, unstorableFields } from '../links/link-limits.js';
import { LINK_OPTIONS, OPTION_NAMES, type LinkOptionName } from '../links/link-options.js';
import type { Link } from '../links/link.js';
import type { TagStore } from '../links/tag-store.js';
import { formatTagList } from '../links/tags.js';
import { linkState } from '../links/link-service.js';
import type { Awaitable } from '../db/awaitable.js';
import { csvRecord } from './csv.js';
import type { TransferStore } from './transfer-store.js';

/**
 * snip's export: every link, tombstones included (a deleted link's code stays taken), one row
 * each in id order. Times are ISO 8601 in UTC; an empty field is "none". `state` is derived
 * from the other columns at the time of the export and is not read back by the import.
 */
/** The option columns the export has always had, in their place; a newer option comes last. */
const FIRST_OPTIONS: readonly LinkOptionName[] = ['expiresAt', 'maxVisits', 'redirectStatus'];
const LATER_OPTIONS = OPTION_NAMES.filter((name) => !FIRST_OPTIONS.includes(name));

export const EXPORT_COLUMNS: readonly string[] = [
  'code',
  'target',
  'created',
  'updated',
  'visits',
  'last_visit',
  'state',
  ...FIRST_OPTIONS.map((name) => LINK_OPTIONS[name].file.column),
  'disabled_at',
  'banned_at',
  'ban_reason',
  'deleted_at',
  ...LATER_OPTIONS.map((name) => LINK_OPTIONS[name].file.column),
  // A link's tags, separated by commas (which no tag holds), as in the forms.
  'tags',
  // Whether visitors must give a password: never the password or its hash (ADR 027). snip's
  // import refuses such a row rather than open the link to anyone.
  'has_password',
  // The host of the link's added domain (ADR 031); empty for the default domain, which is
  // BASE_URL's host wherever the file is imported. Last, so that every older column keeps its
  // place; a file without it imports onto the default domain.
  'domain',
];

/** The hosts of the added domains, as the export writes them. */
export type ExportDomains = {
  /** Every added domain's host by its id, read when the export starts (and again on a miss). */
  hosts: () => Awaitable<ReadonlyMap<number, string>>;
};

export type ExportOptions = {
  /** The time the states are judged at; now unless told. */
  now?: number;
  /** Visits counted in memory and not yet written, added to each link's total. */
  pendingVisits?: (linkId: number) => number;
  /** Links read per statement (and per chunk written); tests make it small. */
  pageSize?: number;
  /** The links' tags; without it the column is empty. */
  tags?: Pick<TagStore, 'tagsOf'>;
  /** Told of each link with values no door accepts; the row is written all the same. */
  onUnstorableLink?: (link: Link, fields: string[]) => void;
  /** The hosts of the links' added domains; without them every cell is empty (the default domain). */
  domains?: ExportDomains;
};

const PAGE_SIZE = 1000;

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function optionText<K extends LinkOptionName>(name: K, link: Link): string {
  return (LINK_OPTIONS[name].file.write as (value: Link[K]) => string)(link[name]);
}

function exportRow(
  link: Link,
  now: number,
  pending: number,
  tags: readonly string[],
  domain: string,
): string {
  const counted = { ...link, visits: link.visits + pending };
  return csvRecord([
    text(link.code),
    text(link.target),
    exportTime(link.created),
    exportTime(link.updated),
    text(counted.visits),
    exportTime(link.lastVisit),
    linkState(counted, now).kind,
    ...FIRST_OPTIONS.map((name) => optionText(name, link)),
    exportTime(link.disabledAt),
    exportTime(link.bannedAt),
    text(link.banReason),
    exportTime(link.deletedAt),
    ...LATER_OPTIONS.map((name) => optionText(name, link)),
    formatTagList(tags),
    link.passwordHash === null ? '' : 'true',
    domain,
  ]);
}

/**
 * The export as text chunks: the header, then one chunk per page of links. Each page is read
 * by one statement that finishes before the chunk is handed on, so between chunks the database
 * connection is free for everyone else, and memory holds one page however large the table.
 * Consumed through a stream, the next page is read only when the reader wants more.
 */
export function linkExportChunks(
  links: TransferStore,
  options: ExportOptions = {},
): AsyncGenerator<string, void, undefined> {
  return exportChunks(links, options, { links: 0 });
}

async function* exportChunks(
  links: TransferStore,
  options: ExportOptions,
  tally: { links: number },
): AsyncGenerator<string, void, undefined> {
  const now = options.now ?? Date.now();
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const pending = options.pendingVisits ?? (() => 0);
  let hosts: ReadonlyMap<number, string> = options.domains
    ? await options.domains.hosts()
    : new Map();
  /** The link's domain, as the `domain` cell writes it. */
  const hostOf = (link: Link): string => {
    if (link.domainId === null) return '';
    const host = hosts.get(link.domainId);
    // A domain cannot be deleted while a link names it (ADR 031): never written as the default.
    if (host === undefined)
      throw new Error(`Link ${link.id} is on domain ${link.domainId}, which is unknown`);
    return host;
  };
  yield csvRecord(EXPORT_COLUMNS);
  let afterId = 0;
  for (;;) {
    const page: Link[] = [];
    const seen = await links.forEachLinkAfter(afterId, pageSize, (link) => {
      afterId = link.id;
      page.push(link);
    });
    // The page's tags in one query, once its statement has finished.
    const tags = new Map<number, string[]>();
    if (options.tags && page.length > 0) {
      for (const row of await options.tags.tagsOf(page.map((link) => link.id))) {
        tags.set(row.linkId, [...(tags.get(row.linkId) ?? []), row.name]);
      }
    }
    // A domain added since the list was read (by another machine, or during a long export).
    if (
      options.domains &&
      page.some((link) => link.domainId !== null && !hosts.has(link.domainId))
    ) {
      hosts = await options.domains.hosts();
    }
    let chunk = '';
    for (const link of page) {
      const unstorable = options.onUnstorableLink ? unstorableFields(link) : [];
      if (unstorable.length > 0) options.onUnstorableLink!(link, unstorable);
      chunk += exportRow(link, now, pending(link.id), tags.get(link.id) ?? [], hostOf(link));
    }
    tally.links += seen;
    if (seen > 0) yield chunk;
    if (seen < pageSize) return;
    // A page takes a millisecond or two; redirects waiting for the event loop go first.
    await nextTurn();
  }
}

/**
 * Writes the whole export to `out` (an HTTP response, a file) with backpressure, and ends it.
 * Resolves with the number of links written; rejects if `out` fails or closes early (a
 * client that went away: ERR_STREAM_PREMATURE_CLOSE), after which nothing more is read.
 */
export async function exportLinks(
  links: TransferStore,
  out: Writable,
  options: ExportOptions = {},
): Promise<{ links: number }> {
  const tally = { links: 0 };
  // Byte mode with a 64 KiB buffer: a page is read only when the writer has room for it.
  const source = Readable.from(exportChunks(links, options, tally), {
    objectMode: false,
    highWaterMark: 64 * 1024,
  });
  await pipeline(source, out);
  return tally;
}
