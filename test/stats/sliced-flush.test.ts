import { describe, expect, it } from 'vitest';
import { createSlicedFlush } from '../../src/stats/sliced-flush.js';

/** Pending links as a number, slices that take from it, and deferred steps run by hand. */
function setup(pending: number, fail: (call: number) => boolean = () => false) {
  const state = {
    pending,
    calls: 0,
    slices: [] as number[],
    lasts: [] as boolean[],
    deferred: [] as (() => void)[],
  };
  const flush = createSlicedFlush({
    sliceLinks: () => 500,
    pendingLinks: () => state.pending,
    flushSlice(maxLinks, last) {
      state.calls += 1;
      state.lasts.push(last);
      if (fail(state.calls)) return false;
      const taken = Math.min(maxLinks, state.pending);
      state.pending -= taken;
      state.slices.push(taken);
      return true;
    },
    defer: (step) => state.deferred.push(step),
  });
  const runDeferred = () => {
    while (state.deferred.length > 0) state.deferred.shift()!();
  };
  return { state, flush, runDeferred };
}

describe('flushing visits in slices', () => {
  it('when 1,200 links wait, then the first slice is written at once and the others each in a later turn', () => {
    const { state, flush, runDeferred } = setup(1200);
    flush();
    expect(state.slices).toEqual([500]);
    expect(state.deferred).toHaveLength(1);
    runDeferred();
    expect(state.slices).toEqual([500, 500, 200]);
    expect(state.pending).toBe(0);
    // Only the last slice of the call is told so: its commit is the one that waits for the disk.
    expect(state.lasts).toEqual([false, false, true]);
  });

  it('when visits keep arriving during the slices, then a call writes only as many slices as were pending when it began', () => {
    const { state, flush } = setup(1000);
    flush();
    state.pending += 2000; // recorded while the first slice was written
    state.deferred.shift()!();
    expect(state.slices).toEqual([500, 500]);
    expect(state.lasts).toEqual([false, true]);
    expect(state.deferred).toHaveLength(0);
    expect(state.pending).toBe(2000);
  });

  it('when held statistics ask for more slices, then the call takes them after its links, and only its last slice waits for the disk', () => {
    const state = { pending: 300, held: 40, slices: [] as number[], lasts: [] as boolean[] };
    const deferred: (() => void)[] = [];
    const flush = createSlicedFlush({
      sliceLinks: () => 500,
      // Links whose statistics are held count as pending until they are written.
      pendingLinks: () => Math.max(state.pending, state.held),
      extraSlices: () => Math.ceil(state.held / 15),
      flushSlice(maxLinks, last) {
        const taken = Math.min(maxLinks, state.pending);
        state.pending -= taken;
        state.held -= Math.min(15, state.held);
        state.slices.push(taken);
        state.lasts.push(last);
        return true;
      },
      defer: (step) => deferred.push(step),
    });
    flush();
    while (deferred.length > 0) deferred.shift()!();
    // The third slice writes the last of them: the call ends there, its commit the one that syncs.
    expect(state.slices).toEqual([300, 0, 0]);
    expect(state.lasts).toEqual([false, false, true]);
    expect(state.held).toBe(0);
  });

  it('when a call comes while the previous one is still writing, then it does nothing; after it ends, the next call writes again', () => {
    const { state, flush, runDeferred } = setup(1000);
    flush();
    flush();
    expect(state.slices).toEqual([500]);
    runDeferred();
    expect(state.slices).toEqual([500, 500]);
    state.pending = 10;
    flush();
    expect(state.slices).toEqual([500, 500, 10]);
  });

  it('when a slice fails, then the call ends there, and the next call starts over', () => {
    const { state, flush, runDeferred } = setup(1500, (slice) => slice === 2);
    flush();
    runDeferred();
    expect(state.slices).toEqual([500]);
    expect(state.deferred).toHaveLength(0);
    flush();
    runDeferred();
    expect(state.slices).toEqual([500, 500, 500]);
  });

  it('when a few links hold many visits, then each slice takes up to sliceVisits of them and only the last is told so', () => {
    const state = { links: 100, visits: 10_000, slices: [] as number[], lasts: [] as boolean[] };
    const deferred: (() => void)[] = [];
    const flush = createSlicedFlush({
      sliceLinks: () => 500,
      sliceVisits: () => 4000,
      pendingLinks: () => state.links,
      pendingVisits: () => state.visits,
      flushSlice(_maxLinks, last) {
        state.lasts.push(last);
        const taken = Math.min(4000, state.visits);
        state.visits -= taken;
        state.links = state.visits === 0 ? 0 : state.links - 30;
        state.slices.push(taken);
        return true;
      },
      defer: (step) => deferred.push(step),
    });
    flush();
    while (deferred.length > 0) deferred.shift()!();
    expect(state.slices).toEqual([4000, 4000, 2000]);
    expect(state.lasts).toEqual([false, false, true]);
    // Exactly a slice's worth left: that slice is the last.
    Object.assign(state, { links: 100, visits: 8000, slices: [], lasts: [] });
    flush();
    while (deferred.length > 0) deferred.shift()!();
    expect(state.slices).toEqual([4000, 4000]);
    expect(state.lasts).toEqual([false, true]);
  });

  it('when nothing waits, then nothing is written', () => {
    const { state, flush } = setup(0);
    flush();
    expect(state.slices).toEqual([]);
  });
});
