import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCsvParser,
  csvField,
  csvRecord,
  CsvSyntaxError,
  defuseFormula,
  detectDelimiter,
  parseCsv,
  restoreFormula,
  type CsvRecord,
} from '../../src/transfer/csv.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_129);
const fieldsOf = (text: string) => parseCsv(text).map((record) => record.fields);

/** Parses `text` fed in the given pieces. */
function parsePieces(pieces: string[]): CsvRecord[] {
  const records: CsvRecord[] = [];
  const parser = createCsvParser({ onRecord: (record) => records.push(record) });
  for (const piece of pieces) parser.write(piece);
  parser.end();
  return records;
}

function syntaxErrorOf(text: string, options = {}): CsvSyntaxError {
  try {
    parseCsv(text, options);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a CsvSyntaxError');
}

describe('reading CSV', () => {
  it('when fields are quoted, then commas, doubled quotes and line breaks inside them are text', () => {
    const text = 'a,b,c\r\n"1,5","say ""hi""","two\r\nlines"\r\n';
    expect(fieldsOf(text)).toEqual([
      ['a', 'b', 'c'],
      ['1,5', 'say "hi"', 'two\r\nlines'],
    ]);
  });

  it('when records end with CRLF, LF or a lone CR, then each is a line break', () => {
    expect(fieldsOf('a,b\r\n1,2\n3,4\r5,6')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('when the file starts with a UTF-8 byte order mark, then the first header is clean', () => {
    expect(fieldsOf('\uFEFFcode,target\n')).toEqual([['code', 'target']]);
    // Only at the start: anywhere else it is a character like any other.
    expect(fieldsOf('a,\uFEFFb')).toEqual([['a', '\uFEFFb']]);
  });

  it('when the last line has no line break, or a trailing one, then the records are the same', () => {
    expect(fieldsOf('a,b\n1,2')).toEqual(fieldsOf('a,b\n1,2\n'));
    expect(fieldsOf('a,b\n1,')).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
    expect(fieldsOf('a,b\r\n1,2\r\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('when fields are empty, then they are empty strings, at the start, middle and end', () => {
    expect(fieldsOf(',x,,\n""')).toEqual([['', 'x', '', ''], ['']]);
  });

  it('when lines are empty, then they are skipped but still counted', () => {
    const records = parseCsv('a,b\n\n1,2\r\n\r\n3,4\n\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', '2'] },
      { line: 5, fields: ['3', '4'] },
    ]);
  });

  it('when a quoted field spans lines, then the next record starts on its physical line', () => {
    const records = parseCsv('h1,h2\n"one\ntwo\r\nthree",x\n"\r\r",y\nlast,z');
    expect(records.map((record) => record.line)).toEqual([1, 2, 5, 8]);
    // A CR that ends one quoted field and a LF that starts the next are two line breaks.
    expect(parseCsv('h\n"a\r","\nb"\nlast').map((record) => record.line)).toEqual([1, 2, 5]);
  });

  it('when a quote appears inside an unquoted field, then it is kept as a character', () => {
    expect(fieldsOf('say "hi",x')).toEqual([['say "hi"', 'x']]);
  });

  it('when spaces surround a field, then they are part of it, as RFC 4180 says', () => {
    expect(fieldsOf(' a , b ')).toEqual([[' a ', ' b ']]);
  });

  it('when the delimiter is a semicolon or a tab, then commas are text', () => {
    expect(parseCsv('a;b\n"x;y";1,5', { delimiter: ';' })[1]!.fields).toEqual(['x;y', '1,5']);
    expect(parseCsv('a\tb\n1,5\t2', { delimiter: '\t' })[1]!.fields).toEqual(['1,5', '2']);
  });

  it('when the text arrives in pieces split anywhere, then the records are those of the whole', () => {
    const text =
      '\uFEFFcode,target\r\n"a""b","x,\r\ny"\r\nc,d\r\re,"f"\n"",\n"g""",h\r\n,\r\n"\r\n"';
    const whole = parsePieces([text]);
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(parsePieces([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
    for (let cut = 0; cut + 2 <= text.length; cut += 1) {
      const pieces = [text.slice(0, cut), text.slice(cut, cut + 2), text.slice(cut + 2)];
      expect(parsePieces(pieces), `cut at ${cut} and ${cut + 2}`).toEqual(whole);
    }
    expect(parsePieces([...text])).toEqual(whole);
  });

  it('when a quote is never closed, then the error names the line where the field opened', () => {
    const error = syntaxErrorOf('a,b\n1,2\n3,"open\nmore\nand more');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^Line 3: a quoted field is never closed/);
  });

  it('when text follows a closing quote, then it is an error on that line', () => {
    const error = syntaxErrorOf('a,b\n"x"y,2');
    expect(error.line).toBe(2);
    expect(error.message).toContain('must be doubled');
  });

  it('when a record is longer than the limit, then it is an error, not an unbounded field', () => {
    const error = syntaxErrorOf(`a\n"${'x'.repeat(200)}`, { maxRecordLength: 100 });
    expect(error.line).toBe(2);
    expect(error.message).toContain('longer than 100 characters');
    expect(() => parseCsv(`a\n${'x'.repeat(100)}`, { maxRecordLength: 100 })).not.toThrow();
    // Empty lines belong to no record, however many there are.
    const spaced = parseCsv(`a\n${'\r\n'.repeat(300)}b`, { maxRecordLength: 100 });
    expect(spaced).toEqual([
      { line: 1, fields: ['a'] },
      { line: 302, fields: ['b'] },
    ]);
  });
});

describe('writing CSV', () => {
  it('when a field needs no quotes, then it is written as it is', () => {
    expect(csvField('https://example.com/a?b=c')).toBe('https://example.com/a?b=c');
    expect(csvField('')).toBe('');
  });

  it('when a field holds a comma, a quote or a line break, then it is quoted with quotes doubled', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\rb')).toBe('"a\rb"');
  });

  it('when a record is written, then it ends with CRLF, and a lone empty field stays a record', () => {
    expect(csvRecord(['a', 'b,c'])).toBe('a,"b,c"\r\n');
    expect(csvRecord([''])).toBe('""\r\n');
    expect(fieldsOf(csvRecord(['']))).toEqual([['']]);
  });

  it('when any records are written and read back (with formulas restored), then they are the same', () => {
    const field = fc.string({
      unit: fc.constantFrom(
        'a',
        'Z',
        ' ',
        ',',
        '"',
        '\r',
        '\n',
        'é',
        '😀',
        "'",
        '=',
        '-',
        '@',
        '\t',
      ),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 5 }),
        (records) => {
          const text = records.map(csvRecord).join('');
          expect(fieldsOf(text).map((fields) => fields.map(restoreFormula))).toEqual(records);
        },
      ),
      { seed: SEED },
    );
  });
});

describe('defusing spreadsheet formulas', () => {
  it.each([
    ['=HYPERLINK("https://evil.example")', `'=HYPERLINK("https://evil.example")`],
    ['+1', "'+1"],
    ['-abc', "'-abc"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ["'=1", "''=1"],
    ["''-x", "'''-x"],
    ["'abc", "'abc"],
    ['abc', 'abc'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('when a field is %j, then it is written as %j and read back as it was', (value, written) => {
    expect(defuseFormula(value)).toBe(written);
    expect(restoreFormula(written)).toBe(value);
  });

  it('when snip writes a record, then no field a spreadsheet reads starts a formula', () => {
    const text = csvRecord(['-abc', '=1+1', '@x', '+x', 'ok']);
    expect(text).toBe("'-abc,'=1+1,'@x,'+x,ok\r\n");
  });

  it('when any value is defused, then restoring gives it back, and only defused values change', () => {
    const value = fc.string({
      unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' '),
    });
    fc.assert(
      fc.property(value, (v) => {
        expect(restoreFormula(defuseFormula(v))).toBe(v);
        expect(/^[=+\-@\t\r]/.test(defuseFormula(v))).toBe(false);
      }),
      { seed: SEED },
    );
  });
});

describe('choosing the delimiter', () => {
  it('when the header has more semicolons or tabs than commas, then that is the delimiter', () => {
    expect(detectDelimiter('code,target,created')).toBe(',');
    expect(detectDelimiter('longURL;tags;domain;short code;Title')).toBe(';');
    expect(detectDelimiter('keyword\turl\ttitle')).toBe('\t');
    expect(detectDelimiter('"a;b;c",d')).toBe(',');
    expect(detectDelimiter('url')).toBe(',');
  });
});
