import { describe, expect, it } from 'vitest';
import {
  SPARSE_LIMIT,
  addToSketch,
  decodeSketch,
  encodeSketch,
  estimateSketch,
  mergeEncoded,
  mergeEncodedView,
  mergeSketches,
  newSketch,
  type Sketch,
  type VisitorHash,
} from '../../src/stats/visitor-sketch.js';

/**
 * Deterministic uniform 64-bit hashes: xoshiro128** seeded through splitmix32. Distinct with
 * overwhelming probability (64 bits); `hashes(seed, n)` is the same list on every run.
 */
function hashes(seed: number, n: number): VisitorHash[] {
  let x = seed >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const out: VisitorHash[] = [];
  for (let i = 0; i < n; i += 1) out.push({ hi: next(), lo: next() });
  return out;
}

function rotl(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

function sketchOf(list: readonly VisitorHash[]): Sketch {
  const sketch = newSketch();
  for (const hash of list) addToSketch(sketch, hash);
  return sketch;
}

const relativeError = (estimate: number, n: number) => Math.abs(estimate - n) / n;

describe('estimating distinct visitors', () => {
  it('when nothing was added, then the estimate is 0', () => {
    expect(estimateSketch(newSketch())).toBe(0);
  });

  it('when fewer than 100 distinct hashes were added, each several times, then the estimate is within 1 of the count (10 seeds)', () => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const list = hashes(seed, 99);
      const sketch = newSketch();
      for (let n = 1; n <= list.length; n += 1) {
        for (let repeat = 0; repeat < 3; repeat += 1) addToSketch(sketch, list[n - 1]!);
        expect(Math.abs(estimateSketch(sketch) - n)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('when 10,000 distinct hashes were added, then the estimate is within 3% for each of 20 seeds', () => {
    const errors: number[] = [];
    for (let seed = 100; seed < 120; seed += 1) {
      errors.push((estimateSketch(sketchOf(hashes(seed, 10_000))) - 10_000) / 10_000);
    }
    expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(0.03);
    // Unbiased: the mean of the 20 signed errors is far closer to 0 than any one of them.
    expect(Math.abs(errors.reduce((sum, error) => sum + error, 0) / errors.length)).toBeLessThan(
      0.005,
    );
  });

  it('when 1,000 and 2,048 and 2,049 distinct hashes were added, then the estimate is within 1% on each side of the sparse limit', () => {
    for (const n of [1_000, SPARSE_LIMIT, SPARSE_LIMIT + 1, 5_000]) {
      for (let seed = 1; seed <= 5; seed += 1) {
        expect(relativeError(estimateSketch(sketchOf(hashes(seed * 7, n))), n)).toBeLessThan(0.03);
      }
    }
  });

  it('when 100,000 distinct hashes were added, then the estimate is within 3% (5 seeds)', () => {
    let sum = 0;
    for (let seed = 200; seed < 205; seed += 1) {
      const error = (estimateSketch(sketchOf(hashes(seed, 100_000))) - 100_000) / 100_000;
      expect(Math.abs(error)).toBeLessThan(0.03);
      sum += error;
    }
    expect(Math.abs(sum / 5)).toBeLessThan(0.006);
  });

  it('when the hash has only zero bits after its index, then the rank is the largest and the estimate stays finite', () => {
    const sketch = sketchOf([
      { hi: 0, lo: 0 },
      { hi: 0xffffffff, lo: 0xffffffff },
    ]);
    expect(estimateSketch(sketch)).toBe(2);
    const dense = sketchOf([...hashes(3, 3_000), { hi: 0, lo: 0 }]);
    expect(Number.isFinite(estimateSketch(dense))).toBe(true);
    expect(decodeSketch(encodeSketch(dense))).not.toBeNull();
  });
});

/** A hash whose sparse index (its top 25 bits) is `index` and whose rank is `rank` (1–40). */
function hashWithRank(index: number, rank: number): VisitorHash {
  // The rank is one more than the zeros after the index: a single 1 bit at that position.
  const position = rank - 1; // zeros between the index and the 1 bit, 0…39
  if (rank === 40) return { hi: (index << 7) >>> 0, lo: 0 };
  if (position < 7) return { hi: ((index << 7) | (0x40 >>> position)) >>> 0, lo: 0 };
  return { hi: (index << 7) >>> 0, lo: 0x80000000 >>> (position - 7) };
}

describe('one index seen with several ranks', () => {
  it('when hashes share a sparse index, then the largest rank is kept whatever the order, sparse and merged', () => {
    const low = hashWithRank(12_345, 2);
    const high = hashWithRank(12_345, 30);
    const upThenDown = encodeSketch(sketchOf([high, low]));
    expect(encodeSketch(sketchOf([low, high])).equals(upThenDown)).toBe(true);
    expect(encodeSketch(sketchOf([high])).equals(upThenDown)).toBe(true);
    for (const [a, b] of [
      [low, high],
      [high, low],
    ] as const) {
      const merged = mergeEncoded(encodeSketch(sketchOf([a])), encodeSketch(sketchOf([b])));
      expect(merged.equals(upThenDown)).toBe(true);
      expect(encodeSketch(mergeSketches(sketchOf([a]), sketchOf([b]))).equals(upThenDown)).toBe(
        true,
      );
    }
  });

  it('when hashes whose index bits below the dense index are zero come before or after the sketch turns dense, then the registers are the same', () => {
    // Sparse index = dense index << 11: the dense rank is 11 + the sparse rank.
    const special = Array.from({ length: 64 }, (_, i) =>
      hashWithRank((i * 97 + 3) << 11, (i % 40) + 1),
    );
    const random = hashes(55, SPARSE_LIMIT + 500);
    const before = encodeSketch(sketchOf([...special, ...random]));
    const after = encodeSketch(sketchOf([...random, ...special]));
    expect(after.equals(before)).toBe(true);
    const mergedLate = mergeEncoded(
      encodeSketch(sketchOf(random)),
      encodeSketch(sketchOf(special)),
    );
    expect(mergedLate.equals(before)).toBe(true);
  });
});

describe('merging sketches', () => {
  const cases: [string, number, number, number][] = [
    // name, |A only|, |B only|, |A ∩ B|
    ['two small sketches', 40, 30, 20],
    ['two sparse sketches whose union turns dense', 1_200, 1_200, 100],
    ['a dense sketch and a sparse one', 5_000, 300, 200],
    ['two dense sketches', 6_000, 8_000, 3_000],
    ['a sketch and an empty one', 500, 0, 0],
    ['a sketch and returning visitors it holds', 300, 0, 200],
  ];
  for (const [name, onlyA, onlyB, both] of cases) {
    it(`when merging ${name}, then the result encodes exactly as the sketch of the union, in either order`, () => {
      const all = hashes(onlyA * 31 + onlyB, onlyA + onlyB + both);
      const listA = all.slice(0, onlyA + both);
      const listB = all.slice(onlyA);
      const a = sketchOf(listA);
      const b = sketchOf(listB);
      const beforeA = encodeSketch(a);
      const beforeB = encodeSketch(b);
      const union = encodeSketch(sketchOf(all));
      expect(encodeSketch(mergeSketches(a, b)).equals(union)).toBe(true);
      expect(encodeSketch(mergeSketches(b, a)).equals(union)).toBe(true);
      expect(mergeEncoded(beforeA, beforeB).equals(union)).toBe(true);
      expect(mergeEncoded(beforeB, beforeA).equals(union)).toBe(true);
      // The view into the reused buffer has the same bytes, until the next merge overwrites it;
      // merging what a sketch holds already gives its own bytes back (returning visitors).
      const view = mergeEncodedView(beforeA, beforeB);
      expect(view.equals(union)).toBe(true);
      if (onlyB === 0 && union.length < 12_000) expect(view).toBe(beforeA);
      else {
        mergeEncodedView(null, null);
        expect(view.equals(union)).toBe(false);
      }
      // The inputs are not changed.
      expect(encodeSketch(a).equals(beforeA)).toBe(true);
      expect(encodeSketch(b).equals(beforeB)).toBe(true);
    });
  }

  it('when the union is dense, then its estimate is within 3% of the union count', () => {
    const all = hashes(77, 30_000);
    const merged = mergeSketches(sketchOf(all.slice(0, 20_000)), sketchOf(all.slice(10_000)));
    expect(relativeError(estimateSketch(merged), 30_000)).toBeLessThan(0.03);
  });

  it('when a sketch is merged with itself, then nothing changes (sparse and dense)', () => {
    for (const n of [0, 1, 99, 2_000, 20_000]) {
      const sketch = sketchOf(hashes(n + 5, n));
      const bytes = encodeSketch(sketch);
      expect(encodeSketch(mergeSketches(sketch, sketch)).equals(bytes)).toBe(true);
      expect(mergeEncoded(bytes, bytes).equals(bytes)).toBe(true);
    }
  });

  it('when merging encoded sketches with null, then the other one comes back, and two nulls give an empty sketch', () => {
    const bytes = encodeSketch(sketchOf(hashes(9, 50)));
    expect(mergeEncoded(null, bytes).equals(bytes)).toBe(true);
    expect(mergeEncoded(bytes, null).equals(bytes)).toBe(true);
    expect(mergeEncoded(null, null).equals(encodeSketch(newSketch()))).toBe(true);
    const dense = encodeSketch(sketchOf(hashes(9, 5_000)));
    expect(mergeEncoded(null, dense).equals(dense)).toBe(true);
  });

  it('when a stored sketch is damaged, then merging replaces it by the other one instead of failing', () => {
    const bytes = encodeSketch(sketchOf(hashes(10, 50)));
    const dense = encodeSketch(sketchOf(hashes(10, 5_000)));
    for (const damaged of [
      Buffer.from([9, 14, 1, 0]),
      dense.subarray(0, 100),
      bytes.subarray(0, 7),
    ]) {
      expect(mergeEncoded(damaged, bytes).equals(bytes)).toBe(true);
      expect(mergeEncoded(dense, damaged).equals(dense)).toBe(true);
    }
  });
});

describe('encoding sketches', () => {
  it('when a sketch is decoded from its encoding, then it encodes and estimates the same, whatever its size', () => {
    for (const n of [0, 1, 10, 100, SPARSE_LIMIT, SPARSE_LIMIT + 1, 50_000]) {
      const sketch = sketchOf(hashes(n + 1, n));
      const bytes = encodeSketch(sketch);
      expect(bytes[0]).toBe(1); // the version byte
      const decoded = decodeSketch(bytes);
      expect(decoded).not.toBeNull();
      expect(encodeSketch(decoded!).equals(bytes)).toBe(true);
      expect(estimateSketch(decoded!)).toBe(estimateSketch(sketch));
    }
  });

  it('when indices collide at the end of the table and wrap around to its start, then the encoding is sorted and the same in any order of adding', () => {
    // High words whose top bits are all ones or all zeros share the first and last slots.
    const his = [0xffff_ff80, 0xffff_ff00, 0xfff0_0000, 0x0000_0080, 0x0000_0100, 0xffff_fe00];
    const list = his.map((hi, i) => ({ hi, lo: i + 1 }));
    const forward = encodeSketch(sketchOf(list));
    const backward = encodeSketch(sketchOf(list.toReversed()));
    expect(backward.equals(forward)).toBe(true);
    const decoded = decodeSketch(forward);
    expect(decoded).not.toBeNull();
    expect(estimateSketch(decoded!)).toBe(his.length);
    for (let seed = 1; seed <= 20; seed++) {
      const more = [...list, ...hashes(seed, 40)];
      const bytes = encodeSketch(sketchOf(more));
      expect(encodeSketch(sketchOf(more.toReversed())).equals(bytes)).toBe(true);
      expect(decodeSketch(bytes)).not.toBeNull();
    }
  });

  it('when a decoded sketch gets more hashes, then it is the sketch of all of them', () => {
    const list = hashes(12, 3_000);
    const decoded = decodeSketch(encodeSketch(sketchOf(list.slice(0, 1_000))))!;
    for (const hash of list.slice(1_000)) addToSketch(decoded, hash);
    expect(encodeSketch(decoded).equals(encodeSketch(sketchOf(list)))).toBe(true);
  });

  it('when the set is sparse, then it takes at most 5 bytes per distinct visitor, and a dense one at most 16 KB', () => {
    for (const n of [10, 100, 1_000, SPARSE_LIMIT]) {
      const size = encodeSketch(sketchOf(hashes(n, n))).length;
      expect(size).toBeLessThanOrEqual(5 * n);
    }
    expect(encodeSketch(newSketch()).length).toBeLessThanOrEqual(4);
    const dense = encodeSketch(sketchOf(hashes(1, 100_000))).length;
    expect(dense).toBeLessThanOrEqual(16 * 1024);
    expect(encodeSketch(sketchOf(hashes(2, SPARSE_LIMIT + 1))).length).toBe(dense);
  });
});

describe('decoding malformed bytes', () => {
  const sparse = encodeSketch(sketchOf(hashes(21, 30)));
  const dense = encodeSketch(sketchOf(hashes(21, 5_000)));
  const withByte = (bytes: Buffer, at: number, value: number) => {
    const copy = Buffer.from(bytes);
    copy[at] = value;
    return copy;
  };
  /** A sparse encoding with these entries (index' << 6 | rank'), as varint differences. */
  const sparseOf = (entries: number[], count = entries.length) => {
    const out = [1, 14, 1];
    const varint = (value: number) => {
      while (value >= 0x80) {
        out.push((value & 0x7f) | 0x80);
        value = Math.floor(value / 128);
      }
      out.push(value);
    };
    varint(count);
    let previous = 0;
    for (const entry of entries) {
      varint(entry - previous);
      previous = entry;
    }
    return Buffer.from(out);
  };

  it('when the version, the precision or the form is another, then decoding gives null', () => {
    expect(decodeSketch(withByte(sparse, 0, 2))).toBeNull();
    expect(decodeSketch(withByte(sparse, 0, 0))).toBeNull();
    expect(decodeSketch(withByte(sparse, 1, 12))).toBeNull();
    expect(decodeSketch(withByte(dense, 1, 13))).toBeNull();
    expect(decodeSketch(withByte(sparse, 2, 3))).toBeNull();
    expect(decodeSketch(withByte(sparse, 2, 2))).toBeNull();
    expect(decodeSketch(withByte(dense, 2, 1))).toBeNull();
  });

  it('when the bytes are truncated or longer than their content, then decoding gives null', () => {
    expect(decodeSketch(Buffer.alloc(0))).toBeNull();
    for (let length = 0; length < sparse.length; length += 1) {
      expect(decodeSketch(sparse.subarray(0, length))).toBeNull();
    }
    for (const length of [3, 4, 100, dense.length - 1]) {
      expect(decodeSketch(dense.subarray(0, length))).toBeNull();
    }
    expect(decodeSketch(Buffer.concat([sparse, Buffer.from([1])]))).toBeNull();
    expect(decodeSketch(Buffer.concat([dense, Buffer.from([0])]))).toBeNull();
  });

  it('when the entries are unsorted, repeated, out of range or too many, then decoding gives null', () => {
    const entry = (index: number, rank: number) => index * 64 + rank;
    expect(decodeSketch(sparseOf([entry(5, 1), entry(9, 2)]))).not.toBeNull();
    expect(decodeSketch(sparseOf([entry(9, 2), entry(5, 1)]))).toBeNull(); // a negative difference
    expect(decodeSketch(sparseOf([entry(5, 1), entry(5, 1)]))).toBeNull(); // a zero difference
    expect(decodeSketch(sparseOf([entry(5, 1), entry(5, 3)]))).toBeNull(); // one index twice
    expect(decodeSketch(sparseOf([entry(5, 0)]))).toBeNull(); // rank 0
    expect(decodeSketch(sparseOf([entry(5, 41)]))).toBeNull(); // rank beyond 64 − 25 + 1
    expect(decodeSketch(sparseOf([entry(2 ** 25, 1)]))).toBeNull(); // index beyond 25 bits
    expect(decodeSketch(sparseOf([entry(5, 1)], 2))).toBeNull(); // count larger than the entries
    expect(decodeSketch(sparseOf([], SPARSE_LIMIT + 1))).toBeNull();
    // A varint that never ends.
    expect(decodeSketch(Buffer.from([1, 14, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBeNull();
    // The largest entry takes a five-byte varint whose last byte is 7; one more is out of range,
    // whether as one difference or as the sum of two.
    const largest = entry(2 ** 25 - 1, 40);
    expect(decodeSketch(sparseOf([largest]))).not.toBeNull();
    expect(decodeSketch(sparseOf([entry(1, 1), largest]))).not.toBeNull();
    expect(decodeSketch(sparseOf([2 ** 31 + 1]))).toBeNull();
    expect(decodeSketch(sparseOf([largest, largest + 64]))).toBeNull();
    expect(decodeSketch(Buffer.from([1, 14, 1, 0x80, 0x80, 0x80, 0x80, 0x08]))).toBeNull();
  });

  it('when a dense register is beyond 64 − 14 + 1, then decoding gives null', () => {
    expect(decodeSketch(withByte(dense, 3, 52 << 2))).toBeNull();
    expect(decodeSketch(withByte(dense, 3, (51 << 2) | (dense[3]! & 3)))).not.toBeNull();
  });

  it('when the input is not bytes or is random bytes, then decoding gives null or a sketch and never throws', () => {
    for (const value of [null, undefined, 'abc', 42, {}, [1, 14, 1, 0]]) {
      expect(decodeSketch(value as never)).toBeNull();
    }
    let state = 1;
    for (let i = 0; i < 2_000; i += 1) {
      const length = i % 40;
      const bytes = Buffer.alloc(length);
      for (let j = 0; j < length; j += 1) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        bytes[j] = state >>> 24;
      }
      if (length > 2) bytes[0] = 1;
      if (length > 2) bytes[1] = 14;
      expect(() => decodeSketch(bytes)).not.toThrow();
      expect(() => mergeEncoded(bytes, sparse)).not.toThrow();
    }
  });
});
