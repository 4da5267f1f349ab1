import type { TransferStore } from '../../src/transfer/transfer-store.js';
import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { parseCsv } from '../../src/transfer/csv.js';
import { EXPORT_COLUMNS, exportLinks, linkExportChunks } from '../../src/transfer/link-export.js';
import {
  createTransferRepository,
  type TransferRepository,
} from '../../src/transfer/transfer-store.sqlite.js';
import { megabytes, retainedHeap } from '../support/heap.js';
import { createTestDatabase } from '../support/test-app.js';
import {
  createImportTarget,
  importInto,
  NOW,
  requireReport,
  storedLinks,
} from '../support/link-transfer.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

const DAY = 86_400_000;

let db: Db;
let transfer: TransferRepository;

beforeEach(() => {
  db = createTestDatabase();
  transfer = createTransferRepository(db);
});

/** A Writable that keeps what it is given. */
function collector(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    out: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

async function exportText(from: TransferStore = transfer, now = NOW): Promise<string> {
  const { out, text } = collector();
  await exportLinks(from, out, { now });
  return text();
}

/** One link in each state, with every column that can be set. */
function seedLinks(): void {
  const links = createLinkRepository(db);
  let seeded = 0;
  const add = (
    code: string,
    target: string,
    extra: Partial<Parameters<typeof links.insertLink>[0]> = {},
  ) => {
    const link = { code, target, ...DEFAULT_OPTIONS };
    const tokenHash = Buffer.alloc(32, (seeded += 1));
    const result = links.insertLink(
      { ...link, manageTokenHash: tokenHash, ...extra },
      NOW - 10 * DAY,
    );
    if (!result.ok) throw new Error(`could not add ${code}`);
  };
  add('active', 'https://example.com/a?x=1,2');
  add('moved', 'https://example.com/b', { redirectStatus: 301, expiresAt: NOW + DAY });
  add('old', 'https://example.com/c', { expiresAt: NOW - DAY });
  add('limited', 'https://example.com/d', { maxVisits: 5, forwardQuery: 0 });
  add('off', 'https://example.com/e', { redirectStatus: 308 });
  add('gone', 'https://example.com/f');
  db.prepare('UPDATE urls SET visits = 5, last_visit = ? WHERE code = ?').run(NOW - DAY, 'limited');
  db.prepare('UPDATE urls SET visits = 12, last_visit = ? WHERE code = ?').run(
    NOW - 2 * DAY,
    'active',
  );
  db.prepare('UPDATE urls SET disabled_at = ?, updated = ? WHERE code = ?').run(
    NOW - 3 * DAY,
    NOW - 3 * DAY,
    'off',
  );
  const gone = links.findLink('gone')!;
  links.deleteLink(gone.id, NOW - 4 * DAY);
  add('phish', 'https://example.com/g');
  links.setBanned(links.findLink('phish')!.id, { reason: 'phishing, "urgent"' }, NOW - DAY);
}

describe('exporting links', () => {
  it('when links exist in every state, then each is a row with ISO UTC times and its state', async () => {
    seedLinks();
    const records = parseCsv(await exportText()).map((record) => record.fields);
    expect(records[0]).toEqual([...EXPORT_COLUMNS]);
    const iso = (ms: number) => new Date(ms).toISOString();
    const made = iso(NOW - 10 * DAY);
    // The title, the note, the redirect rules, the tags, whether a password is set and the
    // domain come last; none of these links has any (the default domain is empty without a
    // BASE_URL), and none is crawlable.
    const later = EXPORT_COLUMNS.indexOf('title');
    expect(records.slice(1).map((row) => row.slice(later))).toEqual(
      records
        .slice(1)
        .map(() => EXPORT_COLUMNS.slice(later).map((c) => (c === 'crawlable' ? 'false' : ''))),
    );
    expect(records.slice(1).map((row) => row.slice(0, later))).toEqual([
      [
        'active',
        'https://example.com/a?x=1,2',
        made,
        made,
        '12',
        iso(NOW - 2 * DAY),
        'active',
        '',
        '',
        '302',
        '',
        '',
        '',
        '',
        'true',
      ],
      [
        'moved',
        'https://example.com/b',
        made,
        made,
        '0',
        '',
        'active',
        iso(NOW + DAY),
        '',
        '301',
        '',
        '',
        '',
        '',
        'true',
      ],
      [
        'old',
        'https://example.com/c',
        made,
        made,
        '0',
        '',
        'expired',
        iso(NOW - DAY),
        '',
        '302',
        '',
        '',
        '',
        '',
        'true',
      ],
      [
        'limited',
        'https://example.com/d',
        made,
        made,
        '5',
        iso(NOW - DAY),
        'expired',
        '',
        '5',
        '302',
        '',
        '',
        '',
        '',
        'false',
      ],
      [
        'off',
        'https://example.com/e',
        made,
        iso(NOW - 3 * DAY),
        '0',
        '',
        'disabled',
        '',
        '',
        '308',
        iso(NOW - 3 * DAY),
        '',
        '',
        '',
        'true',
      ],
      [
        'gone',
        '',
        made,
        iso(NOW - 4 * DAY),
        '0',
        '',
        'deleted',
        '',
        '',
        '302',
        '',
        '',
        '',
        iso(NOW - 4 * DAY),
        'true',
      ],
      [
        'phish',
        'https://example.com/g',
        made,
        iso(NOW - DAY),
        '0',
        '',
        'banned',
        '',
        '',
        '302',
        '',
        iso(NOW - DAY),
        'phishing, "urgent"',
        '',
        'true',
      ],
    ]);
  });

  it('when visits are still counted in memory, then they are in the total and the state', async () => {
    seedLinks();
    const limited = createLinkRepository(db).findLink('limited')!;
    db.prepare('UPDATE urls SET visits = 3 WHERE id = ?').run(limited.id);
    const { out, text } = collector();
    await exportLinks(transfer, out, {
      now: NOW,
      pendingVisits: (id) => (id === limited.id ? 2 : 0),
    });
    const row = parseCsv(text()).find((record) => record.fields[0] === 'limited')!.fields;
    expect([row[4], row[6]]).toEqual(['5', 'expired']);
  });

  it('when there are no links, then the export is the header alone', async () => {
    expect(await exportText()).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`);
  });
});

describe('the round trip', () => {
  it('when snip’s export is imported into a fresh database, then every link comes back as it was, without its token', async () => {
    seedLinks();
    const exported = await exportText();

    const fresh = createImportTarget();
    const report = requireReport(await importInto(fresh, exported));
    expect(report.format).toBe('snip');
    expect(report.totals).toEqual({ rows: 7, created: 7, skipped: 0, refused: 0, invalid: 0 });
    expect(report.rows.find((row) => row.code === 'gone')?.reason).toContain('imported deleted');

    const withoutTokens = (rows: ReturnType<typeof storedLinks>) =>
      rows.map((row) => ({ ...row, manage_token_hash: null }));
    expect(storedLinks(fresh.db)).toEqual(withoutTokens(storedLinks(db)));
    expect(storedLinks(fresh.db).every((row) => row.manage_token_hash === null)).toBe(true);
    expect(await exportText(fresh.deps.transfer)).toBe(exported);

    // Imported again, every code is taken: nothing changes.
    const again = requireReport(await importInto(fresh, exported));
    expect(again.totals).toMatchObject({ created: 0, skipped: 7 });
  });
});

describe('spreadsheet formulas', () => {
  it('when a code or a ban reason starts a formula, then the export defuses it, and the import reads it back as it was', async () => {
    const links = createLinkRepository(db);
    const cells = ['-abc', '@abc', "'=keep"];
    for (const [index, code] of ['-abc', 'plain', 'twice'].entries()) {
      const added = links.insertLink(
        {
          code,
          target: `https://example.com/${index}`,
          ...DEFAULT_OPTIONS,
          manageTokenHash: Buffer.alloc(32, index + 1),
        },
        NOW - DAY,
      );
      if (!added.ok) throw new Error(`could not add ${code}`);
      const reason = ['=HYPERLINK("https://evil.example","click")', '+1-1', cells[2]!][index]!;
      links.setBanned(added.link.id, { reason }, NOW - DAY);
    }
    const exported = await exportText();
    const rows = parseCsv(exported).slice(1);
    const column = (name: (typeof EXPORT_COLUMNS)[number]) => EXPORT_COLUMNS.indexOf(name);
    expect(rows.map((row) => row.fields[column('code')])).toEqual(["'-abc", 'plain', 'twice']);
    expect(rows.map((row) => row.fields[column('ban_reason')])).toEqual([
      `'=HYPERLINK("https://evil.example","click")`,
      "'+1-1",
      "''=keep",
    ]);

    const fresh = createImportTarget();
    const report = requireReport(await importInto(fresh, exported));
    expect(report.totals).toMatchObject({ created: 3, invalid: 0, refused: 0 });
    expect(storedLinks(fresh.db).map(({ code, ban_reason }) => [code, ban_reason])).toEqual(
      storedLinks(db).map(({ code, ban_reason }) => [code, ban_reason]),
    );
    expect(await exportText(fresh.deps.transfer)).toBe(exported);
  });
});

