/**
 * A mergeable count of distinct visitors: HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007)
 * with the sparse form of HyperLogLog++ (Heule, Nunkesser, Hall 2013) while the set is small,
 * and Ertl's improved estimator for the dense form ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), which needs no table of measured biases. ADR 032 says why.
 *
 * How to use (the visit counter, the stores):
 *
 *   const hash = visitorKeys.hashOf(address, userAgent);   // VisitorHash, src/stats/visitor-key.ts
 *   const sketch = newSketch();                             // one per (link, day, dimension, value)
 *   addToSketch(sketch, hash);                              // every counted visit; mutates sketch
 *   addHashToSketch(sketch, hash.hi, hash.lo);              // the same, from the hash's words
 *   const bytes = encodeSketch(sketch);                     // Buffer for a BLOB / BYTEA column
 *   const stored = mergeEncoded(rowBytesOrNull, bytes);     // a flush adding to a stored row
 *   estimateSketch(decodeSketch(stored) ?? newSketch());    // unique visitors, an integer
 *   mergeSketches(a, b);                                    // a new sketch; a and b unchanged
 *
 * A hash is 64 bits as two unsigned 32-bit halves, uniformly distributed (a keyed PRF's output).
 *
 * Precision p = 14: 16,384 registers, a standard error of 1.04/√16384 ≈ 0.81% once dense, and a
 * dense encoding of 12,291 bytes. While at most SPARSE_LIMIT (2,048) distinct 25-bit indices are
 * held, the sketch keeps them exactly (sparse precision p' = 25, as in HyperLogLog++), estimates
 * by linear counting over 2^25 buckets (exact to ±1 far beyond 100 visitors) and encodes in about
 * 3–4 bytes per visitor. Every representation is a function of the set of hashes added, so
 * merging is exact: merge(sketch(A), sketch(B)) encodes to the same bytes as sketch(A ∪ B).
 */

/** Precision of the dense form: 2^14 registers. */
export const SKETCH_PRECISION = 14;
/** Precision of the sparse form's indices. */
export const SPARSE_PRECISION = 25;
/** Distinct sparse indices kept before the sketch turns dense (its table is then 16 KB, as dense). */
export const SPARSE_LIMIT = 2048;
/** The first byte of every encoded sketch. */
export const SKETCH_VERSION = 1;

const REGISTERS = 1 << SKETCH_PRECISION;
/** Largest register value: the 64 − p bits after the index all zero, plus one. */
const MAX_RANK = 64 - SKETCH_PRECISION + 1;
/** Largest rank over the 64 − p' bits after a sparse index. */
const MAX_SPARSE_RANK = 64 - SPARSE_PRECISION + 1;
/** Bits of a sparse index below the dense index. */
const EXTRA_BITS = SPARSE_PRECISION - SKETCH_PRECISION;
const RANK_BITS = 6;
const RANK_MASK = (1 << RANK_BITS) - 1;
const SPARSE_BUCKETS = 2 ** SPARSE_PRECISION;
const FORM_SPARSE = 1;
const FORM_DENSE = 2;
const HEADER_BYTES = 3;
const DENSE_BYTES = (REGISTERS * 6) / 8;
const INITIAL_TABLE = 16;
/** The largest sparse entry: a 25-bit index and a 6-bit rank. */
const MAX_ENTRY = 2 ** (SPARSE_PRECISION + RANK_BITS) - 1;

/** 64 bits of a keyed hash, as two unsigned 32-bit integers. */
export type VisitorHash = { readonly hi: number; readonly lo: number };

/**
 * The in-memory sketch. Sparse: an open-addressing table of entries `index' << 6 | rank'`
 * (0 marks a free slot; a rank is at least 1), at most half full. Dense: one byte per register.
 * Treat it as opaque outside this module.
 */
export type Sketch = {
  table: Uint32Array | null;
  /** Distinct sparse indices in the table. */
  count: number;
  dense: Uint8Array | null;
};

export function newSketch(): Sketch {
  return { table: new Uint32Array(INITIAL_TABLE), count: 0, dense: null };
}

