import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WriteGate } from '../db/write-gate.js';
import { checkAlias } from '../links/alias-policy.js';
import { checkTargetUrl, type UrlPolicyOptions } from '../links/url-policy.js';
import {
  createCsvParser,
  csvRecord,
  CsvSyntaxError,
  detectDelimiter,
  type CsvParser,
} from './csv.js';
import {
  chooseFormat,
  ImportFormatChoiceSchema,
  type ImportFormat,
  type ImportFormatChoice,
  type RowReader,
} from './import-formats.js';
import type { TransferStore } from '../db/store.js';
import type { ImportedLink } from './transfer-repository.js';

/**
 * Imports links from a CSV file in two steps, so that nothing is ever half-imported:
 * 1. The whole file is read as it arrives, chunk by chunk. Each row is checked as it comes —
 *    its values, the alias policy, the URL policy with the blocklist — and only what the insert
 *    needs is kept. A file that is not CSV of a known format (an open quote, a row with more or
 *    fewer fields than the header, no known header, more than `maxRows` rows, not UTF-8) stops
 *    the import there: nothing is written, and the answer says on which line.
 * 2. The links that passed are inserted in one transaction; a code that exists is skipped, never
 *    overwritten. A crash or a full disk in the middle leaves the database as it was.
 */

export type ImportSource =
  string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

export type ImportOptions = {
  /**
   * Which product wrote the file; `auto` (the default) reads it from the header row. A value
   * from a request is checked with ImportFormatChoiceSchema first.
   */
  format?: ImportFormatChoice;
  /** Host names that are snip itself, as for the form: links to them are refused. */
  ownHosts: readonly string[];
  /** The admin's host blocklist: links to these hosts (and their subdomains) are refused. */
  blockedHosts: readonly string[];
  /** Why each host is blocked, to say so in the report of a refused row. */
  blockReasons?: ReadonlyMap<string, string>;
  /** More data rows than this and the file is refused as a whole. */
  maxRows?: number;
};

export type ImportDeps = {
  transfer: TransferStore;
  now: () => number;
  /** MAX_URL_LENGTH. */
  maxUrlLength: number;
  /** The app's write gate (src/db/write-gate.ts); the insert runs directly without one. */
  write?: WriteGate;
};

export const IMPORT_RESULTS = ['created', 'skipped', 'refused', 'invalid'] as const;
export type ImportResult = (typeof IMPORT_RESULTS)[number];

export type ImportRowReport = {
  /** The line of the file on which the row starts (the header is line 1). */
  line: number;
  code: string;
  /** As stored (normalised) for created and skipped rows; as found in the file otherwise. */
  target: string;
  result: ImportResult;
  /** Why a row was skipped, refused or invalid, or a note on a created one; '' otherwise. */
  reason: string;
};

export type ImportReport = {
  format: ImportFormat;
  rows: ImportRowReport[];
  totals: Record<ImportResult, number> & { rows: number };
};

export type ImportFileProblem = {
  /** Where the file stops being importable; null when there is no line to point at. */
  line: number | null;
  message: string;
};

export type ImportOutcome =
  { ok: true; report: ImportReport } | { ok: false; problem: ImportFileProblem };

/** The default cap: a million rows is far beyond any shortener we import from. */
export const MAX_IMPORT_ROWS = 1_000_000;

/** How much of the file is read before the delimiter is chosen, if no line break came sooner. */
const HEADER_SNIFF_LENGTH = 64 * 1024;

class FileProblem extends Error {
  constructor(readonly problem: ImportFileProblem) {
    super(problem.message);
  }
}

function fileProblem(line: number | null, detail: string): FileProblem {
  return new FileProblem({ line, message: line === null ? detail : `Line ${line}: ${detail}` });
}

/**
 * Reads, checks and imports a CSV file. Resolves with the per-row report, or — when the file
 * itself is malformed — with the problem and nothing imported. Rejects only when storage fails
 * (SQLITE_FULL, SQLITE_BUSY past the timeout: the write gate's errors), with nothing imported.
 */
