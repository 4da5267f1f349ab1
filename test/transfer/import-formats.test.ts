import { beforeEach, describe, expect, it } from 'vitest';
import { englishOf } from '../../src/i18n/catalog.js';
import {
  chooseFormat,
  normaliseHeaderName,
  parseTimestamp,
  shortLinkPath,
} from '../../src/transfer/import-formats.js';
import {
  createImportTarget,
  importFixture,
  importInto,
  NOW,
  policyMessage,
  requireReport,
  storedLinks,
  type ImportTarget,
} from '../support/link-transfer.js';

/**
 * One sample file per product, written from the columns each one documents (see the comment at
 * the top of src/transfer/import-formats.ts and ADR 015 for where they come from).
 */

let target: ImportTarget;

beforeEach(() => {
  target = createImportTarget();
});

const stored = (code: string) => storedLinks(target.db).find((link) => link.code === code);

describe('importing a Shlink export', () => {
  it('when the web client exported the short URLs, then codes, targets, dates and visits carry over', async () => {
    const report = requireReport(await importInto(target, importFixture('shlink-web-client.csv')));
    expect(report.format).toBe('shlink');
    expect(report.rows).toEqual([
      {
        line: 2,
        code: 'docs-2023',
        target: 'https://shlink.io/documentation/',
        result: 'created',
        reason:
          'Kept: created 2023-03-17 09:11 UTC, 42 visits (a total, without days), title, 2 tags.',
      },
      {
        line: 3,
        code: 'quoted',
        target: 'https://example.com/search?q=a,b',
        result: 'created',
        reason: 'Kept: created 2023-04-01 08:00 UTC, title.',
      },
      {
        line: 4,
        code: 'to-localhost',
        target: 'http://localhost:8080/admin',
        result: 'refused',
        reason: policyMessage('http://localhost:8080/admin'),
      },
    ]);
    expect(stored('docs-2023')).toMatchObject({
      created: Date.UTC(2023, 2, 17, 9, 11, 12),
      updated: NOW,
      visits: 42,
      redirect_status: 302,
      expires_at: null,
      manage_token_hash: null,
    });
  });

  it('when the file is the semicolon CSV that Shlink itself imports, then it is read too', async () => {
    const report = requireReport(
      await importInto(target, importFixture('shlink-importer-semicolons.csv')),
    );
    expect(report.format).toBe('shlink');
    expect(report.rows.map(({ code, target, result }) => ({ code, target, result }))).toEqual([
      { code: 'shlink-home', target: 'https://shlink.io/', result: 'created' },
      { code: 'example-home', target: 'https://example.com/', result: 'created' },
    ]);
    expect(stored('shlink-home')?.created).toBe(NOW);
  });
});

describe('importing Kutt links', () => {
  it('when the file holds the API link fields, then expiry and visits carry over, passwords are refused and bans disable', async () => {
    const report = requireReport(await importInto(target, importFixture('kutt-api-links.csv')));
    expect(report.format).toBe('kutt');
    expect(report.rows).toEqual([
      {
        line: 2,
        code: 'kutt-repo',
        target: 'https://github.com/thedevs-network/kutt',
        result: 'created',
        reason:
          'Kept: created 2024-02-03 04:05 UTC, 17 visits (a total, without days), expires_at, title.',
      },
      {
        line: 3,
        code: 'private-doc',
        target: 'https://example.org/private',
        result: 'refused',
        reason:
          'This link is password-protected; an import cannot carry its password, so it is not imported open to anyone. Create it again with its password.',
      },
      {
        line: 4,
        code: 'was-banned',
        target: 'https://example.net/phish',
        result: 'created',
        reason:
          'Banned in Kutt: imported banned. Kept: created 2024-04-01 12:00 UTC, 250 visits (a total, without days).',
      },
    ]);
    expect(stored('kutt-repo')).toMatchObject({
      created: Date.UTC(2024, 1, 3, 4, 5, 6),
      updated: Date.UTC(2024, 1, 4),
      expires_at: Date.UTC(2031, 0, 1),
      visits: 17,
      disabled_at: null,
    });
    expect(stored('was-banned')).toMatchObject({
      banned_at: NOW,
      ban_reason: 'Banned in Kutt.',
      disabled_at: null,
      visits: 250,
    });
    expect(stored('private-doc')).toBeUndefined();
  });
});