/** Adds one visitor's hash. Allocates nothing except when the sparse table grows or turns dense. */
export function addToSketch(sketch: Sketch, hash: VisitorHash): void {
  addHashToSketch(sketch, hash.hi, hash.lo);
}

/** addToSketch with the hash's two words apart, as a log of visits holds them (signed or not). */
export function addHashToSketch(sketch: Sketch, high: number, low: number): void {
  const hi = high >>> 0;
  const lo = low >>> 0;
  const dense = sketch.dense;
  if (dense !== null) {
    const index = hi >>> (32 - SKETCH_PRECISION);
    const rest = hi & ((1 << (32 - SKETCH_PRECISION)) - 1);
    const rank =
      rest !== 0
        ? Math.clz32(rest) - SKETCH_PRECISION + 1
        : lo !== 0
          ? 32 - SKETCH_PRECISION + Math.clz32(lo) + 1
          : MAX_RANK;
    if (rank > dense[index]!) dense[index] = rank;
    return;
  }
  const index = hi >>> (32 - SPARSE_PRECISION);
  const rest = hi & ((1 << (32 - SPARSE_PRECISION)) - 1);
  const rank =
    rest !== 0
      ? Math.clz32(rest) - SPARSE_PRECISION + 1
      : lo !== 0
        ? 32 - SPARSE_PRECISION + Math.clz32(lo) + 1
        : MAX_SPARSE_RANK;
  addSparseEntry(sketch, (index << RANK_BITS) | rank);
}

/** Adds `index' << 6 | rank'` to a sparse sketch, keeping the larger rank of an index. */
function addSparseEntry(sketch: Sketch, entry: number): void {
  if (sketch.dense !== null) {
    addEntryToDense(sketch.dense, entry);
    return;
  }
  let table = sketch.table!;
  const index = entry >>> RANK_BITS;
  let mask = table.length - 1;
  let slot = homeSlot(index, table.length);
  for (;;) {
    const held = table[slot]!;
    if (held === 0) break;
    if (held >>> RANK_BITS === index) {
      if (entry > held) table[slot] = entry;
      return;
    }
    slot = (slot + 1) & mask;
  }
  if (sketch.count + 1 > SPARSE_LIMIT) {
    toDense(sketch);
    addEntryToDense(sketch.dense!, entry);
    return;
  }
  if ((sketch.count + 1) * 2 > table.length) {
    table = growTable(sketch);
    mask = table.length - 1;
    slot = homeSlot(index, table.length);
    while (table[slot] !== 0) slot = (slot + 1) & mask;
  }
  table[slot] = entry;
  sketch.count += 1;
}

/**
 * Where a sparse index goes in a table of `length` slots (a power of two): its top bits, so the
 * table holds its entries in order but for the few a collision moved on, and encoding them is a
 * pass and a short insertion sort instead of a sort.
 */
function homeSlot(index: number, length: number): number {
  return index >>> (SPARSE_PRECISION - 31 + Math.clz32(length));
}

function growTable(sketch: Sketch): Uint32Array {
  const old = sketch.table!;
  // Four times while small: a tally that gets a visitor or two hundred grows twice, not four times.
  const table = new Uint32Array(old.length * (old.length < 256 ? 4 : 2));
  const mask = table.length - 1;
  for (const entry of old) {
    if (entry === 0) continue;
    let slot = homeSlot(entry >>> RANK_BITS, table.length);
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = entry;
  }
  sketch.table = table;
  return table;
}

/** A sparse entry's dense register and rank: the index's low p'−p bits come before the rest. */
function addEntryToDense(dense: Uint8Array, entry: number): void {
  const sparseIndex = entry >>> RANK_BITS;
  const index = sparseIndex >>> EXTRA_BITS;
  const extra = sparseIndex & ((1 << EXTRA_BITS) - 1);
  const rank =
    extra !== 0 ? Math.clz32(extra) - (32 - EXTRA_BITS) + 1 : EXTRA_BITS + (entry & RANK_MASK);
  if (rank > dense[index]!) dense[index] = rank;
}

