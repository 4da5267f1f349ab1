import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/transfer/csv.js';
import { BROWSER } from '../faults/snip-process.js';
import {
  buildEngineApp,
  type EngineApp,
  engineKey,
  addEngineDomains,
  engineAdminCookie,
} from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { SAME_ORIGIN } from '../support/test-app.js';

/**
 * CSV export and import carry each link's domain (ADR 031), on every engine: the export's
 * `domain` column names the host of the link's domain, and an import puts each row on the domain
 * it names — the same code on two domains is two links, a code is taken only on its own domain,
 * tags join the link of the row's domain, and a row naming an unknown or alias domain, or no
 * host at all, is reported and changes nothing. SQLite and PostgreSQL apply an import by
 * different statements, so every expectation runs on both.
 */
const ORIGIN = 'https://s.example';
const ADMIN_PASSWORD = 'correct horse battery';

type Snip = { s: EngineApp; secret: string; cookie: string };

function suite(engine: 'sqlite' | 'postgres') {
  /** An app with BASE_URL, a full-scope key, a signed-in admin and the domains named, in order. */
  async function snip(domains: { host: string; aliasOf?: string }[]): Promise<Snip> {
    const s = await buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD });
    const secret = await engineKey(s, 'transfer-domains');
    await addEngineDomains(s, secret, domains);
    const cookie = await engineAdminCookie(s, ADMIN_PASSWORD);
    return { s, secret, cookie };
  }

  function create(t: Snip, link: object) {
    return request(t.s.app).post('/api/v1/links').set('X-Api-Key', t.secret).send(link).expect(201);
  }

  async function linkOf(t: Snip, code: string, domain?: string) {
    const res = await request(t.s.app)
      .get(`/api/v1/links/${code}${domain === undefined ? '' : `?domain=${domain}`}`)
      .set('X-Api-Key', t.secret);
    return res.status === 200 ? (res.body as Record<string, unknown>) : null;
  }

  async function exportText(t: Snip): Promise<string> {
    const res = await request(t.s.app)
      .get('/admin/export.csv')
      .set('Cookie', t.cookie)
      .buffer(true)
      .expect(200);
    return res.text;
  }

  /** The export as objects keyed by column. */
  function rowsOf(text: string): Record<string, string>[] {
    const [header, ...rows] = parseCsv(text).map((record) => record.fields);
    return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
  }

  /** Imports `file` as the request body; answers the report's rows (line, code, result, reason). */
  async function importFile(t: Snip, file: string, format = 'auto') {
    const res = await request(t.s.app)
      .post(`/admin/import?format=${format}`)
      .set({ ...SAME_ORIGIN, Cookie: t.cookie, 'Content-Type': 'text/csv' })
      .send(file);
    expect(res.status).toBe(200);
    const href = /href="(\/admin\/import\/reports\/[^"]+\.csv)"/.exec(res.text)![1]!;
    const report = await request(t.s.app).get(href).set('Cookie', t.cookie).buffer(true);
    return rowsOf(report.text);
  }

  function visit(t: Snip, host: string, path: string) {
    return request(t.s.listener).get(path).set({ Host: host, 'User-Agent': BROWSER });
  }

  it('a round trip: links on the default domain and on go.example, the same code on both, come back identical on the right domains', async () => {
    const from = await snip([
      { host: 'go.example' },
      { host: 'old-go.example', aliasOf: 'go.example' },
    ]);
    await create(from, { url: 'https://default.example/guide', alias: 'guide', tags: ['docs'] });
    await create(from, {
      url: 'https://go-target.example/guide',
      alias: 'guide',
      domain: 'go.example',
      tags: ['go', 'docs'],
      title: 'The guide on go',
    });
    await create(from, {
      url: 'https://go-target.example/only',
      alias: 'only-go',
      domain: 'go.example',
    });
    await create(from, {
      url: 'https://go-target.example/gone',
      alias: 'gone',
      domain: 'go.example',
    });
    await request(from.s.app)
      .delete('/api/v1/links/gone?domain=go.example')
      .set('X-Api-Key', from.secret)
      .expect(204);
    const exported = await exportText(from);
    expect(rowsOf(exported).map((row) => [row.code, row.domain, row.state])).toEqual([
      ['guide', '', 'active'],
      ['guide', 'go.example', 'active'],
      ['only-go', 'go.example', 'active'],
      ['gone', 'go.example', 'deleted'],
    ]);

    // Another domain first: go.example has another id here, and the file names it by its host.
    const into = await snip([{ host: 'other.example' }, { host: 'go.example' }]);
    const report = await importFile(into, exported);
    expect(report.map((row) => [row.code, row.result])).toEqual([
      ['guide', 'created'],
      ['guide', 'created'],
      ['only-go', 'created'],
      ['gone', 'created'],
    ]);
    expect(await exportText(into)).toBe(exported);
    expect(await linkOf(into, 'guide')).toMatchObject({
      url: 'https://default.example/guide',
      domain: 's.example',
      tags: ['docs'],
    });
    expect(await linkOf(into, 'guide', 'go.example')).toMatchObject({
      url: 'https://go-target.example/guide',
      domain: 'go.example',
      shortUrl: 'https://go.example/guide',
      tags: ['go', 'docs'],
      title: 'The guide on go',
    });
    expect((await visit(into, 'go.example', '/guide')).headers.location).toBe(
      'https://go-target.example/guide',
    );
    expect((await visit(into, 's.example', '/guide')).headers.location).toBe(
      'https://default.example/guide',
    );
    expect((await visit(into, 's.example', '/only-go')).status).toBe(404);
    expect((await visit(into, 'go.example', '/only-go')).status).toBe(302);
    // The tombstone keeps its code taken on its own domain only.
    expect((await visit(into, 'go.example', '/gone')).status).toBe(410);
    await create(into, { url: 'https://default.example/gone', alias: 'gone' });
  });

  it('each row goes on the domain it names in any spelling; a code is taken per domain; unknown, alias and non-host domains are reported and change nothing', async () => {
    const t = await snip([
      { host: 'go.example' },
      { host: 'old-go.example', aliasOf: 'go.example' },
    ]);
    await create(t, { url: 'https://mine.example/', alias: 'taken', tags: ['mine'] });
    const before = rowsOf(await exportText(t));
    const report = await importFile(
      t,
      [
        'code,target,tags,domain',
        'taken,https://t.example/go,theirs,go.example',
        'taken,https://t.example/default,"theirs, more",',
        'taken,https://t.example/default-2,,S.Example.',
        'fresh,https://t.example/fresh-go,,GO.EXAMPLE:443',
        'fresh,https://t.example/fresh-go-2,,go.example',
        'fresh,https://t.example/fresh-default,,s.example',
        'aliased,https://t.example/a,,old-go.example',
        'unknown,https://t.example/u,,nope.example',
        'url,https://t.example/n,,https://go.example/',
        'ip,https://t.example/ip,,192.0.2.1',
      ].join('\n'),
    );
    const results = report.map((row) => [row.line, row.code, row.result]);
    expect(results).toEqual([
      ['2', 'taken', 'created'],
      ['3', 'taken', 'skipped'],
      ['4', 'taken', 'skipped'],
      ['5', 'fresh', 'created'],
      ['6', 'fresh', 'skipped'],
      ['7', 'fresh', 'created'],
      ['8', 'aliased', 'refused'],
      ['9', 'unknown', 'refused'],
      ['10', 'url', 'invalid'],
      ['11', 'ip', 'invalid'],
    ]);
    const reason = (line: number) => report.find((row) => row.line === String(line))!.reason;
    // A code is taken on the domain the reason names.
    expect(reason(3)).toBe('The code “taken” is already taken; the existing link was kept.');
    expect(reason(6)).toBe(
      'The code “fresh” is already taken on go.example; the existing link was kept.',
    );
    expect(reason(8)).toBe(
      'The domain old-go.example is an alias of go.example and holds no links of its own: name go.example instead.',
    );
    expect(reason(9)).toBe(
      "The domain nope.example is not one of this snip's domains: add it first, or empty the domain column to import the link on the default domain.",
    );
    expect(reason(10)).toMatch(/^domain: “https:\/\/go\.example\/” is not a host name/);
    expect(reason(11)).toMatch(/^domain: “192\.0\.2\.1” is not a host name/);

    // The link that was there is as it was, its tags too; the new ones are on their domains.
    expect(await linkOf(t, 'taken')).toMatchObject({
      url: 'https://mine.example/',
      tags: ['mine'],
    });
    expect(await linkOf(t, 'taken', 'go.example')).toMatchObject({
      url: 'https://t.example/go',
      domain: 'go.example',
      tags: ['theirs'],
    });
    expect(await linkOf(t, 'fresh', 'go.example')).toMatchObject({
      url: 'https://t.example/fresh-go',
    });
    expect(await linkOf(t, 'fresh')).toMatchObject({ url: 'https://t.example/fresh-default' });
    for (const code of ['aliased', 'unknown', 'url', 'ip']) {
      expect(await linkOf(t, code)).toBeNull();
      expect(await linkOf(t, code, 'go.example')).toBeNull();
    }
    const after = rowsOf(await exportText(t));
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((row) => [row.code, row.domain])).toEqual([
      ['taken', 'go.example'],
      ['fresh', 'go.example'],
      ['fresh', ''],
    ]);
  });

  it('a file from before domains (no domain column) imports onto the default domain; Shlink’s and Kutt’s domain columns name snip’s domains, any other host is the default domain', async () => {
    const t = await snip([{ host: 'go.example' }]);
    const old = await importFile(t, 'code,target,tags\nold,https://t.example/old,legacy\n');
    expect(old.map((row) => row.result)).toEqual(['created']);
    expect(await linkOf(t, 'old')).toMatchObject({ domain: 's.example', tags: ['legacy'] });

    const shlink = await importFile(
      t,
      [
        'createdAt,domain,shortCode,shortUrl,longUrl,title,tags,visits',
        '2023-03-17T10:11:12+01:00,s.example,manual,https://s.example/manual,https://t.example/docs,,a|b,1',
        '2023-03-17T10:11:12+01:00,go.example,manual,https://go.example/manual,https://t.example/go-docs,,c,2',
        '2023-03-17T10:11:12+01:00,,plain,https://s.example/plain,https://t.example/plain,,,0',
        '2023-03-17T10:11:12+01:00,shlink.example,lost,https://shlink.example/lost,https://t.example/lost,,,0',
      ].join('\n'),
    );
    expect(shlink.map((row) => [row.code, row.result])).toEqual([
      ['manual', 'created'],
      ['manual', 'created'],
      ['plain', 'created'],
      ['lost', 'created'],
    ]);
    expect(await linkOf(t, 'manual')).toMatchObject({
      url: 'https://t.example/docs',
      tags: ['a', 'b'],
    });
    expect(await linkOf(t, 'manual', 'go.example')).toMatchObject({
      url: 'https://t.example/go-docs',
      tags: ['c'],
    });
    expect(await linkOf(t, 'plain')).toMatchObject({ domain: 's.example' });
    // Shlink writes its own default domain's host in every row: snip's default domain here.
    expect(await linkOf(t, 'lost')).toMatchObject({ domain: 's.example' });

    // Kutt's link objects name a Kutt custom domain in `domain` (empty for Kutt's own).
    const kutt = await importFile(
      t,
      [
        'id,address,target,domain',
        '1,kutted,https://t.example/kutt,go.example',
        '2,kutt-own,https://t.example/kutt-own,',
        '3,kutt-it,https://t.example/kutt-it,kutt.it',
      ].join('\n'),
    );
    expect(kutt.map((row) => row.result)).toEqual(['created', 'created', 'created']);
    expect(await linkOf(t, 'kutted', 'go.example')).toMatchObject({ domain: 'go.example' });
    expect(await linkOf(t, 'kutted')).toBeNull();
    expect(await linkOf(t, 'kutt-own')).toMatchObject({ domain: 's.example' });
    expect(await linkOf(t, 'kutt-it')).toMatchObject({ domain: 's.example' });
  });
}

describe('CSV export and import carry domains on sqlite', () => suite('sqlite'));
describeWithPostgres('CSV export and import carry domains on postgres', () => suite('postgres'));
