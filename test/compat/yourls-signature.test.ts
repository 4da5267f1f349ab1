import { createHash, createHmac } from 'node:crypto';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyService } from '../../src/keys/key-service.js';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { createApiKey, ORIGIN, revokeApiKey } from '../support/compat-clients.js';
import { buildTestApp, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * YOURLS's time-limited login: `timestamp` and `signature` = hash(timestamp . token) or
 * hash(token . timestamp), as includes/functions-auth.php (yourls_check_signature_timestamp,
 * yourls_check_timestamp) checks them; each key's token derives from ADMIN_PASSWORD (ADR 041).
 */

/** Half a second past a whole second: YOURLS's clock is time(), whole seconds. */
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0) + 500;
const NOW_S = Math.floor(NOW / 1000);
/** YOURLS_NONCE_LIFE. */
const LIFE = 12 * 60 * 60;
const PASSWORD = 'correct horse battery staple';
const OTHER_PASSWORD = 'another admin password';
const PLEASE_LOG_IN = { message: 'Please log in', errorCode: '403', callback: '' };

const hex = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');

/** The token as ADR 041 defines it, computed here on its own. */
function tokenOf(password: string, key: string): string {
  const secret = createHmac('sha256', password).update('snip YOURLS signature').digest();
  const keyHash = createHash('sha256').update(key).digest();
  return createHmac('sha256', secret).update(keyHash).digest('hex').slice(0, 10);
}

let t: TestApp;
afterEach(() => t?.db.close());

/** A snip on a new database, or on `db` (the same data under another configuration). */
function build(env: Record<string, string> = { ADMIN_PASSWORD: PASSWORD }, db?: Db) {
  t = buildTestApp({ BASE_URL: ORIGIN, ...env }, { now: () => NOW, ...(db ? { db } : {}) });
}

function ask(params: Record<string, string>) {
  return request(t.app).get('/yourls-api.php').query(params);
}

function shorten(auth: Record<string, string>, keyword: string, format = 'json') {
  return ask({
    ...auth,
    action: 'shorturl',
    url: `https://long.example/${keyword}`,
    keyword,
    format,
  });
}