function toDense(sketch: Sketch): void {
  const dense = new Uint8Array(REGISTERS);
  for (const entry of sketch.table!) if (entry !== 0) addEntryToDense(dense, entry);
  sketch.dense = dense;
  sketch.table = null;
  sketch.count = 0;
}

/** The estimated number of distinct hashes added, rounded to an integer. */
export function estimateSketch(sketch: Sketch): number {
  if (sketch.dense === null) {
    // Linear counting over 2^25 buckets: collisions below 2,048 entries are rare and corrected.
    const empty = SPARSE_BUCKETS - sketch.count;
    return Math.round(SPARSE_BUCKETS * Math.log(SPARSE_BUCKETS / empty));
  }
  return Math.round(ertlEstimate(sketch.dense));
}

/** Ertl 2017, algorithm 6 ("improved raw estimator"): unbiased over the whole range. */
function ertlEstimate(registers: Uint8Array): number {
  const histogram = new Float64Array(MAX_RANK + 1);
  for (const value of registers) histogram[value]! += 1;
  const m = REGISTERS;
  const q = MAX_RANK - 1; // 64 − p
  let z = m * tau(1 - histogram[q + 1]! / m);
  for (let k = q; k >= 1; k -= 1) z = 0.5 * (z + histogram[k]!);
  z += m * sigma(histogram[0]! / m);
  return (m * m) / (2 * Math.LN2 * z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const before = z;
    z += x * y;
    y += y;
    if (z === before) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const before = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === before) return z / 3;
  }
}

/** A new sketch of the union of both sets; neither argument changes. */
export function mergeSketches(a: Sketch, b: Sketch): Sketch {
  const merged = copySketch(a);
  mergeInto(merged, b);
  return merged;
}

/** A sketch of the same set that changes on its own. */
export function copySketch(sketch: Sketch): Sketch {
  return {
    table: sketch.table === null ? null : sketch.table.slice(),
    count: sketch.count,
    dense: sketch.dense === null ? null : sketch.dense.slice(),
  };
}

/** Adds `source`'s visitors to `target`, which changes: a union of many without a copy per merge. */
export function mergeInto(target: Sketch, source: Sketch): void {
  if (source.dense !== null) {
    if (target.dense === null) toDense(target);
    const dense = target.dense!;
    const other = source.dense;
    for (let i = 0; i < REGISTERS; i += 1) if (other[i]! > dense[i]!) dense[i] = other[i]!;
    return;
  }
  for (const entry of source.table!) if (entry !== 0) addSparseEntry(target, entry);
}

/**
 * The sketch as bytes: [version 1][p = 14][form], then for the sparse form a varint count and
 * the sorted entries as varint differences (the first from 0), for the dense form the 16,384
 * registers packed in 6 bits each, four in three bytes.
 */
export function encodeSketch(sketch: Sketch): Buffer {
  if (sketch.dense !== null) return encodeDense(sketch.dense);
  return encodeSparse(sortedEntries(sketch.table!, sketch.count));
}

function sortedEntries(table: Uint32Array, count: number): Uint32Array {
  const entries = new Uint32Array(count);
  let n = 0;
  // In slot order the entries are sorted but for those a collision moved past a larger one
  // (homeSlot), and those at the start that wrapped around from the end: insertion puts them in place.
  for (const entry of table) {
    if (entry === 0) continue;
    let at = n++;
    while (at > 0 && entries[at - 1]! > entry) {
      entries[at] = entries[at - 1]!;
      at -= 1;
    }
    entries[at] = entry;
  }
  return entries;
}

function encodeSparse(entries: Uint32Array, into?: Buffer): Buffer {
  const out = into ?? Buffer.allocUnsafe(HEADER_BYTES + 5 * (entries.length + 1));
  out[0] = SKETCH_VERSION;
  out[1] = SKETCH_PRECISION;
  out[2] = FORM_SPARSE;
  let at = writeVarint(out, HEADER_BYTES, entries.length);
  let previous = 0;
  for (const entry of entries) {
    at = writeVarint(out, at, entry - previous);
    previous = entry;
  }
  return into ? out.subarray(0, at) : Buffer.from(out.subarray(0, at));
}