export async function importLinks(
  source: ImportSource,
  options: ImportOptions,
  deps: ImportDeps,
): Promise<ImportOutcome> {
  const askedFormat = ImportFormatChoiceSchema.parse(options.format ?? 'auto');
  const now = deps.now();
  const maxRows = options.maxRows ?? MAX_IMPORT_ROWS;
  // The form's and the API's policy; the same blocklist array for every row lets the policy
  // normalise it once.
  const policy: UrlPolicyOptions = {
    maxLength: deps.maxUrlLength,
    ownHosts: options.ownHosts,
    blockedHosts: options.blockedHosts,
    // As in the API: a file is data, and a link without a scheme is refused, not guessed at.
    addMissingScheme: false,
    purpose: 'shorten',
  };
  const bannedPolicy: UrlPolicyOptions = { ...policy, blockedHosts: [] };

  let format: ImportFormat | null = null;
  let readRow: RowReader | null = null;
  let headerLength = 0;
  const rows: ImportRowReport[] = [];
  // What the insert needs, and for each link the index of its row in the report.
  const links: ImportedLink[] = [];
  const linkRows: number[] = [];

  function onRecord(line: number, fields: string[]): void {
    if (readRow === null) {
      const choice = chooseFormat(fields, askedFormat);
      if (!choice.ok) throw fileProblem(line, choice.message);
      ({ format, readRow } = choice);
      headerLength = fields.length;
      return;
    }
    if (fields.length !== headerLength) {
      throw fileProblem(
        line,
        `this row has ${fields.length} field${fields.length === 1 ? '' : 's'}, but the header row has ${headerLength}. Is a comma or a quote missing or extra?`,
      );
    }
    if (rows.length >= maxRows) {
      throw fileProblem(
        line,
        `the file has more than ${maxRows.toLocaleString('en')} rows; import it in parts.`,
      );
    }
    const reading = readRow(fields, now);
    if (reading.kind !== 'link') {
      const { code, target, reason } = reading;
      rows.push({ line, code, target, result: reading.kind, reason });
      return;
    }
    const { link, note } = reading;
    const refuse = (reason: string) =>
      rows.push({ line, code: link.code, target: link.target, result: 'refused', reason });
    const alias = checkAlias(link.code);
    if (!alias.ok) return void refuse(alias.message);
    let target = '';
    if (link.deletedAt === null) {
      // A banned link never redirects, and its host is often the very one blocked.
      const url = checkTargetUrl(link.target, link.bannedAt === null ? policy : bannedPolicy);
      if (!url.ok) {
        const blocked = url.reason === 'blocked_host' ? blockedBy(link.target, options) : '';
        return void refuse(blocked === '' ? url.message : `${url.message} ${blocked}`);
      }
      target = url.url;
    }
    linkRows.push(rows.length);
    rows.push({
      line,
      code: link.code,
      target,
      result: 'created',
      reason:
        link.deletedAt === null
          ? note
          : 'Deleted in the file: imported deleted, so its code stays taken.',
    });
    links.push({
      code: link.code,
      target,
      created: link.created ?? now,
      updated: link.updated ?? now,
      redirectStatus: link.redirectStatus,
      // A tombstone keeps nothing but its code and times, like a link deleted here.
      expiresAt: target === '' ? null : link.expiresAt,
      maxVisits: target === '' ? null : link.maxVisits,
      visits: link.visits,
      lastVisit: link.lastVisit,
      disabledAt: link.disabledAt,
      bannedAt: link.bannedAt,
      banReason: link.bannedAt === null ? null : (link.banReason ?? ''),
      deletedAt: link.deletedAt,
    });
  }

  const problem = await readCsv(source, onRecord);
  if (problem !== null) return { ok: false, problem };
  if (format === null) {
    return {
      ok: false,
      problem: { line: 1, message: 'Line 1: the file is empty; it needs a header row.' },
    };
  }

  const write = deps.write ?? ((insert) => insert());
  const inserted = await write(() => deps.transfer.insertLinks(links));
  inserted.forEach((wasInserted, index) => {
    if (wasInserted) return;
    const row = rows[linkRows[index]!]!;
    row.result = 'skipped';
    row.reason = `The code “${row.code}” is already taken; the existing link was kept.`;
  });

  const totals = { rows: rows.length, created: 0, skipped: 0, refused: 0, invalid: 0 };
  for (const row of rows) totals[row.result] += 1;
  return { ok: true, report: { format, rows, totals } };
}

/**
 * Feeds the source to a CSV parser, chunk by chunk. After a problem the rest of the source is
 * still read (and dropped): an HTTP request stream that is abandoned takes its socket with it,
 * and the answer saying what was wrong would never arrive.
 */