describe('importing a YOURLS export', () => {
  it('when the file has the columns of the YOURLS table, then keywords, UTC timestamps and clicks carry over', async () => {
    const report = requireReport(await importInto(target, importFixture('yourls-table.csv')));
    expect(report.format).toBe('yourls');
    expect(
      report.rows.map(({ line, code, result, reason }) => ({ line, code, result, reason })),
    ).toEqual([
      {
        line: 2,
        code: 'ozh',
        result: 'created',
        reason: 'Kept: created 2009-10-07 21:06 UTC, 1,200 visits (a total, without days), title.',
      },
      {
        line: 3,
        code: 'yourls-gh',
        result: 'created',
        reason: 'Kept: created 2015-06-30 12:34 UTC, 88 visits (a total, without days), title.',
      },
      // YOURLS hands out one-character keywords; snip's own aliases are at least three long,
      // but an import keeps the code the links were printed with.
      {
        line: 4,
        code: '1',
        result: 'created',
        reason:
          'The code “1” is kept as YOURLS had it, though an alias chosen in snip has at least 3 characters. Kept: created 2009-10-07 21:07 UTC, 3 visits (a total, without days), title.',
      },
    ]);
    expect(stored('ozh')).toMatchObject({
      target: 'https://ozh.org/',
      created: Date.UTC(2009, 9, 7, 21, 6, 54),
      visits: 1200,
    });
  });

  it('when the Import-Export plugin wrote the file, then /keyword/ paths become codes and hits visits', async () => {
    const report = requireReport(
      await importInto(target, importFixture('yourls-import-export-plugin.csv')),
    );
    expect(report.format).toBe('yourls');
    expect(report.rows.map(({ code, target, result }) => ({ code, target, result }))).toEqual([
      { code: 'yourls-home', target: 'https://yourls.org/', result: 'created' },
      { code: 'plugins', target: 'https://github.com/YOURLS/awesome', result: 'created' },
    ]);
    expect(stored('yourls-home')).toMatchObject({ visits: 12, created: NOW });
  });
});

describe('importing Bitly links', () => {
  it('when a link has a custom back-half, then that is its code; otherwise the bitlink path is', async () => {
    const report = requireReport(await importInto(target, importFixture('bitly-links.csv')));
    expect(report.format).toBe('bitly');
    expect(report.rows).toEqual([
      {
        line: 2,
        code: 'launch-2019',
        target: 'https://example.org/launch',
        result: 'created',
        reason: 'Kept: created 2019-03-29 17:04 UTC, title, 1 tag.',
      },
      {
        line: 3,
        code: '2xYzW9v',
        target: 'https://example.org/blog/post?utm_source=bitly',
        result: 'created',
        reason: 'Kept: created 2020-11-05 08:15 UTC, title.',
      },
      {
        line: 4,
        code: '4QrStUv',
        target: 'https://tinyurl.com/y2abcd',
        result: 'refused',
        reason: policyMessage('https://tinyurl.com/y2abcd'),
      },
    ]);
    // Bitly writes offsets without a colon.
    expect(stored('launch-2019')?.created).toBe(Date.UTC(2019, 2, 29, 17, 4, 55));
  });
});