function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[at++] = value;
  return at;
}

function encodeDense(dense: Uint8Array, into?: Buffer): Buffer {
  const out = into
    ? into.subarray(0, HEADER_BYTES + DENSE_BYTES)
    : Buffer.alloc(HEADER_BYTES + DENSE_BYTES);
  out[0] = SKETCH_VERSION;
  out[1] = SKETCH_PRECISION;
  out[2] = FORM_DENSE;
  for (let i = 0, at = HEADER_BYTES; i < REGISTERS; i += 4, at += 3) {
    const packed = (dense[i]! << 18) | (dense[i + 1]! << 12) | (dense[i + 2]! << 6) | dense[i + 3]!;
    out[at] = packed >>> 16;
    out[at + 1] = (packed >>> 8) & 0xff;
    out[at + 2] = packed & 0xff;
  }
  return out;
}

/**
 * A sketch from encodeSketch's bytes, or null for anything else: another version or precision,
 * an unknown form, a truncated or over-long buffer, unsorted or repeated entries, out-of-range
 * ranks or registers. Never throws.
 */
export function decodeSketch(bytes: Uint8Array): Sketch | null {
  const form = readHeader(bytes);
  if (form === FORM_DENSE) {
    const dense = decodeDense(bytes);
    return dense === null ? null : { table: null, count: 0, dense };
  }
  if (form === FORM_SPARSE) {
    const entries = decodeSparse(bytes);
    if (entries === null) return null;
    let size = INITIAL_TABLE;
    while (size < 2 * entries.length) size *= 2;
    const sketch: Sketch = { table: new Uint32Array(size), count: 0, dense: null };
    for (const entry of entries) addSparseEntry(sketch, entry);
    return sketch;
  }
  return null;
}

function readHeader(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_BYTES) return 0;
  if (bytes[0] !== SKETCH_VERSION || bytes[1] !== SKETCH_PRECISION) return 0;
  return bytes[2]!;
}

function decodeDense(bytes: Uint8Array, into?: Uint8Array): Uint8Array | null {
  if (bytes.length !== HEADER_BYTES + DENSE_BYTES) return null;
  const dense = into ?? new Uint8Array(REGISTERS);
  for (let i = 0, at = HEADER_BYTES; i < REGISTERS; i += 4, at += 3) {
    const packed = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
    dense[i] = packed >>> 18;
    dense[i + 1] = (packed >>> 12) & 0x3f;
    dense[i + 2] = (packed >>> 6) & 0x3f;
    dense[i + 3] = packed & 0x3f;
  }
  for (const value of dense) if (value > MAX_RANK) return null;
  return dense;
}

/**
 * The sorted entries of a sparse encoding, or null when anything about them is wrong; in `into`
 * (at least SPARSE_LIMIT long) when given.
 */
function decodeSparse(bytes: Uint8Array, into?: Uint32Array): Uint32Array | null {
  const end = bytes.length;
  let at = HEADER_BYTES;
  let count = 0;
  let shift = 0;
  let byte: number;
  do {
    if (at >= end || shift > 28) return null; // truncated, or beyond 35 bits
    byte = bytes[at++]!;
    count |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80);
  if (count < 0 || count > SPARSE_LIMIT) return null;
  const entries = into ? into.subarray(0, count) : new Uint32Array(count);
  // Small integers only, a varint's bytes read one after the other: every flush's merges decode
  // stored sketches of up to SPARSE_LIMIT entries.
  let previous = 0;
  for (let i = 0; i < count; i += 1) {
    if (at >= end) return null;
    byte = bytes[at++]!;
    let value = byte & 0x7f;
    for (shift = 7; byte >= 0x80; shift += 7) {
      if (at >= end) return null;
      byte = bytes[at++]!;
      // The fifth byte holds bits 28–30; more, or a sixth byte, is beyond every entry.
      if (shift === 28 && byte > 0x07) return null;
      value |= (byte & 0x7f) << shift;
    }
    if (i > 0 && value === 0) return null;
    const entry = previous + value;
    const rank = entry & RANK_MASK;
    if (entry > MAX_ENTRY || rank === 0 || rank > MAX_SPARSE_RANK) return null;
    // Entries are sorted by index then rank: one index twice is not something encodeSketch writes.
    if (i > 0 && entry >>> RANK_BITS === previous >>> RANK_BITS) return null;
    entries[i] = entry;
    previous = entry;
  }
  return at === end ? entries : null;
}

