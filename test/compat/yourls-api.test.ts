import fs from 'node:fs';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ORIGIN, revokeApiKey } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * YOURLS's `version` action, its `jsonp` format and its `username`/`password` login, as
 * yourls-api.php, includes/functions-api.php and includes/functions-auth.php answer them.
 */

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const VERSION = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string })
  .version;
const INVALID_CALLBACK = '{"errorCode":"400","error":"Invalid callback parameter"}';

let t: TestApp;
let key: string;

async function buildApp(env: Record<string, string> = {}) {
  t = buildTestApp({ BASE_URL: ORIGIN, ...env }, { now: () => NOW });
  key = await createApiKey(t, 'full', 'raycast');
}

beforeEach(() => buildApp());
afterEach(() => t?.db.close());

function ask(params: Record<string, string>) {
  return request(t.app).get('/yourls-api.php').query(params);
}

describe('action=version', () => {
  it('answers snip’s version in JSON, XML and simple, and the newest migration with db=1', async () => {
    const json = await ask({ action: 'version', format: 'json' });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.text)).toEqual({ version: VERSION });
    const withDb = await ask({ action: 'version', format: 'json', db: '1' });
    const newest = fs
      .readdirSync('migrations')
      .filter((name) => /^\d+_.*\.sql$/.test(name))
      .sort()
      .at(-1)!
      .split('_')[0];
    expect(JSON.parse(withDb.text)).toEqual({ version: VERSION, db_version: newest });
    const xml = await ask({ action: 'version' });
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.text).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<root><version>${VERSION}</version></root>`,
    );
    const simple = await ask({ action: 'version', format: 'simple' });
    expect(simple.headers['content-type']).toMatch(/^text\/plain/);
    expect(simple.text).toBe(VERSION);
  });

  it('asks a private snip for a key first, as a private YOURLS asks for a login', async () => {
    await buildApp({ CREATE_ACCESS: 'private' });
    const refused = await ask({ action: 'version', format: 'json' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toEqual({
      message: 'Please log in',
      errorCode: '403',
      callback: '',
    });
    const allowed = await ask({ action: 'version', format: 'json', signature: key });
    expect(JSON.parse(allowed.text)).toEqual({ version: VERSION });
  });
});

describe('format=jsonp', () => {
  it('wraps the answer in the callback, as JavaScript that browsers do not sniff', async () => {
    const res = await ask({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/jsonp',
      keyword: 'jsonp',
      format: 'jsonp',
      callback: 'jQuery3710_17',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/javascript/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const match = /^jQuery3710_17\((.*)\)$/s.exec(res.text);
    expect(match, res.text).not.toBeNull();
    expect(JSON.parse(match![1]!)).toMatchObject({
      status: 'success',
      shorturl: `${ORIGIN}/jsonp`,
      callback: 'jQuery3710_17',
    });
  });

  it('takes the callback from `jsonp` too, allows dotted names, and wraps refusals with their status', async () => {
    const expanded = await ask({
      action: 'version',
      format: 'jsonp',
      jsonp: 'window.app.done',
    });
    expect(expanded.text).toBe(
      `window.app.done({"version":"${VERSION}","callback":"window.app.done"})`,
    );
    const refused = await ask({
      signature: 'snip_wrong',
      action: 'db-stats',
      format: 'jsonp',
      callback: 'cb',
    });
    expect(refused.status).toBe(403);
    expect(refused.text).toBe('cb({"message":"Please log in","errorCode":"403","callback":"cb"})');
  });

  it('answers in bare parentheses without a callback, as YOURLS does', async () => {
    const res = await ask({ action: 'version', format: 'jsonp' });
    expect(res.status).toBe(200);
    expect(res.text).toBe(`({"version":"${VERSION}"})`);
  });

  it.each([
    ['a call', 'alert(1)'],
    ['two statements', 'a;b'],
    ['an empty name', ''],
    ['a leading digit', '1abc'],
    ['an empty part', 'a..b'],
    ['a unicode escape', 'x\\u2028'],
    ['the letters of one', 'au2028'],
    ['a name too long', 'a'.repeat(129)],
    ['a tag', '<script>'],
  ])(
    'refuses %s as callback with YOURLS’s 400, echoing nothing and storing nothing',
    async (_what, callback) => {
      const res = await ask({
        signature: key,
        action: 'shorturl',
        url: 'https://long.example/refused-callback',
        format: 'jsonp',
        callback,
      });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/javascript/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).toBe(INVALID_CALLBACK);
      expect(t.countLinks()).toBe(0);
    },
  );

  it('puts the callback into JSON and XML answers too, as YOURLS does', async () => {
    const json = await ask({ action: 'version', format: 'json', callback: 'cb' });
    expect(JSON.parse(json.text)).toEqual({ version: VERSION, callback: 'cb' });
    const xml = await ask({ action: 'version', format: 'xml', callback: '<b>' });
    expect(xml.text).toContain('<callback>&#60;b&#62;</callback>');
  });
});

describe('username and password', () => {
  it('logs in with a key’s name as username and the key as password, with that key’s rights', async () => {
    const res = await ask({
      username: 'raycast',
      password: key,
      action: 'shorturl',
      url: 'https://long.example/login',
      keyword: 'signed-in',
      format: 'json',
    });
    expect(res.status, res.text).toBe(200);
    const stats = await ask({
      username: 'raycast',
      password: key,
      action: 'url-stats',
      shorturl: 'signed-in',
      format: 'json',
    });
    expect(JSON.parse(stats.text)).toMatchObject({ statusCode: '200', link: { clicks: '0' } });
    // A create-only key logs in to create, and reads nothing.
    const createOnly = await createApiKey(t, 'create-only', 'sharex');
    const reading = await ask({
      username: 'sharex',
      password: createOnly,
      action: 'db-stats',
      format: 'json',
    });
    expect(reading.status).toBe(403);
    expect(JSON.parse(reading.text)).toMatchObject({ message: 'Please log in' });
  });

  it('refuses another key’s name, a wrong or revoked key, in YOURLS’s words, storing nothing', async () => {
    await createApiKey(t, 'full', 'other');
    const revoked = await createApiKey(t, 'full', 'old');
    await revokeApiKey(t, 'old');
    for (const [username, password] of [
      ['other', key],
      ['raycast', 'snip_wrong'],
      ['old', revoked],
      ['RAYCAST', key],
    ] as const) {
      const res = await ask({
        username,
        password,
        action: 'shorturl',
        url: 'https://long.example/refused-login',
        format: 'json',
      });
      expect(res.status, username).toBe(403);
      expect(JSON.parse(res.text)).toEqual({
        message: 'Invalid username or password',
        errorCode: '403',
        callback: '',
      });
    }
    expect(t.countLinks()).toBe(0);
  });

  it('reads the signature first when both are sent, as YOURLS does', async () => {
    const res = await ask({
      signature: key,
      username: 'raycast',
      password: 'not-the-key',
      action: 'db-stats',
      format: 'json',
    });
    expect(res.status).toBe(200);
  });
});
