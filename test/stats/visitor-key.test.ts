import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createVisitorKeys } from '../../src/stats/visitor-key.js';
import { addToSketch, encodeSketch, newSketch } from '../../src/stats/visitor-sketch.js';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const NOON = Date.UTC(2026, 11, 6, 12, 0, 0);
const LAST_MS = Date.UTC(2026, 11, 6, 23, 59, 59, 999);
const MIDNIGHT = Date.UTC(2026, 11, 7, 0, 0, 0);

/** A mocked clock and a mocked random source whose keys (copies) the test can look at. */
function setup() {
  const state = { now: NOON, keys: [] as Buffer[], draws: 0 };
  const keys = createVisitorKeys({
    now: () => state.now,
    randomBytes: (n) => {
      state.draws += 1;
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i += 1) bytes[i] = (state.draws * 37 + i * 11 + 1) & 0xff;
      state.keys.push(Buffer.from(bytes));
      return bytes;
    },
  });
  return { state, keys };
}

describe('the daily visitor key', () => {
  it('when one visitor comes twice on the same UTC day, then both visits hash the same', () => {
    const { state, keys } = setup();
    const first = keys.hashOf('203.0.113.7', CHROME);
    state.now = LAST_MS;
    keys.dropStaleKey();
    expect(keys.hashOf('203.0.113.7', CHROME)).toEqual(first);
    expect(state.draws).toBe(1);
  });

  it('when the UTC day changes, then the same visitor hashes differently under a new key', () => {
    const { state, keys } = setup();
    const today = keys.hashOf('203.0.113.7', CHROME);
    state.now = MIDNIGHT;
    const tomorrow = keys.hashOf('203.0.113.7', CHROME);
    expect(tomorrow).not.toEqual(today);
    expect(state.draws).toBe(2);
    expect(keys.hashOf('203.0.113.7', CHROME)).toEqual(tomorrow);
  });

  it('when the clock goes back to an earlier day, then a new key is drawn and the old one is not restored', () => {
    const { state, keys } = setup();
    const today = keys.hashOf('203.0.113.7', CHROME);
    state.now = MIDNIGHT;
    keys.hashOf('203.0.113.7', CHROME);
    state.now = NOON;
    expect(keys.hashOf('203.0.113.7', CHROME)).not.toEqual(today);
    expect(state.draws).toBe(3);
  });

  it('when a day is over and no visit comes, then dropStaleKey drops the key and the next visit draws a new one', () => {
    const { state, keys } = setup();
    keys.hashOf('203.0.113.7', CHROME);
    keys.dropStaleKey();
    expect(state.draws).toBe(1);
    state.now = MIDNIGHT + 1_000;
    keys.dropStaleKey();
    expect(state.draws).toBe(1); // dropping draws nothing
    keys.hashOf('203.0.113.7', CHROME);
    expect(state.draws).toBe(2);
  });

  it('when the address or the User-Agent differs, then the hash differs, and the two fields cannot run into each other', () => {
    const { keys } = setup();
    const base = keys.hashOf('203.0.113.7', CHROME);
    expect(keys.hashOf('203.0.113.8', CHROME)).not.toEqual(base);
    expect(keys.hashOf('203.0.113.7', FIREFOX)).not.toEqual(base);
    expect(keys.hashOf('2001:db8::1', '')).not.toEqual(keys.hashOf('2001:db8::', '1'));
  });

  it('when hashing, then the result is the first 64 bits of HMAC-SHA-256 under the drawn key', () => {
    const { state, keys } = setup();
    const hash = keys.hashOf('198.51.100.4', FIREFOX);
    const digest = createHmac('sha256', state.keys[0]!).update('198.51.100.4\0' + FIREFOX).digest();
    expect(hash).toEqual({ hi: digest.readUInt32BE(0), lo: digest.readUInt32BE(4) });
    expect(state.keys[0]!.length).toBe(32);
  });

  it('when the random bytes have been turned into the key, then the buffer handed over is wiped', () => {
    let handed: Buffer | null = null;
    const keys = createVisitorKeys({
      now: () => NOON,
      randomBytes: (n) => (handed = Buffer.alloc(n, 0xab)),
    });
    keys.hashOf('203.0.113.7', CHROME);
    expect(handed!.every((byte) => byte === 0)).toBe(true);
  });

  it('when the keys object is inspected or serialized, then it shows no key', () => {
    const { state, keys } = setup();
    keys.hashOf('203.0.113.7', CHROME);
    expect(Object.keys(keys).sort()).toEqual(['dropStaleKey', 'hashOf']);
    const hex = state.keys[0]!.toString('hex');
    expect(JSON.stringify(keys)).not.toContain(hex);
    expect(inspect(keys, { showHidden: true, depth: 10 })).not.toContain(hex);
  });

  it('when visitors are hashed into sketches and serialized, then no 8-byte run of the key is in the bytes', () => {
    const { state, keys } = setup();
    const small = newSketch();
    const large = newSketch();
    for (let i = 0; i < 5_000; i += 1) {
      const hash = keys.hashOf(`10.${(i >> 8) & 255}.${i & 255}.1`, i % 2 ? CHROME : FIREFOX);
      if (i < 50) addToSketch(small, hash);
      addToSketch(large, hash);
    }
    const key = state.keys[0]!;
    for (const bytes of [encodeSketch(small), encodeSketch(large)]) {
      for (let at = 0; at + 8 <= key.length; at += 1) {
        expect(bytes.indexOf(key.subarray(at, at + 8))).toBe(-1);
      }
    }
  });

  it('when randomBytes gives the wrong length, then hashing throws rather than using a short key', () => {
    const keys = createVisitorKeys({ now: () => NOON, randomBytes: () => Buffer.alloc(8) });
    expect(() => keys.hashOf('203.0.113.7', CHROME)).toThrow();
  });
});