describe('YOURLS timestamp and signature', () => {
  it('takes md5(timestamp . token) by default, and sha256(token . timestamp) with hash=sha256', async () => {
    build();
    const key = await createApiKey(t, 'full', 'raycast');
    const token = tokenOf(PASSWORD, key);
    const timestamp = String(NOW_S);

    const md5 = await shorten({ timestamp, signature: hex('md5', timestamp + token) }, 'md5');
    expect(md5.status).toBe(200);
    expect(JSON.parse(md5.text)).toMatchObject({ status: 'success', shorturl: `${ORIGIN}/md5` });

    const sha = await shorten(
      { timestamp, signature: hex('sha256', token + timestamp), hash: 'sha256' },
      'sha256',
    );
    expect(sha.status).toBe(200);
    expect(JSON.parse(sha.text)).toMatchObject({ status: 'success', shorturl: `${ORIGIN}/sha256` });

    // The other order for each, and an algorithm by PHP's name.
    await shorten({ timestamp, signature: hex('md5', token + timestamp) }, 'md5-b').expect(200);
    await shorten(
      { timestamp, signature: hex('sha256', timestamp + token), hash: 'sha256' },
      'sha256-b',
    ).expect(200);
    await shorten(
      { timestamp, signature: hex('sha512-256', timestamp + token), hash: 'sha512/256' },
      'sha512-256',
    ).expect(200);

    // The links are the key's, as with the key itself.
    const owners = t.db.prepare('SELECT DISTINCT api_key_id AS id FROM urls').all();
    const keyId = t.db.prepare("SELECT id FROM api_keys WHERE name = 'raycast'").get();
    expect(owners).toEqual([keyId]);
  });

  it('takes a timestamp less than 12 hours either side of the clock, in whole seconds, and no further', async () => {
    build();
    const key = await createApiKey(t, 'full', 'raycast');
    const token = tokenOf(PASSWORD, key);
    const signed = (timestamp: number) => ({
      timestamp: String(timestamp),
      signature: hex('md5', String(timestamp) + token),
    });
    await shorten(signed(NOW_S - LIFE + 1), 'past').expect(200);
    await shorten(signed(NOW_S + LIFE - 1), 'future').expect(200);
    for (const [timestamp, keyword] of [
      [NOW_S - LIFE, 'too-old'],
      [NOW_S + LIFE, 'too-new'],
      [0, 'zero'],
    ] as const) {
      const res = await shorten(signed(timestamp), keyword);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toEqual(PLEASE_LOG_IN);
    }
    expect(t.countLinks()).toBe(2);
  });

  it('refuses a wrong token, signature or algorithm with YOURLS’s 403 in every format, changing nothing', async () => {
    build();
    const key = await createApiKey(t, 'full', 'raycast');
    const token = tokenOf(PASSWORD, key);
    const timestamp = String(NOW_S);
    const wrong: Record<string, string>[] = [
      { timestamp, signature: hex('md5', timestamp + tokenOf(PASSWORD, `${key}x`)) },
      { timestamp, signature: hex('md5', timestamp + token).toUpperCase() },
      { timestamp, signature: hex('md5', timestamp + token), hash: 'sha256' },
      { timestamp, signature: hex('md5', timestamp + token), hash: 'MD5' },
      {
        timestamp,
        signature: createHash('ripemd160')
          .update(timestamp + token)
          .digest('hex'),
        hash: 'ripemd160',
      },
      { timestamp, signature: hex('md5', timestamp + token), hash: '' },
      { timestamp: `${timestamp} `, signature: hex('md5', `${timestamp} ${token}`) },
      { timestamp, signature: key },
    ];
    for (const auth of wrong) {
      const res = await shorten(auth, 'never');
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toEqual(PLEASE_LOG_IN);
    }
    const auth = wrong[0]!;
    const xml = await shorten(auth, 'never', 'xml');
    expect(xml.status).toBe(403);
    expect(xml.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<root><message>Please log in</message><errorCode>403</errorCode><callback></callback></root>',
    );
    const simple = await shorten(auth, 'never', 'simple');
    expect(simple.status).toBe(403);
    expect(simple.text).toBe('Please log in');
    const jsonp = await ask({
      ...auth,
      action: 'shorturl',
      url: 'https://a.example/',
      format: 'jsonp',
      callback: 'cb',
    });
    expect(jsonp.status).toBe(403);
    expect(jsonp.text).toBe('cb({"message":"Please log in","errorCode":"403","callback":"cb"})');
    expect(t.countLinks()).toBe(0);
  });

  it('refuses the token of a revoked or expired key', async () => {
    build();
    const revoked = await createApiKey(t, 'full', 'gone');
    await revokeApiKey(t, 'gone');
    const service = createKeyService({ keys: createKeyRepository(t.db), now: () => NOW - 1000 });
    const expired = (await service.createKey({ name: 'old', scope: 'full', expiresAt: NOW }))!;
    const timestamp = String(NOW_S);
    for (const key of [revoked, expired]) {
      const signature = hex('md5', timestamp + tokenOf(PASSWORD, key));
      const res = await shorten({ timestamp, signature }, 'never');
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toEqual(PLEASE_LOG_IN);
    }
    expect(t.countLinks()).toBe(0);
  });

  it('gives a create-only key only its rights: it shortens, and may not read', async () => {
    build();
    const key = await createApiKey(t, 'create-only', 'sharex');
    const timestamp = String(NOW_S);
    const auth = { timestamp, signature: hex('md5', timestamp + tokenOf(PASSWORD, key)) };
    await shorten(auth, 'mine').expect(200);
    for (const action of ['expand', 'url-stats', 'db-stats', 'stats']) {
      const res = await ask({ ...auth, action, shorturl: 'mine', format: 'json' });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toEqual(PLEASE_LOG_IN);
    }
  });

  it('lets a full key read, as the key itself does', async () => {
    build();
    const key = await createApiKey(t, 'full', 'raycast');
    await shorten({ signature: key }, 'read-me').expect(200);
    const timestamp = String(NOW_S);
    const auth = { timestamp, signature: hex('md5', tokenOf(PASSWORD, key) + timestamp) };
    const res = await ask({ ...auth, action: 'expand', shorturl: 'read-me', format: 'json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ longurl: 'https://long.example/read-me' });
  });

  it('replaces every token when ADMIN_PASSWORD changes: the old one is refused, the new one works', async () => {
    build();
    const key = await createApiKey(t, 'full', 'raycast');
    const timestamp = String(NOW_S);
    const old = { timestamp, signature: hex('md5', timestamp + tokenOf(PASSWORD, key)) };
    await shorten(old, 'before').expect(200);

    build({ ADMIN_PASSWORD: OTHER_PASSWORD }, t.db);
    expect(tokenOf(OTHER_PASSWORD, key)).not.toBe(tokenOf(PASSWORD, key));
    const refused = await shorten(old, 'after-old');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toEqual(PLEASE_LOG_IN);
    const fresh = { timestamp, signature: hex('md5', timestamp + tokenOf(OTHER_PASSWORD, key)) };
    await shorten(fresh, 'after-new').expect(200);
    // The key itself is not the admin password's: it works throughout.
    await shorten({ signature: key }, 'plain').expect(200);
  });

  it('without ADMIN_PASSWORD there are no tokens: a signed request is a 403 that says so', async () => {
    build({});
    const key = await createApiKey(t, 'full', 'raycast');
    const timestamp = String(NOW_S);
    const signature = hex('md5', timestamp + tokenOf(PASSWORD, key));
    const res = await shorten({ timestamp, signature }, 'never');
    expect(res.status).toBe(403);
    const body = JSON.parse(res.text) as Record<string, string>;
    expect(body).toMatchObject({ errorCode: '403', callback: '' });
    expect(body.message).toMatch(/^Please log in: .*ADMIN_PASSWORD/);
    expect(t.countLinks()).toBe(0);
  });
});

describe('the admin’s keys page', () => {
  it('shows each working key’s YOURLS signature token, and none for a revoked key', async () => {
    build();
    const key = await createApiKey(t, 'full', 'raycast');
    const gone = await createApiKey(t, 'full', 'gone');
    await revokeApiKey(t, 'gone');
    const cookie = await signInAdmin(t.app, PASSWORD);
    const page = await request(t.app).get('/admin/keys').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('YOURLS signature token');
    expect(page.text).toContain(`<code dir="ltr">${tokenOf(PASSWORD, key)}</code>`);
    expect(page.text).not.toContain(tokenOf(PASSWORD, gone));
    expect(page.text).not.toContain(key);
  });
});
