// `node bench/sketch.mjs` after `npm run build`: what unique-visitor counting costs a visit (the
// keyed hash, one add to a sketch) and a flush (encode, decode, merge), the encoded sizes, and
// the estimate's error at 10 to 100,000 distinct visitors (ADR 032). Compare within one run.
import { createHmac, randomBytes } from 'node:crypto';
import { createVisitorKeys } from '../dist/stats/visitor-key.js';
import {
  addToSketch,
  decodeSketch,
  encodeSketch,
  estimateSketch,
  mergeEncoded,
  mergeSketches,
  newSketch,
} from '../dist/stats/visitor-sketch.js';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const COUNTS = [10, 100, 1_000, 10_000, 100_000];
const ERROR_KEYS = 5;
const ROUNDS = 7;

/** Median nanoseconds per call of `step(i)` over timed batches, after a warm-up batch. */
function measure(batch, step) {
  let sink = 0;
  for (let i = 0; i < batch; i++) sink ^= step(i) | 0;
  const perCall = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink ^= step(i) | 0;
    perCall.push(Number(process.hrtime.bigint() - started) / batch);
  }
  if (sink === 0.5) console.log(sink); // keeps the work from being optimised away
  return perCall.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

/** n distinct visitors (IPv6 addresses of the documentation range) hashed under a fresh key. */
function visitorHashes(n) {
  const keys = createVisitorKeys({ now: Date.now, randomBytes });
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = keys.hashOf(`2001:db8::${i.toString(16)}`, CHROME);
  return out;
}

function sketchOf(hashes) {
  const sketch = newSketch();
  for (const hash of hashes) addToSketch(sketch, hash);
  return sketch;
}

// The hash, on 1,000 cycling addresses and a browser's User-Agent.
const addresses = Array.from({ length: 1000 }, (_, i) => `198.51.${i >> 8}.${i & 255}`);
const keys = createVisitorKeys({ now: Date.now, randomBytes });
const hmacKey = randomBytes(32);
const sipNs = measure(100_000, (i) => keys.hashOf(addresses[i % 1000], CHROME).lo);
const hmacNs = measure(50_000, (i) =>
  createHmac('sha256', hmacKey)
    .update(addresses[i % 1000])
    .update('\0')
    .update(CHROME)
    .digest()
    .readUInt32BE(0),
);

// Adds: to sparse sketches of up to 1,000 visitors (a new one every 1,000 adds, its growth
// included), and to a dense sketch of 100,000.
const many = visitorHashes(200_000);
let sparse = newSketch();
const sparseAddNs = measure(100_000, (i) => {
  if (i % 1000 === 0) sparse = newSketch();
  addToSketch(sparse, many[i % 100_000]);
  return 0;
});
const dense = sketchOf(many.slice(0, 100_000));
const denseAddNs = measure(100_000, (i) => {
  addToSketch(dense, many[100_000 + (i % 100_000)]);
  return 0;
});

console.log(`Unique-visitor sketch (p = 14), Node ${process.version}, median of ${ROUNDS} batches`);
console.log('');
console.log('| per visit                                    |     ns |');
console.log('| -------------------------------------------- | -----: |');
console.log(`| hashOf (SipHash-2-4, daily key)              | ${fmt(sipNs, 6)} |`);
console.log(`| HMAC-SHA-256 of the same input, for scale    | ${fmt(hmacNs, 6)} |`);
console.log(`| addToSketch, sparse (up to 1,000 visitors)   | ${fmt(sparseAddNs, 6)} |`);
console.log(`| addToSketch, dense (100,000 visitors)        | ${fmt(denseAddNs, 6)} |`);
console.log('');

const header = [
  '| distinct',
  'form  ',
  '  bytes',
  'bytes/visitor',
  'estimate',
  'error (this key)',
  `worst error of ${ERROR_KEYS} keys`,
  'encode µs',
  'decode µs',
  'merge µs',
  'mergeEncoded µs |',
];
console.log(header.join(' | '));
console.log(
  `| ${header.map((cell) => '-'.repeat(cell.replace(/^\| | \|$/g, '').length)).join(' | ')} |`,
);
for (const n of COUNTS) {
  const hashes = visitorHashes(n);
  const sketch = sketchOf(hashes);
  const other = sketchOf(visitorHashes(n));
  const bytes = encodeSketch(sketch);
  const otherBytes = encodeSketch(other);
  const estimate = estimateSketch(sketch);
  let worst = Math.abs(estimate - n) / n;
  for (let k = 1; k < ERROR_KEYS; k++) {
    worst = Math.max(worst, Math.abs(estimateSketch(sketchOf(visitorHashes(n))) - n) / n);
  }
  const batch = n >= 10_000 ? 200 : 2_000;
  const encodeUs = measure(batch, () => encodeSketch(sketch).length) / 1000;
  const decodeUs = measure(batch, () => (decodeSketch(bytes) === null ? 1 : 0)) / 1000;
  const mergeUs =
    measure(batch, () => (mergeSketches(sketch, other).dense === null ? 1 : 0)) / 1000;
  const mergeEncodedUs = measure(batch, () => mergeEncoded(bytes, otherBytes).length) / 1000;
  console.log(
    [
      `| ${n.toLocaleString('en').padStart(7)}`,
      (sketch.dense === null ? 'sparse' : 'dense').padEnd(6),
      bytes.length.toLocaleString('en').padStart(7),
      (bytes.length / n).toFixed(2).padStart(13),
      estimate.toLocaleString('en').padStart(8),
      `${(((estimate - n) / n) * 100).toFixed(2)}%`.padStart(16),
      `${(worst * 100).toFixed(2)}%`.padStart(`worst error of ${ERROR_KEYS} keys`.length),
      encodeUs.toFixed(1).padStart(9),
      decodeUs.toFixed(1).padStart(9),
      mergeUs.toFixed(1).padStart(8),
      `${mergeEncodedUs.toFixed(1).padStart(15)} |`,
    ].join(' | '),
  );
}
console.log('');
console.log(
  'merge and mergeEncoded: two sketches of n distinct visitors each, 2n in their union (sparse up to 2,048).',
);

function fmt(value, width) {
  return value.toFixed(0).padStart(width);
}
