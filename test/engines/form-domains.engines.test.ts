import request from 'supertest';
import { describe, expect, it } from 'vitest';
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
 * The pages and links on domains (ADR 031), on every engine: the home form and the admin's
 * new-link form make a link on the domain chosen and refuse one that is not offered; the admin
 * reaches a code on the domain `?domain=` names, and its actions, bulk form, list filter and
 * reports never confuse it with the same code on another domain.
 */
const ORIGIN = 'https://s.example';
const ADMIN_PASSWORD = 'correct horse battery';

function suite(engine: 'sqlite' | 'postgres') {
  async function setup() {
    const s = await buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD });
    const secret = await engineKey(s, 'form-domains');
    await addEngineDomains(s, secret, [
      { host: 'go.example' },
      { host: 'old-go.example', aliasOf: 'go.example' },
    ]);
    const go = (await s.store.domains.listDomains()).find((d) => d.host === 'go.example')!.id;
    const cookie = await engineAdminCookie(s, ADMIN_PASSWORD);
    const form = (path: string, fields: Record<string, string | string[]>, admin = false) =>
      request(s.app)
        .post(path)
        .set({ ...SAME_ORIGIN, ...(admin ? { Cookie: cookie } : {}) })
        .type('form')
        .send(fields);
    const get = (path: string) => request(s.app).get(path).set('Cookie', cookie);
    return { s, go, form, get };
  }

  /** The link `code` on a domain (its key: 0 the default), as the store reads it. */
  const linkOn = (s: EngineApp, code: string, key: number) => s.store.links.findLink(code, key);

  it('the home and admin forms make a link on the domain chosen, and refuse one not offered, changing nothing', async () => {
    const { s, go, form, get } = await setup();
    const home = await request(s.app).get('/').expect(200);
    expect(home.text).toMatch(/<option value="s\.example" >s\.example<\/option>/);
    expect(home.text).toMatch(/<option value="go\.example" >go\.example<\/option>/);
    expect(home.text).not.toContain('old-go.example');

    await form('/shorten', { url: 'https://a.example/', alias: 'twin' }).expect(303);
    const made = await form('/shorten', {
      url: 'https://b.example/',
      alias: 'twin',
      domain: 'go.example',
    }).expect(303);
    const manage = await request(s.app).get(made.headers.location!).expect(200);
    expect(manage.text).toContain('value="https://go.example/twin"');
    expect((await linkOn(s, 'twin', 0))?.target).toBe('https://a.example/');
    expect((await linkOn(s, 'twin', go))?.target).toBe('https://b.example/');

    for (const domain of ['nowhere.example', 'old-go.example']) {
      const refused = await form('/shorten', { url: 'https://c.example/', alias: 'new', domain });
      expect(refused.status).toBe(422);
      expect(refused.text).toContain('id="domain-error"');
      const admin = await form(
        '/admin/links',
        { url: 'https://c.example/', alias: 'new', domain },
        true,
      );
      expect(admin.status).toBe(422);
      expect(admin.text).toContain('id="domain-error"');
    }
    expect(await linkOn(s, 'new', 0)).toBeNull();
    expect(await linkOn(s, 'new', go)).toBeNull();

    const byAdmin = await form(
      '/admin/links',
      { url: 'https://d.example/', alias: 'by-admin', domain: 'go.example' },
      true,
    ).expect(303);
    expect(byAdmin.headers.location).toBe('/admin/links/by-admin?domain=go.example&done=created');
    expect((await get(byAdmin.headers.location!).expect(200)).text).toContain(
      '<code>https://go.example/by-admin</code>',
    );
    expect(await linkOn(s, 'by-admin', 0)).toBeNull();
  });

  it('the admin changes twin on go.example alone: its page, its actions, the bulk form, the filter and its reports', async () => {
    const { s, go, form, get } = await setup();
    await form('/shorten', { url: 'https://a.example/', alias: 'twin' }).expect(303);
    await form('/shorten', { url: 'https://b.example/', alias: 'twin', domain: 'go.example' });

    await form('/admin/links/twin/disable?domain=go.example', {}, true).expect(303);
    await form(
      '/admin/links/twin/edit?domain=go.example',
      { url: 'https://b.example/edited', forwardQuery_shown: '1' },
      true,
    ).expect(303);
    expect(await linkOn(s, 'twin', go)).toMatchObject({ target: 'https://b.example/edited' });
    expect((await linkOn(s, 'twin', go))?.disabledAt).not.toBeNull();
    expect(await linkOn(s, 'twin', 0)).toMatchObject({
      target: 'https://a.example/',
      disabledAt: null,
    });

    const filtered = await get('/admin?domain=go.example').expect(200);
    expect(filtered.text).toContain('<a href="/admin/links/twin?domain=go.example" dir="ltr">');
    expect(filtered.text).not.toContain('<a href="/admin/links/twin">');

    await form('/admin/links/bulk', { action: 'delete', code: 'go.example/twin' }, true).expect(
      303,
    );
    expect((await linkOn(s, 'twin', go))?.deletedAt).not.toBeNull();
    expect((await linkOn(s, 'twin', 0))?.deletedAt).toBeNull();
    await form(
      '/admin/links/bulk',
      { action: 'disable', code: 'old-go.example/twin' },
      true,
    ).expect(404);
    expect((await linkOn(s, 'twin', 0))?.disabledAt).toBeNull();

    await form('/shorten', { url: 'https://c.example/', alias: 'rep', domain: 'go.example' });
    await request(s.app)
      .post('/report/rep')
      .set({ ...SAME_ORIGIN, Host: 'go.example' })
      .type('form')
      .send({ reason: 'spam' })
      .expect(200);
    const groups = await s.store.abuse.openReportGroups();
    expect(groups.map((group) => [group.code, group.domainId])).toEqual([['rep', go]]);
    expect((await get('/admin/reports').expect(200)).text).toContain(
      'action="/admin/links/rep/dismiss?domain=go.example"',
    );
  });
}

describe('forms and the admin on domains on sqlite', () => suite('sqlite'));
describeWithPostgres('forms and the admin on domains on postgres', () => suite('postgres'));
