import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import {
  BAD_API_PASSWORDS,
  BAD_API_TAGS,
  BAD_API_TEXTS,
  BAD_LINK_TEXTS,
  BAD_PASSWORDS,
  BAD_TAGS,
} from '../support/bad-input-rows.js';
import { buildEngineApp, type EngineApp } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { SAME_ORIGIN } from '../support/test-app.js';

/**
 * A link's own fields — tags, password, title, note — with every bad value of
 * bad-input-rows.ts, through every door that sets them: the form, the management page, the
 * admin (new link, edit, bulk tag), /api/v1, Shlink's, Kutt's and YOURLS's APIs and the import.
 * Each gets a 4xx and nothing changes, on SQLite and on PostgreSQL.
 */
const ADMIN_PASSWORD = 'correct horse battery';
const ORIGIN = 'https://s.example';
const KEPT_PASSWORD = 'the kept password';
/** What a refusal may be: the field is wrong (400 in the APIs, 422 in the forms). */
const REFUSED = [400, 422];

type Field = 'tags' | 'password' | 'title' | 'note';
/** How a door sends one field's value; forms take tags as one comma-separated field. */
type Door = {
  door: string;
  json: boolean;
  send: (field: Field, value: unknown) => request.Test;
  /** How the door says no, when it is not a 4xx: the import reports a row it did not import. */
  refuses?: (res: request.Response, row: string) => void;
};

