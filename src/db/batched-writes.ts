import type { Awaitable } from './awaitable.js';

/**
 * How many rows one transaction of a bulk change writes. With synchronous=FULL each commit
 * waits for one fsync, so 500 rows cost one fsync instead of 500, and a batch holds the event
 * loop for a few milliseconds only: redirects wait at most that long (ADR 021).
 */
export const WRITE_BATCH_SIZE = 500;

/**
 * Lets the event loop run before the next batch: setImmediate runs after the I/O callbacks
 * that are ready, so requests that arrived meanwhile are served first. A resolved promise
 * would not do: its continuation runs before any I/O.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Hands `items` to `writeBatch` in slices of `size`, one after the other, yielding to the event
 * loop after each. `writeBatch` should write its slice in one transaction: each slice is then
 * committed or not at all, and a failure stops the run with the slices before it committed.
 */
export async function writeInBatches<T>(
  items: readonly T[],
  writeBatch: (batch: readonly T[]) => Awaitable<void>,
  size = WRITE_BATCH_SIZE,
): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await writeBatch(items.slice(start, start + size));
    if (start + size < items.length) await yieldToEventLoop();
  }
}
