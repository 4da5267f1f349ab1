import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
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
 * The key is 32 random bytes drawn for the current UTC day, held only inside this closure as a
 * KeyObject: never returned, logged or written. The first hash on a later UTC day (by `now`)
 * draws a new key and drops the old one, so one visitor hashes differently on each day and
 * counts once per day; `dropStaleKey` drops a past day's key even when no visit comes, so it
 * lives at most a flush interval past midnight. A clock set back to an earlier day draws a new
 * key too: an old key is never restored.
 *
 * The hash is HMAC-SHA-256 of `address NUL userAgent`, its first 64 bits (an address never holds
 * a NUL byte, so two pairs never give one input). Without the key, a hash cannot be linked to an
 * address, and the hashes of two days cannot be linked to each other.
 */

const DAY_MS = 86_400_000;
const KEY_BYTES = 32;

export type VisitorKeysDeps = {
  /** Milliseconds since the epoch, as Date.now. */
  now: () => number;
  /** n cryptographically random bytes, as crypto.randomBytes. */
  randomBytes: (n: number) => Buffer;
};

export type VisitorKeys = {
  /** 64 bits of HMAC-SHA-256(today's key, address NUL userAgent). */
  hashOf(address: string, userAgent: string): VisitorHash;
  /** Drops the key if its UTC day is over; the next hash draws a new one. */
  dropStaleKey(): void;
};

export function createVisitorKeys(deps: VisitorKeysDeps): VisitorKeys {
  let key: KeyObject | null = null;
  let keyDay = Number.NaN;

  const currentKey = (): KeyObject => {
    const day = Math.floor(deps.now() / DAY_MS);
    if (key === null || day !== keyDay) {
      const bytes = deps.randomBytes(KEY_BYTES);
      if (bytes.length !== KEY_BYTES) throw new Error('randomBytes gave the wrong length');
      key = createSecretKey(bytes);
      // The KeyObject holds its own copy; the random bytes are wiped at once.
      bytes.fill(0);
      keyDay = day;
    }
    return key;
  };

  return {
    hashOf(address, userAgent) {
      const digest = createHmac('sha256', currentKey())
        .update(address)
        .update('\0')
        .update(userAgent)
        .digest();
      return { hi: digest.readUInt32BE(0), lo: digest.readUInt32BE(4) };
    },
    dropStaleKey() {
      if (key !== null && Math.floor(deps.now() / DAY_MS) !== keyDay) key = null;
    },
  };
}
