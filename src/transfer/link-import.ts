import { keptOnDelete, pickOptions } from '../links/link-options.js';
import { randomBytes } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { englishOf, text, type Text } from '../i18n/catalog.js';
import { pipeline } from 'node:stream/promises';
import { yieldToEventLoop } from '../db/batched-writes.js';
import type { WriteGate } from '../db/write-gate.js';
import { checkImportedCode } from '../links/alias-policy.js';
import { checkTargetUrl, type UrlPolicyOptions } from '../links/url-policy.js';
import { canonicalRules, rulesFromText, type RedirectRule } from '../links/redirect-rules.js';
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
import { importDomains, type ImportDomains } from './import-domains.js';
import { createdNote } from './import-notes.js';
import {
  IMPORT_RESULTS,
  type ImportResult,
  type ImportRowReport,
  type StagedRow,
  type TransferStore,
} from './transfer-store.js';

export { IMPORT_RESULTS, type ImportResult, type ImportRowReport };

/**
 * Imports links from a CSV file in two steps, so that nothing is ever half-imported and memory
 * holds a batch of rows, never the file (ADR 022):
 * 1. The whole file is read as it arrives, chunk by chunk. Each row is checked as it comes —
 *    its values, its code (checkImportedCode), the URL policy with the blocklist — and staged in the
 *    database with its result, a batch per transaction. A file that is not CSV of a known format
 *    (an open quote, a row with more or fewer fields than the header, no known header, more than
 *    `maxRows` rows, not UTF-8) stops the import there: no link is written, the staged rows are
 *    dropped, and the answer says on which line.
 * 2. The staged links are then written into urls (TransferStore.applyImport): all or none; a code
 *    that exists on the row's domain is skipped, never overwritten. A crash or a full disk in the middle leaves the
 *    links as they were. The staged rows stay as the import's report.
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
  /**
   * Which domain a row's `domain` cell names, answered from memory (import-domains.ts). Without
   * it, only an empty cell is accepted: the default domain.
   */
  domains?: ImportDomains;
  /** More data rows than this and the file is refused as a whole. */
  maxRows?: number;
  /** How many rows of the report the outcome carries (ROWS_SHOWN by default). */
  shownRows?: number;
};

export type ImportDeps = {
  transfer: TransferStore;
  now: () => number;
  /** MAX_URL_LENGTH. */
  maxUrlLength: number;
  /** The app's write gate (src/db/write-gate.ts); the writes run directly without one. */
  write?: WriteGate;
  /** Lets other requests run between two batches; the next turn of the event loop otherwise. */
  pause?: () => Promise<void>;
  /** Called when links an import had written were taken back (cached redirects are stale). */
  linksUndone?: () => void;
};

export type ImportReport = {
  /** The id of the staged rows, which are the report to download. */
  id: string;
  format: ImportFormat;
  /** The first `shownRows` rows of the report, those not created first. */
  rows: ImportRowReport[];
  totals: Record<ImportResult, number> & { rows: number };
};

export type ImportFileProblem = {
  /** Where the file stops being importable; null when there is no line to point at. */
  line: number | null;
  /** What is wrong, its line named: a page words it with `say`, a script gets `englishOf`. */
  message: Text;
};

export type ImportOutcome =
  { ok: true; report: ImportReport } | { ok: false; problem: ImportFileProblem };

/** The default cap: a million rows is far beyond any shortener we import from. */
export const MAX_IMPORT_ROWS = 1_000_000;

/** Rows staged per transaction: memory holds at most this many, plus one chunk of the file. */
export const STAGE_BATCH = 1_000;

/** Rows of the report the outcome carries, for the page; the download has them all. */
export const ROWS_SHOWN = 500;

/**
 * A cell of the report taken from the file (a refused or invalid row's code, target or reason)
 * is cut to this many characters, so a report never takes much more room than its row count.
 */
export const REPORT_CELL_MAX = 2_100;

function cell(value: string): string {
  return value.length <= REPORT_CELL_MAX ? value : `${value.slice(0, REPORT_CELL_MAX - 1)}…`;
}

