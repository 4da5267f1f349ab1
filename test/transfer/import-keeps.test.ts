import { beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_SEGMENTS } from '../../src/links/alias-policy.js';
import { isLinkCode } from '../../src/links/link.js';
import { lastPathSegment } from '../../src/transfer/import-formats.js';
import {
  createImportTarget,
  importFixture,
  importInto,
  importedCodeMessage,
  NOW,
  requireReport,
  storedLinks,
  type ImportTarget,
} from '../support/link-transfer.js';

/**
 * Moving from another shortener keeps everything it had: the codes the source gave out, even
 * those snip's own alias rules would not make (only a code snip cannot serve, or the path of one
 * of its own routes, is refused, row by row); the older Shlink export whose code is only in
 * `shortUrl`; and every source's visit totals and creation dates, Bitly's clicks included. Each
 * row of the report says what was kept, or why the row was not.
 */

let target: ImportTarget;

beforeEach(() => {
  target = createImportTarget();
});

const stored = (code: string) => storedLinks(target.db).find((link) => link.code === code);

const rowsOf = (report: {
  rows: { line: number; code: string; result: string; reason: string }[];
}) => report.rows.map(({ line, code, result, reason }) => ({ line, code, result, reason }));

describe('codes the source had', () => {
  it('YOURLS’s one- and two-character keywords and words like docs and help are kept; the paths of snip’s routes are refused', async () => {
    const report = requireReport(
      await importInto(target, importFixture('yourls-short-keywords.csv')),
    );
    expect(rowsOf(report)).toEqual([
      {
        line: 2,
        code: 'a',
        result: 'created',
        reason:
          'The code “a” is kept as YOURLS had it, though an alias chosen in snip has at least 3 characters. Kept: created 2011-02-03 04:05 UTC, 31 visits (a total, without days), title.',
      },
      {
        line: 3,
        code: 'ab',
        result: 'created',
        reason:
          'The code “ab” is kept as YOURLS had it, though an alias chosen in snip has at least 3 characters. Kept: created 2012-03-04 05:06 UTC.',
      },
      {
        line: 4,
        code: 'docs',
        result: 'created',
        reason:
          "The code “docs” is kept as YOURLS had it, though snip keeps the word back from aliases chosen in snip; no page of snip's is at /docs. Kept: created 2013-04-05 06:07 UTC, 7 visits (a total, without days), title.",
      },
      {
        line: 5,
        code: 'help',
        result: 'created',
        reason:
          "The code “help” is kept as YOURLS had it, though snip keeps the word back from aliases chosen in snip; no page of snip's is at /help. Kept: created 2014-05-06 07:08 UTC, 2 visits (a total, without days).",
      },
      // Routing is case-sensitive: /Admin is no page of snip's.
      {
        line: 6,
        code: 'Admin',
        result: 'created',
        reason:
          "The code “Admin” is kept as YOURLS had it, though snip keeps the word back from aliases chosen in snip; no page of snip's is at /Admin. Kept: created 2015-06-07 08:09 UTC, 1 visit (a total, without days).",
      },
      {
        line: 7,
        code: 'admin',
        result: 'refused',
        reason:
          "The code “admin” is the path of snip's own /admin: a link there would hide that page (or never be reached), so it is not imported.",
      },
      { line: 8, code: 'healthz', result: 'refused', reason: importedCodeMessage('healthz') },
      { line: 9, code: 'static', result: 'refused', reason: importedCodeMessage('static') },
    ]);
    expect(report.totals).toEqual({ rows: 8, created: 5, skipped: 0, refused: 3, invalid: 0 });
    expect(storedLinks(target.db).map((link) => link.code)).toEqual([
      'a',
      'ab',
      'docs',
      'help',
      'Admin',
    ]);
    expect(stored('a')).toMatchObject({
      target: 'https://example.org/one-letter',
      created: Date.UTC(2011, 1, 3, 4, 5, 6),
      visits: 31,
      title: 'One letter',
    });
  });

  it('every path of a route of snip’s is refused, whatever the file', async () => {
    const file = ['code,target', ...ROUTE_SEGMENTS.map((code) => `${code},https://example.org/`)];
    const report = requireReport(await importInto(target, file.join('\n')));
    expect(report.totals.created).toBe(0);
    expect(report.totals.refused).toBe(ROUTE_SEGMENTS.length);
    for (const row of report.rows) expect(row.reason).toBe(importedCodeMessage(row.code));
    expect(storedLinks(target.db)).toEqual([]);
  });

  it('a code snip cannot serve — a “/”, “..”, too long, a control character, a space — is refused per row, and the rest is imported', async () => {
    const long = 'x'.repeat(65);
    const file = [
      'code,target',
      'a/b,https://example.org/1',
      '..,https://example.org/2',
      `${long},https://example.org/3`,
      '"ab\u0001c",https://example.org/4',
      '"tab\tbed",https://example.org/5',
      '"with space",https://example.org/6',
      'ok-code,https://example.org/7',
      `${'y'.repeat(64)},https://example.org/8`,
    ].join('\n');
    const report = requireReport(await importInto(target, file));
    expect(rowsOf(report)).toEqual([
      {
        line: 2,
        code: 'a/b',
        result: 'refused',
        reason:
          "The code “a/b” holds a “/”: snip's codes are one path segment, so it cannot be served; it is not imported.",
      },
      {
        line: 3,
        code: '..',
        result: 'refused',
        reason:
          "The code “..” holds characters snip cannot serve in a short link's path: only the letters A–Z and a–z, digits, hyphens (-) and underscores (_). It is not imported.",
      },
      {
        line: 4,
        code: long,
        result: 'refused',
        reason:
          'The code is 65 characters long; snip serves codes of at most 64, so it is not imported.',
      },
      {
        line: 5,
        code: 'ab\u0001c',
        result: 'refused',
        reason:
          'The code holds a control character, which no address can carry; it is not imported.',
      },
      { line: 6, code: 'tab\tbed', result: 'refused', reason: importedCodeMessage('tab\tbed') },
      { line: 7, code: 'with space', result: 'refused', reason: importedCodeMessage('with space') },
      {
        line: 8,
        code: 'ok-code',
        result: 'created',
        reason: 'Kept: created at the import (the file gives no date).',
      },
      {
        line: 9,
        code: 'y'.repeat(64),
        result: 'created',
        reason: 'Kept: created at the import (the file gives no date).',
      },
    ]);
    expect(importedCodeMessage('tab\tbed')).toContain('control character');
    expect(storedLinks(target.db).map((link) => link.code)).toEqual(['ok-code', 'y'.repeat(64)]);
    for (const link of storedLinks(target.db)) expect(isLinkCode(link.code)).toBe(true);
  });
});

