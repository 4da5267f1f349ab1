import type { Awaitable } from '../db/awaitable.js';
import {
  DIMENSIONS,
  type Dimension,
  type DimensionCount,
  type RawVisit,
  type VisitBatch,
  type VisitStore,
} from './visit-store.js';
import {
  addHashToSketch,
  copySketch,
  encodeSketch,
  mergeSketches,
  newSketch,
  type Sketch,
  type VisitorHash,
} from './visitor-sketch.js';

export type VisitCounter = ReturnType<typeof createVisitCounter>;

const DAY_MS = 86_400_000;

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * What one visit says, worked out in memory for it and then dropped: its visitor's keyed hash
 * (visitor-key.ts) and its value of each dimension but the referrer, which `record` takes as a
 * host. A visit with `DNT: 1` or `Sec-GPC: 1` has none (null): it counts toward the total, the
 * day and the visit limit, and nothing else is derived from it.
 */
export type VisitFacts = { visitor: VisitorHash } & Record<Exclude<Dimension, 'referrer'>, string>;

/** The referrer dimension's value of a visit without a (usable) referrer. */
export const DIRECT = 'direct';

/**
 * One value's visits and visitors, gathered in memory. `visitors` null: the value is the only
 * one its dimension has had in this day's tallies, so its visitors are the day's own, and it
 * costs no sketch (a dimension's sketch for every visit was most of what a new visitor cost).
 * A second value gives it a copy of the day's visitors so far (`tally`).
 */
type Tally = { count: number; visitors: Sketch | null };
/** One day of a link: its visitors, and per dimension, value → tally (fixed names: a visit touches each). */
type DayTally = { visitors: Sketch } & Record<Dimension, Map<string, Tally>>;

function newDayTally(): DayTally {
  return {
    visitors: newSketch(),
    country: new Map(),
    browser: new Map(),
    os: new Map(),
    device: new Map(),
    language: new Map(),
    referrer: new Map(),
  };
}

/**
 * The visits of one link since the last flush: what its visit limit and counts need. Held for up
 * to a second by every link visited, a million links apart when visits are spread out, so it
 * stays one small object: its first day and referrer inline, maps only for a second one. Every
 * object a visit leaves until the flush outlives V8's young generation and is garbage in the old
 * one by the next flush, which is what the resident memory of a busy server grows with. A flush
 * makes each written link's VisitBatch (`batchOf`), the moment before it is written.
 */
class Pending {
  count = 0;
  /** Of `count`, the visits whose facts wait in the counter's log. */
  logged = 0;
  limited = false;
  /** The first day's visits; `days` once a second day comes (across midnight). */
  day = '';
  dayCount = 0;
  days: Map<string, number> | null = null;
  /** The first referrer's visits; `referrers` once a second one comes. null: none yet. */
  referrer: string | null = null;
  referrerCount = 0;
  referrers: Map<string, number> | null = null;
  constructor(
    readonly urlId: number,
    public lastVisit: number,
  ) {}

  addDay(day: string, n: number): void {
    if (this.days !== null) increment(this.days, day, n);
    else if (this.dayCount === 0 || this.day === day) {
      this.day = day;
      this.dayCount += n;
    } else
      this.days = new Map([
        [this.day, this.dayCount],
        [day, n],
      ]);
  }

  addReferrer(host: string, n: number): void {
    if (this.referrers !== null) increment(this.referrers, host, n);
    else if (this.referrer === null || this.referrer === host) {
      this.referrer = host;
      this.referrerCount += n;
    } else
      this.referrers = new Map([
        [this.referrer, this.referrerCount],
        [host, n],
      ]);
  }

  /** Adds a batch that a failed write gave back. */
  addBatch(batch: VisitBatch): void {
    this.count += batch.count;
    this.lastVisit = Math.max(this.lastVisit, batch.lastVisit);
    if (batch.limited) this.limited = true;
    for (const [day, n] of batch.byDay) this.addDay(day, n);
    for (const [host, n] of batch.byReferrer) this.addReferrer(host, n);
  }

  /** Adds the visits of the same link that another Pending holds (a failed write's). */
  addPending(other: Pending): void {
    this.count += other.count;
    this.logged += other.logged;
    this.lastVisit = Math.max(this.lastVisit, other.lastVisit);
    if (other.limited) this.limited = true;
    if (other.days !== null) for (const [day, n] of other.days) this.addDay(day, n);
    else if (other.dayCount > 0) this.addDay(other.day, other.dayCount);
    if (other.referrers !== null) {
      for (const [host, n] of other.referrers) this.addReferrer(host, n);
    } else if (other.referrer !== null) this.addReferrer(other.referrer, other.referrerCount);
  }
}

