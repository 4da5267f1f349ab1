import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/transfer/csv.js';
import { EXPORT_COLUMNS } from '../../src/transfer/link-export.js';
import { IMPORT_MAX_BYTES } from '../../src/transfer/transfer-routes.js';
import { importFixture, storedLinks } from '../support/link-transfer.js';
import { megabytes, retainedHeap } from '../support/heap.js';
import { buildTestApp, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

const PASSWORD = 'correct horse battery staple';
const HOUR = 3_600_000;
let t: TestApp;
let clock: number;
afterEach(() => t?.db.close());

async function setup(env: Record<string, string> = {}): Promise<string> {
  clock = Date.UTC(2026, 10, 29, 12);
  t = buildTestApp(
    { ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example', ...env },
    { now: () => clock },
  );
  const res = await request(t.app)
    .post('/admin/sign-in')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password: PASSWORD });
  expect(res.status).toBe(303);
  return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
}

/** A form post of a file, as the import form sends it. */
function upload(cookie: string, file: Buffer | string, format = 'auto', name = 'links.csv') {
  return request(t.app)
    .post('/admin/import')
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .field('format', format)
    .attach('file', Buffer.from(file), { filename: name, contentType: 'text/csv' });
}

function shorten(url: string, alias: string) {
  return request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url, alias })
    .expect(303);
}

const reportHref = (html: string) =>
  /href="(\/admin\/import\/reports\/[^"]+\.csv)"/.exec(html)?.[1];
const codes = () => storedLinks(t.db).map((link) => link.code);

describe('exporting links from the admin', () => {
  it('when the export is downloaded, then it is every link as CSV, as an attachment, with visits not yet written', async () => {
    const cookie = await setup();
    await shorten('https://a.example/one', 'one');
    await shorten('https://a.example/two,three', 'two');
    await request(t.app).get('/one').set('User-Agent', 'Mozilla/5.0 Firefox/140.0').expect(302);

    const res = await request(t.app).get('/admin/export.csv').set('Cookie', cookie).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="?snip-links-2026-11-29\.csv"?$/,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    const rows = parseCsv(res.text).map((record) => record.fields);
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1).map((row) => [row[0], row[1], row[4], row[6]])).toEqual([
      ['one', 'https://a.example/one', '1', 'active'],
      ['two', 'https://a.example/two,three', '0', 'active'],
    ]);
  });

  it('when nobody is signed in, then the export sends the browser to sign in, and without ADMIN_PASSWORD it is a 404', async () => {
    await setup();
    const res = await request(t.app).get('/admin/export.csv').expect(303);
    expect(res.headers.location).toBe('/admin/sign-in');
    t.db.close();
    t = buildTestApp();
    await request(t.app).get('/admin/export.csv').expect(404);
    await request(t.app).get('/admin/import').expect(404);
  });
});