describe('the older Shlink export, with the code only in shortUrl', () => {
  it('reads the code from the short URL’s last path segment and the domain from its host', async () => {
    const report = requireReport(
      await importInto(target, importFixture('shlink-web-client-older.csv')),
    );
    expect(report.format).toBe('shlink');
    expect(rowsOf(report)).toEqual([
      {
        line: 2,
        code: 'old-1',
        result: 'created',
        reason:
          'Kept: created 2021-02-03 04:05 UTC, 12 visits (a total, without days), title, 2 tags.',
      },
      // No added domain go.example here: another product's host is the default domain.
      {
        line: 3,
        code: 'Xy7',
        result: 'created',
        reason:
          "Kept: created 2021-03-04 04:06 UTC, 3 visits (a total, without days). Its domain go.example is not one of this snip's domains: the link is on the default domain.",
      },
      // A Shlink served under a base path: the code is the last segment.
      {
        line: 4,
        code: 'ab',
        result: 'created',
        reason:
          "The code “ab” is kept as Shlink had it, though an alias chosen in snip has at least 3 characters. Kept: created 2021-04-05 06:07 UTC. Its domain old-shlink.example is not one of this snip's domains: the link is on the default domain.",
      },
      { line: 5, code: '', result: 'invalid', reason: 'shortUrl: no short code.' },
    ]);
    expect(stored('old-1')).toMatchObject({
      target: 'https://example.org/old-one',
      created: Date.UTC(2021, 1, 3, 4, 5, 6),
      visits: 12,
      title: 'Older export',
      domain_id: null,
    });
  });

  it('takes the last segment of a short URL’s path, decoded, and nothing for a bare host', () => {
    expect(lastPathSegment('https://s.test/abc')).toBe('abc');
    expect(lastPathSegment('https://s.test/base/abc/?x=1#y')).toBe('abc');
    expect(lastPathSegment('https://s.test/%41bc')).toBe('Abc');
    // An escaped slash is still a slash in the code: refused when checked.
    expect(lastPathSegment('https://s.test/a%2Fb')).toBe('a/b');
    expect(lastPathSegment('https://s.test/bad%ZZ')).toBe('bad%ZZ');
    expect(lastPathSegment('https://s.test/')).toBe('');
    expect(lastPathSegment('https://s.test')).toBe('');
    expect(lastPathSegment('s.test/abc')).toBe('abc');
    expect(lastPathSegment('abc')).toBe('abc');
  });

  it('a shortCode column wins over shortUrl, and a multi-segment slug is refused, not cut', async () => {
    const file = [
      'shortCode,shortUrl,longUrl',
      'own-code,https://s.test/other,https://example.org/1',
      'foo/bar,https://s.test/foo/bar,https://example.org/2',
    ].join('\n');
    const report = requireReport(await importInto(target, file));
    expect(report.rows.map(({ code, result }) => ({ code, result }))).toEqual([
      { code: 'own-code', result: 'created' },
      { code: 'foo/bar', result: 'refused' },
    ]);
  });
});