/** How much of the file is read before the delimiter is chosen, if no line break came sooner. */
const HEADER_SNIFF_LENGTH = 64 * 1024;

class FileProblem extends Error {
  constructor(readonly problem: ImportFileProblem) {
    super(englishOf(problem.message));
  }
}

function onLine(line: number | null, detail: Text): Text {
  return line === null ? detail : text('transfer.lineProblem', { line, detail });
}

function fileProblem(line: number | null, detail: Text): FileProblem {
  return new FileProblem({ line, message: onLine(line, detail) });
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

  const domainOf = options.domains ?? importDomains([], null);
  const write = deps.write ?? ((step) => step());
  const pause = deps.pause ?? yieldToEventLoop;
  let format: ImportFormat | null = null;
  let readRow: RowReader | null = null;
  let headerLength = 0;
  const totals = { rows: 0, created: 0, skipped: 0, refused: 0, invalid: 0 };
  // The rows read and not yet staged: at most a batch and the rows of one chunk of the file.
  let pending: StagedRow[] = [];
  let staged = 0;

  function add(row: StagedRow): void {
    totals.rows += 1;
    totals[row.result] += 1;
    pending.push(
      row.result === 'created'
        ? row
        : { ...row, code: cell(row.code), target: cell(row.target), reason: cell(row.reason) },
    );
  }

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
        text('transfer.fieldCount', { count: fields.length, header: headerLength }),
      );
    }
    if (totals.rows >= maxRows) {
      throw fileProblem(line, text('transfer.tooManyRows', { max: maxRows }));
    }
    const reading = readRow(fields, now);
    if (reading.kind !== 'link') {
      const { code, target, reason } = reading;
      return add({ line, code, target, result: reading.kind, reason, link: null });
    }
    const { link, remark } = reading;
    const refuse = (reason: string, result: 'refused' | 'invalid' = 'refused') =>
      add({ line, code: link.code, target: link.target, result, reason, link: null });
    // Another product's host is its own default domain, not snip's (import-domains.ts).
    const domain = domainOf(link.domain, format !== 'snip');
    if (!domain.ok) return void refuse(domain.reason, domain.result);
    // The code the source had, even one snip's alias rules would not make (import-notes.ts says
    // so), unless snip cannot serve it or it is the path of a route of snip's own.
    const code = checkImportedCode(link.code);
    if (!code.ok) return void refuse(code.message);
    let target = '';
    if (link.deletedAt === null) {
      // A banned link never redirects, and its host is often the very one blocked.
      const url = checkTargetUrl(link.target, link.bannedAt === null ? policy : bannedPolicy);
      if (!url.ok) {
        const blocked = url.reason === 'blocked_host' ? blockedBy(link.target, options) : '';
        const message = englishOf(url.message);
        return void refuse(blocked === '' ? message : `${message} ${blocked}`);
      }
      target = url.url;
    }
    // Each redirect rule's target passes the same policy as the link's own.
    let rules = link.rules;
    if (target !== '' && rules !== null) {
      const reading = rulesFromText(rules);
      const checked: RedirectRule[] = [];
      for (const [index, rule] of (reading.ok ? reading.rules : []).entries()) {
        const url = checkTargetUrl(rule.url, link.bannedAt === null ? policy : bannedPolicy);
        if (!url.ok) return void refuse(`Redirect rule ${index + 1}: ${englishOf(url.message)}`);
        checked.push({ ...rule, url: url.url });
      }
      rules = canonicalRules(checked);
    }
    add({
      line,
      code: link.code,
      target,
      result: 'created',
      reason: createdNote({
        link,
        format: format!,
        remark,
        host: domain.host ?? null,
        domainNote: domain.note ?? '',
      }),
      link: {
        code: link.code,
        domainId: domain.domainId,
        target,
        created: link.created ?? now,
        updated: link.updated ?? now,
        // A tombstone keeps nothing but its code and times, like a link deleted here.
        ...(target === '' ? keptOnDelete(link) : { ...pickOptions(link), rules }),
        visits: link.visits,
        lastVisit: link.lastVisit,
        disabledAt: link.disabledAt,
        bannedAt: link.bannedAt,
        banReason: link.bannedAt === null ? null : (link.banReason ?? ''),
        deletedAt: link.deletedAt,
        tags: target === '' ? [] : link.tags,
      },
    });
  }

  const id = randomBytes(16).toString('base64url');
  /** Stages what has been read, a batch per transaction, with a pause after each. */
  const stage = async (all: boolean) => {
    while (pending.length >= (all ? 1 : STAGE_BATCH)) {
      const batch = pending.slice(0, STAGE_BATCH);
      pending = pending.slice(STAGE_BATCH);
      await write(() => deps.transfer.stageRows(id, staged + 1, batch));
      staged += batch.length;
      await pause();
    }
  };

  await write(() => deps.transfer.startImport(id, now));
  let applied = false;
  try {
    const problem = await readCsv(source, onRecord, () => stage(false));
    if (problem === null && format !== null) {
      await stage(true);
      applied = true;
      await deps.transfer.applyImport(id, { write, pause });
    }
    if (problem !== null || format === null) {
      pending = [];
      await dropImport(deps, id, write, pause);
      return {
        ok: false,
        problem: problem ?? {
          line: 1,
          message: onLine(1, text('transfer.emptyFile')),
        },
      };
    }
  } catch (error) {
    pending = [];
    if (applied) deps.linksUndone?.();
    // The rows staged so far are dropped if storage still takes it (at expiry otherwise), but
    // not those of an import whose links could not all be taken back: the next start needs them.
    const left = await (async () => deps.transfer.findImport(id))().catch(() => null);
    if (left !== null && left.state !== 'applying') {
      await dropImport(deps, id, write, pause).catch(() => {});
    }
    throw error;
  }

  for (const result of IMPORT_RESULTS) totals[result] = 0;
  for (const { result, count } of await deps.transfer.importTotals(id)) totals[result] = count;
  const rows = await deps.transfer.shownRows(id, options.shownRows ?? ROWS_SHOWN);
  return { ok: true, report: { id, format, rows, totals } };
}

