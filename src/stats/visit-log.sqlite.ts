import type { Db } from '../db/open-database.sqlite.js';
import { decodeVisitBatch, encodeVisitBatch, mergeVisitBatches } from './visit-batches.js';
import type { VisitBatch } from './visit-store.js';

/**
 * The visit log on SQLite (ADR 045). While visits are spread over many links, a flush appends
 * one row per link to `visit_log` — a few pages at the end of one table — instead of updating
 * that link's count, day, referrer and dimension rows wherever they sit in the file: with a
 * million links, every such visit dirtied pages of its own, and writing them cost more than the
 * whole redirect.
 *
 * A fold then adds the rows to the statistics in passes: a pass takes the oldest rows (at most
 * FOLD_PASS_ROWS), reads their link ids a chunk per step, sorts them by link, and writes them a
 * slice of links per step, in link order — so neighbouring links share the pages just read and
 * written, and a link's rows of the whole pass become one write. Each slice is one transaction
 * that adds its links' visits and deletes their rows: a crash, a full disk or a lock leaves
 * either both or neither, so no visit is lost or counted twice, and the rows left wait for the
 * next pass. Between steps the server answers requests.
 */

/** Rows one pass folds at most; the next pass takes the rest. */
export const FOLD_PASS_ROWS = 1_048_576;
/**
 * A row's sort key is its link id × KEY_SPACE + its place in the pass: one number, sorted by the
 * engine's own numeric sort; exact while link ids stay below 2^53 / 2^20 (about 8.6 billion).
 */
const KEY_SPACE = FOLD_PASS_ROWS;
/** Rows whose link ids one reading step reads. */
export const FOLD_READ_ROWS = 16_384;
/**
 * Links one writing step writes, in one transaction: each a handful of rows wherever its pages
 * sit in the file, so that 100 links of a million-link table held redirects for 20–27 ms.
 */
export const FOLD_SLICE_LINKS = 50;
/**
 * Bytes of log rows one writing step reads at most, after its first row (the rest of its links'
 * rows wait for the next step): a link visited all through a skewed load has a row a second of
 * thousands of raw visits, and a step of such links read 4.8 MB and held redirects for 180 ms.
 * About 35 µs a kilobyte to decode and tally.
 */
export const FOLD_SLICE_BYTES = 65_536;
/**
 * A flush whose visits are spread over more links than this goes to the log; one over fewer
 * links adds them at once, as their rows are few (and, for busy links, in SQLite's cache).
 */
export const LOG_FROM_LINKS = 1000;
/** How long a row may wait before a pass takes it, however busy the server. */
export const FOLD_AFTER_MS = 30_000;

/**
 * Whether to start a pass now: when the log holds a full pass's rows (the densest fold), when
 * its oldest row has waited FOLD_AFTER_MS, or when the flush no longer logs (the spread-out
 * visits are over: the statistics catch up at once).
 */
export function shouldFold(status: VisitLogStatus, now: number, logging: boolean): boolean {
  if (status.folding) return true;
  if (status.rows === 0) return false;
  return (
    !logging ||
    status.rows >= FOLD_PASS_ROWS ||
    (status.oldest !== null && now - status.oldest >= FOLD_AFTER_MS)
  );
}

/**
 * The share of a busy server's time the fold may take: under visits spread over many links it
 * runs beside them (FOLD_AFTER_MS, a full pass), and one step after another, between batches of
 * requests, took nine tenths of the core — a million-link server answered 6,000 redirects a
 * second instead of 36,000 while it folded.
 */
export const FOLD_SHARE_WHILE_BUSY = 0.5;

/**
 * How long the fold waits before its next step, in ms: none when no visit came while the step
 * ran (the fold takes the idle time), else long enough that it takes FOLD_SHARE_WHILE_BUSY of
 * the time.
 */
export function foldPauseMs(stepMs: number, busy: boolean): number {
  if (!busy) return 0;
  return Math.max(1, Math.ceil((stepMs * (1 - FOLD_SHARE_WHILE_BUSY)) / FOLD_SHARE_WHILE_BUSY));
}

export type VisitLogStatus = {
  /** Rows waiting, at most (rows of a pass under way may be gone already). */
  rows: number;
  /** When the oldest row was logged; null when the log is empty. */
  oldest: number | null;
  /** A pass is under way. */
  folding: boolean;
};

export type VisitLog = ReturnType<typeof createVisitLog>;

/** A pass: the rows up to `upTo`, their link ids read so far, then written in link order. */
type Pass = {
  upTo: number;
  readAfter: number;
  /** Per row read: link id × KEY_SPACE + its index in `seqs`, sorted once reading is done. */
  keys: Float64Array;
  seqs: Float64Array;
  read: number;
  sorted: boolean;
  next: number;
};

/** How much a pass and its steps take: the constants above unless a test makes them small. */
export type FoldSizes = {
  passRows: number;
  readRows: number;
  sliceLinks: number;
  sliceBytes: number;
};