/** The batch the store takes for a link's pending visits (with its raw visits, for a log). */
function batchOf(pending: Pending, visits?: RawVisit[]): VisitBatch {
  const byDay =
    pending.days ?? new Map(pending.dayCount === 0 ? [] : [[pending.day, pending.dayCount]]);
  const byReferrer =
    pending.referrers ??
    new Map(pending.referrer === null ? [] : [[pending.referrer, pending.referrerCount]]);
  const batch: VisitBatch = {
    urlId: pending.urlId,
    count: pending.count,
    lastVisit: pending.lastVisit,
    byDay,
    byReferrer,
  };
  if (pending.limited) batch.limited = true;
  if (visits !== undefined) batch.visits = visits;
  return batch;
}

/**
 * The dimensions and visitors of one link's visits since its tallies were last written, with
 * the sketches still open; `since` is when the first of them was tallied.
 */
type Tallies = { urlId: number; since: number; days: Map<string, DayTally> };

/**
 * How long the periodic flush keeps a link's tallies in memory before it writes them (the final
 * flush, at shutdown, writes them all): a link visited every second then costs its six dimension
 * rows and their sketches once in five flushes, not in each (ADR 035). Its counts are still
 * written every second; a hard crash loses at most this long of its dimensions.
 */
export const TALLY_HOLD_MS = 5000;
/**
 * Links whose tallies the periodic flush writes in a second, at most, while more than
 * TALLY_HOLD_MS of them hold tallies: the hold then grows with them (1,000 busy links, 20 s), so
 * that writing the dimensions — a link's rows and sketches, up to a few milliseconds when it had
 * hundreds of visitors — costs a bounded share of a busy server's time however many links are
 * visited.
 */
export const TALLY_LINKS_PER_SECOND = 50;
/**
 * Links whose tallies may be held at most, so the longest hold is 20 s: a held link's tallies
 * take a few kilobytes, and with visits spread over a million links every visit would hold its
 * own (2 GB after a minute of a busy load). Past it the flush writes every link's tallies with
 * its counts, which the visit log (ADR 045) makes cheap where the links are many.
 */
export const MAX_HELD_LINKS = 1000;
/**
 * Rows of due tallies (a day's visitors, and each value of each dimension) one slice of the
 * periodic flush on SQLite writes, after its first link: 60–100 µs a row where a thousand
 * links each have hundreds of visitors (more once their stored sketches are dense), so a slice
 * holds redirects for a few milliseconds; 20 links' tallies in one slice had held them for
 * 40–60 ms, and 100 rows for 10–20 ms. The others stay for the next slice.
 */
export const TALLY_ROWS_PER_SLICE = 25;

/** Rows a link's tallies take when written: each day's visitors, and each value of each dimension. */
function rowsOf(entry: Tallies): number {
  let rows = 0;
  for (const day of entry.days.values()) {
    rows += 1;
    for (const dimension of DIMENSIONS) rows += day[dimension].size;
  }
  return rows;
}

/** How long the periodic flush holds tallies back while `links` links hold some. */
export function tallyHoldFor(links: number, holdMs = TALLY_HOLD_MS): number {
  if (holdMs <= 0 || links > MAX_HELD_LINKS) return 0;
  return Math.max(holdMs, (links * 1000) / TALLY_LINKS_PER_SECOND);
}

/**
 * Tallies one visit's value of a dimension into its day, before the day's own sketch has the
 * visitor: the first value of a day shares the day's visitors; a second one ends that.
 */
function tally(
  day: DayTally,
  table: Map<string, Tally>,
  value: string,
  hi: number,
  lo: number,
): void {
  let entry = table.get(value);
  if (entry === undefined) {
    if (table.size === 0) entry = { count: 0, visitors: null };
    else {
      if (table.size === 1) {
        const only: Tally = table.values().next().value!;
        only.visitors ??= copySketch(day.visitors);
      }
      entry = { count: 0, visitors: newSketch() };
    }
    table.set(value, entry);
  }
  entry.count += 1;
  if (entry.visitors !== null) addHashToSketch(entry.visitors, hi, lo);
}