describe('importing links from the admin', () => {
  it('when the import page is opened, then it offers every format and a file field, first in the form the format', async () => {
    const cookie = await setup();
    const html = (await request(t.app).get('/admin/import').set('Cookie', cookie).expect(200)).text;
    expect(html).toContain('enctype="multipart/form-data"');
    for (const format of ['auto', 'snip', 'shlink', 'kutt', 'yourls', 'bitly']) {
      expect(html).toContain(`<option value="${format}"`);
    }
    expect(html.indexOf('name="format"')).toBeLessThan(html.indexOf('name="file"'));
  });

  it('when a Bitly export is uploaded, then its links are created, the page reports each row, and the report downloads', async () => {
    const cookie = await setup();
    const res = await upload(cookie, importFixture('bitly-links.csv')).expect(200);
    expect(res.text).toContain('Imported from Bitly: 2 of 3 links created');
    expect(res.text).toContain('tinyurl.com');
    expect(codes()).toEqual(['launch-2019', '2xYzW9v']);

    const href = reportHref(res.text);
    expect(href).toBeDefined();
    const report = await request(t.app).get(href!).set('Cookie', cookie).expect(200);
    expect(report.headers['content-disposition']).toContain('attachment');
    const rows = parseCsv(report.text).map((record) => record.fields);
    expect(rows.map((row) => [row[0], row[1], row[3]])).toEqual([
      ['line', 'code', 'result'],
      ['2', 'launch-2019', 'created'],
      ['3', '2xYzW9v', 'created'],
      ['4', '4QrStUv', 'refused'],
    ]);

    // Kept for an hour: then the link says so (to an admin signed in again).
    clock += HOUR;
    const again = await request(t.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: PASSWORD })
      .expect(303);
    const fresh = (again.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const gone = await request(t.app).get(href!).set('Cookie', fresh).expect(404);
    expect(gone.text).toContain('no longer kept');
  });

  it('when a host is on the blocklist, then rows that link to it are refused with the reason, and the rest are created', async () => {
    const cookie = await setup();
    await request(t.app)
      .post('/admin/blocklist')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({ host: 'phish.example', reason: 'phishing' })
      .expect(303);
    const file = [
      'keyword,url',
      'fine,https://example.org/',
      'bad,https://login.phish.example/',
    ].join('\n');
    const res = await upload(cookie, file, 'yourls').expect(200);
    expect(res.text).toContain('Imported from YOURLS: 1 of 2 links created');
    expect(res.text).toContain(
      '<td>refused</td><td>Links to this website are not allowed here. Blocked host: phish.example (phishing).</td>',
    );
    expect(codes()).toEqual(['fine']);
  });

  it('when a code exists, then the row is skipped and the link kept', async () => {
    const cookie = await setup();
    await shorten('https://a.example/mine', 'mine');
    const res = await upload(cookie, 'code,target\nmine,https://b.example/\n').expect(200);
    expect(res.text).toContain('1</dd>');
    expect(res.text).toContain('already taken');
    expect(storedLinks(t.db)[0]).toMatchObject({ code: 'mine', target: 'https://a.example/mine' });
  });

  it('when one row is malformed, then nothing is imported and the page says which line', async () => {
    const cookie = await setup();
    const file = 'code,target\nfirst,https://example.org/1\nsecond,"https://example.org/2\n';
    const res = await upload(cookie, file).expect(422);
    expect(res.text).toContain('Nothing was imported.');
    expect(res.text).toMatch(/Line 3: /);
    expect(res.text).toContain('<title>Error: Import links');
    expect(codes()).toEqual([]);
  });

  it('when a script signs in and posts the file as text/csv, then it is imported in the format the query names', async () => {
    await setup();
    // As curl does it: no browser headers at all.
    const signedIn = await request(t.app)
      .post('/admin/sign-in')
      .type('form')
      .send({ password: PASSWORD })
      .expect(303);
    const jar = (signedIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    await request(t.app)
      .post('/admin/import?format=kutt')
      .set({ Cookie: jar, 'Content-Type': 'text/csv' })
      .send(importFixture('kutt-api-links.csv'))
      .expect(200);
    expect(codes()).toEqual(['kutt-repo', 'was-banned']);
  });

  it('when a script asks for text, then the answer is the report: the totals and a line per row, what was kept or why not', async () => {
    const cookie = await setup();
    const res = await request(t.app)
      .post('/admin/import')
      .set({ Cookie: cookie, 'Content-Type': 'text/csv', Accept: 'text/plain' })
      .send(
        'code,target,visits\na,https://example.org/a,4\nadmin,https://example.org/b,\n"x\ny",https://example.org/c,\n',
      )
      .expect(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(
      [
        'Imported from snip: 1 of 3 links created (0 skipped, 2 refused, 0 invalid).',
        'line 2, “a”: created. The code “a” is kept as snip had it, though an alias chosen in snip has at least 3 characters. Kept: created at the import (the file gives no date), 4 visits (a total, without days).',
        "line 3, “admin”: refused. The code “admin” is the path of snip's own /admin: a link there would hide that page (or never be reached), so it is not imported.",
        // A code with a line break in it stays on its line.
        'line 4, “x\\u000ay”: refused. The code holds a control character, which no address can carry; it is not imported.',
        '',
      ].join('\n'),
    );
    expect(codes()).toEqual(['a']);

    const csv = await request(t.app)
      .post('/admin/import')
      .set({ Cookie: cookie, 'Content-Type': 'text/csv', Accept: 'text/csv' })
      .send('code,target\nbb,https://example.org/bb\n')
      .expect(200);
    expect(parseCsv(csv.text).map((record) => record.fields)).toEqual([
      ['line', 'code', 'target', 'result', 'reason'],
      [
        '2',
        'bb',
        'https://example.org/bb',
        'created',
        'The code “bb” is kept as snip had it, though an alias chosen in snip has at least 3 characters. Kept: created at the import (the file gives no date).',
      ],
    ]);

    const malformed = await request(t.app)
      .post('/admin/import')
      .set({ Cookie: cookie, 'Content-Type': 'text/csv', Accept: 'text/plain' })
      .send('code,target\n"open,https://example.org/\n')
      .expect(422);
    expect(malformed.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(malformed.text).toMatch(/^Nothing was imported\. Line 2: /);
    expect(codes()).toEqual(['a', 'bb']);
  });

  it('when the upload is not what the form sends, then it gets a clear 4xx and nothing is imported', async () => {
    const cookie = await setup();
    const post = () =>
      request(t.app)
        .post('/admin/import')
        .set({ ...SAME_ORIGIN, Cookie: cookie });
    const file = 'code,target\nx1,https://example.org/\n';

    const json = await post().send({ file }).expect(415);
    expect(json.text).toContain('multipart/form-data');
    const noFile = await post().field('format', 'auto').expect(400);
    expect(noFile.text).toContain('Choose a CSV file');
    // What a browser sends when the file input was left empty.
    const emptyFileInput = await post()
      .set('Content-Type', 'multipart/form-data; boundary=b0undary')
      .send(
        [
          '--b0undary',
          'Content-Disposition: form-data; name="format"',
          '',
          'auto',
          '--b0undary',
          'Content-Disposition: form-data; name="file"; filename=""',
          'Content-Type: application/octet-stream',
          '',
          '',
          '--b0undary--',
          '',
        ].join('\r\n'),
      )
      .expect(400);
    expect(emptyFileInput.text).toContain('Choose a CSV file');
    const badFormat = await upload(cookie, file, 'tinyurl').expect(400);
    expect(badFormat.text).toContain('Choose a format');
    const badQuery = await post()
      .query({ format: ['snip', 'kutt'] })
      .set('Content-Type', 'text/csv')
      .send(file)
      .expect(400);
    expect(badQuery.text).toContain('Choose a format');
    await post()
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send(
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\ncode,target\nx9,https://example.org/x9\nx10,https://example.org/x10\n',
      )
      .expect(400);
    await post().set('Content-Type', 'multipart/form-data').send('nothing').expect(400);
    // The file part is whole, but the form around it is cut short: the request never finished.
    await post()
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send(
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n' +
          'code,target\nx11,https://example.org/x11\n\r\n--xyz\r\nContent-Disposition: form-da',
      )
      .expect(400);

    // From another site, or signed out: refused before the file is read.
    await request(t.app)
      .post('/admin/import')
      .set({ 'Sec-Fetch-Site': 'cross-site', Cookie: cookie })
      .attach('file', Buffer.from(file), 'links.csv')
      .expect(403);
    await request(t.app)
      .post('/admin/import')
      .set(SAME_ORIGIN)
      .attach('file', Buffer.from(file), 'links.csv')
      .expect(401);
    expect(codes()).toEqual([]);
  });

  it('when the file is larger than the limit, then it is refused whole with 413', async () => {
    const cookie = await setup();
    const row = 'code-000000,https://example.org/a-fairly-long-path-to-fill-the-file-quickly\n';
    const rows = Math.ceil(IMPORT_MAX_BYTES / row.length) + 10;
    const big = Buffer.from(`code,target\n${row.repeat(rows)}`);
    const form = await upload(cookie, big).expect(413);
    expect(form.text).toContain('larger than 32 MB');
    const body = await request(t.app)
      .post('/admin/import')
      .set({ ...SAME_ORIGIN, Cookie: cookie, 'Content-Type': 'text/csv' })
      .send(big)
      .expect(413);
    expect(body.text).toContain('larger than 32 MB');
    expect(codes()).toEqual([]);
  });
});

describe('a large import through HTTP', () => {
  it('when 100,000 rows are uploaded in one request, then all are created and the page answers', async () => {
    const cookie = await setup();
    const lines = ['code,target,created,visits'];
    for (let i = 1; i <= 100_000; i += 1) {
      lines.push(
        `imp-${i},https://example.com/page/${i}?ref=import,2024-05-06T07:08:09Z,${i % 50}`,
      );
    }
    const file = Buffer.from(lines.join('\n'));
    const baseline = retainedHeap();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    let peakHeap = baseline;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }, 5);
    const started = performance.now();
    const res = await upload(cookie, file);
    const ms = performance.now() - started;
    clearInterval(sampler);

    expect(res.status).toBe(200);
    expect(res.text).toContain('Imported from snip: 100,000 of 100,000 links created');
    expect(t.countLinks()).toBe(100_000);
    console.log(
      `HTTP import of 100,000 rows (${megabytes(file.length)} MB upload): ${ms.toFixed(0)} ms; ` +
        `peak heap +${megabytes(peakHeap - baseline)} MB, peak RSS +${megabytes(peakRss - rssBefore)} MB`,
    );
  });
});
