import { DIMENSIONS, type DimensionCount, type RawVisit, type VisitBatch } from './visit-store.js';
import {
  addHashToSketch,
  encodeSketch,
  mergeEncoded,
  newSketch,
  type Sketch,
} from './visitor-sketch.js';

/**
 * A visit batch (visit-store.ts) as bytes, for the visit log (ADR 045): what one flush gathered
 * for one link — its visits, their days and referring hosts, and the dimensions' tallies with
 * their encoded sketches — written as it is and folded into the statistics later. Compact and
 * versioned, read back exactly: numbers as unsigned varints (safe integers), texts as UTF-8
 * with their length, sketches as their encoded bytes (or none). Raw visits write their day and
 * values out, or, from NUMBERED_FROM of them, name them by number in a table of the batch's
 * distinct texts: a busy link's thousands of visits a second share a few, and writing each
 * visit's seven texts took a third of a slice's time and 3.6 times the bytes.
 */

/** The first byte of every encoded batch. */
export const VISIT_BATCH_FORMAT = 1;
/** Raw visits from which a batch numbers their texts: a table costs more for one or two. */
export const NUMBERED_FROM = 4;

const HAS_DAY_VISITORS = 1;
const HAS_DIMENSIONS = 2;
const HAS_VISITS = 4;
const HAS_NUMBERED_VISITS = 8;

class Writer {
  private bytes = Buffer.allocUnsafe(256);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + n));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }

  byte(value: number): void {
    this.room(1);
    this.bytes[this.at++] = value;
  }

  /** A non-negative safe integer, seven bits a byte, low bits first. */
  uint(value: number): void {
    this.room(8);
    let rest = value;
    while (rest >= 0x80) {
      this.bytes[this.at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[this.at++] = rest;
  }

  text(value: string): void {
    const length = Buffer.byteLength(value);
    this.uint(length);
    this.room(length);
    this.bytes.write(value, this.at, length, 'utf8');
    this.at += length;
  }

  /** Bytes with their length plus one; 0 for none. */
  blob(value: Uint8Array | null): void {
    if (value === null) {
      this.uint(0);
      return;
    }
    this.uint(value.length + 1);
    this.room(value.length);
    this.bytes.set(value, this.at);
    this.at += value.length;
  }

  done(): Buffer {
    return this.bytes.subarray(0, this.at);
  }
}

class Reader {
  private at = 0;
  private readonly bytes: Buffer;
  constructor(bytes: Uint8Array) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw new Error('visit batch: truncated');
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > Number.MAX_SAFE_INTEGER) throw new Error('visit batch: number too large');
    }
    return value;
  }

  text(): string {
    const length = this.uint();
    this.need(length);
    const value = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }

  blob(): Uint8Array | null {
    const length = this.uint();
    if (length === 0) return null;
    this.need(length - 1);
    // A copy: the sketch outlives the row it was read from.
    const value = new Uint8Array(this.bytes.subarray(this.at, this.at + length - 1));
    this.at += length - 1;
    return value;
  }

  end(): void {
    if (this.at !== this.bytes.length) throw new Error('visit batch: trailing bytes');
  }
}

/** Raw visits with their texts written out (read by textVisits). */
function writeTextVisits(out: Writer, visits: readonly RawVisit[]): void {
  out.uint(visits.length);
  for (const { day, hi, lo, values } of visits) {
    out.text(day);
    out.uint(hi);
    out.uint(lo);
    for (const value of values) out.text(value);
  }
}

/** Raw visits naming their texts by number in a table written first (read by numberedVisits). */
function writeNumberedVisits(out: Writer, visits: readonly RawVisit[]): void {
  const names = new Map<string, number>();
  const numbers: number[] = [];
  const numberOf = (name: string): number => {
    let n = names.get(name);
    if (n === undefined) names.set(name, (n = names.size));
    return n;
  };
  for (const { day, values } of visits) {
    numbers.push(numberOf(day));
    for (const value of values) numbers.push(numberOf(value));
  }
  out.uint(names.size);
  for (const name of names.keys()) out.text(name);
  out.uint(visits.length);
  let at = 0;
  for (const { hi, lo } of visits) {
    out.uint(hi);
    out.uint(lo);
    for (let d = 0; d <= DIMENSIONS.length; d++) out.uint(numbers[at++]!);
  }
}