/** A value's own visitors, made from its day's when it shared them. */
function visitorsOf(entry: Tally, day: DayTally): Sketch {
  return (entry.visitors ??= copySketch(day.visitors));
}

/** Ranges of link ids a round's counting sort puts visits in (openRound). */
const ROUND_BUCKETS = 1 << 14;

/** Ints a logged visit takes: its visitor's hash (two words) and its six values' ids. */
const LOGGED = 8;
/** A place of the log whose visit a flush has taken (link ids are positive). */
const DROPPED = -1;
/** Distinct values the log names before its names are forgotten at the next drain. */
const LOG_NAMES = 4096;

/** A batch as the store takes it, with its link's tallies if they are due: each sketch encoded once. */
function sealed(batch: VisitBatch, due: Tallies | undefined): VisitBatch {
  if (due === undefined) return batch;
  const dimensions: DimensionCount[] = [];
  const dayVisitors = new Map<string, Uint8Array>();
  for (const [day, tallies] of due.days) {
    const shared = encodeSketch(tallies.visitors);
    dayVisitors.set(day, shared);
    for (const dimension of DIMENSIONS) {
      for (const [value, entry] of tallies[dimension]) {
        const visitors = entry.visitors === null ? shared : encodeSketch(entry.visitors);
        dimensions.push({ day, dimension, value, count: entry.count, visitors });
      }
    }
  }
  return { ...batch, dayVisitors, dimensions };
}

/** Adds `from`'s tallies into `into`'s, merging the sketches of the values both have. */
function mergeDay(into: DayTally, from: DayTally): void {
  // Shared visitors become each value's own first: the two days' sets differ.
  for (const dimension of DIMENSIONS) {
    for (const entry of into[dimension].values()) visitorsOf(entry, into);
    for (const entry of from[dimension].values()) visitorsOf(entry, from);
  }
  into.visitors = mergeSketches(into.visitors, from.visitors);
  for (const dimension of DIMENSIONS) {
    for (const [value, entry] of from[dimension]) {
      const kept = into[dimension].get(value);
      if (!kept) into[dimension].set(value, entry);
      else {
        kept.count += entry.count;
        kept.visitors = mergeSketches(visitorsOf(kept, into), visitorsOf(entry, from));
      }
    }
  }
}

/**
 * Counts visits in memory and writes them in one transaction per flush, so a redirect never
 * waits for a disk write. The server flushes every second and on shutdown; a hard crash loses at
 * most the counts of the last second, never a link (and the dimensions of the last
 * TALLY_HOLD_MS, which the periodic flush holds back).
 *
 * On SQLite a flush is done when `flush` returns. On PostgreSQL it is done later: until then its
 * batches are "in flight" — still counted for each link's visit limit — and a flush asked for
 * meanwhile writes nothing (it returns 0), so one machine's flushes never overtake each other.
 */
