/**
 * A compact in-memory index of links: a 32-bit fingerprint of (domain key, code) → the link's row
 * id, in two typed arrays (open addressing, linear probing), 8 bytes a slot, about 11 MB per
 * million links (ADR 044). It only ever names candidates: whoever reads a candidate's row checks
 * that the row has that code on that domain, and treats "no candidate matched" as "not known
 * here", looking the code up the ordinary way. So a fingerprint shared by two codes, a row
 * another process inserted, changed or deleted, or an index not yet built are never wrong
 * answers, only slower ones.
 */
export type CodeIndex = {
  /**
   * The first candidate's row that `read` accepts (`read` returns it, or null when the row is
   * not this code's), or undefined when none is: then the code is looked up the ordinary way.
   */
  find<T>(
    domainKey: number,
    code: string,
    read: (id: number, code: string, domainKey: number) => T | null | undefined,
  ): T | undefined;
  /**
   * Notes that the row `id` holds this code on this domain. Refused (false), and the index
   * emptied for good, when it would grow beyond `maxEntries`.
   */
  add(domainKey: number, code: string, id: number): boolean;
  /** Entries held (a row another process has since deleted still counts). */
  size(): number;
  /** Bytes of its typed arrays. */
  bytes(): number;
  /** Whether it has given up (grown beyond `maxEntries`): it then finds nothing and holds nothing. */
  abandoned(): boolean;
};

/** The fraction of slots in use that makes the index grow. */
const MAX_LOAD = 0.8;
/** The fraction of slots in use right after it is made or grows. */
const TARGET_LOAD = 0.7;
/** Row ids are kept in 32 bits; a link beyond is simply not indexed (it is found the ordinary way). */
const MAX_ROW_ID = 0xffff_ffff;

/**
 * The fingerprint of a code on a domain: FNV-1a over the code's UTF-16 units, seeded with the
 * domain key, then MurmurHash3's finaliser so that every bit depends on every character. Never 0
 * (0 marks an empty slot).
 */
export function fingerprintOf(domainKey: number, code: string): number {
  let h = Math.imul(domainKey ^ 0x811c9dc5, 0x01000193);
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

/** Slots for `entries` entries at TARGET_LOAD. */
function slotsFor(entries: number): number {
  return Math.max(16, Math.ceil(entries / TARGET_LOAD));
}

/**
 * An empty index sized for about `expected` entries, refusing to hold more than `maxEntries`.
 */
export function createCodeIndex(expected: number, maxEntries: number): CodeIndex {
  let fingerprints = new Uint32Array(slotsFor(Math.min(expected, maxEntries)));
  let ids = new Uint32Array(fingerprints.length);
  let size = 0;
  let gaveUp = false;

  /** Puts an entry into the arrays, unless it is there already. */
  function put(fingerprint: number, id: number): boolean {
    const slots = fingerprints.length;
    let slot = fingerprint % slots;
    for (;;) {
      const held = fingerprints[slot]!;
      if (held === 0) {
        fingerprints[slot] = fingerprint;
        ids[slot] = id;
        size += 1;
        return true;
      }
      if (held === fingerprint && ids[slot] === id) return false;
      slot = slot + 1 === slots ? 0 : slot + 1;
    }
  }

  function grow(): void {
    const oldFingerprints = fingerprints;
    const oldIds = ids;
    fingerprints = new Uint32Array(slotsFor(size * 1.25));
    ids = new Uint32Array(fingerprints.length);
    size = 0;
    for (let slot = 0; slot < oldFingerprints.length; slot++) {
      const fingerprint = oldFingerprints[slot]!;
      if (fingerprint !== 0) put(fingerprint, oldIds[slot]!);
    }
  }

  return {
    find(domainKey, code, read) {
      if (size === 0) return undefined;
      const fingerprint = fingerprintOf(domainKey, code);
      const slots = fingerprints.length;
      let slot = fingerprint % slots;
      for (;;) {
        const held = fingerprints[slot]!;
        if (held === 0) return undefined;
        if (held === fingerprint) {
          const row = read(ids[slot]!, code, domainKey);
          if (row !== null && row !== undefined) return row;
        }
        slot = slot + 1 === slots ? 0 : slot + 1;
      }
    },
    add(domainKey, code, id) {
      if (gaveUp) return false;
      if (!Number.isInteger(id) || id < 1 || id > MAX_ROW_ID) return false;
      if (size + 1 > maxEntries) {
        // Beyond its budget the index is worth less than the memory: it lets go of it.
        gaveUp = true;
        fingerprints = new Uint32Array(0);
        ids = new Uint32Array(0);
        size = 0;
        return false;
      }
      if (size + 1 > fingerprints.length * MAX_LOAD) grow();
      put(fingerprintOf(domainKey, code), id);
      return true;
    },
    size: () => size,
    bytes: () => fingerprints.byteLength + ids.byteLength,
    abandoned: () => gaveUp,
  };
}