export function encodeVisitBatch(batch: VisitBatch): Buffer {
  const visits = batch.visits;
  const numbered = visits !== undefined && visits.length >= NUMBERED_FROM;
  const out = new Writer();
  out.byte(VISIT_BATCH_FORMAT);
  out.byte(
    (batch.dayVisitors === undefined ? 0 : HAS_DAY_VISITORS) |
      (batch.dimensions === undefined ? 0 : HAS_DIMENSIONS) |
      (visits === undefined ? 0 : numbered ? HAS_NUMBERED_VISITS : HAS_VISITS),
  );
  out.uint(batch.urlId);
  out.uint(batch.count);
  out.uint(batch.lastVisit);
  out.uint(batch.byDay.size);
  for (const [day, count] of batch.byDay) {
    out.text(day);
    out.uint(count);
  }
  out.uint(batch.byReferrer.size);
  for (const [host, count] of batch.byReferrer) {
    out.text(host);
    out.uint(count);
  }
  if (batch.dayVisitors !== undefined) {
    out.uint(batch.dayVisitors.size);
    for (const [day, visitors] of batch.dayVisitors) {
      out.text(day);
      out.blob(visitors);
    }
  }
  if (batch.dimensions !== undefined) {
    out.uint(batch.dimensions.length);
    for (const { day, dimension, value, count, visitors } of batch.dimensions) {
      out.text(day);
      out.byte(DIMENSIONS.indexOf(dimension));
      out.text(value);
      out.uint(count);
      out.blob(visitors);
    }
  }
  if (numbered) writeNumberedVisits(out, visits);
  else if (visits !== undefined) writeTextVisits(out, visits);
  return out.done();
}

/** The batch `encodeVisitBatch` wrote; throws on bytes it did not write. */
export function decodeVisitBatch(bytes: Uint8Array): VisitBatch {
  const input = new Reader(bytes);
  if (input.byte() !== VISIT_BATCH_FORMAT) throw new Error('visit batch: unknown format');
  const flags = input.byte();
  const urlId = input.uint();
  const count = input.uint();
  const lastVisit = input.uint();
  const byDay = new Map<string, number>();
  for (let n = input.uint(); n > 0; n--) byDay.set(input.text(), input.uint());
  const byReferrer = new Map<string, number>();
  for (let n = input.uint(); n > 0; n--) byReferrer.set(input.text(), input.uint());
  const batch: VisitBatch = { urlId, count, lastVisit, byDay, byReferrer };
  if (flags & HAS_DAY_VISITORS) {
    const dayVisitors = new Map<string, Uint8Array | null>();
    for (let n = input.uint(); n > 0; n--) dayVisitors.set(input.text(), input.blob());
    batch.dayVisitors = dayVisitors;
  }
  if (flags & HAS_DIMENSIONS) {
    const dimensions: DimensionCount[] = [];
    for (let n = input.uint(); n > 0; n--) {
      const day = input.text();
      const dimension = DIMENSIONS[input.byte()];
      if (dimension === undefined) throw new Error('visit batch: unknown dimension');
      dimensions.push({
        day,
        dimension,
        value: input.text(),
        count: input.uint(),
        visitors: input.blob(),
      });
    }
    batch.dimensions = dimensions;
  }
  if (flags & HAS_VISITS) batch.visits = textVisits(input);
  else if (flags & HAS_NUMBERED_VISITS) batch.visits = numberedVisits(input);
  input.end();
  return batch;
}

/** Raw visits whose texts a table names: the table, then each visit's by number. */
function numberedVisits(input: Reader): RawVisit[] {
  const names: string[] = [];
  for (let n = input.uint(); n > 0; n--) names.push(input.text());
  const name = (): string => {
    const found = names[input.uint()];
    if (found === undefined) throw new Error('visit batch: unknown text');
    return found;
  };
  const visits: RawVisit[] = [];
  for (let n = input.uint(); n > 0; n--) {
    const hi = input.uint();
    const lo = input.uint();
    const day = name();
    const values: string[] = [];
    for (let d = 0; d < DIMENSIONS.length; d++) values.push(name());
    visits.push({ day, hi, lo, values });
  }
  return visits;
}

/** Raw visits with their texts written out. */
function textVisits(input: Reader): RawVisit[] {
  const visits: RawVisit[] = [];
  for (let n = input.uint(); n > 0; n--) {
    const day = input.text();
    const hi = input.uint();
    const lo = input.uint();
    const values: string[] = [];
    for (let d = 0; d < DIMENSIONS.length; d++) values.push(input.text());
    visits.push({ day, hi, lo, values });
  }
  return visits;
}

function add(into: Map<string, number>, from: Map<string, number>): void {
  for (const [key, count] of from) into.set(key, (into.get(key) ?? 0) + count);
}

