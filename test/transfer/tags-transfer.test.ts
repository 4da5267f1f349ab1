import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/transfer/csv.js';
import { importFixture } from '../support/link-transfer.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

// Tags in snip's export and in every import format that carries them.

const PASSWORD = 'correct horse battery staple';
let t: TestApp;
afterEach(() => t?.db.close());

async function setup(): Promise<string> {
  // The host the Shlink sample was exported from: snip serves its links now.
  t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.test' });
  return signInAdmin(t.app, PASSWORD);
}

function upload(cookie: string, file: Buffer | string, format = 'auto') {
  return request(t.app)
    .post('/admin/import')
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .field('format', format)
    .attach('file', Buffer.from(file), { filename: 'links.csv', contentType: 'text/csv' });
}

async function tagsOf(code: string): Promise<string[] | undefined> {
  const link = await t.services.links.findLink(code);
  if (!link) return undefined;
  return (await t.services.links.tagsOf([link])).get(link.id);
}

async function exportRows(cookie: string): Promise<Record<string, string>[]> {
  const res = await request(t.app).get('/admin/export.csv').set('Cookie', cookie).expect(200);
  const [header, ...rows] = parseCsv(res.text).map((record) => record.fields);
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
}

function shorten(alias: string, tags: string) {
  return request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: `https://a.example/${alias}`, alias, tags })
    .expect(303);
}

describe('tags in export and import', () => {
  it('snip’s export writes a comma-separated tags column, and importing it elsewhere brings the tags back', async () => {
    const cookie = await setup();
    await shorten('first', 'Launch, café, q3');
    await shorten('second', 'launch');
    await shorten('third', '');
    await shorten('gone', 'old');
    const gone = (await t.services.links.findLink('gone'))!;
    await t.services.links.delete(gone);
    const rows = await exportRows(cookie);
    expect(rows.map((row) => [row.code, row.tags])).toEqual([
      ['first', 'Launch, café, q3'],
      ['second', 'Launch'],
      ['third', ''],
      ['gone', ''],
    ]);
    const file = (await request(t.app).get('/admin/export.csv').set('Cookie', cookie)).text;

    const other = await setup();
    // A tag already known here keeps its spelling here.
    await shorten('mine', 'LAUNCH');
    const imported = await upload(other, file);
    expect(imported.status).toBe(200);
    expect(await tagsOf('first')).toEqual(['LAUNCH', 'café', 'q3']);
    expect(await tagsOf('second')).toEqual(['LAUNCH']);
    expect(await tagsOf('third')).toEqual([]);
    expect(await tagsOf('gone')).toEqual([]);
    expect(await t.services.links.listTags()).toEqual([
      { name: 'café', links: 1, visits: 0 },
      { name: 'LAUNCH', links: 3, visits: 0 },
      { name: 'q3', links: 1, visits: 0 },
    ]);
  });

  it('a row with bad tags is reported invalid and nothing of it is stored; the others go in', async () => {
    const cookie = await setup();
    const file = [
      'code,target,tags',
      'good,https://a.example/1,"a, b"',
      `long,https://a.example/2,${'x'.repeat(33)}`,
      'twice,https://a.example/3,"Sale, sale"',
      'many,https://a.example/4,"1,2,3,4,5,6,7,8,9,10,11"',
      'hidden,https://a.example/5,a\u200bb',
    ].join('\n');
    const res = await upload(cookie, file);
    expect(res.status).toBe(200);
    expect(res.text.match(/invalid/g)?.length).toBeGreaterThanOrEqual(4);
    expect(await tagsOf('good')).toEqual(['a', 'b']);
    for (const code of ['long', 'twice', 'many', 'hidden'])
      expect(await tagsOf(code)).toBeUndefined();
  });

  it('Shlink’s web client export carries tags joined with |, and Bitly’s a JSON list', async () => {
    const cookie = await setup();
    expect((await upload(cookie, importFixture('shlink-web-client.csv'))).status).toBe(200);
    expect(await tagsOf('docs-2023')).toEqual(['docs', 'shlink']);
    expect(await tagsOf('quoted')).toEqual([]);
    expect((await upload(cookie, importFixture('bitly-links.csv'))).status).toBe(200);
    expect(await tagsOf('launch-2019')).toEqual(['launch']);
  });

  it('a code that was taken keeps its own tags: the skipped row’s tags go nowhere', async () => {
    const cookie = await setup();
    await shorten('taken', 'mine');
    await upload(cookie, 'code,target,tags\ntaken,https://b.example/,"theirs, more"\n').expect(200);
    expect(await tagsOf('taken')).toEqual(['mine']);
    expect(await t.services.links.listTags()).toEqual([{ name: 'mine', links: 1, visits: 0 }]);
  });
});
