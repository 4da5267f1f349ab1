import { describe, expect, it } from 'vitest';
import { rankPermutation, zipfRows, zipfSampler } from '../../bench/load/zipf.mjs';

/** A seeded generator (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exact probabilities k^-s / Σ j^-s of ranks 1..top, and of the ranks above `tailFrom`. */
function exact(n: number, s: number, top: number, tailFrom: number) {
  let total = 0;
  let tail = 0;
  for (let k = n; k >= 1; k--) {
    const w = k ** -s;
    total += w;
    if (k > tailFrom) tail += w;
  }
  return {
    top: Array.from({ length: top }, (_, i) => (i + 1) ** -s / total),
    tail: tail / total,
  };
}

/** Whether a frequency out of `draws` is within 5 standard deviations of probability p. */
function near(count: number, draws: number, p: number): boolean {
  return Math.abs(count / draws - p) <= 5 * Math.sqrt((p * (1 - p)) / draws);
}

describe('zipfSampler (bounded Zipf by rejection-inversion)', () => {
  const DRAWS = 2_000_000;
  for (const [n, s, tailFrom] of [
    [1_000, 1.1, 100],
    [10_000_000, 1.1, 1_000],
    [50, 0.8, 10],
    [1_000, 1, 100],
  ] as const) {
    it(`draws ranks of ${n.toLocaleString('en')} with the exact probabilities, s = ${s}`, () => {
      const sample = zipfSampler(n, s, seeded(n + Math.round(s * 100)));
      const counts = new Map<number, number>();
      let tail = 0;
      let outside = 0;
      for (let i = 0; i < DRAWS; i++) {
        const k = sample();
        if (!Number.isInteger(k) || k < 1 || k > n) outside++;
        if (k <= 10) counts.set(k, (counts.get(k) ?? 0) + 1);
        if (k > tailFrom) tail++;
      }
      expect(outside).toBe(0);
      const p = exact(n, s, 10, tailFrom);
      const off = p.top
        .map((pk, i) => ({ rank: i + 1, got: (counts.get(i + 1) ?? 0) / DRAWS, want: pk }))
        .filter(({ rank, want }) => !near(counts.get(rank) ?? 0, DRAWS, want));
      expect(off).toEqual([]);
      expect(
        near(tail, DRAWS, p.tail),
        `ranks above ${tailFrom}: ${tail / DRAWS} vs ${p.tail}`,
      ).toBe(true);
    });
  }

  it('reaches the last ranks of a small table', () => {
    const sample = zipfSampler(3, 1.1, seeded(7));
    const seen = new Set(Array.from({ length: 10_000 }, sample));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });

  it('refuses an empty table and a non-positive exponent', () => {
    expect(() => zipfSampler(0, 1.1)).toThrow();
    expect(() => zipfSampler(10, 0)).toThrow();
  });
});

describe('rankPermutation', () => {
  for (const n of [1, 2, 3, 10, 1_000, 65_536, 100_000, 999_983, 1_000_000, 10_000_000]) {
    it(`maps the ranks 1..${n.toLocaleString('en')} onto the rows 0..n-1, each once`, () => {
      const { rowOf } = rankPermutation(n);
      const seen = new Uint8Array(n);
      let bad = 0;
      for (let rank = 1; rank <= n; rank++) {
        const row = rowOf(rank);
        if (!Number.isInteger(row) || row < 0 || row >= n || seen[row] === 1) bad++;
        else seen[row] = 1;
      }
      expect(bad).toBe(0);
    });
  }

  it('spreads the most popular links over the table, not its first rows', () => {
    const n = 1_000_000;
    const { rowOf } = rankPermutation(n);
    const top = Array.from({ length: 100 }, (_, i) => rowOf(i + 1));
    // The 100 first ranks in more than 80 of the 100 hundredths of the table, not its first rows.
    expect(new Set(top.map((row) => Math.floor(row / (n / 100)))).size).toBeGreaterThan(80);
    expect(Math.min(...top.slice(0, 10))).toBeGreaterThan(100);
  });

  it('zipfRows draws rows through the permutation', () => {
    const n = 1_000;
    const rows = zipfRows(n, 1.1, seeded(3));
    const counts = new Map<number, number>();
    for (let i = 0; i < 50_000; i++) {
      const row = rows();
      counts.set(row, (counts.get(row) ?? 0) + 1);
    }
    const [mostRow] = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]!;
    expect(mostRow).toBe(rankPermutation(n).rowOf(1));
  });
});
