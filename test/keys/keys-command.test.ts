import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseKeysArgs } from '../../src/keys.js';
import { openDatabase } from '../../src/db/open-database.sqlite.js';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createKeyService } from '../../src/keys/key-service.js';
import { hashSecret } from '../../src/http/secret-hash.js';
import { childEnv } from '../support/server-process.js';
import { buildTestApp, createTempDir, createTestDatabase } from '../support/test-app.js';

// The built command, as `npm run keys` and `docker exec … node dist/keys.js` run it.
let dir: string;
let file: string;
beforeEach(() => {
  dir = createTempDir();
  file = path.join(dir, 'snip.sqlite3');
  createTestDatabase(file).close();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function keys(...args: string[]) {
  return keysWith({}, ...args);
}

function keysWith(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['dist/keys.js', ...args], {
    env: childEnv({ DATABASE_URL: `sqlite:${file}`, ...env }),
    encoding: 'utf8',
    timeout: 15_000,
  });
}

describe('the keys command', () => {
  it('when a key is created, then it is printed once, only its SHA-256 is stored, and the API takes it', async () => {
    const created = keys('create', 'sharex', '--scope', 'create-only', '--expires', '2099-12-31');
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^snip_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain(
      'created key "sharex" (create-only, expires 2099-12-31); it is shown only this once',
    );

    const db = openDatabase(file);
    const stored = db.prepare('SELECT key_hash, scope, expires_at FROM api_keys').all() as {
      key_hash: Buffer;
      scope: string;
      expires_at: number;
    }[];
    expect(stored).toEqual([
      { key_hash: hashSecret(key), scope: 'create-only', expires_at: Date.UTC(2100, 0, 1) },
    ]);
    expect(JSON.stringify(db.prepare('SELECT * FROM api_keys').all())).not.toContain(key);
    const t = buildTestApp({}, { db });
    await request(t.app)
      .post('/api/v1/links')
      .set('X-Api-Key', key)
      .send({ url: 'https://a.example/' })
      .expect(201);
    await request(t.app).get('/api/v1/links').set('X-Api-Key', key).expect(403);
    db.close();
  });

  it('when keys are listed, then each shows name, scope, source, creation, last use and expiry, and a revoked key says so', async () => {
    const key = keys('create', 'ci').stdout.trim();
    keys('create', 'old');
    const db = openDatabase(file);
    await request(buildTestApp({}, { db }).app)
      .get('/api/v1/links')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    db.close();
    expect(keys('revoke', 'old').stdout).toBe('revoked key "old"\n');

    const lines = keys('list').stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^name\s+scope\s+source\s+created \(UTC\)\s+last used \(UTC\)\s+expires$/,
    );
    expect(lines[1]).toMatch(
      /^ci\s+full\s+cli\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+never$/,
    );
    expect(lines[2]).toMatch(
      /^old\s+full\s+cli\s+\S+ \S+\s+—\s+never\s+revoked \d{4}-\d\d-\d\d \d\d:\d\d$/,
    );
    // The name of a revoked key may be used again.
    expect(keys('create', 'old').status).toBe(0);
  });

  it('when ADMIN_PASSWORD is set, then the list shows each working key’s YOURLS signature token', () => {
    const password = '  correct horse battery staple ';
    const key = keys('create', 'raycast').stdout.trim();
    keys('create', 'gone');
    keys('revoke', 'gone');
    // ADR 041, computed here on its own; the server reads the password trimmed, and so must this.
    const secret = createHmac('sha256', password.trim()).update('snip YOURLS signature').digest();
    const token = createHmac('sha256', secret).update(hashSecret(key)).digest('hex').slice(0, 10);

    const lines = keysWith({ ADMIN_PASSWORD: password }, 'list').stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/\sexpires\s+YOURLS token$/);
    expect(lines[1]).toMatch(new RegExp(`^raycast\\s.*\\snever\\s+${token}$`));
    expect(lines[2]).toMatch(/^gone\s.*\snever\s+—\s+revoked /);
    expect(lines.join('\n')).not.toContain(key);

    const short = keysWith({ ADMIN_PASSWORD: 'too short' }, 'list');
    expect(short.status).toBe(1);
    expect(short.stderr).toBe('keys: ADMIN_PASSWORD must have at least 12 characters\n');
  });

  it.each([
    [['create']],
    [['create', 'bad name']],
    [['create', 'x', '--scope', 'admin']],
    [['create', 'x', '--expires', '2020-01-01']],
    [['create', 'x', '--expires', '31.12.2030']],
    [['create', 'x', '--scope']],
    [['rotate']],
    [[]],
  ])('when the arguments are %j, then they are refused', (args) => {
    expect(() => parseKeysArgs(args, Date.UTC(2026, 10, 29))).toThrow();
  });

  it('when the command fails, then it exits 1 with one line and stores nothing twice', () => {
    const unknown = keys('revoke', 'nobody');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('keys: no active key named "nobody"\n');
    expect(keys('create', 'twice').status).toBe(0);
    expect(keys('create', 'twice').stderr).toBe('keys: a key named "twice" exists already\n');
    expect(keys('list').stdout.match(/^twice /gm)).toHaveLength(1);
  });

  it('when arguments are parsed, then the expiry means "works through that UTC day"', () => {
    const now = Date.UTC(2026, 10, 29);
    expect(parseKeysArgs(['create', 'a', '--expires', '2026-11-29'], now)).toEqual({
      kind: 'create',
      name: 'a',
      scope: 'full',
      expiresAt: Date.UTC(2026, 10, 30),
    });
  });

  it('when a key works through 9999-12-31, then it is stored within the range every door takes and listed with that day', () => {
    const created = keys('create', 'lasting', '--expires', '9999-12-31');
    expect(created.stderr).toContain('expires 9999-12-31');
    const db = openDatabase(file);
    const stored = db
      .prepare("SELECT expires_at FROM api_keys WHERE name = 'lasting'")
      .pluck()
      .get();
    db.close();
    expect(stored).toBe(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
    expect(keys('list').stdout).toMatch(/^lasting .* 9999-12-31\s*$/m);
  });
});