describe('visit totals and dates', () => {
  it('Bitly’s clicks are the link’s visits, and its creation date is kept', async () => {
    const report = requireReport(await importInto(target, importFixture('bitly-links-clicks.csv')));
    expect(report.format).toBe('bitly');
    expect(rowsOf(report)).toEqual([
      {
        line: 2,
        code: '3Kp9QrT',
        result: 'created',
        reason: 'Kept: created 2022-03-01 09:30 UTC, 1,234 visits (a total, without days), title.',
      },
      {
        line: 3,
        code: 'q3',
        result: 'created',
        reason:
          'The code “q3” is kept as Bitly had it, though an alias chosen in snip has at least 3 characters. Kept: created 2023-07-15, 1 tag.',
      },
      {
        line: 4,
        code: '5Zz8YyX',
        result: 'invalid',
        reason: 'total_clicks: “many” is not a whole number of visits.',
      },
    ]);
    expect(stored('3Kp9QrT')).toMatchObject({
      created: Date.UTC(2022, 2, 1, 9, 30),
      updated: NOW,
      visits: 1234,
    });
    expect(stored('q3')).toMatchObject({ created: Date.UTC(2023, 6, 15), visits: 0 });
  });

  it('a `clicks` column is read as Bitly’s clicks too', async () => {
    const report = requireReport(
      await importInto(
        target,
        'link,long_url,clicks\nhttps://bit.ly/c1ick5,https://example.org/c,9\n',
      ),
    );
    expect(report.format).toBe('bitly');
    expect(stored('c1ick5')).toMatchObject({ visits: 9, created: NOW });
  });

  it('every source’s visit total and creation date is kept: snip, Shlink, Kutt, YOURLS', async () => {
    const files = {
      snip: 'code,target,created,visits,last_visit\nsn-1,https://example.org/s,2020-01-01T00:00:00Z,5,2020-02-01T10:00:00Z',
      shlink:
        'shortCode,longUrl,createdAt,visits\nsh-1,https://example.org/h,2020-01-02T00:00:00+00:00,6',
      kutt: 'address,target,created_at,visit_count\nku-1,https://example.org/k,2020-01-03T00:00:00.000Z,7',
      yourls: 'keyword,url,timestamp,clicks\nyo-1,https://example.org/y,2020-01-04 00:00:00,8',
    };
    for (const [format, file] of Object.entries(files)) {
      const report = requireReport(await importInto(target, file));
      expect(report.format).toBe(format);
    }
    expect(
      storedLinks(target.db).map(({ code, created, visits, last_visit }) => ({
        code,
        created,
        visits,
        last_visit,
      })),
    ).toEqual([
      {
        code: 'sn-1',
        created: Date.UTC(2020, 0, 1),
        visits: 5,
        last_visit: Date.UTC(2020, 1, 1, 10),
      },
      { code: 'sh-1', created: Date.UTC(2020, 0, 2), visits: 6, last_visit: null },
      { code: 'ku-1', created: Date.UTC(2020, 0, 3), visits: 7, last_visit: null },
      { code: 'yo-1', created: Date.UTC(2020, 0, 4), visits: 8, last_visit: null },
    ]);
    // A total has no days: the import writes no visits per day, so none are invented.
    expect(
      target.db
        .prepare(
          'SELECT (SELECT count(*) FROM visits_daily) + (SELECT count(*) FROM visit_dimensions) AS n',
        )
        .get(),
    ).toEqual({ n: 0 });
  });
});
