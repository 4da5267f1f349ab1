import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/transfer/csv.js';
import { BROWSER } from '../faults/snip-process.js';
import {
  addEngineDomains,
  buildEngineApp,
  engineAdminCookie,
  engineKey,
  type EngineApp,
} from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { SAME_ORIGIN } from '../support/test-app.js';

/**
 * An import keeps the codes its source had, and every one it keeps redirects: through the
 * server's fast path and through the Express route, on both engines (SQLite and PostgreSQL apply
 * an import by different statements). A code that is the path of one of snip's routes is refused
 * and the route still answers. Visit totals and creation dates come along; a total adds no days
 * to the statistics.
 */
const ORIGIN = 'https://s.test';
const ADMIN_PASSWORD = 'correct horse battery';
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/import');

const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

type Snip = { s: EngineApp; secret: string; cookie: string };

function suite(engine: 'sqlite' | 'postgres') {
  async function snip(): Promise<Snip> {
    const s = await buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD });
    const secret = await engineKey(s, 'transfer-codes');
    await addEngineDomains(s, secret, [{ host: 'go.example' }]);
    const cookie = await engineAdminCookie(s, ADMIN_PASSWORD);
    return { s, secret, cookie };
  }

  /** Imports `file` as the request body, as a script does; the page and the report's rows. */
  async function importFile(t: Snip, file: string) {
    const res = await request(t.s.app)
      .post('/admin/import')
      .set({ ...SAME_ORIGIN, Cookie: t.cookie, 'Content-Type': 'text/csv' })
      .send(file);
    expect(res.status).toBe(200);
    const href = /href="(\/admin\/import\/reports\/[^"]+\.csv)"/.exec(res.text)![1]!;
    const report = await request(t.s.app).get(href).set('Cookie', t.cookie).buffer(true);
    const [header, ...rows] = parseCsv(report.text).map((record) => record.fields);
    return {
      page: res.text,
      rows: rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!]))),
    };
  }

  async function linkOf(t: Snip, code: string, domain?: string) {
    const res = await request(t.s.app)
      .get(`/api/v1/links/${code}${domain === undefined ? '' : `?domain=${domain}`}`)
      .set('X-Api-Key', t.secret);
    return res.status === 200 ? (res.body as Record<string, unknown>) : null;
  }

  /** A browser's GET of `path` on `host`, through what the server listens with (the fast path). */
  function visit(t: Snip, pathname: string, host = 's.test') {
    return request(t.s.listener).get(pathname).set({ Host: host, 'User-Agent': BROWSER });
  }

  it('YOURLS’s short keywords and words like docs and help are kept and redirect; admin, healthz and static are refused and still snip’s', async () => {
    const t = await snip();
    const { page, rows } = await importFile(t, fixture('yourls-short-keywords.csv'));
    expect(rows.map((row) => [row.code, row.result])).toEqual([
      ['a', 'created'],
      ['ab', 'created'],
      ['docs', 'created'],
      ['help', 'created'],
      ['Admin', 'created'],
      ['admin', 'refused'],
      ['healthz', 'refused'],
      ['static', 'refused'],
    ]);
    // The page says per row what was kept, and why a row was refused.
    expect(page).toContain('The code “a” is kept as YOURLS had it');
    expect(page).toContain('Kept: created 2011-02-03 04:05 UTC, 31 visits (a total, without days)');
    expect(page).toContain('The code “admin” is the path of snip&#39;s own /admin');

    const targets: Record<string, string> = {
      a: 'https://example.org/one-letter',
      ab: 'https://example.org/two-letters',
      docs: 'https://example.org/manual',
      help: 'https://example.org/support',
      Admin: 'https://example.org/capital',
    };
    for (const [code, target] of Object.entries(targets)) {
      const fast = await visit(t, `/${code}`);
      expect([fast.status, fast.headers.location], code).toEqual([302, target]);
      // Express's route answers the same (an escaped path is not the fast path's).
      const routed = await request(t.s.app)
        .get(`/${code}`)
        .set({ Host: 's.test', 'User-Agent': BROWSER });
      expect([routed.status, routed.headers.location], code).toEqual([302, target]);
    }
    // The refused codes' routes are still snip's own.
    const admin = await visit(t, '/admin');
    expect([admin.status, admin.headers.location]).toEqual([303, '/admin/sign-in']);
    expect((await visit(t, '/healthz')).status).toBe(200);
    expect(await linkOf(t, 'admin')).toBeNull();
  });

  it('visit totals and creation dates are kept, and a total adds no days to the statistics', async () => {
    const t = await snip();
    await importFile(t, fixture('yourls-short-keywords.csv'));
    expect(await linkOf(t, 'a')).toMatchObject({
      visits: { total: 31, lastVisitAt: null },
      createdAt: '2011-02-03T04:05:06.000Z',
    });
    const stats = async () => {
      const res = await request(t.s.app)
        .get('/admin/links/a/stats.csv?days=all')
        .set('Cookie', t.cookie)
        .buffer(true)
        .expect(200);
      return parseCsv(res.text).map((record) => record.fields.slice(0, 4));
    };
    expect(await stats()).toEqual([['day', 'dimension', 'value', 'visits']]);

    expect((await visit(t, '/a')).status).toBe(302);
    await t.s.flushVisits();
    expect(await linkOf(t, 'a')).toMatchObject({ visits: { total: 32 } });
    // The one visit snip counted has its day; the 31 imported have none.
    const days = (await stats()).filter((row) => row[1] === 'day');
    expect(days.map((row) => row[3])).toEqual(['1']);

    const bitly = await importFile(t, fixture('bitly-links-clicks.csv'));
    expect(bitly.rows.map((row) => row.result)).toEqual(['created', 'created', 'invalid']);
    expect(await linkOf(t, '3Kp9QrT')).toMatchObject({
      visits: { total: 1234 },
      createdAt: '2022-03-01T09:30:00.000Z',
    });
  });

  it('the older Shlink export: the code from shortUrl, the domain from its host', async () => {
    const t = await snip();
    const { rows } = await importFile(t, fixture('shlink-web-client-older.csv'));
    expect(rows.map((row) => [row.code, row.result])).toEqual([
      ['old-1', 'created'],
      ['Xy7', 'created'],
      ['ab', 'created'],
      ['', 'invalid'],
    ]);
    expect(rows[1]!.reason).toBe(
      'Kept: created 2021-03-04 04:06 UTC, 3 visits (a total, without days), on go.example.',
    );
    expect(await linkOf(t, 'Xy7', 'go.example')).toMatchObject({
      url: 'https://example.org/on-go',
      domain: 'go.example',
      visits: { total: 3 },
    });
    expect(await linkOf(t, 'Xy7')).toBeNull();
    expect(await linkOf(t, 'old-1')).toMatchObject({ domain: 's.test', tags: ['news', '2021'] });
    expect(await linkOf(t, 'ab')).toMatchObject({ domain: 's.test' });
    const onGo = await visit(t, '/Xy7', 'go.example');
    expect([onGo.status, onGo.headers.location]).toEqual([302, 'https://example.org/on-go']);
    expect((await visit(t, '/ab')).headers.location).toBe('https://example.org/base-path');
  });

  it('codes snip cannot serve are refused per row: no 500, and only the good rows are written', async () => {
    const t = await snip();
    const file = [
      'code,target',
      'a/b,https://example.org/1',
      '..,https://example.org/2',
      `${'x'.repeat(65)},https://example.org/3`,
      '"ab\u0001c",https://example.org/4',
      'fine,https://example.org/5',
    ].join('\n');
    const { rows } = await importFile(t, file);
    expect(rows.map((row) => row.result)).toEqual([
      'refused',
      'refused',
      'refused',
      'refused',
      'created',
    ]);
    const list = await request(t.s.app).get('/api/v1/links').set('X-Api-Key', t.secret).expect(200);
    expect((list.body as { data: { code: string }[] }).data.map((link) => link.code)).toEqual([
      'fine',
    ]);
  });
}

describe('an import keeps its source’s codes on sqlite', () => suite('sqlite'));
describeWithPostgres('an import keeps its source’s codes on postgres', () => suite('postgres'));
