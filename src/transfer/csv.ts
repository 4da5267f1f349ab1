/**
 * CSV as RFC 4180 writes it (https://www.rfc-editor.org/rfc/rfc4180): fields separated by a
 * delimiter, records by CRLF (a bare LF or CR is read too), a field that holds the delimiter, a
 * quote or a line break enclosed in quotes with inner quotes doubled. Our own code rather than a
 * library: the whole grammar is a few states, and an import needs what general parsers leave out
 * or make optional — reading chunk by chunk with bounded memory, the physical line on which each
 * record starts (so a report can say where), and refusing what is ambiguous instead of guessing.
 */

import { englishOf, text as said, type Text } from '../i18n/catalog.js';

export type CsvRecord = {
  /** The physical line (1-based) on which the record starts; quoted line breaks push later ones down. */
  line: number;
  fields: string[];
};

/** The text is not CSV; `line` is where the problem starts. */
export class CsvSyntaxError extends Error {
  /** What is wrong, in English. */
  readonly detail: string;
  constructor(
    readonly line: number,
    /** What is wrong, to be worded in the reader's language. */
    readonly said: Text,
  ) {
    const detail = englishOf(said);
    super(`Line ${line}: ${detail}`);
    this.detail = detail;
    this.name = 'CsvSyntaxError';
  }
}

export type CsvParserOptions = {
  /** `,` unless told; `;` and tab are what spreadsheets write in some locales. */
  delimiter?: string;
  /**
   * The longest record, in characters. A quote that is never closed would otherwise swallow the
   * rest of the file into one field, in memory.
   */
  maxRecordLength?: number;
  onRecord: (record: CsvRecord) => void;
};

export type CsvParser = {
  /** Parses the next piece of text; a record, a field or a CRLF may be split across pieces. */
  write(text: string): void;
  /** The text has ended: emits the last record, or throws if a quoted field is still open. */
  end(): void;
  /** The physical line the parser has reached. */
  readonly line: number;
};

/** One MiB: far above any link's row (URLs are at most 8,192 characters), far below trouble. */
export const DEFAULT_MAX_RECORD_LENGTH = 1024 * 1024;

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = '\uFEFF';

const enum State {
  /** Before the first character of a field. */
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the closing one, or the first of a doubled pair. */
  QuoteInQuoted,
}

/**
 * A push parser: feed it text in pieces of any size, it calls `onRecord` for each complete record.
 * Empty lines between records are skipped (spreadsheets leave them at the end of files); every
 * other line is a record, however many fields it has — the caller decides what a row must hold.
 */
