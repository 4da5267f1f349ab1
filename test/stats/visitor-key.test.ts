import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REMEMBERED_AGENTS } from '../../src/stats/remembered.js';
import {
  VISITOR_KEY_BYTES,
  createVisitorKeys,
  initialState,
  sipHash24,
} from '../../src/stats/visitor-key.js';
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

  it('when a stale key was dropped and the clock then goes back to its day, then the dropped key is not used again', () => {
    const { state, keys } = setup();
    const today = keys.hashOf('203.0.113.7', CHROME);
    state.now = MIDNIGHT;
    keys.dropStaleKey();
    state.now = NOON;
    expect(keys.hashOf('203.0.113.7', CHROME)).not.toEqual(today);
    expect(state.draws).toBe(2);
  });

  it('when the address or the User-Agent differs, then the hash differs, and the two fields cannot run into each other', () => {
    const { keys } = setup();
    const base = keys.hashOf('203.0.113.7', CHROME);
    expect(keys.hashOf('203.0.113.8', CHROME)).not.toEqual(base);
    expect(keys.hashOf('203.0.113.7', FIREFOX)).not.toEqual(base);
    expect(keys.hashOf('2001:db8::1', '')).not.toEqual(keys.hashOf('2001:db8::', '1'));
  });

  /** The message hashOf hashes: the agent in UTF-8, 1 to 8 NUL bytes to a block's end, the address. */
  const messageOf = (address: string, agent: string) => {
    const bytes = Buffer.from(agent, 'utf8');
    const padding = 8 - (bytes.length % 8);
    return Buffer.concat([bytes, Buffer.alloc(padding), Buffer.from(address, 'utf8')]);
  };

  it('when hashing, then the result is SipHash-2-4 under the drawn key of the User-Agent in UTF-8, NUL-padded to a block, then the address', () => {
    const { state, keys } = setup();
    const agent = FIREFOX + ' Überblick';
    const hash = keys.hashOf('198.51.100.4', agent);
    expect(hash).toEqual(referenceSipHash(state.keys[0]!, messageOf('198.51.100.4', agent)));
    expect(state.keys[0]!.length).toBe(VISITOR_KEY_BYTES);
  });

  it('when agents of every length up to 40 bytes are hashed twice (the second time from the remembered prefix), then both agree with the reference', () => {
    const { state, keys } = setup();
    keys.hashOf('203.0.113.7', ''); // draws the day's key
    for (let n = 0; n <= 40; n += 1) {
      const agent = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH'.slice(0, n);
      for (const address of ['203.0.113.7', '2001:db8:85a3::8a2e:370:7334']) {
        const expected = referenceSipHash(state.keys[0]!, messageOf(address, agent));
        expect(keys.hashOf(address, agent)).toEqual(expected);
        expect(keys.hashOf(address, agent)).toEqual(expected);
      }
    }
  });

  it('when addresses of every length up to 46 characters are hashed, ASCII or not, then each agrees with the reference', () => {
    const { state, keys } = setup();
    keys.hashOf('203.0.113.7', FIREFOX); // draws the day's key
    const long = '2001:0db8:85a3:0000:0000:8a2e:0370:7334%zone-42';
    for (let n = 0; n <= 46; n += 1) {
      for (const address of [long.slice(0, n), `${long.slice(0, n)}%Ü`]) {
        const expected = referenceSipHash(state.keys[0]!, messageOf(address, FIREFOX));
        expect(keys.hashOf(address, FIREFOX)).toEqual(expected);
      }
    }
  });

  it("when more agents come than are remembered, or the day changes, then every hash is still the reference one under the day's key", () => {
    const { state, keys } = setup();
    for (let i = 0; i < REMEMBERED_AGENTS + 5; i += 1) keys.hashOf('203.0.113.7', `${CHROME} ${i}`);
    expect(keys.hashOf('203.0.113.7', `${CHROME} 1`)).toEqual(
      referenceSipHash(state.keys[0]!, messageOf('203.0.113.7', `${CHROME} 1`)),
    );
    state.now = MIDNIGHT;
    expect(keys.hashOf('203.0.113.7', `${CHROME} 1`)).toEqual(
      referenceSipHash(state.keys[1]!, messageOf('203.0.113.7', `${CHROME} 1`)),
    );
  });

  it('when the User-Agent is 8 KB long or not ASCII, then it hashes like any other, its every byte counting', () => {
    const { keys } = setup();
    const long = 'Mozilla/5.0 ' + 'x'.repeat(8 * 1024);
    const first = keys.hashOf('203.0.113.7', long);
    expect(keys.hashOf('203.0.113.7', long)).toEqual(first);
    expect(keys.hashOf('203.0.113.7', long.slice(0, -1) + 'y')).not.toEqual(first);
    expect(keys.hashOf('203.0.113.7', CHROME)).toEqual(keys.hashOf('203.0.113.7', CHROME));
    expect(keys.hashOf('203.0.113.7', 'Ä')).not.toEqual(keys.hashOf('203.0.113.7', 'Å'));
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

/** SipHash-2-4 written plainly with BigInt, to check the 32-bit version against. */
function referenceSipHash(key: Uint8Array, message: Uint8Array): { hi: number; lo: number } {
  const mask = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & mask;
  const word = (bytes: Uint8Array, at: number) => Buffer.from(bytes).readBigUInt64LE(at);
  const k0 = word(key, 0);
  const k1 = word(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & mask;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & mask;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & mask;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & mask;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const padded = Buffer.alloc((Math.floor(message.length / 8) + 1) * 8);
  padded.set(message);
  padded[padded.length - 1] = message.length & 0xff;
  for (let at = 0; at < padded.length; at += 8) {
    const m = padded.readBigUInt64LE(at);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i += 1) round();
  const out = v0 ^ v1 ^ v2 ^ v3;
  return { hi: Number(out >> 32n), lo: Number(out & 0xffffffffn) };
}

describe('SipHash-2-4', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const message = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
  const hex = (hash: { hi: number; lo: number }) =>
    hash.hi.toString(16).padStart(8, '0') + hash.lo.toString(16).padStart(8, '0');

  it('when hashing the published test vectors, then the results are the reference ones', () => {
    // Aumasson and Bernstein's vectors: key 00…0f, message 00…(n−1).
    const expected: [number, string][] = [
      [0, '726fdb47dd0e0e31'],
      [1, '74f839c593dc67fd'],
      [2, '0d6c8009d9a94f5a'],
      [8, '93f5f5799a932462'],
      [15, 'a129ca6149be45e5'],
    ];
    for (const [n, value] of expected)
      expect(hex(sipHash24(initialState(key), message(n), n))).toBe(value);
  });

  it('when hashing messages of every length up to 300 bytes under several keys, then it agrees with a plain 64-bit version', () => {
    let seed = 7;
    const byte = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let n = 0; n <= 300; n += 1) {
      const randomKey = Uint8Array.from({ length: 16 }, byte);
      const bytes = Uint8Array.from({ length: n }, byte);
      // Only the first n bytes count, whatever follows them in the buffer.
      const longer = Uint8Array.from([...bytes, byte(), byte()]);
      expect(sipHash24(initialState(randomKey), longer, n)).toEqual(
        referenceSipHash(randomKey, bytes),
      );
    }
  });
});