describe('INITIAL_API_KEY', () => {
  it('when it is stored twice, then one key exists and it works', async () => {
    const db = createTestDatabase();
    const service = createKeyService({ keys: createKeyRepository(db), now: Date.now });
    const key = 'k'.repeat(40);
    expect(await service.syncInitialKey(key)).toEqual({ initial: 'stored', revoked: [] });
    expect(await service.syncInitialKey(key)).toEqual({ initial: 'present', revoked: [] });
    expect((await service.listKeys()).map((k) => [k.name, k.scope, k.source])).toEqual([
      ['initial', 'full', 'initial'],
    ]);
    expect(await service.checkKey(key)).toMatchObject({ ok: true });
    db.close();
  });

  it('when it changes, then the key made from the old value is revoked at start and the new one works; other keys stay', async () => {
    const db = createTestDatabase();
    const service = createKeyService({ keys: createKeyRepository(db), now: Date.now });
    const [old, next] = ['o'.repeat(40), 'n'.repeat(40)];
    await service.syncInitialKey(old);
    const cli = (await service.createKey({ name: 'ci', scope: 'full', expiresAt: null }, 'cli'))!;
    const admin = (await service.createKey({ name: 'app', scope: 'full', expiresAt: null }))!;
    expect(await service.syncInitialKey(next)).toEqual({ initial: 'stored', revoked: ['initial'] });
    expect(await service.checkKey(old)).toEqual({ ok: false, reason: 'revoked' });
    expect(await service.checkKey(next)).toMatchObject({ ok: true, key: { source: 'initial' } });
    expect(await service.checkKey(cli)).toMatchObject({ ok: true, key: { source: 'cli' } });
    expect(await service.checkKey(admin)).toMatchObject({ ok: true, key: { source: 'admin' } });
    // Removing the variable revokes the key it made, and nothing else.
    expect(await service.syncInitialKey(null)).toEqual({ initial: null, revoked: ['initial'] });
    expect(await service.checkKey(next)).toEqual({ ok: false, reason: 'revoked' });
    expect(await service.checkKey(cli)).toMatchObject({ ok: true });
    expect(await service.syncInitialKey(null)).toEqual({ initial: null, revoked: [] });
    db.close();
  });

  it('when the old value comes back after a change, then it stays revoked', async () => {
    const db = createTestDatabase();
    const service = createKeyService({ keys: createKeyRepository(db), now: Date.now });
    const [old, next] = ['o'.repeat(40), 'n'.repeat(40)];
    await service.syncInitialKey(old);
    await service.syncInitialKey(next);
    expect(await service.syncInitialKey(old)).toEqual({ initial: 'revoked', revoked: ['initial'] });
    expect(await service.checkKey(old)).toEqual({ ok: false, reason: 'revoked' });
    expect(await service.checkKey(next)).toEqual({ ok: false, reason: 'revoked' });
    db.close();
  });
});