export function createCsvParser(options: CsvParserOptions): CsvParser {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new Error(`Not a usable CSV delimiter: ${JSON.stringify(delimiter)}`);
  }
  const delimiterCode = delimiter.charCodeAt(0);
  const maxRecordLength = options.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;

  let state = State.FieldStart;
  let fields: string[] = [];
  /** The current field's text from earlier pieces (and unescaped quotes). */
  let field = '';
  let line = 1;
  let recordLine = 1;
  let recordLength = 0;
  let started = false;
  /** The last character was a CR that ended a line: a LF right after it belongs to the same break. */
  let afterCr = false;
  /** The last character was a CR inside quotes, perhaps at the end of the previous piece. A quote resets it. */
  let quotedCr = false;
  let ended = false;

  function endField(): void {
    fields.push(field);
    field = '';
  }

  function endRecord(): void {
    const record = { line: recordLine, fields };
    fields = [];
    options.onRecord(record);
  }

  /** A line break outside quotes at `code` (CR or LF): ends the record unless the line was empty. */
  function lineBreak(code: number): void {
    if (state === State.FieldStart && fields.length === 0) {
      // An empty line: nothing to emit.
    } else {
      endField();
      endRecord();
    }
    state = State.FieldStart;
    recordLength = 0;
    line += 1;
    recordLine = line;
    afterCr = code === CR;
  }

  return {
    get line() {
      return line;
    },

    write(text: string): void {
      if (ended) throw new Error('The CSV parser has already ended');
      let i = 0;
      if (!started && text.length > 0) {
        started = true;
        if (text.startsWith(BOM)) i = 1;
      }
      const n = text.length;
      // Start of the not-yet-copied part of the current field within `text`.
      let segment = i;
      for (; i < n; i += 1) {
        const code = text.charCodeAt(i);
        if (afterCr) {
          afterCr = false;
          if (code === LF) {
            segment = i + 1;
            continue;
          }
        }
        recordLength += 1;
        if (recordLength > maxRecordLength) {
          throw new CsvSyntaxError(
            recordLine,
            said('transfer.csvRowTooLong', { max: maxRecordLength }),
          );
        }
        switch (state) {
          case State.FieldStart:
            if (code === QUOTE) {
              state = State.Quoted;
              segment = i + 1;
            } else if (code === delimiterCode) {
              endField();
            } else if (code === CR || code === LF) {
              lineBreak(code);
            } else {
              state = State.Unquoted;
              segment = i;
            }
            break;
          case State.Unquoted:
            // A quote inside an unquoted field is kept as a character, as most writers mean it.
            if (code === delimiterCode) {
              field += text.slice(segment, i);
              endField();
              state = State.FieldStart;
            } else if (code === CR || code === LF) {
              field += text.slice(segment, i);
              lineBreak(code);
            }
            break;
          case State.Quoted:
            if (code === QUOTE) {
              field += text.slice(segment, i);
              state = State.QuoteInQuoted;
            } else if (code === CR || (code === LF && !quotedCr)) {
              // A CRLF inside quotes is one line break: its LF was counted with the CR.
              line += 1;
            }
            quotedCr = code === CR;
            break;
          case State.QuoteInQuoted:
            if (code === QUOTE) {
              field += '"';
              state = State.Quoted;
              segment = i + 1;
            } else if (code === delimiterCode) {
              endField();
              state = State.FieldStart;
            } else if (code === CR || code === LF) {
              lineBreak(code);
            } else {
              throw new CsvSyntaxError(
                line,
                said('transfer.csvQuoteFollowed', { character: text[i]! }),
              );
            }
            break;
        }
      }
      if (state === State.Unquoted || state === State.Quoted) field += text.slice(segment, n);
    },

    end(): void {
      if (ended) return;
      ended = true;
      if (state === State.Quoted) {
        throw new CsvSyntaxError(recordLine, said('transfer.csvQuoteOpen'));
      }
      if (state !== State.FieldStart || fields.length > 0) {
        endField();
        endRecord();
      }
    },
  };
}

/** Every record of a complete text; for small inputs and tests. */
export function parseCsv(
  text: string,
  options: Omit<CsvParserOptions, 'onRecord'> = {},
): CsvRecord[] {
  const records: CsvRecord[] = [];
  const parser = createCsvParser({ ...options, onRecord: (record) => records.push(record) });
  parser.write(text);
  parser.end();
  return records;
}

/**
 * The delimiter a header line uses: the most frequent of comma, semicolon and tab outside quotes,
 * comma on a tie or when there is none. Only the header is read, so a URL's commas cannot sway it.
 */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === ',' || char === ';' || char === '\t')) counts[char] += 1;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[',']) return '\t';
  return ',';
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * A value a spreadsheet would run as a formula: one that starts with = + - @ (or a tab or CR),
 * after any number of apostrophes (https://owasp.org/www-community/attacks/CSV_Injection).
 */
const FORMULA = /^'*[=+\-@\t\r]/;
/** What defuseFormula made of such a value: the same with one more apostrophe in front. */
const DEFUSED = /^'+[=+\-@\t\r]/;

/**
 * The value as a cell a spreadsheet shows as text: an apostrophe in front of a formula. One
 * that already starts with apostrophes before the formula character gets one more too, so that
 * restoreFormula gives back every value exactly: `=1` ↔ `'=1`, `'=1` ↔ `''=1`, `'a` ↔ `'a`.
 */
export function defuseFormula(value: string): string {
  return FORMULA.test(value) ? `'${value}` : value;
}

/** The value defuseFormula was given: the inverse on everything it writes. */
export function restoreFormula(value: string): string {
  return DEFUSED.test(value) ? value.slice(1) : value;
}

/** One field as RFC 4180 writes it: quoted only when it must be. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * One record, with its CRLF: every CSV snip writes goes through here, so every field is
 * defused for spreadsheets (the import restores snip's own). A lone empty field is quoted: an
 * empty line is no record at all.
 */
export function csvRecord(fields: readonly string[]): string {
  if (fields.length === 1 && fields[0] === '') return '""\r\n';
  return `${fields.map((field) => csvField(defuseFormula(field))).join(',')}\r\n`;
}
