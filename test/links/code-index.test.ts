import { describe, expect, it } from 'vitest';
import { createCodeIndex, fingerprintOf } from '../../src/links/code-index.js';
import { COLLIDING_CODES as COLLIDING } from '../support/colliding-codes.js';

/** A `read` over a table of id → [code, domain key], as the store's checked row read. */
function reader(rows: Map<number, [string, number]>) {
  const reads: number[] = [];
  const read = (id: number, code: string, domainKey: number) => {
    reads.push(id);
    const row = rows.get(id);
    return row !== undefined && row[0] === code && row[1] === domainKey ? { id } : null;
  };
  return { read, reads };
}

describe('the in-memory index of codes', () => {
  it('the two codes the tests use for a collision do share a fingerprint', () => {
    expect(fingerprintOf(0, COLLIDING[0])).toBe(fingerprintOf(0, COLLIDING[1]));
    expect(COLLIDING[0]).not.toBe(COLLIDING[1]);
  });

  it('when a code is added, then its row is found through a checked read of that row', () => {
    const index = createCodeIndex(10, 100);
    const { read, reads } = reader(new Map([[7, ['abc', 0]]]));
    index.add(0, 'abc', 7);
    expect(index.find(0, 'abc', read)).toEqual({ id: 7 });
    expect(reads).toEqual([7]);
  });

  it('when a code is not in it, then nothing is found and no row is read', () => {
    const index = createCodeIndex(10, 100);
    const { read, reads } = reader(new Map([[7, ['abc', 0]]]));
    index.add(0, 'abc', 7);
    expect(index.find(0, 'abd', read)).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('when two codes share a fingerprint, then each finds its own row and not the other', () => {
    const [a, b] = COLLIDING;
    const rows = new Map<number, [string, number]>([
      [1, [a, 0]],
      [2, [b, 0]],
    ]);
    const index = createCodeIndex(10, 100);
    index.add(0, a, 1);
    const { read } = reader(rows);
    // Only `a` is indexed: `b` reads a's row, which is not b's, and is then not found here.
    expect(index.find(0, b, read)).toBeUndefined();
    index.add(0, b, 2);
    expect(index.find(0, a, read)).toEqual({ id: 1 });
    expect(index.find(0, b, read)).toEqual({ id: 2 });
  });

  it('when the same code is on two domains, then each domain finds its own row', () => {
    const rows = new Map<number, [string, number]>([
      [1, ['docs', 0]],
      [2, ['docs', 7]],
    ]);
    const index = createCodeIndex(10, 100);
    index.add(0, 'docs', 1);
    index.add(7, 'docs', 2);
    const { read } = reader(rows);
    expect(index.find(0, 'docs', read)).toEqual({ id: 1 });
    expect(index.find(7, 'docs', read)).toEqual({ id: 2 });
    expect(index.find(8, 'docs', read)).toBeUndefined();
  });

  it('when far more codes are added than it was sized for, then it grows and finds every one', () => {
    const index = createCodeIndex(10, 1_000_000);
    const rows = new Map<number, [string, number]>();
    for (let id = 1; id <= 20_000; id++) {
      rows.set(id, [`k${id}`, 0]);
      expect(index.add(0, `k${id}`, id)).toBe(true);
    }
    const { read } = reader(rows);
    for (let id = 1; id <= 20_000; id++) expect(index.find(0, `k${id}`, read)).toEqual({ id });
    expect(index.size()).toBe(20_000);
    // About 11 bytes a link: 8 a slot, at most 80% of the slots in use.
    expect(index.bytes()).toBeGreaterThanOrEqual(20_000 * 8);
    expect(index.bytes()).toBeLessThan(20_000 * 8 * 2);
  });

  it('when an entry is added twice, then it is held once', () => {
    const index = createCodeIndex(10, 100);
    index.add(0, 'abc', 7);
    index.add(0, 'abc', 7);
    expect(index.size()).toBe(1);
  });

  it('when it would hold more than its budget, then it lets go of everything and finds nothing', () => {
    const index = createCodeIndex(10, 50);
    const rows = new Map<number, [string, number]>();
    for (let id = 1; id <= 50; id++) {
      rows.set(id, [`k${id}`, 0]);
      expect(index.add(0, `k${id}`, id)).toBe(true);
    }
    expect(index.abandoned()).toBe(false);
    expect(index.add(0, 'k51', 51)).toBe(false);
    expect(index.abandoned()).toBe(true);
    expect(index.size()).toBe(0);
    expect(index.bytes()).toBe(0);
    expect(index.find(0, 'k1', reader(rows).read)).toBeUndefined();
    expect(index.add(0, 'k52', 52)).toBe(false);
  });

  it('a row id it cannot hold in 32 bits is not indexed (the code is found the ordinary way)', () => {
    const index = createCodeIndex(10, 100);
    expect(index.add(0, 'big', 2 ** 32)).toBe(false);
    expect(index.add(0, 'zero', 0)).toBe(false);
    expect(index.size()).toBe(0);
  });
});