describe('choosing the format', () => {
  const formatOf = (header: string[], asked: Parameters<typeof chooseFormat>[1] = 'auto') => {
    const choice = chooseFormat(header, asked);
    return choice.ok ? choice.format : englishOf(choice.message);
  };

  it('when the header names columns of one product, then that product is chosen, whatever the spelling', () => {
    expect(formatOf(['code', 'target'])).toBe('snip');
    expect(
      formatOf(['Short Code', 'Title', 'Short URL', 'Long URL', 'Date created', 'Visits count']),
    ).toBe('shlink');
    expect(formatOf(['ADDRESS', 'Target'])).toBe('kutt');
    expect(formatOf(['keyword', 'url'])).toBe('yourls');
    expect(formatOf(['source', 'target', 'hits'])).toBe('yourls');
    expect(formatOf(['long_url', 'bitlink'])).toBe('bitly');
    expect(formatOf(['long_url', 'custom_bitlinks'])).toBe('bitly');
  });

  it('when the header names no known columns, then the message lists what it has and what would do', () => {
    const message = formatOf(['url', 'slug']);
    expect(message).toContain('It has: url, slug.');
    expect(message).toContain('Shlink (shortcode + longurl or shorturl + longurl)');
    expect(message).toContain('Bitly (longurl + link or longurl + bitlink');
  });

  it('when the header fits two formats, then a format asked for overrides the detected one', async () => {
    const file = 'code,address,target\nfrom-code,from-address,https://example.com/\n';
    const auto = requireReport(await importInto(target, file));
    expect([auto.format, auto.rows[0]?.code]).toEqual(['snip', 'from-code']);

    const other = createImportTarget();
    const asked = requireReport(await importInto(other, file, { format: 'kutt' }));
    expect([asked.format, asked.rows[0]?.code]).toEqual(['kutt', 'from-address']);
  });

  it('when a format is asked for that the header does not fit, then the file is refused', async () => {
    const outcome = await importInto(target, importFixture('kutt-api-links.csv'), {
      format: 'bitly',
    });
    expect(outcome).toMatchObject({ ok: false, problem: { line: 1 } });
    expect(!outcome.ok && englishOf(outcome.problem.message)).toContain(
      'is not that of a Bitly export',
    );
    expect(storedLinks(target.db)).toEqual([]);
  });

  it('when a format is asked for that snip does not know, then the call is refused before reading', async () => {
    const unknown = { format: 'tinyurl' } as unknown as { format: 'snip' };
    await expect(importInto(target, 'code,target\n', unknown)).rejects.toThrow(/Invalid option/);
  });

  it('when header names are compared, then case, spaces, underscores, hyphens and dots do not count', () => {
    expect(
      ['Long URL', 'long_url', 'longUrl', 'long-url', 'long.url'].map(normaliseHeaderName),
    ).toEqual(Array(5).fill('longurl'));
  });
});

describe('reading values', () => {
  it('when a time is ISO 8601 with or without an offset, then it is read as such, UTC when none', () => {
    const noon = Date.UTC(2024, 0, 31, 12);
    expect(parseTimestamp('2024-01-31T12:00:00Z')).toBe(noon);
    expect(parseTimestamp('2024-01-31T12:00:00.000Z')).toBe(noon);
    expect(parseTimestamp('2024-01-31 12:00:00')).toBe(noon);
    expect(parseTimestamp('2024-01-31T13:00:00+01:00')).toBe(noon);
    expect(parseTimestamp('2024-01-31T13:30:00+0130')).toBe(noon);
    expect(parseTimestamp('2024-01-31T07:00:00-05')).toBe(noon);
    expect(parseTimestamp('2024-01-31T12:00')).toBe(noon);
    expect(parseTimestamp('2024-01-31')).toBe(Date.UTC(2024, 0, 31));
    expect(parseTimestamp('2024-01-31T12:00:00.1239Z')).toBe(noon + 123);
  });

  it('when a time is not a real one, then it is not read', () => {
    for (const value of [
      '2024-02-30',
      '2024-13-01',
      '2024-01-31T24:00:00',
      '31/01/2024',
      'yesterday',
      '1706702400',
      '1969-12-31',
    ]) {
      expect(parseTimestamp(value), value).toBeNull();
    }
  });

  it('when a time lies outside 1970 to the end of 9999 UTC once its offset is applied, then it is not read', () => {
    // Each writes a four-digit year, but the instant it names does not have one in UTC: an
    // export would write it back as +010000-… or 1969-…, which no import reads.
    for (const value of [
      '9999-12-31T23:00:00-05:00',
      '9999-12-31T23:59:59.999-00:01',
      '1970-01-01T00:30:00+01:00',
    ]) {
      expect(parseTimestamp(value), value).toBeNull();
    }
    expect(parseTimestamp('9999-12-31T23:59:59.999Z')).toBe(
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    );
    expect(parseTimestamp('10000-01-01T00:00:00+01:00')).toBeNull();
    expect(parseTimestamp('1970-01-01T01:00:00+01:00')).toBe(0);
  });

  it('when a short link is given, then its path is the code', () => {
    expect(shortLinkPath('https://bit.ly/abc')).toBe('abc');
    expect(shortLinkPath('bit.ly/abc/')).toBe('abc');
    expect(shortLinkPath('https://bit.ly/abc?x=1#y')).toBe('abc');
    expect(shortLinkPath('abc')).toBe('abc');
  });
});