export function createVisitCounter(deps: { visits: VisitStore; now: () => number }) {
  let pending = new Map<number, Pending>();
  let pendingTotal = 0;
  // Links' tallies, oldest first (a link's entry is made when its first tallied visit comes, and
  // removed when written), so the due ones lead.
  let tallies = new Map<number, Tallies>();
  let inFlight: { batches: Map<number, VisitBatch>; done: Promise<unknown> } | null = null;
  // A visit's facts wait in this log until a round tallies them (drainRound): the redirect
  // only writes a few numbers one after the other, and the tallies' sketches — thousands of
  // small tables spread over the heap — are worked in one tight loop, where they stay in the
  // CPU's caches, instead of one visit at a time between requests, where each add is a cache
  // miss. Per visit: its link and day (`logLinks`), and LOGGED ints (`logInts`): the hash and
  // the ids of its values in DIMENSIONS' order, names kept once in `logNames`.
  let logCount = 0;
  // Of the log's `logCount` places, those a flush into the visit log has taken (their link id
  // DROPPED), left in place while they are at most half of the log (dropLogged): the log holds
  // a visit not yet taken whenever it holds any place.
  let logDropped = 0;
  let logLinks = new Float64Array(2 * 1024);
  let logInts = new Int32Array(LOGGED * 1024);
  const logNames: string[] = [];
  const nameIds = new Map<string, number>();
  const nameId = (name: string): number => {
    let id = nameIds.get(name);
    if (id === undefined) {
      id = logNames.length;
      logNames.push(name);
      nameIds.set(name, id);
    }
    return id;
  };
  // Days are numbers (UTC days since the epoch) in the log; their names, which every visit and
  // every link's tallies need, are made once a day.
  let namedDay = Number.NaN;
  let namedDayName = '';
  const dayNameOf = (dayNumber: number): string => {
    if (dayNumber !== namedDay) {
      namedDay = dayNumber;
      namedDayName = utcDay(dayNumber * DAY_MS);
    }
    return namedDayName;
  };

  /**
   * Sorts places in the log by their link, then by place (the order the visits came): as
   * numbers `link · 2^k + place`, which the engine sorts natively, several times faster than
   * with a comparison function, which a table whose ids outgrow 2^53 / 2^k falls back to.
   */
  function sortByLink(places: Uint32Array): void {
    const span = 2 ** Math.ceil(Math.log2(logCount + 1));
    const keys = new Float64Array(places.length);
    for (let i = 0; i < places.length; i++) {
      const key = logLinks[2 * places[i]!]! * span + places[i]!;
      if (!(key <= Number.MAX_SAFE_INTEGER)) {
        places.sort((a, b) => logLinks[2 * a]! - logLinks[2 * b]! || a - b);
        return;
      }
      keys[i] = key;
    }
    keys.sort();
    for (let i = 0; i < keys.length; i++) places[i] = keys[i]! % span;
  }

  // A round: the visits the log held when it began, tallied a step at a time (drainRound) in the
  // order `roundOrder` gives, which groups them by link. A step's visits then belong to a few
  // links, each with many visits, whose sketches and maps stay in the CPU's caches while they
  // are worked; steps in the order the visits came, which interleaves the links, missed the
  // caches on nearly every add. The round keeps the log's arrays (the log takes the ones a
  // finished round left); `roundSince`: when its oldest visit was logged.
  let roundLinks = new Float64Array(0);
  let roundInts = new Int32Array(0);
  let roundOrder = new Uint32Array(0);
  let roundCount = 0;
  let roundAt = 0;
  let roundSince = 0;
  // When the log's oldest visit was logged (the log was empty before it).
  let logSince = 0;
  // Whether the runtime tallies the log between flushes (tallyBetweenFlushes).
  let tallyingBetweenFlushes = false;

  /**
   * Makes every visit of the log a new round, grouped by link in the order of their ids (so
   * their tallies are written in key order too): a counting sort into ROUND_BUCKETS ranges of
   * ids, a few milliseconds for a hundred thousand visits where sorting them by link took ten.
   * Links that share a range interleave in it, which costs locality, never correctness: a
   * visit's tallies do not depend on the order.
   */
  function openRound(): void {
    compactLog();
    const count = logCount;
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < count; i++) {
      const urlId = logLinks[2 * i]!;
      if (urlId < lowest) lowest = urlId;
      if (urlId > highest) highest = urlId;
    }
    const scale = highest > lowest ? (ROUND_BUCKETS - 1) / (highest - lowest) : 0;
    const bucketOf = new Uint16Array(count);
    const starts = new Uint32Array(ROUND_BUCKETS + 1);
    for (let i = 0; i < count; i++) {
      const bucket = Math.min(ROUND_BUCKETS - 1, Math.floor((logLinks[2 * i]! - lowest) * scale));
      bucketOf[i] = bucket;
      starts[bucket + 1]! += 1;
    }
    for (let bucket = 0; bucket < ROUND_BUCKETS; bucket++) starts[bucket + 1]! += starts[bucket]!;
    if (roundOrder.length < count) roundOrder = new Uint32Array(logLinks.length / 2);
    for (let i = 0; i < count; i++) roundOrder[starts[bucketOf[i]!]!++] = i;
    const freeLinks = roundLinks;
    const freeInts = roundInts;
    roundLinks = logLinks;
    roundInts = logInts;
    logLinks = freeLinks.length > 0 ? freeLinks : new Float64Array(2 * 1024);
    logInts = freeInts.length > 0 ? freeInts : new Int32Array(LOGGED * 1024);
    roundCount = count;
    roundAt = 0;
    roundSince = logSince;
    logCount = 0;
  }

  /**
   * Tallies at most `maxVisits` visits of the open round into their links' days (a new round
   * takes the whole log when none is open), never past the round's end, and returns how many
   * it tallied.
   */
  function drainRound(maxVisits: number): number {
    if (roundAt === roundCount) {
      if (logCount === 0) return 0;
      openRound();
    }
    const end = Math.min(roundCount, roundAt + maxVisits);
    let urlId = Number.NaN;
    let dayNumber = Number.NaN;
    let today: DayTally | undefined;
    for (let k = roundAt; k < end; k++) {
      const i = roundOrder[k]!;
      if (roundLinks[2 * i] !== urlId || roundLinks[2 * i + 1] !== dayNumber) {
        urlId = roundLinks[2 * i]!;
        dayNumber = roundLinks[2 * i + 1]!;
        let link = tallies.get(urlId);
        if (!link) {
          link = { urlId, since: roundSince, days: new Map() };
          tallies.set(urlId, link);
        }
        const name = dayNameOf(dayNumber);
        today = link.days.get(name);
        if (!today) link.days.set(name, (today = newDayTally()));
      }
      const at = i * LOGGED;
      const hi = roundInts[at]!;
      const lo = roundInts[at + 1]!;
      const day = today!;
      tally(day, day.country, logNames[roundInts[at + 2]!]!, hi, lo);
      tally(day, day.browser, logNames[roundInts[at + 3]!]!, hi, lo);
      tally(day, day.os, logNames[roundInts[at + 4]!]!, hi, lo);
      tally(day, day.device, logNames[roundInts[at + 5]!]!, hi, lo);
      tally(day, day.language, logNames[roundInts[at + 6]!]!, hi, lo);
      tally(day, day.referrer, logNames[roundInts[at + 7]!]!, hi, lo);
      addHashToSketch(day.visitors, hi, lo);
      const owner = pending.get(urlId);
      if (owner !== undefined && owner.logged > 0) {
        owner.logged -= 1;
        // A Pending kept only for its logged visits (flush) is done with.
        if (owner.logged === 0 && owner.count === 0) pending.delete(urlId);
      }
    }
    const done = end - roundAt;
    roundAt = end;
    forgetNamesWhenIdle();
    return done;
  }

  /** The log's names are forgotten once no visit, logged or in a round, refers to them. */
  function forgetNamesWhenIdle(): void {
    if (logCount === 0 && roundAt === roundCount && logNames.length > LOG_NAMES) {
      logNames.length = 0;
      nameIds.clear();
    }
  }

  /** Visits in the log not yet taken by a flush. */
  function waitingInLog(): number {
    return logCount - logDropped;
  }

  /**
   * The logged visits of the links a flush takes (`owners`, `wanted` visits in all): their
   * places in the log, sorted by link, then in the order they came. The log is read until they
   * are all found; but among a slice's hundreds of links, one is nearly always visited again
   * late in the second, so a slice reads most of the log.
   */
  function loggedVisitsOf(owners: Set<number>, wanted: number): Uint32Array {
    const places = new Uint32Array(wanted);
    let found = 0;
    for (let place = 0; found < wanted && place < logCount; place++) {
      const urlId = logLinks[2 * place]!;
      if (urlId !== DROPPED && owners.has(urlId)) places[found++] = place;
    }
    const taken = places.subarray(0, found);
    sortByLink(taken);
    return taken;
  }

  /** The logged visit at `place`, untallied (VisitBatch.visits), for a visit log. */
  function rawVisitAt(place: number, day: string): RawVisit {
    const at = place * LOGGED;
    const values: string[] = [];
    for (let d = 2; d < LOGGED; d++) values.push(logNames[logInts[at + d]!]!);
    return { day, hi: logInts[at]! >>> 0, lo: logInts[at + 1]! >>> 0, values };
  }

  /**
   * Drops the logged visits at `places` (a flush has written them). They are only marked: a
   * slice reads most of the log (loggedVisitsOf), and moving the visits kept down after each
   * slice, then reading the log once more to find what to drop, took 2–3% of a busy server's
   * time with a million links; the log is compacted once the dropped places are more than half
   * of it.
   */
  function dropLogged(places: Uint32Array): void {
    for (const place of places) logLinks[2 * place] = DROPPED;
    logDropped += places.length;
    if (2 * logDropped > logCount) compactLog();
    forgetNamesWhenIdle();
  }

  /** Removes the dropped places from the log, keeping the others in order. */
  function compactLog(): void {
    let kept = 0;
    for (let i = 0; i < logCount; i++) {
      if (logLinks[2 * i] === DROPPED) continue;
      if (kept !== i) {
        logLinks[2 * kept] = logLinks[2 * i]!;
        logLinks[2 * kept + 1] = logLinks[2 * i + 1]!;
        for (let at = LOGGED * kept, from = LOGGED * i; from < LOGGED * (i + 1); at++, from++) {
          logInts[at] = logInts[from]!;
        }
      }
      kept += 1;
    }
    logCount = kept;
    logDropped = 0;
  }

  /** Room in the log for one more visit. */
  function logRoom(): void {
    if (logCount * 2 < logLinks.length) return;
    const links = new Float64Array(logLinks.length * 2);
    links.set(logLinks);
    logLinks = links;
    const ints = new Int32Array(logInts.length * 2);
    ints.set(logInts);
    logInts = ints;
  }

  /** Puts links whose write failed back among the pending ones. */
  function restorePending(taking: Pending[]): void {
    for (const batch of taking) {
      const kept = pending.get(batch.urlId);
      if (kept === undefined) pending.set(batch.urlId, batch);
      else kept.addPending(batch);
    }
  }

  /**
   * Puts tallies taken for a write that failed back, first. A link's tallies gathered since
   * stay the ones new visits are tallied into; the older ones are merged into them.
   */
  function restoreTallies(taken: Tallies[]): void {
    const kept = tallies;
    tallies = new Map();
    for (const entry of taken) {
      const later = kept.get(entry.urlId);
      if (!later) {
        tallies.set(entry.urlId, entry);
        continue;
      }
      for (const [day, dayTally] of entry.days) {
        const live = later.days.get(day);
        if (live) mergeDay(live, dayTally);
        else later.days.set(day, dayTally);
      }
      later.since = entry.since;
      tallies.set(entry.urlId, later);
      kept.delete(entry.urlId);
    }
    for (const [urlId, entry] of kept) tallies.set(urlId, entry);
  }

  return {
    /**
     * Counts a visit of a link: its day always; its referring host ('' for none) unless the visit
     * asked not to be tracked (`facts` null: DNT or GPC); and, with its facts, its visitor and
     * every dimension's value, each into a sketch of that day's unique visitors. `limited`: the
     * link has a visit limit, so its visits are never left in a visit log (VisitBatch).
     */
    record(urlId: number, referrerHost: string, facts?: VisitFacts | null, limited = false): void {
      const now = deps.now();
      const dayNumber = Math.floor(now / DAY_MS);
      const dayName = dayNameOf(dayNumber);
      let batch = pending.get(urlId);
      if (!batch) {
        batch = new Pending(urlId, now);
        pending.set(urlId, batch);
      }
      batch.count += 1;
      if (now > batch.lastVisit) batch.lastVisit = now;
      if (limited) batch.limited = true;
      batch.addDay(dayName, 1);
      pendingTotal += 1;
      if (facts === null) return;
      // The host as the log names it: the request's own string is not kept until the flush.
      const host = nameId(referrerHost);
      batch.addReferrer(logNames[host]!, 1);
      if (facts === undefined) return;
      logRoom();
      if (logCount === 0) logSince = now;
      logLinks[2 * logCount] = urlId;
      logLinks[2 * logCount + 1] = dayNumber;
      const at = logCount * LOGGED;
      logInts[at] = facts.visitor.hi;
      logInts[at + 1] = facts.visitor.lo;
      logInts[at + 2] = nameId(facts.country);
      logInts[at + 3] = nameId(facts.browser);
      logInts[at + 4] = nameId(facts.os);
      logInts[at + 5] = nameId(facts.device);
      logInts[at + 6] = nameId(facts.language);
      logInts[at + 7] = referrerHost === '' ? nameId(DIRECT) : host;
      logCount += 1;
      batch.logged += 1;
    },

    /**
     * Tallies at most `maxVisits` logged visits into their links' sketches, those of the open
     * round (a new round takes the whole log when none is open; a call never goes past the
     * round's end), and returns how many it tallied. A busy server calls it in small steps
     * between requests, so a flush does not tally a whole second of visits at once (60,000 of
     * them took 60–90 ms); it opens none while visits go to a visit log, whose fold tallies
     * them instead (the runtime's roundDue).
     */
    drainSome(maxVisits: number): number {
      return drainRound(maxVisits);
    },

    /** Visits whose facts wait in the log or in the open round, not yet tallied. */
    loggedVisits(): number {
      return waitingInLog() + roundCount - roundAt;
    },

    /** Visits of the open round not yet tallied: drainSome tallies these before opening another. */
    roundLeft(): number {
      return roundCount - roundAt;
    },

    /** Visits in the log (not in a round), and how long the oldest of them has waited (ms). */
    logWaiting(): { visits: number; waitedMs: number } {
      const visits = waitingInLog();
      return { visits, waitedMs: visits === 0 ? 0 : deps.now() - logSince };
    },

    /**
     * Says that the runtime tallies the log between flushes (drainSome): from then on a flush
     * that holds tallies back (`holdMs` > 0) leaves the log to it, and only one that writes
     * every tally tallies the log first.
     */
    tallyBetweenFlushes(): void {
      tallyingBetweenFlushes = true;
    },

    /** Visits recorded for this link and not yet written. */
    pendingFor(urlId: number): number {
      return (pending.get(urlId)?.count ?? 0) + (inFlight?.batches.get(urlId)?.count ?? 0);
    },

    /** Settles when no flush is in flight (at once on SQLite). */
    async idle(): Promise<void> {
      while (inFlight !== null) await inFlight.done.catch(() => {});
    },

    pendingTotal(): number {
      return pendingTotal;
    },

    /**
     * Rows of the tallies due now (held `holdMs` as the periodic flush holds them) of the first
     * `maxLinks` links: what the periodic flush has to write besides the counts.
     */
    dueTallyRows(maxLinks: number, holdMs = TALLY_HOLD_MS): number {
      const now = deps.now();
      const hold = tallyHoldFor(tallies.size, holdMs);
      let rows = 0;
      let links = 0;
      for (const entry of tallies.values()) {
        if (links >= maxLinks || now - entry.since < hold) break;
        rows += rowsOf(entry);
        links += 1;
      }
      return rows;
    },

    /** Links with visits or tallies not yet written (either kind, whichever has more). */
    pendingLinks(): number {
      return Math.max(pending.size, tallies.size);
    },

    /**
     * Writes what is pending — the visits of at most `maxLinks` links, those recorded first —
     * and returns how many visits it handed to the database (visits of links deleted meanwhile
     * are dropped there). A link's tallies go with its visits once they are `holdMs` old (the
     * periodic flush passes TALLY_HOLD_MS, which tallyHoldFor lengthens while many links hold
     * tallies; by default every tally goes), and due tallies of links
     * without new visits fill the rest of the `maxLinks`. `logged`: the store may leave them in
     * its visit log, to be folded into the statistics later (VisitStore.logVisits), and the
     * links taken stop once their visits reach `maxVisits` (the first is always taken). While
     * tallies are held, those of TALLY_LINKS_PER_SECOND links go at most, and after the first
     * link no more once they reach `maxTallyRows` rows (rowsOf). If the write fails (database
     * busy or full), everything goes back into memory for the next flush.
     */
    flush(
      maxLinks = Number.POSITIVE_INFINITY,
      holdMs = 0,
      logged = false,
      maxVisits = Number.POSITIVE_INFINITY,
      maxTallyRows = Number.POSITIVE_INFINITY,
    ): Awaitable<number> {
      if (inFlight !== null) return 0;
      const intoLog = logged && deps.visits.logVisits !== undefined;
      // A periodic flush leaves the log to the rounds when the runtime tallies between flushes.
      const leavesLog = !intoLog && tallyingBetweenFlushes && holdMs > 0;
      if (!intoLog && !leavesLog) {
        // Every logged visit is tallied first, whichever link it counts for, so the tallies
        // this flush writes have them all.
        while (drainRound(Number.POSITIVE_INFINITY) > 0);
        for (const batch of pending.values()) batch.logged = 0;
      } else if (holdMs === 0 && roundAt < roundCount) {
        // The log's visits go to the visit log as they are; the open round's are tallied.
        drainRound(Number.POSITIVE_INFINITY);
      }
      const now = deps.now();
      const hold = tallyHoldFor(tallies.size, holdMs);
      const isDue = (entry: Tallies | undefined) =>
        entry !== undefined && now - entry.since >= hold;
      if (pending.size === 0 && !isDue(tallies.values().next().value)) return 0;
      let taking: Pending[];
      // Into the visit log, each visit is written: `maxVisits` bounds them, after the first link.
      const visitBudget = logged ? maxVisits : Number.POSITIVE_INFINITY;
      if (pending.size <= maxLinks && (!logged || waitingInLog() <= visitBudget)) {
        taking = [...pending.values()];
        pending = new Map();
      } else {
        taking = [];
        let visits = 0;
        for (const [urlId, batch] of pending) {
          if (taking.length === maxLinks || (taking.length > 0 && visits >= visitBudget)) break;
          taking.push(batch);
          visits += batch.logged;
          pending.delete(urlId);
        }
      }
      if (leavesLog) {
        // The log keeps its visits (drainSome tallies them), so their links keep a Pending
        // that says so, with no visits of its own: a flush into the visit log takes them
        // from the log with it. A link's visits are written when it has some.
        const counted: Pending[] = [];
        for (const batch of taking) {
          if (batch.logged > 0) {
            const holder = new Pending(batch.urlId, batch.lastVisit);
            holder.logged = batch.logged;
            holder.limited = batch.limited;
            batch.logged = 0;
            pending.set(batch.urlId, holder);
          }
          if (batch.count > 0) counted.push(batch);
        }
        taking = counted;
      }
      const taken: Tallies[] = [];
      // While tallies are held, a call writes those of TALLY_LINKS_PER_SECOND links at most, and
      // no more after the first link once they reach `maxTallyRows` rows (take() says which).
      const held = holdMs > 0 && tallies.size <= MAX_HELD_LINKS;
      const linkBudget = held ? TALLY_LINKS_PER_SECOND : Infinity;
      const rowBudget = held ? maxTallyRows : Infinity;
      let rows = 0;
      const take = (urlId: number): Tallies | undefined => {
        const entry = tallies.get(urlId);
        // The first link's tallies go whatever their rows: `rows` is 0 until then.
        if (!isDue(entry) || taken.length >= linkBudget || rows >= rowBudget) return undefined;
        tallies.delete(urlId);
        taken.push(entry!);
        rows += rowsOf(entry!);
        return entry;
      };
      // Due tallies of links not taken fill the rest of the maxLinks, oldest first.
      const owners = new Set(taking.map((batch) => batch.urlId));
      const dueOnly: Tallies[] = [];
      for (const entry of tallies.values()) {
        if (taking.length + dueOnly.length >= maxLinks || dueOnly.length >= linkBudget) break;
        if (!isDue(entry)) break;
        if (!owners.has(entry.urlId)) dueOnly.push(entry);
      }
      let total = 0;
      for (const batch of taking) total += batch.count;
      pendingTotal -= total;
      const restore = (error: unknown): never => {
        restorePending(taking);
        restoreTallies(taken);
        pendingTotal += total;
        throw error;
      };
      if (intoLog) {
        // Into the visit log: each link's batch, its raw visits with it, is made just before the
        // store writes it and dropped right after, so none of them outlives the young
        // generation; the log's visits stay in place until the write has succeeded.
        let wanted = 0;
        for (const batch of taking) wanted += batch.logged;
        const places = loggedVisitsOf(owners, wanted);
        taking.sort((a, b) => a.urlId - b.urlId);
        function* batches(): Generator<VisitBatch> {
          let at = 0;
          for (const batch of taking) {
            const visits: RawVisit[] = [];
            for (; at < places.length && logLinks[2 * places[at]!] === batch.urlId; at++) {
              visits.push(rawVisitAt(places[at]!, dayNameOf(logLinks[2 * places[at]! + 1]!)));
            }
            yield sealed(batchOf(batch, visits.length > 0 ? visits : undefined), take(batch.urlId));
          }
          for (const entry of dueOnly) {
            const due = take(entry.urlId);
            if (due !== undefined)
              yield sealed(batchOf(new Pending(entry.urlId, entry.since)), due);
          }
        }
        try {
          deps.visits.logVisits!(batches());
        } catch (error) {
          return restore(error);
        }
        dropLogged(places);
        for (const batch of taking) batch.logged = 0;
        return total;
      }
      const batches = taking.map((batch) => batchOf(batch));
      const written: VisitBatch[] = batches.map((batch) => sealed(batch, take(batch.urlId)));
      for (const entry of dueOnly) {
        const due = take(entry.urlId);
        if (due !== undefined)
          written.push(sealed(batchOf(new Pending(entry.urlId, entry.since)), due));
      }
      let result;
      try {
        result = deps.visits.addVisits(written);
      } catch (error) {
        return restore(error);
      }
      if (!(result instanceof Promise)) return total;
      const done = result.then(
        () => {
          inFlight = null;
          return total;
        },
        (error: unknown) => {
          inFlight = null;
          return restore(error);
        },
      );
      inFlight = { batches: new Map(batches.map((batch) => [batch.urlId, batch])), done };
      return done;
    },
  };
}
