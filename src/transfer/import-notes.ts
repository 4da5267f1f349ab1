import { aliasRuleKeptBack, MIN_ALIAS_LENGTH } from '../links/alias-policy.js';
import { DEFAULT_OPTIONS, LINK_OPTIONS, OPTION_NAMES } from '../links/link-options.js';
import { FORMAT_LABELS, type ImportedLinkFields, type ImportFormat } from './import-formats.js';

/**
 * What the report says of a row that became a link: what of it was kept, in a sentence a person
 * reads in the import page's "Why" column and the report's `reason` column. Values are named, not
 * repeated (the row's code and target are beside it), so a note is short whatever the file held.
 */

/** `2019-03-29`, or `2019-03-29 17:04 UTC` when the time of day is not midnight. */
function day(ms: number): string {
  const iso = new Date(ms).toISOString();
  const time = iso.slice(11, 16);
  return time === '00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time} UTC`;
}

/** `1234567` → `1,234,567`, as the page writes counts, without Intl's cost on every row. */
function grouped(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Why a code that snip's own alias rules would refuse was kept all the same, or ''. */
export function codeNote(code: string, format: ImportFormat): string {
  const source = FORMAT_LABELS[format];
  switch (aliasRuleKeptBack(code)) {
    case 'length':
      return `The code “${code}” is kept as ${source} had it, though an alias chosen in snip has at least ${MIN_ALIAS_LENGTH} characters.`;
    case 'reserved':
      return `The code “${code}” is kept as ${source} had it, though snip keeps the word back from aliases chosen in snip; no page of snip's is at /${code}.`;
    default:
      return '';
  }
}

/**
 * "Kept: created 2019-03-29, 42 visits (a total, without days), title, 2 tags." — what the row
 * carried into the link besides its code and target. A tombstone keeps its code and times only.
 */
export function keptNote(link: ImportedLinkFields, host: string | null): string {
  const kept: string[] = [];
  kept.push(
    link.created === null
      ? 'created at the import (the file gives no date)'
      : `created ${day(link.created)}`,
  );
  if (link.deletedAt === null) {
    if (link.visits > 0) {
      kept.push(
        `${grouped(link.visits)} visit${link.visits === 1 ? '' : 's'} (a total, without days)`,
      );
    }
    if (link.lastVisit !== null) kept.push(`last visit ${day(link.lastVisit)}`);
    for (const name of OPTION_NAMES) {
      if (link[name] !== DEFAULT_OPTIONS[name]) kept.push(LINK_OPTIONS[name].file.column);
    }
    if (link.tags.length > 0)
      kept.push(`${link.tags.length} tag${link.tags.length === 1 ? '' : 's'}`);
  }
  if (host !== null) kept.push(`on ${host}`);
  return `Kept: ${kept.join(', ')}.`;
}

/** The note of a created row: why its code was kept, the format's remark, what was kept, and where. */
export function createdNote(parts: {
  link: ImportedLinkFields;
  format: ImportFormat;
  remark: string;
  /** The host of the added domain the link went on; null for the default domain. */
  host: string | null;
  domainNote: string;
}): string {
  const { link } = parts;
  const remark =
    link.deletedAt === null
      ? parts.remark
      : 'Deleted in the file: imported deleted, so its code stays taken.';
  return [codeNote(link.code, parts.format), remark, keptNote(link, parts.host), parts.domainNote]
    .filter((sentence) => sentence !== '')
    .join(' ');
}