/** Deletes an import's staged rows, a batch per transaction, and the import itself. */
export async function dropImport(
  deps: Pick<ImportDeps, 'transfer'>,
  id: string,
  write: WriteGate,
  pause: () => Promise<void>,
): Promise<void> {
  for (;;) {
    const dropped = await write(() => deps.transfer.dropImportBatch(id, DROP_BATCH));
    if (dropped < DROP_BATCH) return;
    await pause();
  }
}

/** Staged rows deleted per transaction when an import is dropped. */
const DROP_BATCH = 5_000;

/**
 * Feeds the source to a CSV parser, chunk by chunk. After a problem the rest of the source is
 * still read (and dropped): an HTTP request stream that is abandoned takes its socket with it,
 * and the answer saying what was wrong would never arrive.
 */
async function readCsv(
  source: ImportSource,
  onRecord: (line: number, fields: string[]) => void,
  afterChunk: () => Promise<void>,
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

  // The rows of each chunk are staged before the next chunk is read: the file never piles up.
  // A storage error stops the staging but not the reading, for the same reason as a problem.
  let failed: { error: unknown } | null = null;
  const next = async (chunk: string | Uint8Array) => {
    take(chunk);
    if (problem !== null || failed !== null) return;
    try {
      await afterChunk();
    } catch (error) {
      failed = { error };
    }
  };
  if (typeof source === 'string' || source instanceof Uint8Array) {
    // A whole file in one piece is still staged a chunk at a time.
    for (const piece of piecesOf(source)) await next(piece);
  } else if (Symbol.asyncIterator in source) {
    for await (const chunk of source) await next(chunk);
  } else {
    for (const chunk of source) await next(chunk);
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
  if (failed !== null) throw (failed as { error: unknown }).error;
  return problem;
}

/** How much of a file given whole is parsed before its rows are staged. */
const PIECE_LENGTH = 64 * 1024;

function* piecesOf(source: string | Uint8Array): Generator<string | Uint8Array> {
  for (let at = 0; at < source.length;) {
    let end = Math.min(at + PIECE_LENGTH, source.length);
    // Not between the two halves of a surrogate pair (bytes are decoded as a stream anyway).
    if (
      typeof source === 'string' &&
      end < source.length &&
      /[\uD800-\uDBFF]/.test(source[end - 1]!)
    ) {
      end -= 1;
    }
    yield typeof source === 'string' ? source.slice(at, end) : source.subarray(at, end);
    at = end;
  }
  if (source.length === 0) yield source;
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
  return fileProblem(line, text('transfer.notUtf8'));
}

/** How many lines of a chunk come before its first byte that is not UTF-8. */
function lineBreaksBeforeInvalidByte(chunk: Uint8Array): number {
  const lossy = new TextDecoder('utf-8').decode(chunk);
  const before = lossy.slice(0, Math.max(0, lossy.indexOf('\uFFFD')));
  return before.match(/\r\n|\r|\n/g)?.length ?? 0;
}

function asFileProblem(error: unknown): ImportFileProblem {
  if (error instanceof FileProblem) return error.problem;
  if (error instanceof CsvSyntaxError) {
    return { line: error.line, message: onLine(error.line, error.said) };
  }
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
 * The report as CSV text chunks: the header, then a chunk per page of rows. It repeats what an
 * imported file said; csvRecord defuses what a spreadsheet would run as a formula.
 */
export async function* importReportChunks(
  pages: AsyncIterable<readonly ImportRowReport[]>,
): AsyncGenerator<string, void, undefined> {
  yield csvRecord(REPORT_COLUMNS);
  for await (const page of pages) {
    let chunk = '';
    for (const row of page) {
      chunk += csvRecord([String(row.line), row.code, row.target, row.result, row.reason]);
    }
    yield chunk;
  }
}

/** A report cell as one line of text: control characters (a refused code may hold one) escaped. */
function visible(value: string): string {
  return value.replace(
    /\p{Cc}/gu,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The report as plain text, for a script that posts a file and prints the answer: the totals,
 * then a line per row of the file — its line, code, result and what was kept or why not.
 */
export async function* importReportText(
  summary: { format: string; totals: ImportReport['totals'] },
  pages: AsyncIterable<readonly ImportRowReport[]>,
): AsyncGenerator<string, void, undefined> {
  const { totals } = summary;
  yield `Imported from ${summary.format}: ${totals.created} of ${totals.rows} links created (${totals.skipped} skipped, ${totals.refused} refused, ${totals.invalid} invalid).\n`;
  for await (const page of pages) {
    let chunk = '';
    for (const row of page) {
      const reason = row.reason === '' ? '' : ` ${visible(row.reason)}`;
      chunk += `line ${row.line}, “${visible(row.code)}”: ${row.result}.${reason}\n`;
    }
    yield chunk;
  }
}

/** Report rows read per query for a download. */
const REPORT_PAGE = 1000;

/** An import's report rows, a page at a time, in file order. */
export async function* reportPages(
  transfer: TransferStore,
  id: string,
): AsyncGenerator<ImportRowReport[], void, undefined> {
  let after = 0;
  for (;;) {
    const page: ImportRowReport[] = [];
    after = await transfer.forEachReportRow(id, after, REPORT_PAGE, (row) => page.push(row));
    if (page.length === 0) return;
    yield page;
  }
}

/**
 * Writes an import's report as a CSV download to `out` (an HTTP response, a file), and ends it:
 * a page of rows is read only once the one before has been written (backpressure), so memory
 * stays flat however long the report is.
 */
export async function writeImportReport(
  transfer: TransferStore,
  id: string,
  out: Writable,
): Promise<void> {
  await pipeline(Readable.from(importReportChunks(reportPages(transfer, id))), out);
}