async function readCsv(
  source: ImportSource,
  onRecord: (line: number, fields: string[]) => void,
): Promise<ImportFileProblem | null> {
  // fatal: a file in another encoding is refused, not read with replacement characters.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parser = sniffingParser((record) => onRecord(record.line, record.fields));
  let problem: ImportFileProblem | null = null;
  const attempt = (step: () => void) => {
    if (problem !== null) return;
    try {
      step();
    } catch (error) {
      problem = asFileProblem(error);
    }
  };
  const take = (chunk: string | Uint8Array) =>
    attempt(() => {
      if (typeof chunk === 'string') return parser.write(chunk);
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_ENCODING_INVALID_ENCODED_DATA') throw error;
        throw notUtf8(parser.line + lineBreaksBeforeInvalidByte(chunk));
      }
      parser.write(text);
    });

  if (typeof source === 'string' || source instanceof Uint8Array) {
    take(source);
  } else if (Symbol.asyncIterator in source) {
    for await (const chunk of source) take(chunk);
  } else {
    for (const chunk of source) take(chunk);
  }
  attempt(() => {
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      // The file ends inside a character.
      throw notUtf8(parser.line);
    }
    parser.write(rest);
    parser.end();
  });
  return problem;
}

/** "Blocked host: phish.example (phishing)." for the blocklist entry a URL's host falls under. */
function blockedBy(target: string, options: ImportOptions): string {
  if (options.blockReasons === undefined || !URL.canParse(target)) return '';
  let host = new URL(target).hostname.replace(/\.$/, '');
  for (;;) {
    const reason = options.blockReasons.get(host);
    if (reason !== undefined) return `Blocked host: ${host}${reason === '' ? '' : ` (${reason})`}.`;
    const dot = host.indexOf('.');
    if (dot === -1) return '';
    host = host.slice(dot + 1);
  }
}

function notUtf8(line: number): FileProblem {
  return fileProblem(
    line,
    'the file is not UTF-8 text. Save it as “CSV UTF-8” and import it again.',
  );
}

/** How many lines of a chunk come before its first byte that is not UTF-8. */
function lineBreaksBeforeInvalidByte(chunk: Uint8Array): number {
  const lossy = new TextDecoder('utf-8').decode(chunk);
  const before = lossy.slice(0, Math.max(0, lossy.indexOf('\uFFFD')));
  return before.match(/\r\n|\r|\n/g)?.length ?? 0;
}

function asFileProblem(error: unknown): ImportFileProblem {
  if (error instanceof FileProblem) return error.problem;
  if (error instanceof CsvSyntaxError) return { line: error.line, message: error.message };
  throw error;
}

/** A CSV parser whose delimiter is chosen from the header line once that has arrived. */
function sniffingParser(onRecord: Parameters<typeof createCsvParser>[0]['onRecord']): CsvParser {
  let parser: CsvParser | null = null;
  let start = '';
  const begin = () => {
    const headerLine = start.split(/[\r\n]/, 1)[0] ?? '';
    parser = createCsvParser({ delimiter: detectDelimiter(headerLine), onRecord });
    parser.write(start);
    start = '';
  };
  return {
    get line() {
      return parser?.line ?? 1;
    },
    write(text) {
      if (parser !== null) return parser.write(text);
      start += text;
      if (/[\r\n]/.test(start) || start.length >= HEADER_SNIFF_LENGTH) begin();
    },
    end() {
      if (parser === null) begin();
      parser!.end();
    },
  };
}

export const REPORT_COLUMNS = ['line', 'code', 'target', 'result', 'reason'] as const;

/**
 * The report as CSV text chunks (header, then a chunk per thousand rows). It repeats what an
 * imported file said; csvRecord defuses what a spreadsheet would run as a formula.
 */
export function* importReportChunks(report: ImportReport): Generator<string, void, undefined> {
  yield csvRecord(REPORT_COLUMNS);
  const batch = 1000;
  for (let start = 0; start < report.rows.length; start += batch) {
    let chunk = '';
    for (const row of report.rows.slice(start, start + batch)) {
      chunk += csvRecord([String(row.line), row.code, row.target, row.result, row.reason]);
    }
    yield chunk;
  }
}

/** Writes the report as a CSV download to `out` (an HTTP response, a file), and ends it. */
export async function writeImportReport(report: ImportReport, out: Writable): Promise<void> {
  await pipeline(Readable.from(importReportChunks(report), { objectMode: false }), out);
}