/** Fills the table with `count` plain links in one statement. */
function fillTable(count: number): void {
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO urls (code, target, created, updated, visits)
     SELECT 'link' || i, 'https://example.com/articles/' || i || '?utm_source=newsletter', ?, ?, i % 1000 FROM n`,
  ).run(count, NOW, NOW);
}

describe('streaming', () => {
  it('when the writer stops taking data, then no more pages are read, and the database stays free for others', async () => {
    fillTable(5000);
    let linksRead = 0;
    const counting: TransferRepository = {
      ...transfer,
      forEachLinkAfter(afterId, limit, onLink) {
        return transfer.forEachLinkAfter(afterId, limit, (link) => {
          linksRead += 1;
          onLink(link);
        });
      },
    };
    let release: () => void = () => {};
    let received = 0;
    const stalled = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        // The first chunk is taken at once; the next waits until the test lets it through.
        if (received < 2000) return done();
        release = done;
      },
    });
    const exporting = exportLinks(counting, stalled, { now: NOW, pageSize: 100 });
    // Until the stream's buffers are full: the count stops moving (however slow the machine).
    for (let last = -1, same = 0; same < 3; last = linksRead) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      same = linksRead === last ? same + 1 : 0;
    }
    const readWhileStalled = linksRead;
    // A few pages of 100 fill the stream's buffers; then reading waits for the writer.
    expect(readWhileStalled).toBeLessThan(1000);
    // An open statement iterator would make better-sqlite3 refuse these: "connection is busy".
    expect(db.prepare('SELECT COUNT(*) FROM urls').pluck().get()).toBe(5000);
    createLinkRepository(db).insertLink(
      {
        code: 'during-export',
        target: 'https://example.com/new',
        manageTokenHash: Buffer.alloc(32, 9),
        ...DEFAULT_OPTIONS,
      },
      NOW,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(linksRead).toBe(readWhileStalled);

    stalled._write = (chunk: Buffer, _encoding, done) => {
      received += chunk.length;
      done();
    };
    release();
    // Rows are read in id order, so a link added during the export is in it, at the end.
    await expect(exporting).resolves.toEqual({ links: 5001 });
    console.log(
      `stalled writer: ${readWhileStalled} of ${linksRead} links read before it took more`,
    );
  });

  it('when the writer is fast, then the export still lets other work run between pages', async () => {
    fillTable(5000);
    let chunks = 0;
    let chunksWhenOtherWorkRan = -1;
    const fast = new Writable({
      write(_chunk, _encoding, done) {
        chunks += 1;
        done();
      },
    });
    setImmediate(() => {
      chunksWhenOtherWorkRan = chunks;
    });
    await exportLinks(transfer, fast, { now: NOW, pageSize: 100 });
    expect(chunksWhenOtherWorkRan).toBeGreaterThanOrEqual(0);
    expect(chunksWhenOtherWorkRan).toBeLessThan(chunks);
  });

  it('when the writer fails, then the export stops and says so', async () => {
    fillTable(3000);
    let pagesRead = 0;
    const counting: TransferRepository = {
      ...transfer,
      forEachLinkAfter(afterId, limit, onLink) {
        pagesRead += 1;
        return transfer.forEachLinkAfter(afterId, limit, onLink);
      },
    };
    let writes = 0;
    const failing = new Writable({
      write(_chunk, _encoding, done) {
        writes += 1;
        done(writes === 3 ? new Error('client went away') : null);
      },
    });
    await expect(exportLinks(counting, failing, { pageSize: 100 })).rejects.toThrow(
      'client went away',
    );
    expect(pagesRead).toBeLessThan(30);
  });

  it('when a large table is exported, then memory stays flat while the output grows', async () => {
    // 200,000 by default to keep the suite fast; EXPORT_TEST_ROWS=1000000 for the full figure.
    const rows = Number(process.env.EXPORT_TEST_ROWS ?? 200_000);
    let started = performance.now();
    fillTable(rows);
    const fillMs = performance.now() - started;

    const baseline = retainedHeap();
    const startRss = process.memoryUsage().rss;
    let peakHeap = baseline;
    let peakRss = startRss;
    /** The heap still referenced at each tenth of the export, after a full collection. */
    const retained: number[] = [];
    let bytes = 0;
    let lines = 0;
    const sink = new Writable({
      // A slow reader, as a download is: it takes a chunk, then waits a turn of the event loop.
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        const before = lines;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
        const tenth = Math.ceil(rows / 10);
        if (Math.floor(lines / tenth) > Math.floor(before / tenth)) retained.push(retainedHeap());
        setImmediate(done);
      },
    });
    started = performance.now();
    const result = await exportLinks(transfer, sink, { now: NOW });
    const exportMs = performance.now() - started;

    expect(result).toEqual({ links: rows });
    expect(lines).toBe(rows + 1);
    const growth = retained.map((heap) => heap - baseline);
    console.log(
      `export of ${rows.toLocaleString('en')} links: ${megabytes(bytes)} MB of CSV in ${exportMs.toFixed(0)} ms (table filled in ${fillMs.toFixed(0)} ms); ` +
        `heap kept at each tenth +${growth.map(megabytes).join(', +')} MB; peak heap +${megabytes(peakHeap - baseline)} MB, peak RSS +${megabytes(peakRss - startRss)} MB`,
    );
    expect(retained.length).toBeGreaterThanOrEqual(9);
    // Flat: what the export keeps is a page and the stream's buffers, whatever it has written.
    expect(Math.max(...growth)).toBeLessThan(8 * 1024 * 1024);
    expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
  });

  it('when the chunks are read one by one, then the first is the header and later ones hold a page each', async () => {
    fillTable(250);
    const chunks: string[] = [];
    for await (const chunk of linkExportChunks(transfer, { now: NOW, pageSize: 100 }))
      chunks.push(chunk);
    expect(chunks.map((chunk) => parseCsv(chunk).length)).toEqual([1, 100, 100, 50]);
  });
});