function suite(engine: 'sqlite' | 'postgres') {
  it('bad tags, passwords, titles and notes get a 4xx in every door, and change nothing', async () => {
    const s = await buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD });
    const made = await request(s.app).post('/shorten').set(SAME_ORIGIN).type('form').send({
      url: 'https://a.example/kept',
      alias: 'kept',
      tags: 'Kept, Launch',
      title: 'Kept title',
      note: 'kept note',
      password: KEPT_PASSWORD,
    });
    expect(made.status).toBe(303);
    const manage = made.headers.location!.replace('?created=1', '');
    const key = (await createKeyService({ keys: s.store.keys, now: Date.now }).createKey({
      name: 'bad fields',
      scope: 'full',
      expiresAt: null,
    }))!;
    const signIn = await request(s.app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: ADMIN_PASSWORD })
      .expect(303);
    const cookie = (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const before = await snapshot(s);

    // The code the doors that create ask for; the controls at the end change it for each.
    let alias = 'fresh-link';
    const asForm = (field: Field, value: unknown) =>
      field === 'tags' ? { tags: (value as string[]).join(', ') } : { [field]: value };
    const form = (path: string, fields: object, withCookie = false) =>
      request(s.app)
        .post(path)
        .set({ ...SAME_ORIGIN, ...(withCookie ? { Cookie: cookie } : {}) })
        .type('form')
        .send(fields as Record<string, string>);
    const json = (method: 'post' | 'patch', path: string, headers: Record<string, string>) =>
      request(s.app)[method](path).set(headers);
    const bearer = { Authorization: `Bearer ${key}` };
    const shlinkKey = { 'X-Api-Key': key };
    const kuttKey = { 'X-API-KEY': key };

    const doors: (Door & { fields: Field[] })[] = [
      {
        door: 'the form',
        json: false,
        fields: ['tags', 'password', 'title', 'note'],
        send: (field, value) =>
          form('/shorten', { url: 'https://b.example/', alias: alias, ...asForm(field, value) }),
      },
      {
        door: 'the management page',
        json: false,
        fields: ['tags', 'password', 'title', 'note'],
        send: (field, value) =>
          form(manage, { url: 'https://changed.example/', ...asForm(field, value) }),
      },
      {
        door: 'the admin’s new link',
        json: false,
        fields: ['tags', 'password', 'title', 'note'],
        send: (field, value) =>
          form(
            '/admin/links',
            { url: 'https://b.example/', alias: alias, ...asForm(field, value) },
            true,
          ),
      },
      {
        door: 'the admin’s link edit',
        json: false,
        fields: ['tags', 'title', 'note'],
        send: (field, value) =>
          form(
            '/admin/links/kept/edit',
            { url: 'https://changed.example/', ...asForm(field, value) },
            true,
          ),
      },
      {
        door: 'the admin’s bulk tag',
        json: false,
        fields: ['tags'],
        send: (_field, value) =>
          form(
            '/admin/links/bulk',
            { action: 'tag', code: 'kept', tag: (value as string[]).join(', ') },
            true,
          ),
      },
      {
        door: '/api/v1 create',
        json: true,
        fields: ['tags', 'password', 'title', 'note'],
        send: (field, value) =>
          json('post', '/api/v1/links', bearer).send({
            url: 'https://b.example/',
            alias: alias,
            [field]: value,
          }),
      },
      {
        door: '/api/v1 update',
        json: true,
        fields: ['tags', 'password', 'title', 'note'],
        send: (field, value) =>
          json('patch', '/api/v1/links/kept', bearer).send({
            url: 'https://changed.example/',
            [field]: value,
          }),
      },
      {
        door: 'Shlink create',
        json: true,
        fields: ['tags', 'title'],
        send: (field, value) =>
          json('post', '/rest/v3/short-urls', shlinkKey).send({
            longUrl: 'https://b.example/',
            customSlug: alias,
            [field]: value,
          }),
      },
      {
        door: 'Shlink edit',
        json: true,
        fields: ['tags', 'title'],
        send: (field, value) =>
          json('patch', '/rest/v3/short-urls/kept', shlinkKey).send({
            longUrl: 'https://changed.example/',
            [field]: value,
          }),
      },
      {
        door: 'Kutt create',
        json: true,
        fields: ['password', 'title'],
        send: (field, value) =>
          json('post', '/api/v2/links', kuttKey).send({
            target: 'https://b.example/',
            customurl: alias,
            [field === 'title' ? 'description' : field]: value,
          }),
      },
      {
        door: 'Kutt edit',
        json: true,
        fields: ['password', 'title'],
        send: (field, value) =>
          json('patch', '/api/v2/links/kept', kuttKey).send({
            target: 'https://changed.example/',
            [field === 'title' ? 'description' : field]: value,
          }),
      },
      {
        door: 'YOURLS (query)',
        json: false,
        fields: ['title'],
        send: (_field, value) =>
          request(s.app)
            .get('/yourls-api.php')
            .query({
              signature: key,
              action: 'shorturl',
              url: 'https://b.example/',
              keyword: alias,
              title: value as string,
              format: 'json',
            }),
      },
      {
        door: 'YOURLS (form)',
        json: false,
        fields: ['title'],
        send: (_field, value) =>
          request(s.app)
            .post('/yourls-api.php')
            .type('form')
            .send({
              signature: key,
              action: 'shorturl',
              url: 'https://b.example/',
              keyword: alias,
              title: value as string,
              format: 'json',
            }),
      },
      {
        door: 'the import (Shlink’s CSV)',
        json: false,
        fields: ['tags', 'title'],
        // A batch: the file is read, and its one row is reported invalid, with why.
        refuses: (res, row) => {
          expect(res.status, row).toBe(200);
          expect(res.text, row).toContain('0 of 1 links created');
          expect(res.text, row).toMatch(/<td>invalid<\/td><td>[^<]+<\/td>/);
        },
        send: (field, value) => {
          const cell = (text: string) => `"${text.replaceAll('"', '""')}"`;
          const tags = field === 'tags' ? (value as string[]).join('|') : '';
          const title = field === 'title' ? (value as string) : '';
          return request(s.app)
            .post('/admin/import')
            .set({ ...SAME_ORIGIN, Cookie: cookie, 'Content-Type': 'text/csv' })
            .send(
              `longUrl,shortCode,title,tags\nhttps://b.example/,${alias},${cell(title)},${cell(tags)}\n`,
            );
        },
      },
    ];

    const rows = (field: Field, isJson: boolean): [string, unknown][] => {
      if (field === 'tags') return isJson ? BAD_API_TAGS : BAD_TAGS;
      if (field === 'password') return isJson ? BAD_API_PASSWORDS : BAD_PASSWORDS;
      return (isJson ? BAD_API_TEXTS : BAD_LINK_TEXTS)
        .filter(([name]) => name === field)
        .map(([, what, value]) => [what, value]);
    };
    let tried = 0;
    for (const door of doors) {
      for (const field of door.fields) {
        for (const [what, value] of rows(field, door.json)) {
          const res = await door.send(field, value);
          const row = `${door.door}, ${field}: ${what} → ${res.status}`;
          if (door.refuses) door.refuses(res, row);
          else expect(REFUSED, `${row} ${res.text.slice(0, 300)}`).toContain(res.status);
          expect(res.text, row).not.toContain(KEPT_PASSWORD);
          tried++;
        }
      }
      expect(await snapshot(s), door.door).toEqual(before);
    }
    console.log(
      `${engine}: ${tried} bad values of a link's fields refused through ${doors.length} doors`,
    );
    await request(s.app).get('/kept').auth('', KEPT_PASSWORD).expect(302);

    // The controls: each door takes a good value of each field, so the refusals above were the
    // field's, not a wrong path, key or alias.
    const good = (field: Field, n: number): unknown =>
      field === 'tags' ? [`good-${n}`] : `a good ${field} ${n}`;
    let n = 0;
    for (const door of doors) {
      for (const field of door.fields) {
        alias = `control-${++n}`;
        const res = await door.send(field, good(field, n));
        const row = `control: ${door.door}, ${field} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, row).toBeLessThan(400);
        if (door.refuses) expect(res.text, row).toContain('1 of 1 links created');
      }
    }
  });
}

/** Everything a refused request could have changed: the links, the kept link, the tags. */
async function snapshot(s: EngineApp) {
  const link = (await s.store.links.findLink('kept'))!;
  return {
    links: await s.store.links.countLinks(),
    kept: {
      target: link.target,
      title: link.title,
      note: link.note,
      passwordHash: link.passwordHash,
      updated: link.updated,
    },
    tags: (await s.store.tags.tagsOf([link.id])).map((tag) => tag.name),
    allTags: await s.store.tags.listTags(),
  };
}

describe('bad link fields on sqlite', () => suite('sqlite'));
describeWithPostgres('bad link fields on postgres', () => suite('postgres'));
