import { REMEMBERED_AGENT_LENGTH, REMEMBERED_AGENTS } from './remembered.js';
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
 * The hash is SipHash-2-4 (Aumasson and Bernstein, 2012) of the UTF-8 bytes of the User-Agent,
 * padded with 1 to 8 NUL bytes to a whole number of 8-byte blocks, then of the address: a
 * pseudorandom function under a 128-bit key, built for short inputs. A User-Agent never holds a
 * NUL byte, so its end is where the padding starts and two pairs never give one input. SipHash
 * reads its input block by block, so the state after an agent's padded bytes is remembered for
 * the day (REMEMBERED_AGENTS of them, wiped with the key): a returning browser costs the hash of
 * its address alone, 0.1–0.2 µs. HMAC-SHA-256 would do as well but costs 2.5–2.8 µs a visit in
 * Node (an Hmac object and a digest buffer each time), on a redirect whose whole CPU cost is
 * 20–30 µs (bench/sketch.mjs prints both). Without the key a hash cannot be linked to an
 * address, nor one day's hashes to another's. The address's bytes are written into a scratch
 * buffer that is wiped after each hash; the agents' strings are held as the statistics' own
 * traits cache holds them (visit-traits.ts), never written.
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
  const state = new Int32Array(8);
  let hasKey = false;
  let keyDay = Number.NaN;
  let scratch = Buffer.alloc(1024);
  /**
   * User-Agent → SipHash's state once its padded bytes are absorbed: a visitor's browser sends
   * the same string on every visit, so only the address is hashed then. The states derive from
   * the key: they are wiped with it.
   */
  const agents = new Map<string, Int32Array>();

  const forgetAgents = (): void => {
    for (const prefix of agents.values()) prefix.fill(0);
    agents.clear();
  };

  const ensureKey = (): void => {
    const day = Math.floor(deps.now() / DAY_MS);
    if (hasKey && day === keyDay) return;
    const bytes = deps.randomBytes(VISITOR_KEY_BYTES);
    if (bytes.length !== VISITOR_KEY_BYTES) throw new Error('randomBytes gave the wrong length');
    const fresh = initialState(bytes);
    state.set(fresh);
    fresh.fill(0);
    bytes.fill(0);
    forgetAgents();
    hasKey = true;
    keyDay = day;
  };

  const room = (bytes: number): void => {
    if (scratch.length < bytes) scratch = Buffer.alloc(bytes);
  };

  /**
   * The state after the agent's UTF-8 bytes and 1 to 8 NUL bytes (a whole number of blocks), and
   * in its ninth word that padded length.
   */
  const agentPrefix = (userAgent: string): Int32Array => {
    room(3 * userAgent.length + 8);
    const length = scratch.write(userAgent, 0, 'utf8');
    const padded = (length + 8) & ~7;
    scratch.fill(0, length, padded);
    const prefix = new Int32Array(9);
    prefix.set(state);
    prefix[8] = padded;
    sipRun(prefix, scratch, 0, padded, null);
    scratch.fill(0, 0, padded);
    return prefix;
  };

  return {
    hashOf(address, userAgent) {
      ensureKey();
      let prefix = agents.get(userAgent);
      if (prefix === undefined) {
        prefix = agentPrefix(userAgent);
        if (userAgent.length <= REMEMBERED_AGENT_LENGTH) {
          if (agents.size >= REMEMBERED_AGENTS) forgetAgents();
          agents.set(userAgent, prefix);
        }
      }
      room(3 * address.length);
      // An address is ASCII: its characters are its bytes (anything else goes through UTF-8).
      let length = address.length;
      for (let i = 0; i < length; i++) {
        const char = address.charCodeAt(i);
        if (char > 0x7f) {
          length = scratch.write(address, 0, 'utf8');
          break;
        }
        scratch[i] = char;
      }
      // The final block counts the whole message: the padded agent's bytes and the address's.
      // With the total given, sipRun reads the remembered state and leaves it as it is.
      const hash = sipRun(prefix, scratch, 0, length, prefix[8]! + length)!;
      for (let i = 0; i < length; i++) scratch[i] = 0;
      return hash;
    },
    dropStaleKey() {
      if (hasKey && Math.floor(deps.now() / DAY_MS) !== keyDay) {
        state.fill(0);
        forgetAgents();
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
 * as its 64-bit result's high and low words.
 */
export function sipHash24(initial: Uint32Array, message: Uint8Array, length: number): VisitorHash {
  const state = Int32Array.from(initial);
  return sipRun(state, message, 0, length, length) as VisitorHash;
}

/**
 * Runs SipHash-2-4 from `state` (eight words: v0…v3, high and low) over `message` from byte `at`
 * to `end`. With `total` null, `end − at` is a whole number of 8-byte blocks: they are absorbed
 * into `state`, and null is returned — the state of a prefix, to be resumed. With `total` (the
 * length of the whole message, prefix included), the rest is the message's end: the last block
 * with the length, the finalization, and the hash; `state` is only read. 64-bit words are pairs
 * of 32-bit numbers; the round is written once and run twice per block, four times to finish.
 */
function sipRun(
  state: Int32Array,
  message: Uint8Array,
  at: number,
  end: number,
  total: number | null,
): VisitorHash | null {
  let v0h = state[0]!;
  let v0l = state[1]!;
  let v1h = state[2]!;
  let v1l = state[3]!;
  let v2h = state[4]!;
  let v2l = state[5]!;
  let v3h = state[6]!;
  let v3l = state[7]!;
  const blocks = (end - at) >>> 3;
  const last = total === null ? blocks - 1 : blocks + 1;
  let mh = 0;
  let ml = 0;
  let t: number;
  let lo: number;
  for (let block = 0; block <= last; block += 1) {
    let rounds = 2;
    if (block < blocks) {
      const from = at + (block << 3);
      ml = readLE32(message, from) | 0;
      mh = readLE32(message, from + 4) | 0;
    } else if (block === blocks) {
      // The last block: the remaining bytes, and the whole length's low byte in the top byte.
      const from = at + (block << 3);
      const left = (end - at) & 7;
      ml = 0;
      mh = (total! & 0xff) << 24;
      for (let i = 0; i < left; i += 1) {
        if (i < 4) ml |= message[from + i]! << (8 * i);
        else mh |= message[from + i]! << (8 * (i - 4));
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
  if (total === null) {
    state[0] = v0h;
    state[1] = v0l;
    state[2] = v1h;
    state[3] = v1l;
    state[4] = v2h;
    state[5] = v2l;
    state[6] = v3h;
    state[7] = v3l;
    return null;
  }
  return { hi: (v0h ^ v1h ^ v2h ^ v3h) >>> 0, lo: (v0l ^ v1l ^ v2l ^ v3l) >>> 0 };
}
