import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY_PLACEHOLDER } from '../../src/admin/client-tools.js';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * The API keys page's tools: the ShareX custom uploader (.sxcu) to download, used the way ShareX
 * uses it, and the iOS Shortcuts recipe.
 */

const PASSWORD = 'correct horse battery staple';
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);

let t: TestApp;
let cookie: string;

beforeEach(async () => {
  t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, BASE_URL: ORIGIN }, { now: () => NOW });
  cookie = await signInAdmin(t.app, PASSWORD);
});
afterEach(() => t?.db.close());

type ShareXUploader = {
  RequestMethod: string;
  RequestURL: string;
  Headers: Record<string, string>;
  Body: string;
  Data: string;
  URL: string;
  ErrorMessage: string;
};

async function downloadShareXFile(): Promise<ShareXUploader> {
  const res = await request(t.app).get('/admin/keys/snip.sxcu').set('Cookie', cookie).expect(200);
  return JSON.parse(res.text) as ShareXUploader;
}

/** ShareX's `{json:path}`: the value at that path of the answer's JSON; '' where there is none. */
function readJsonSyntax(template: string, answer: string): string {
  const path = /^\{json:([A-Za-z0-9_.]+)\}$/.exec(template)?.[1];
  if (path === undefined) throw new Error(`not a {json:…} template: ${template}`);
  let value: unknown = JSON.parse(answer);
  for (const name of path.split('.')) value = (value as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * What ShareX does with the file for the URL shortener destination: `{input}` in Data replaced by
 * the URL JSON-escaped (without quotes), sent with the file's headers and Content-Type
 * application/json to RequestURL (here, the app under test at that path).
 */
function sendAsShareX(uploader: ShareXUploader, url: string, key: string | null) {
  const headers = Object.fromEntries(
    Object.entries(uploader.Headers).map(([name, value]) => [
      name,
      key === null ? value : value.replace(KEY_PLACEHOLDER, key),
    ]),
  );
  const body = uploader.Data.replace('{input}', JSON.stringify(url).slice(1, -1));
  expect(uploader.RequestMethod).toBe('POST');
  expect(uploader.Body).toBe('JSON');
  return request(t.app)
    .post(new URL(uploader.RequestURL).pathname)
    .set({
      ...headers,
      'Content-Type': 'application/json',
      Accept: '*/*',
      'User-Agent': 'ShareX/17.0.0',
    })
    .send(body);
}

describe('the ShareX uploader file', () => {
  it('when the admin downloads it, then it is a JSON attachment for the URL shortener with the site’s address and a placeholder key', async () => {
    const res = await request(t.app).get('/admin/keys/snip.sxcu').set('Cookie', cookie).expect(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename=s.example.sxcu');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.text)).toEqual({
      Version: '15.0.0',
      Name: 'snip (s.example)',
      DestinationType: 'URLShortener',
      RequestMethod: 'POST',
      RequestURL: 'https://s.example/api/v1/links',
      Headers: { Authorization: 'Bearer PASTE_YOUR_SNIP_API_KEY_HERE' },
      Body: 'JSON',
      Data: '{"url":"{input}"}',
      URL: '{json:shortUrl}',
      ErrorMessage: '{json:detail}',
    });
    // Written as ShareX writes its own exports: indented, with a final line break.
    expect(res.text.startsWith('{\n  "Version": "15.0.0",')).toBe(true);
    expect(res.text.endsWith('}\n')).toBe(true);
  });

  it('when no admin is signed in, then it is not given out: the browser is sent to sign in', async () => {
    const res = await request(t.app).get('/admin/keys/snip.sxcu').expect(303);
    expect(res.headers.location).toBe('/admin/sign-in');
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('when ShareX uses it with a create-only key pasted in, then the URL it reads is a short link to the input', async () => {
    const key = await createApiKey(t, 'create-only');
    const uploader = await downloadShareXFile();
    const target = 'https://long.example/a "quoted" path?x=1&y=\\';
    const res = await sendAsShareX(uploader, target, key);
    expect(res.status).toBe(201);
    const shortUrl = readJsonSyntax(uploader.URL, res.text);
    expect(shortUrl).toMatch(/^https:\/\/s\.example\/[A-Za-z0-9_-]+$/);
    const follow = await request(t.app).get(new URL(shortUrl).pathname).expect(302);
    expect(follow.headers.location).toBe('https://long.example/a%20%22quoted%22%20path?x=1&y=\\');
    expect(t.countLinks()).toBe(1);
  });

  it('when ShareX uses it without pasting a key, then the answer is not 2xx, ShareX shows why, and nothing is stored', async () => {
    const uploader = await downloadShareXFile();
    const res = await sendAsShareX(uploader, 'https://long.example/', null);
    expect(res.status).toBe(401);
    expect(readJsonSyntax(uploader.ErrorMessage, res.text)).not.toBe('');
    expect(readJsonSyntax(uploader.URL, res.text)).toBe('');
    expect(t.countLinks()).toBe(0);
  });

  it('when ShareX sends a URL snip refuses, then ShareX shows the refusal’s detail', async () => {
    const key = await createApiKey(t, 'create-only');
    const uploader = await downloadShareXFile();
    const res = await sendAsShareX(uploader, 'javascript:alert(1)', key);
    expect(res.status).toBe(422);
    expect(readJsonSyntax(uploader.ErrorMessage, res.text)).toMatch(/\S/);
    expect(t.countLinks()).toBe(0);
  });
});

describe('the API keys page', () => {
  it('when it is opened, then it offers the ShareX file and the iOS Shortcuts steps for this site', async () => {
    const res = await request(t.app).get('/admin/keys').set('Cookie', cookie).expect(200);
    expect(res.text).toContain('<h2 id="tools-title">Use a key in other tools</h2>');
    expect(res.text).toContain(
      '<a href="/admin/keys/snip.sxcu" download>Download the ShareX uploader (.sxcu)</a>',
    );
    expect(res.text).toContain(`<code dir="ltr">${KEY_PLACEHOLDER}</code>`);
    expect(res.text).toMatch(
      /id="tools-create-url"[^>]*value="https:\/\/s\.example\/api\/v1\/links"/,
    );
    const steps = /<h3>iOS Shortcuts<\/h3>\s*<ol>([\s\S]*?)<\/ol>/.exec(res.text)?.[1] ?? '';
    const items = steps.match(/<li>[\s\S]*?<\/li>/g) ?? [];
    expect(items).toHaveLength(4);
    expect(items[0]).toContain('<strong>Receive URLs from Share Sheet</strong>');
    expect(items[1]).toContain('<strong>Get Contents of URL</strong>');
    expect(items[1]).toContain('<code dir="ltr">https://s.example/api/v1/links</code>');
    expect(items[1]).toContain('Method <strong>POST</strong>');
    expect(items[1]).toContain('<code dir="ltr">Authorization</code>');
    expect(items[1]).toContain('Request Body <strong>JSON</strong>');
    expect(items[1]).toContain('<code dir="ltr">url</code>');
    expect(items[2]).toContain('<strong>Get Dictionary Value</strong>');
    expect(items[2]).toContain('<code dir="ltr">shortUrl</code>');
    expect(items[3]).toContain('<strong>Copy to Clipboard</strong>');
  });

  it('when the steps are followed against the API, then the dictionary value shortUrl is the short link', async () => {
    // The request the recipe makes: POST, the Authorization header, a JSON body { url }.
    const key = await createApiKey(t, 'create-only');
    const res = await request(t.app)
      .post('/api/v1/links')
      .set({ Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' })
      .send(JSON.stringify({ url: 'https://shared.example/page' }))
      .expect(201);
    expect(res.body.shortUrl).toMatch(/^https:\/\/s\.example\/[A-Za-z0-9_-]+$/);
  });

  it('when a key is made, then the page that shows it once offers the tools too', async () => {
    const res = await request(t.app)
      .post('/admin/keys')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({ name: 'phone', scope: 'create-only' })
      .expect(201);
    expect(res.text).toContain('Use a key in other tools');
    expect(res.text).toContain('href="/admin/keys/snip.sxcu"');
    // The download itself still carries only the placeholder.
    const file = await downloadShareXFile();
    expect(JSON.stringify(file)).not.toMatch(/snip_[A-Za-z0-9_-]{43}/);
  });
});
