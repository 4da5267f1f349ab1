import { Readable, Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { englishOf } from '../../src/i18n/catalog.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { parseCsv } from '../../src/transfer/csv.js';
import {
  importLinks,
  importReportChunks,
  STAGE_BATCH,
  writeImportReport,
  type ImportOutcome,
  type ImportReport,
} from '../../src/transfer/link-import.js';
import { APPLY_BATCH, undoUnfinishedImports } from '../../src/transfer/transfer-store.sqlite.js';
import { megabytes, retainedHeap } from '../support/heap.js';
import {
  BLOCKED_HOST,
  countLinks,
  countStagedRows,
  importedCodeMessage,
  createImportTarget,
  importFixture,
  importInto,
  IMPORT_OPTIONS,
  NOW,
  OWN_HOST,
  policyMessage,
  requireReport,
  storedLinks,
  type ImportTarget,
} from '../support/link-transfer.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

/** Report rows as the store hands them out: a page at a time. */
async function* pagesOf<T>(rows: T[]): AsyncGenerator<T[]> {
  yield rows;
}

/** The problem of an import that must have refused the file, as a script reads it (English). */
function requireProblem(outcome: ImportOutcome) {
  if (outcome.ok)
    throw new Error(`the file was imported: ${JSON.stringify(outcome.report.totals)}`);
  return { line: outcome.problem.line, message: englishOf(outcome.problem.message) };
}

let target: ImportTarget;

beforeEach(() => {
  target = createImportTarget();
  createLinkRepository(target.db).insertLink(
    {
      code: 'taken',
      target: 'https://example.com/original',
      manageTokenHash: Buffer.alloc(32, 1),
      ...DEFAULT_OPTIONS,
    },
    NOW - 1000,
  );
});

describe('each row gets a result', () => {
  const file = [
    'code,target,created,visits',
    'taken,https://example.com/1,,',
    'fresh,https://example.com/2,2020-01-02T03:04:05Z,7',
    'fresh,https://example.com/3,,',
    'admin,https://example.com/4,,',
    'ab,https://example.com/5,,',
    'private,http://192.168.1.1/router,,',
    `blocked,https://www.${BLOCKED_HOST}/x,,`,
    `own,https://${OWN_HOST}/abc,,`,
    'no-scheme,example.com/x,,',
    'bad-date,https://example.com/6,yesterday,',
    'bad-visits,https://example.com/7,,-3',
    'no-target,,,',
    ',https://example.com/8,,',
    'EXAMPLE-é,https://example.com/9,,',
  ].join('\n');

  let report: ImportReport;
  beforeEach(async () => {
    report = requireReport(await importInto(target, file));
  });

  const row = (line: number) => {
    const found = report.rows.find((candidate) => candidate.line === line);
    if (!found) throw new Error(`no row for line ${line}`);
    return { result: found.result, reason: found.reason };
  };

  it('when a row is new and passes every policy, then it is created, with what the file said', () => {
    expect(row(3)).toEqual({
      result: 'created',
      reason: 'Kept: created 2020-01-02 03:04 UTC, 7 visits (a total, without days).',
    });
    expect(storedLinks(target.db).find((link) => link.code === 'fresh')).toMatchObject({
      target: 'https://example.com/2',
      created: Date.UTC(2020, 0, 2, 3, 4, 5),
      visits: 7,
      manage_token_hash: null,
    });
  });

  it('when the code exists, then the row is skipped and the existing link is not overwritten', () => {
    const skipped = {
      result: 'skipped',
      reason: 'The code “taken” is already taken; the existing link was kept.',
    };
    expect(row(2)).toEqual(skipped);
    expect(storedLinks(target.db).find((link) => link.code === 'taken')).toMatchObject({
      target: 'https://example.com/original',
      created: NOW - 1000,
    });
  });

  it('when a code comes twice in the file, then the first row wins and the second is skipped', () => {
    expect(row(4)).toEqual({
      result: 'skipped',
      reason: 'The code “fresh” is already taken; the existing link was kept.',
    });
  });

  it('when a code is the path of a route of snip’s or cannot be served, then the row is refused with why', () => {
    expect(row(5)).toEqual({ result: 'refused', reason: importedCodeMessage('admin') });
    expect(row(15)).toEqual({ result: 'refused', reason: importedCodeMessage('EXAMPLE-é') });
  });

  it('when a code is one snip’s alias rules would not make, then it is kept all the same, and the row says so', () => {
    expect(row(6)).toEqual({
      result: 'created',
      reason:
        'The code “ab” is kept as snip had it, though an alias chosen in snip has at least 3 characters. Kept: created at the import (the file gives no date).',
    });
  });

  it('when the URL policy or the blocklist refuses a target, then the row is refused with its message', () => {
    expect(row(7)).toEqual({
      result: 'refused',
      reason: policyMessage('http://192.168.1.1/router'),
    });
    expect(row(8)).toEqual({
      result: 'refused',
      reason: 'Links to this website are not allowed here.',
    });
    expect(row(9)).toEqual({ result: 'refused', reason: policyMessage(`https://${OWN_HOST}/abc`) });
    // As in the API, a scheme is never guessed.
    expect(row(10)).toEqual({ result: 'refused', reason: policyMessage('example.com/x') });
  });

  it('when a banned link of snip’s points to a blocked host, then it is imported banned, and its code stays taken', async () => {
    const banned = requireReport(
      await importInto(
        target,
        [
          'code,target,banned_at,ban_reason',
          `was-phish,https://www.${BLOCKED_HOST}/login,2026-06-01T00:00:00Z,phishing`,
          `not-banned,https://www.${BLOCKED_HOST}/login,,`,
          `long-reason,https://example.com/x,2026-06-01T00:00:00Z,${'x'.repeat(201)}`,
        ].join('\n'),
      ),
    );
    expect(banned.rows.map((r) => r.result)).toEqual(['created', 'refused', 'invalid']);
    expect(banned.rows[2]!.reason).toBe('ban_reason: a ban reason is at most 200 characters.');
    expect(storedLinks(target.db).find((link) => link.code === 'was-phish')).toMatchObject({
      target: `https://www.${BLOCKED_HOST}/login`,
      banned_at: Date.UTC(2026, 5, 1),
      ban_reason: 'phishing',
    });
  });

  it('when a value is malformed or missing, then the row is invalid and the reason names the column', () => {
    expect(row(11)).toEqual({
      result: 'invalid',
      reason:
        'created: “yesterday” is not a date and time (ISO 8601, such as 2026-01-31T12:00:00Z).',
    });
    expect(row(12)).toEqual({
      result: 'invalid',
      reason: 'visits: “-3” is not a whole number of visits.',
    });
    expect(row(13)).toEqual({ result: 'invalid', reason: 'target: no target URL.' });
    expect(row(14)).toEqual({ result: 'invalid', reason: 'code: no short code.' });
  });

  it('when the import is done, then the totals count every row once, and only created rows were stored', () => {
    expect(report.totals).toEqual({ rows: 14, created: 2, skipped: 2, refused: 6, invalid: 4 });
    expect(storedLinks(target.db).map((link) => link.code)).toEqual(['taken', 'fresh', 'ab']);
  });

  it('when the report is downloaded, then it is CSV with a row per line, and formulas are defused', async () => {
    const chunks: string[] = [];
    // The report as stored: imported again, into a database of its own.
    const downloaded = createImportTarget();
    const { id } = requireReport(await importLinks(file, IMPORT_OPTIONS, downloaded.deps));
    await writeImportReport(
      downloaded.deps.transfer,
      id,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const records = parseCsv(chunks.join('')).map((record) => record.fields);
    expect(records[0]).toEqual(['line', 'code', 'target', 'result', 'reason']);
    expect(records).toHaveLength(15);
    expect(records[2]).toEqual([
      '3',
      'fresh',
      'https://example.com/2',
      'created',
      'Kept: created 2020-01-02 03:04 UTC, 7 visits (a total, without days).',
    ]);
    expect(records[12]?.slice(0, 4)).toEqual(['13', 'no-target', '', 'invalid']);

    const hostile = requireReport(
      await importInto(
        createImportTarget(),
        'code,target\n=cmd,=HYPERLINK("https://evil.example")\n',
      ),
    );
    let text = '';
    for await (const chunk of importReportChunks(pagesOf(hostile.rows))) text += chunk;
    expect(parseCsv(text)[1]?.fields.slice(1, 3)).toEqual([
      "'=cmd",
      '\'=HYPERLINK("https://evil.example")',
    ]);
  });
});

describe('a malformed file imports nothing', () => {
  const VALID = 'code,target\nfirst,https://example.com/1\nsecond,https://example.com/2\n';

  async function expectRefused(source: string | Buffer, line: number | null, words: string) {
    const before = storedLinks(target.db);
    const problem = requireProblem(await importInto(target, source));
    expect(problem.line).toBe(line);
    expect(problem.message).toContain(words);
    if (line !== null) expect(problem.message).toMatch(new RegExp(`^Line ${line}: `));
    expect(storedLinks(target.db)).toEqual(before);
  }

  it('when a quote is never closed, then the file is refused at the line where it opened', async () => {
    await expectRefused(
      `${VALID}"third,https://example.com/3\nfourth,https://example.com/4\n`,
      4,
      'never closed',
    );
  });

  it('when a row has more or fewer fields than the header, then the file is refused at that row', async () => {
    await expectRefused(
      `${VALID}third,https://example.com/3,extra\n`,
      4,
      'this row has 3 fields, but the header row has 2',
    );
    await expectRefused(`${VALID}fourth\n`, 4, 'this row has 1 field, but the header row has 2');
  });

  it('when text follows a closing quote, then the file is refused', async () => {
    await expectRefused(`${VALID}"third"x,https://example.com/3\n`, 4, 'must be doubled');
  });

  it('when the header names no known format, then the file is refused at line 1', async () => {
    await expectRefused('url,slug\nhttps://example.com/,x\n', 1, 'names no format snip can import');
  });

  it('when the file is empty, then it is refused', async () => {
    await expectRefused('', 1, 'the file is empty');
    await expectRefused('\uFEFF\r\n\r\n', 1, 'the file is empty');
  });

  it('when the file is not UTF-8, then it is refused at the line of the first stray byte', async () => {
    const latin1 = Buffer.from(`${VALID}caf\xe9,https://example.com/3\n`, 'latin1');
    await expectRefused(latin1, 4, 'not UTF-8');
    const cut = Buffer.from(`${VALID}x,https://example.com/é`).subarray(0, -1);
    await expectRefused(cut, 4, 'not UTF-8');
  });

  it('when the file has more rows than the cap, then it is refused at the first row too many', async () => {
    const before = countLinks(target.db);
    const problem = requireProblem(await importInto(target, VALID, { maxRows: 1 }));
    expect(problem).toEqual({
      line: 3,
      message: 'Line 3: the file has more than 1 rows; import it in parts.',
    });
    expect(countLinks(target.db)).toBe(before);
    expect(requireReport(await importInto(target, VALID, { maxRows: 2 })).totals.created).toBe(2);
  });

  it('when the upload is refused early, then the rest of it is still read, so the answer can be sent', async () => {
    let chunksRead = 0;
    async function* upload() {
      yield Buffer.from('code,target\nbad,"open\n');
      for (let i = 0; i < 100; i += 1) {
        chunksRead += 1;
        yield Buffer.from(`more${i},https://example.com/${i}\n`);
      }
    }
    const stream = Readable.from(upload());
    requireProblem(await importInto(target, stream));
    expect(chunksRead).toBe(100);
    expect(stream.readableEnded).toBe(true);
  });
});

/** A snip file of `rows` generated rows, in chunks of about 64 KiB, as an upload would come. */
async function* generatedFile(
  rows: number,
  rowAt: (line: number) => string = (line) =>
    `gen-${line},https://example.com/page/${line}?ref=import,2024-05-06T07:08:09Z,${line % 100}`,
): AsyncGenerator<Buffer> {
  let chunk = 'code,target,created,visits\n';
  for (let line = 2; line <= rows + 1; line += 1) {
    chunk += `${rowAt(line)}\n`;
    if (chunk.length >= 64 * 1024) {
      yield Buffer.from(chunk);
      chunk = '';
    }
  }
  yield Buffer.from(chunk);
}

describe('large files', () => {
  it('when one row at line 90,000 of a 100,000-row file is malformed, then nothing is imported and the line is named', async () => {
    const before = countLinks(target.db);
    const started = performance.now();
    const outcome = await importInto(
      target,
      Readable.from(
        generatedFile(100_000, (line) =>
          line === 90_000
            ? `gen-${line},https://example.com/${line},2024-05-06T07:08:09Z,1,surplus`
            : `gen-${line},https://example.com/${line},,`,
        ),
      ),
    );
    const ms = performance.now() - started;
    const problem = requireProblem(outcome);
    expect(problem.line).toBe(90_000);
    expect(problem.message).toContain('this row has 5 fields, but the header row has 4');
    expect(countLinks(target.db)).toBe(before);
    console.log(
      `malformed row at line 90,000 of 100,000: refused after ${ms.toFixed(0)} ms, ${countLinks(target.db) - before} links written`,
    );
  });

  it('when 100,000 rows are imported in one go, then all are created and memory stays within bounds', async () => {
    const before = countLinks(target.db);
    const baseline = retainedHeap();
    const start = process.memoryUsage();
    let peakHeap = start.heapUsed;
    let peakRss = start.rss;
    const sample = () => {
      const now = process.memoryUsage();
      peakHeap = Math.max(peakHeap, now.heapUsed);
      peakRss = Math.max(peakRss, now.rss);
    };
    let bytes = 0;
    async function* sampled() {
      for await (const chunk of generatedFile(100_000)) {
        sample();
        bytes += chunk.length;
        yield chunk;
      }
    }
    // A blocklist of a thousand hosts, as a long-running site collects: checked against every row.
    const blockedHosts = Array.from({ length: 1000 }, (_, i) => `spam-${i}.example`);
    const started = performance.now();
    const report = requireReport(
      await importLinks(Readable.from(sampled()), { ...IMPORT_OPTIONS, blockedHosts }, target.deps),
    );
    const ms = performance.now() - started;
    sample();
    // What the import keeps once it is done: the report is in the database, and the outcome
    // holds the totals and the rows the page shows.
    const kept = retainedHeap() - baseline;

    expect(report.totals).toEqual({
      rows: 100_000,
      created: 100_000,
      skipped: 0,
      refused: 0,
      invalid: 0,
    });
    expect(countLinks(target.db) - before).toBe(100_000);
    expect(storedLinks(target.db).at(-1)).toMatchObject({
      code: 'gen-100001',
      target: 'https://example.com/page/100001?ref=import',
      created: Date.UTC(2024, 4, 6, 7, 8, 9),
      visits: 1,
    });
    console.log(
      `import of 100,000 rows (${megabytes(bytes)} MB of CSV, 1,000 blocked hosts): ${ms.toFixed(0)} ms; ` +
        `peak heap +${megabytes(peakHeap - start.heapUsed)} MB, peak RSS +${megabytes(peakRss - start.rss)} MB (RSS includes SQLite's pages); ` +
        `the outcome keeps +${megabytes(kept)} MB (${report.rows.length} rows shown)`,
    );
    expect(report.rows).toHaveLength(500);
    // Generous: what matters is that it does not grow with the file.
    expect(peakHeap - start.heapUsed).toBeLessThan(300 * 1024 * 1024);
    expect(kept).toBeLessThan(5 * 1024 * 1024);
  });
});

describe('what survives a failed insert', () => {
  it('when the disk fills in the middle of the insert, then the import fails and no link of it is stored', async () => {
    const before = countLinks(target.db);
    const pages = target.db.pragma('page_count', { simple: true }) as number;
    // Room for a few hundred links of the thousands in the file: the insert fails part way.
    target.db.pragma(`max_page_count = ${pages + 40}`);
    const rows = 3000;
    await expect(
      importInto(
        target,
        Readable.from(
          generatedFile(
            rows,
            (line) => `fill-${line},https://example.com/${'x'.repeat(400)}/${line},,`,
          ),
        ),
      ),
    ).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(countLinks(target.db)).toBe(before);
    target.db.pragma('max_page_count = 1073741823');
    const report = requireReport(await importInto(target, importFixture('yourls-table.csv')));
    expect(report.totals.created).toBe(3);
  });

  it('when the write gate refuses the write, then the import fails and nothing is stored', async () => {
    const before = countLinks(target.db);
    const refused = new Error('storage unavailable');
    const deps = {
      ...target.deps,
      write: () => {
        throw refused;
      },
    };
    await expect(importLinks(importFixture('yourls-table.csv'), IMPORT_OPTIONS, deps)).rejects.toBe(
      refused,
    );
    expect(countLinks(target.db)).toBe(before);
  });
});

describe('writing the links in batches', () => {
  // Three and a half batches, staged and written.
  const ROWS = 3.5 * APPLY_BATCH;
  const STAGED_BATCHES = Math.ceil(ROWS / STAGE_BATCH);
  const file = () =>
    Readable.from(generatedFile(ROWS, (line) => `batch-${line},https://example.com/${line},,`));

  /** A write gate that lets `ok` writes through, then refuses `failing` of them. */
  function failingGate(ok: number, failing = 1) {
    let calls = 0;
    const refused = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return <T>(write: () => T): T => {
      calls += 1;
      if (calls > ok && calls <= ok + failing) throw refused;
      return write();
    };
  }

  it('when storage fails after some batches of links were written, then they are taken back and no link of the file stays', async () => {
    const before = countLinks(target.db);
    let undone = 0;
    // startImport, the batches staged, 'applying', two batches of links written: the third fails.
    const write = failingGate(1 + STAGED_BATCHES + 1 + 2);
    await expect(
      importLinks(file(), IMPORT_OPTIONS, {
        ...target.deps,
        write,
        linksUndone: () => (undone += 1),
      }),
    ).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(countLinks(target.db)).toBe(before);
    expect(countStagedRows(target.db)).toBe(0);
    expect(undone).toBe(1);
  });

  it('when snip stops while an import writes its links, then the next start takes them back', async () => {
    const before = countLinks(target.db);
    // The links are not taken back at once (storage still fails), as when the process dies.
    const write = failingGate(1 + STAGED_BATCHES + 1 + 2, Infinity);
    await expect(
      importLinks(file(), IMPORT_OPTIONS, { ...target.deps, write }),
    ).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(countLinks(target.db)).toBe(before + 2 * APPLY_BATCH);

    expect(undoUnfinishedImports(target.db)).toBe(2 * APPLY_BATCH);
    expect(countLinks(target.db)).toBe(before);
    expect(countStagedRows(target.db)).toBe(0);
    expect(undoUnfinishedImports(target.db)).toBe(0);
    // And the file imports whole afterwards.
    const report = requireReport(await importInto(target, file()));
    expect(report.totals.created).toBe(ROWS);
  });

  it('when an import writes its links, then redirects are answered between its batches', async () => {
    const links = createLinkRepository(target.db);
    let lookups = 0;
    let importing = true;
    const lookup = async () => {
      while (importing) {
        links.findRedirect('taken');
        lookups += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const looking = lookup();
    const report = requireReport(await importInto(target, file()));
    importing = false;
    await looking;
    expect(report.totals.created).toBe(ROWS);
    // Each batch staged and each written is followed by a turn of the event loop.
    expect(lookups).toBeGreaterThanOrEqual(STAGED_BATCHES + Math.ceil(ROWS / APPLY_BATCH));
  });
});

describe('reading an upload in pieces', () => {
  it('when the bytes arrive in pieces split inside characters and line breaks, then the report is that of the whole file', async () => {
    const bytes = Buffer.concat([importFixture('shlink-web-client.csv')]);
    const whole = requireReport(await importInto(createImportTarget(), bytes));
    for (const size of [1, 2, 3, 5, 7]) {
      const pieces: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
      const report = requireReport(await importInto(createImportTarget(), Readable.from(pieces)));
      expect(report, `pieces of ${size} bytes`).toEqual(whole);
    }
  });

  it('when the file starts with a byte order mark and uses CRLF, then it imports as without', async () => {
    const plain = 'keyword,url\nbom-test,https://example.com/\n';
    const marked = `\uFEFF${plain.replaceAll('\n', '\r\n')}`;
    const a = requireReport(await importInto(createImportTarget(), Buffer.from(plain)));
    const b = requireReport(await importInto(createImportTarget(), Buffer.from(marked)));
    expect(b).toEqual(a);
    expect(b.rows[0]).toMatchObject({ code: 'bom-test', result: 'created' });
  });

  it('when the created time is missing, then the import time is used', async () => {
    requireReport(await importInto(target, 'keyword,url\nno-time,https://example.com/\n'));
    expect(storedLinks(target.db).find((link) => link.code === 'no-time')).toMatchObject({
      created: NOW,
      updated: NOW,
    });
  });
});
