/**
 * Links written per slice of a flush. A link's counts cost tens of microseconds to write when
 * its rows are not in SQLite's cache, or several referring hosts came (a row each), so a slice
 * holds the event loop for a few milliseconds, where 500 links with six referrers each held it
 * for 20 ms, and a flush of every pending link at once for 400 ms when visits were spread over a
 * million links (bench/README.md). With 200 a slice, a thousand busy links' slices were still
 * among a redirect's longest waits (ADR 035, third addendum).
 */
export const FLUSH_SLICE_LINKS = 50;

export type SlicedFlushDeps = {
  /**
   * Writes the visits of at most this many links; false when nothing could be written. `last`:
   * no slice of this call follows it (a write that must reach the disk can wait for this one).
   */
  flushSlice: (maxLinks: number, last: boolean) => boolean;
  pendingLinks: () => number;
  /** Links per slice, asked at the start of each call (FLUSH_SLICE_LINKS by default). */
  sliceLinks?: () => number;
  /**
   * Visits a slice takes at most, after its first link (asked at the start of each call;
   * unbounded by default), and the visits pending: a slice of the visit log writes each visit,
   * and a thousand popular links' visits in one slice held every redirect for 40 ms.
   */
  sliceVisits?: () => number;
  pendingVisits?: () => number;
  /**
   * Slices the call takes besides those its links and visits need (asked at its start; none by
   * default): for the held statistics that are due, which a slice writes only so many of.
   */
  extraSlices?: () => number;
  /** How the next slice waits for its turn: after the I/O and timers already due. */
  defer?: (step: () => void) => void;
};

/**
 * The periodic flush, in slices: each call writes the links pending at that moment, a slice per
 * turn of the event loop, so redirects are answered between slices. Visits recorded meanwhile
 * wait for the next call; a failed slice ends the call (its counts stay in memory). A call while
 * the slices of the previous one are still being written does nothing.
 */
export function createSlicedFlush(deps: SlicedFlushDeps): () => void {
  const defer = deps.defer ?? ((step) => void setImmediate(step));
  let writing = false;
  return () => {
    if (writing) return;
    const sliceLinks = deps.sliceLinks?.() ?? FLUSH_SLICE_LINKS;
    const sliceVisits = deps.sliceVisits?.() ?? Number.POSITIVE_INFINITY;
    const pendingVisits = deps.pendingVisits ?? (() => 0);
    // A slice ends at whichever budget it meets first.
    let slicesLeft = Math.ceil(deps.pendingLinks() / sliceLinks);
    if (slicesLeft === 0) return;
    const extraSlices = deps.extraSlices ?? (() => 0);
    slicesLeft += Math.ceil(pendingVisits() / sliceVisits) + extraSlices();
    writing = true;
    const step = () => {
      // The last slice: the call's count is reached, or what is left fits in this one.
      const last =
        slicesLeft <= 1 ||
        (deps.pendingLinks() <= sliceLinks && pendingVisits() <= sliceVisits && extraSlices() <= 1);
      const written = deps.flushSlice(sliceLinks, last);
      slicesLeft -= 1;
      if (written && !last) defer(step);
      else writing = false;
    };
    step();
  };
}
