import { expect, it } from 'vitest';
import type { NewKey } from '../../src/keys/key-store.js';
import { describeStoreContract } from '../support/store-contract.js';

// The KeyStore contract, through the interface only: the same expectations on every engine.

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);
const DAY = 86_400_000;

function key(name: string, hash: string, extra: Partial<NewKey> = {}): NewKey {
  return { name, hash: Buffer.from(hash), scope: 'full', expiresAt: null, source: 'cli', ...extra };
}

describeStoreContract('KeyStore', (open) => {
  it('creates a key and finds it by its hash, with its hash', async () => {
    const s = await open();
    expect(
      await s.keys.insertKey(
        key('bot', 'h1', { scope: 'create-only', expiresAt: NOW + DAY, source: 'admin' }),
        NOW,
      ),
    ).toBe(true);
    const found = await s.keys.findKeyByHash(Buffer.from('h1'));
    expect(found).toEqual({
      id: expect.any(Number) as number,
      name: 'bot',
      scope: 'create-only',
      created: NOW,
      expiresAt: NOW + DAY,
      lastUsed: null,
      revokedAt: null,
      source: 'admin',
      keyHash: Buffer.from('h1'),
    });
    expect(await s.keys.findKeyByHash(Buffer.from('none'))).toBeNull();
  });

  it('refuses a name an active key has, and a hash any key has; a revoked name may be given again', async () => {
    const s = await open();
    expect(await s.keys.insertKey(key('ci', 'h1'), NOW)).toBe(true);
    expect(await s.keys.insertKey(key('ci', 'h2'), NOW)).toBe(false);
    expect(await s.keys.insertKey(key('new', 'h1'), NOW)).toBe(false);
    expect((await s.keys.listKeys()).map((k) => k.name)).toEqual(['ci']);
    expect(await s.keys.revokeKey('ci', NOW + 1)).toBe(true);
    expect(await s.keys.insertKey(key('ci', 'h3'), NOW + 2)).toBe(true);
    // The revoked key's hash stays taken.
    expect(await s.keys.insertKey(key('other', 'h1'), NOW + 2)).toBe(false);
  });

  it('lists keys by creation, then in the order they were made, each with its state', async () => {
    const s = await open();
    await s.keys.insertKey(key('ci', 'h1'), NOW);
    await s.keys.insertKey(
      key('bot', 'h2', { scope: 'create-only', expiresAt: NOW + DAY }),
      NOW - 1,
    );
    await s.keys.insertKey(key('old', 'h3', { expiresAt: NOW }), NOW);
    await s.keys.revokeKey('ci', NOW + 1);
    await s.keys.insertKey(key('ci', 'h5'), NOW + 3);
    const listed = await s.keys.listKeys();
    expect(listed.map((k) => [k.name, k.scope, k.created, k.expiresAt, k.revokedAt])).toEqual([
      ['bot', 'create-only', NOW - 1, NOW + DAY, null],
      ['ci', 'full', NOW, null, NOW + 1],
      ['old', 'full', NOW, NOW, null],
      ['ci', 'full', NOW + 3, null, null],
    ]);
    expect(listed.every((k) => !('keyHash' in k))).toBe(true);
  });

  it('revokes an active key by name once', async () => {
    const s = await open();
    await s.keys.insertKey(key('ci', 'h1'), NOW);
    expect(await s.keys.revokeKey('ci', NOW + 1)).toBe(true);
    expect(await s.keys.revokeKey('ci', NOW + 2)).toBe(false);
    expect(await s.keys.revokeKey('nobody', NOW)).toBe(false);
    expect(await s.keys.findKeyByHash(Buffer.from('h1'))).toMatchObject({ revokedAt: NOW + 1 });
  });

  it('records when a key was last used', async () => {
    const s = await open();
    await s.keys.insertKey(key('ci', 'h1'), NOW);
    const { id } = (await s.keys.findKeyByHash(Buffer.from('h1')))!;
    await s.keys.touchKey(id, NOW + 4);
    expect(await s.keys.findKeyByHash(Buffer.from('h1'))).toMatchObject({ lastUsed: NOW + 4 });
    await s.keys.touchKey(id, NOW + 9);
    expect((await s.keys.listKeys())[0]).toMatchObject({ lastUsed: NOW + 9 });
  });

  it('counts the keys that work at a given time: not revoked, not expired', async () => {
    const s = await open();
    expect(await s.keys.countUsableKeys(NOW)).toBe(0);
    await s.keys.insertKey(key('ci', 'h1'), NOW);
    await s.keys.insertKey(key('bot', 'h2', { expiresAt: NOW + DAY }), NOW);
    await s.keys.insertKey(key('old', 'h3', { expiresAt: NOW }), NOW);
    await s.keys.insertKey(key('gone', 'h4'), NOW);
    await s.keys.revokeKey('gone', NOW);
    expect(await s.keys.countUsableKeys(NOW - 1)).toBe(3);
    expect(await s.keys.countUsableKeys(NOW)).toBe(2);
    expect(await s.keys.countUsableKeys(NOW + DAY)).toBe(1);
    const usable = async (at: number) =>
      (await s.keys.listUsableKeysWithHashes(at)).map((k) => [k.name, k.keyHash.toString()]);
    expect(await usable(NOW - 1)).toEqual([
      ['ci', 'h1'],
      ['bot', 'h2'],
      ['old', 'h3'],
    ]);
    expect(await usable(NOW)).toEqual([
      ['ci', 'h1'],
      ['bot', 'h2'],
    ]);
    expect(await usable(NOW + DAY)).toEqual([['ci', 'h1']]);
  });

  it('keeps each key’s source, and revokes the keys INITIAL_API_KEY made but the one kept', async () => {
    const s = await open();
    await s.keys.insertKey(key('app', 'h1', { source: 'admin' }), NOW);
    await s.keys.insertKey(key('ci', 'h2', { source: 'cli' }), NOW);
    await s.keys.insertKey(key('initial', 'h3', { source: 'initial' }), NOW);
    await s.keys.insertKey(key('initial-2', 'h4', { source: 'initial' }), NOW + 1);
    expect((await s.keys.listKeys()).map((k) => [k.name, k.source])).toEqual([
      ['app', 'admin'],
      ['ci', 'cli'],
      ['initial', 'initial'],
      ['initial-2', 'initial'],
    ]);
    expect(await s.keys.revokeInitialKeysExcept(Buffer.from('h4'), NOW + 2)).toEqual(['initial']);
    expect(await s.keys.revokeInitialKeysExcept(Buffer.from('h4'), NOW + 3)).toEqual([]);
    expect(await s.keys.revokeInitialKeysExcept(null, NOW + 4)).toEqual(['initial-2']);
    expect((await s.keys.listKeys()).map((k) => [k.name, k.revokedAt])).toEqual([
      ['app', null],
      ['ci', null],
      ['initial', NOW + 2],
      ['initial-2', NOW + 4],
    ]);
  });
});
