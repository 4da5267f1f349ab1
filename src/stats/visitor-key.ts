import type { VisitorHash } from './visitor-sketch.js';

/**
 * The day's secret key, and the keyed hash of a visitor under it (ADR 032).
 *
 * How to use (the visit counter):
 *
 *   const visitorKeys = createVisitorKeys({ now: clock.now, randomBytes: crypto.randomBytes });
 *   const hash = visitorKeys.hashOf(clientAddress, userAgent ?? '');  // once per counted visit
 *   addToSketch(sketch, hash);                                       // src/stats/visitor-sketch.ts
 *   visitorKeys.dropStaleKey();                                      // from the periodic flush
 *
 * The key is 16 random bytes drawn for the current UTC day, held only inside this closure (as
 * SipHash's four initial state words): never returned, logged or written. The first hash on a
 * later UTC day (by `now`) draws a new key and drops the old one, so one visitor hashes
 * differently on each day and counts once per day; `dropStaleKey` drops a past day's key even
 * when no visit comes, so it lives at most a flush interval past midnight. A clock set back to
 * an earlier day draws a new key too: an old key is never restored.
 *
 * The hash is SipHash-2-4 (Aumasson and Bernstein, 2012) of the UTF-8 bytes of
 * `address NUL userAgent`: a pseudorandom function under a 128-bit key, built for short inputs.
 * HMAC-SHA-256 would do as well but costs 2.5–2.8 µs a visit in Node (an Hmac object and a
 * digest buffer each time) against 0.4–0.9 µs here, on a redirect whose whole CPU cost is
 * 20–30 µs (bench/sketch.mjs prints both). An address never holds a NUL byte, so two pairs never
 * give one input. Without the key a hash cannot be linked to an address, nor one day's hashes to
 * another's. The bytes of the visit are written into a scratch buffer that is wiped after each
 * hash, so nothing of the visitor stays in memory.
 */

const DAY_MS = 86_400_000;
/** SipHash's key size: 128 bits. */
export const VISITOR_KEY_BYTES = 16;

export type VisitorKeysDeps = {
  /** Milliseconds since the epoch, as Date.now. */
  now: () => number;
  /** n cryptographically random bytes, as crypto.randomBytes. */
  randomBytes: (n: number) => Buffer;
};

export type VisitorKeys = {
  /** SipHash-2-4 under today's key of the UTF-8 bytes of `address NUL userAgent`. */
  hashOf(address: string, userAgent: string): VisitorHash;
  /** Drops the key if its UTC day is over; the next hash draws a new one. */
  dropStaleKey(): void;
};

export function createVisitorKeys(deps: VisitorKeysDeps): VisitorKeys {
  /** SipHash's initial state under the key (v0…v3, high and low words); empty without a key. */
  const state = new Uint32Array(8);
  let hasKey = false;
  let keyDay = Number.NaN;
  let scratch = Buffer.alloc(1024);

  const ensureKey = (): void => {
    const day = Math.floor(deps.now() / DAY_MS);
    if (hasKey && day === keyDay) return;
    const bytes = deps.randomBytes(VISITOR_KEY_BYTES);
    if (bytes.length !== VISITOR_KEY_BYTES) throw new Error('randomBytes gave the wrong length');
    initialState(bytes, state);
    bytes.fill(0);
    hasKey = true;
    keyDay = day;
  };

  return {
    hashOf(address, userAgent) {
      ensureKey();
      const needed = 3 * (address.length + userAgent.length) + 1;
      if (scratch.length < needed) scratch = Buffer.alloc(needed);
      let length = scratch.write(address, 0, 'utf8');
      scratch[length++] = 0;
      length += scratch.write(userAgent, length, 'utf8');
      const hash = sipHash24(state, scratch, length);
      scratch.fill(0, 0, length);
      return hash;
    },
    dropStaleKey() {
      if (hasKey && Math.floor(deps.now() / DAY_MS) !== keyDay) {
        state.fill(0);
        hasKey = false;
      }
    },
  };
}