function mergeVisitors(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  return a === null && b === null ? null : mergeEncoded(a, b);
}

/**
 * One batch of a link holding the visits of several (the same link's, in any order): counts
 * added, the last visit the latest, each day's and each value's visitors merged. Writing it
 * stores what writing each of them would have.
 */
export function mergeVisitBatches(batches: VisitBatch[]): VisitBatch {
  const [first, ...rest] = batches;
  if (first === undefined) throw new Error('mergeVisitBatches: no batch');
  if (rest.length === 0) return first;
  const merged: VisitBatch = {
    urlId: first.urlId,
    count: 0,
    lastVisit: 0,
    byDay: new Map(),
    byReferrer: new Map(),
  };
  const dimensions = new Map<string, DimensionCount>();
  for (const batch of batches) {
    merged.count += batch.count;
    merged.lastVisit = Math.max(merged.lastVisit, batch.lastVisit);
    add(merged.byDay, batch.byDay);
    add(merged.byReferrer, batch.byReferrer);
    if (batch.dayVisitors !== undefined) {
      merged.dayVisitors ??= new Map();
      for (const [day, visitors] of batch.dayVisitors) {
        const kept = merged.dayVisitors.get(day);
        merged.dayVisitors.set(day, kept === undefined ? visitors : mergeVisitors(kept, visitors));
      }
    }
    if (batch.visits !== undefined) (merged.visits ??= []).push(...batch.visits);
    for (const entry of batch.dimensions ?? []) {
      const key = `${entry.day}\u0000${entry.dimension}\u0000${entry.value}`;
      const kept = dimensions.get(key);
      if (kept === undefined) dimensions.set(key, { ...entry });
      else {
        kept.count += entry.count;
        kept.visitors = mergeVisitors(kept.visitors, entry.visitors);
      }
    }
  }
  if (batches.some((batch) => batch.dimensions !== undefined)) {
    merged.dimensions = [...dimensions.values()];
  }
  return merged;
}

type ValueTally = { count: number; visitors: Sketch };

/**
 * The batch with its raw visits (VisitBatch.visits) turned into what the stores write: each
 * day's visitors and each value's visits and visitors, merged with the tallies it carries
 * already. A day with one visit, as most are when visits are spread over many links, has one
 * visitor: its sketch is encoded once for the day and its six values.
 */
export function sealRawVisits(batch: VisitBatch): VisitBatch {
  if (batch.visits === undefined) return batch;
  const { visits, ...rest } = batch;
  if (visits.length === 0) return rest;
  const byDay = new Map<string, RawVisit[]>();
  for (const visit of visits) {
    const day = byDay.get(visit.day);
    if (day === undefined) byDay.set(visit.day, [visit]);
    else day.push(visit);
  }
  const dayVisitors = new Map<string, Uint8Array>();
  const dimensions: DimensionCount[] = [];
  for (const [day, dayVisits] of byDay) {
    if (dayVisits.length === 1) {
      const [{ hi, lo, values }] = dayVisits as [RawVisit];
      const sketch = newSketch();
      addHashToSketch(sketch, hi, lo);
      const visitors = encodeSketch(sketch);
      dayVisitors.set(day, visitors);
      DIMENSIONS.forEach((dimension, d) => {
        dimensions.push({ day, dimension, value: values[d]!, count: 1, visitors });
      });
      continue;
    }
    const daySketch = newSketch();
    const tallies = DIMENSIONS.map(() => new Map<string, ValueTally>());
    for (const { hi, lo, values } of dayVisits) {
      addHashToSketch(daySketch, hi, lo);
      for (let d = 0; d < DIMENSIONS.length; d++) {
        let tally = tallies[d]!.get(values[d]!);
        if (tally === undefined) {
          tally = { count: 0, visitors: newSketch() };
          tallies[d]!.set(values[d]!, tally);
        }
        tally.count += 1;
        addHashToSketch(tally.visitors, hi, lo);
      }
    }
    dayVisitors.set(day, encodeSketch(daySketch));
    DIMENSIONS.forEach((dimension, d) => {
      for (const [value, tally] of tallies[d]!) {
        dimensions.push({
          day,
          dimension,
          value,
          count: tally.count,
          visitors: encodeSketch(tally.visitors),
        });
      }
    });
  }
  const tallied: VisitBatch = {
    urlId: batch.urlId,
    count: 0,
    lastVisit: 0,
    byDay: new Map(),
    byReferrer: new Map(),
    dayVisitors,
    dimensions,
  };
  return mergeVisitBatches([rest, tallied]);
}