/**
 * The encoding of the union of two encoded sketches, for a flush that adds to a stored row.
 * null, and bytes that decodeSketch would refuse, count as an empty sketch (a damaged stored
 * sketch is replaced rather than stopping the flush). Two sparse sketches are merged as sorted
 * lists, without building tables.
 */
export function mergeEncoded(a: Uint8Array | null, b: Uint8Array | null): Buffer {
  return Buffer.from(mergeEncodedView(a, b));
}

// The work space of mergeEncodedView, reused by every call: a merge allocates nothing.
const MERGE = {
  a: new Uint32Array(SPARSE_LIMIT),
  b: new Uint32Array(SPARSE_LIMIT),
  merged: new Uint32Array(2 * SPARSE_LIMIT),
  denseA: new Uint8Array(REGISTERS),
  denseB: new Uint8Array(REGISTERS),
  bytes: Buffer.alloc(Math.max(HEADER_BYTES + DENSE_BYTES, HEADER_BYTES + 5 * (SPARSE_LIMIT + 1))),
};

/**
 * mergeEncoded's bytes as a view of a buffer the next call overwrites: for a caller that copies
 * them at once, as SQLite does with a function's result (the flush's `snip_merge_visitors`).
 */
export function mergeEncodedView(a: Uint8Array | null, b: Uint8Array | null): Buffer {
  const formA = a === null ? 0 : readHeader(a);
  const formB = b === null ? 0 : readHeader(b);
  const entriesA = formA === FORM_SPARSE ? decodeSparse(a!, MERGE.a) : null;
  const entriesB = formB === FORM_SPARSE ? decodeSparse(b!, MERGE.b) : null;
  const denseA = formA === FORM_DENSE ? decodeDense(a!, MERGE.denseA) : null;
  const denseB = formB === FORM_DENSE ? decodeDense(b!, MERGE.denseB) : null;
  if (denseA !== null || denseB !== null) {
    const dense = denseA ?? denseB!;
    if (denseA !== null && denseB !== null) {
      for (let i = 0; i < REGISTERS; i += 1) if (denseB[i]! > dense[i]!) dense[i] = denseB[i]!;
    }
    const sparse = denseA === null ? entriesA : entriesB;
    if (sparse !== null) for (const entry of sparse) addEntryToDense(dense, entry);
    return encodeDense(dense, MERGE.bytes);
  }
  const merged = mergeSortedEntries(
    entriesA ?? MERGE.a.subarray(0, 0),
    entriesB ?? MERGE.b.subarray(0, 0),
    MERGE.merged,
  );
  if (merged.length > SPARSE_LIMIT) {
    const dense = MERGE.denseA.fill(0);
    for (const entry of merged) addEntryToDense(dense, entry);
    return encodeDense(dense, MERGE.bytes);
  }
  // Returning visitors add nothing: the stored bytes are the union's, so SQLite rewrites none of
  // the pages they fill.
  if (entriesA !== null && Buffer.isBuffer(a) && sameEntries(merged, entriesA)) return a;
  return encodeSparse(merged, MERGE.bytes);
}

function sameEntries(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Two sorted entry lists as one, an index held by both keeping its larger rank (in `into`). */
function mergeSortedEntries(a: Uint32Array, b: Uint32Array, out: Uint32Array): Uint32Array {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    let next: number;
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) next = a[i++]!;
    else next = b[j++]!;
    if (n > 0 && out[n - 1]! >>> RANK_BITS === next >>> RANK_BITS) {
      if (next > out[n - 1]!) out[n - 1] = next;
    } else {
      out[n++] = next;
    }
  }
  return out.subarray(0, n);
}