/** SipHash's initial state for a 16-byte key: "somepseudorandomlygeneratedbytes" xor the key. */
export function initialState(key: Uint8Array, into = new Uint32Array(8)): Uint32Array {
  const k0lo = readLE32(key, 0);
  const k0hi = readLE32(key, 4);
  const k1lo = readLE32(key, 8);
  const k1hi = readLE32(key, 12);
  into[0] = (k0hi ^ 0x736f6d65) >>> 0;
  into[1] = (k0lo ^ 0x70736575) >>> 0;
  into[2] = (k1hi ^ 0x646f7261) >>> 0;
  into[3] = (k1lo ^ 0x6e646f6d) >>> 0;
  into[4] = (k0hi ^ 0x6c796765) >>> 0;
  into[5] = (k0lo ^ 0x6e657261) >>> 0;
  into[6] = (k1hi ^ 0x74656462) >>> 0;
  into[7] = (k1lo ^ 0x79746573) >>> 0;
  return into;
}

function readLE32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}

/**
 * SipHash-2-4 of the first `length` bytes of `message`, from an initial state of initialState(),
 * as its 64-bit result's high and low words. 64-bit words are pairs of unsigned 32-bit numbers;
 * the round is written once and run twice per block, four times to finish.
 */
export function sipHash24(initial: Uint32Array, message: Uint8Array, length: number): VisitorHash {
  let v0h = initial[0]! | 0;
  let v0l = initial[1]! | 0;
  let v1h = initial[2]! | 0;
  let v1l = initial[3]! | 0;
  let v2h = initial[4]! | 0;
  let v2l = initial[5]! | 0;
  let v3h = initial[6]! | 0;
  let v3l = initial[7]! | 0;
  const blocks = length >>> 3;
  let mh = 0;
  let ml = 0;
  let t: number;
  let lo: number;
  for (let block = 0; block <= blocks + 1; block += 1) {
    let rounds = 2;
    if (block < blocks) {
      const at = block << 3;
      ml = readLE32(message, at) | 0;
      mh = readLE32(message, at + 4) | 0;
    } else if (block === blocks) {
      // The last block: the remaining bytes, and the length's low byte in the top byte.
      const at = block << 3;
      const left = length & 7;
      ml = 0;
      mh = (length & 0xff) << 24;
      for (let i = 0; i < left; i += 1) {
        if (i < 4) ml |= message[at + i]! << (8 * i);
        else mh |= message[at + i]! << (8 * (i - 4));
      }
    } else {
      rounds = 4;
      v2l ^= 0xff;
    }
    if (rounds === 2) {
      v3h ^= mh;
      v3l ^= ml;
    }
    for (let round = 0; round < rounds; round += 1) {
      // v0 += v1; v1 <<<= 13; v1 ^= v0; v0 <<<= 32
      lo = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (lo >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
      v0l = lo;
      t = v1h;
      v1h = (v1h << 13) | (v1l >>> 19) | 0;
      v1l = (v1l << 13) | (t >>> 19) | 0;
      v1h ^= v0h;
      v1l ^= v0l;
      t = v0h;
      v0h = v0l;
      v0l = t;
      // v2 += v3; v3 <<<= 16; v3 ^= v2
      lo = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (lo >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
      v2l = lo;
      t = v3h;
      v3h = (v3h << 16) | (v3l >>> 16) | 0;
      v3l = (v3l << 16) | (t >>> 16) | 0;
      v3h ^= v2h;
      v3l ^= v2l;
      // v0 += v3; v3 <<<= 21; v3 ^= v0
      lo = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (lo >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
      v0l = lo;
      t = v3h;
      v3h = (v3h << 21) | (v3l >>> 11) | 0;
      v3l = (v3l << 21) | (t >>> 11) | 0;
      v3h ^= v0h;
      v3l ^= v0l;
      // v2 += v1; v1 <<<= 17; v1 ^= v2; v2 <<<= 32
      lo = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (lo >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
      v2l = lo;
      t = v1h;
      v1h = (v1h << 17) | (v1l >>> 15) | 0;
      v1l = (v1l << 17) | (t >>> 15) | 0;
      v1h ^= v2h;
      v1l ^= v2l;
      t = v2h;
      v2h = v2l;
      v2l = t;
    }
    if (rounds === 2) {
      v0h ^= mh;
      v0l ^= ml;
    }
  }
  return { hi: (v0h ^ v1h ^ v2h ^ v3h) >>> 0, lo: (v0l ^ v1l ^ v2l ^ v3l) >>> 0 };
}