export function createVisitLog(
  db: Db,
  deps: { apply: (batch: VisitBatch) => void; now: () => number },
  sizes: FoldSizes = {
    passRows: FOLD_PASS_ROWS,
    readRows: FOLD_READ_ROWS,
    sliceLinks: FOLD_SLICE_LINKS,
    sliceBytes: FOLD_SLICE_BYTES,
  },
) {
  const append = db.prepare<[number, number, Buffer]>(
    'INSERT INTO visit_log (url_id, logged, batch) VALUES (?, ?, ?)',
  );
  // Two statements, not MIN and MAX in one: SQLite answers a lone MIN or MAX of the key from
  // the B-tree's first or last page, and both together by reading every row.
  const firstRow = db.prepare<[], { seq: number; logged: number }>(
    'SELECT seq, logged FROM visit_log ORDER BY seq LIMIT 1',
  );
  const lastSeq = db
    .prepare<[], number>('SELECT seq FROM visit_log ORDER BY seq DESC LIMIT 1')
    .pluck();
  /** The first and last row's seq; nulls when the log is empty. */
  const bounds = () => {
    const first = firstRow.get();
    return first === undefined
      ? { first: null, last: null, oldest: null }
      : { first: first.seq, last: lastSeq.get()!, oldest: first.logged };
  };
  const readIds = db
    .prepare<[number, number, number], [number, number]>(
      'SELECT seq, url_id FROM visit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
    )
    .raw();
  const batchOf = db.prepare<[number], Buffer>('SELECT batch FROM visit_log WHERE seq = ?').pluck();
  const remove = db.prepare<[number]>('DELETE FROM visit_log WHERE seq = ?');

  /**
   * Adds the links' merged batches and deletes their rows, together, in order, until the rows
   * read reach `sizes.sliceBytes`; returns how many rows it took, and how many of them it could
   * not read.
   */
  const writeSlice = db.transaction((rows: { urlId: number; seqs: number[] }[]) => {
    let unreadable = 0;
    let taken = 0;
    let read = 0;
    for (const { seqs } of rows) {
      const batches: VisitBatch[] = [];
      for (const seq of seqs) {
        // The budget is positive: the first row is always read.
        if (read >= sizes.sliceBytes) break;
        const bytes = batchOf.get(seq);
        remove.run(seq);
        taken += 1;
        if (bytes === undefined) continue;
        read += bytes.length;
        try {
          batches.push(decodeVisitBatch(bytes));
        } catch {
          // Bytes this code did not write (a damaged file): they cannot be added to anything.
          unreadable += 1;
        }
      }
      if (batches.length > 0) deps.apply(mergeVisitBatches(batches));
    }
    return { taken, unreadable };
  });

  let pass: Pass | null = null;

  function startPass(): boolean {
    const { first, last } = bounds();
    if (first === null || last === null) return false;
    const upTo = Math.min(last, first + Math.min(sizes.passRows, KEY_SPACE) - 1);
    pass = {
      upTo,
      readAfter: first - 1,
      keys: new Float64Array(upTo - first + 1),
      seqs: new Float64Array(upTo - first + 1),
      read: 0,
      sorted: false,
      next: 0,
    };
    return true;
  }

  /** Reads the next chunk of link ids; sorts them when all are read. */
  function readStep(current: Pass): void {
    const rows = readIds.all(current.readAfter, current.upTo, sizes.readRows);
    for (const [seq, urlId] of rows) {
      current.seqs[current.read] = seq;
      current.keys[current.read] = urlId * KEY_SPACE + current.read;
      current.read += 1;
    }
    if (rows.length === sizes.readRows) {
      current.readAfter = rows.at(-1)![0];
      return;
    }
    current.keys = current.keys.subarray(0, current.read).sort();
    current.sorted = true;
  }

  /** Writes the next slice of links; returns rows that could not be read. */
  function writeStep(current: Pass): number {
    const rows: { urlId: number; seqs: number[] }[] = [];
    let at = current.next;
    while (at < current.keys.length) {
      const key = current.keys[at]!;
      const urlId = Math.floor(key / KEY_SPACE);
      const last = rows.at(-1);
      if (last?.urlId !== urlId) {
        if (rows.length === sizes.sliceLinks) break;
        rows.push({ urlId, seqs: [] });
      }
      rows.at(-1)!.seqs.push(current.seqs[key - urlId * KEY_SPACE]!);
      at += 1;
    }
    // A fold that is lost in a power cut is rolled back whole, its rows still in the log: it
    // need not wait for the disk. The next write that must be durable syncs it with itself.
    db.pragma('synchronous = NORMAL');
    try {
      // The rows taken are the pass's next keys, in order: a link whose rows a full step
      // left goes on in the next one.
      const { taken, unreadable } = writeSlice(rows);
      current.next += taken;
      return unreadable;
    } finally {
      db.pragma('synchronous = FULL');
    }
  }

  /**
   * One bounded step of the fold, starting a pass over the oldest rows when none is under
   * way: a chunk of ids read, or a slice of links written. Returns whether the pass has more
   * to do, and the rows it dropped because they could not be read. A step that throws (a
   * lock, a full disk) changed nothing; the next call tries it again.
   */
  function foldStep(): { more: boolean; unreadable: number } {
    if (pass === null && !startPass()) return { more: false, unreadable: 0 };
    const current = pass!;
    if (!current.sorted) {
      readStep(current);
      return { more: true, unreadable: 0 };
    }
    const unreadable = current.next < current.keys.length ? writeStep(current) : 0;
    if (current.next >= current.keys.length) pass = null;
    return { more: pass !== null, unreadable };
  }

  return {
    /** Appends one batch; the caller's transaction makes it durable. */
    append(batch: VisitBatch): void {
      append.run(batch.urlId, deps.now(), encodeVisitBatch(batch));
    },

    status(): VisitLogStatus {
      const { first, last, oldest } = bounds();
      const rows = first === null || last === null ? 0 : last - first + 1;
      return { rows, oldest, folding: pass !== null };
    },

    foldStep,

    /** Folds every row now, pass after pass; returns the rows dropped as unreadable. */
    foldAll(): number {
      let unreadable = 0;
      let first = bounds().first;
      for (;;) {
        const step = foldStep();
        unreadable += step.unreadable;
        if (step.more) continue;
        // A pass takes the oldest rows: one that leaves them in place would never end.
        const next = bounds().first;
        if (next === null || next === first) return unreadable;
        first = next;
      }
    },
  };
}
