// `npm run build && node --expose-gc bench/visit-traits.mjs`: what reading a visit's traits costs
// on the redirect path — the browser, OS and device of a User-Agent (parsed, then remembered),
// the first language of Accept-Language, the country of an address — and how much memory the
// country database takes. Compare within one run; absolute times move with the machine.
import fs from 'node:fs';
import { openCountryLookup, packagedCountryDatabase } from '../dist/stats/geo-country.js';
import { firstLanguage, traitsOf, traitsParseCount } from '../dist/stats/visit-traits.js';

const ROUNDS = 7;

function collect() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

// --- Memory first, before the timings allocate anything.
collect();
const before = process.memoryUsage();
const started = process.hrtime.bigint();
const geo = openCountryLookup({});
const openMs = Number(process.hrtime.bigint() - started) / 1e6;
collect();
const after = process.memoryUsage();
const databaseBytes = fs.statSync(packagedCountryDatabase()).size;

/**
 * Median nanoseconds per call over ROUNDS timed batches, after a warm-up batch. `inputs` cycles;
 * the sink keeps the calls from being optimised away.
 */
let sink = 0;
function measure(fn, inputs, batch) {
  const run = (offset) => {
    for (let i = 0; i < batch; i++) {
      const out = fn(inputs[(offset + i) % inputs.length]);
      sink += typeof out === 'string' ? out.length : out.browser.length;
    }
  };
  run(0);
  const perCall = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    run((round + 1) * batch);
    perCall.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return perCall.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

const AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36',
];
// Every call a string never seen: 5,000 distinct agents per batch, each a real one with a
// different build number, as a new browser version would send.
let fresh = 0;
const freshAgents = (count) =>
  Array.from(
    { length: count },
    () => `${AGENTS[fresh % AGENTS.length]} Build/${Math.floor(fresh++ / AGENTS.length)}`,
  );
// The bench's "cycling set of 1,000 User-Agents": remembered after their first visit.
const cycling = Array.from({ length: 1000 }, (_, i) => `${AGENTS[i % AGENTS.length]} Cycle/${i}`);
for (const agent of cycling) traitsOf(agent);

const COLD_BATCH = 5000;
const coldInputs = freshAgents(COLD_BATCH * (ROUNDS + 1));
const parsesBefore = traitsParseCount();
const rows = [['traitsOf, cold (parsed by bowser)', measure(traitsOf, coldInputs, COLD_BATCH)]];
const coldParses = traitsParseCount() - parsesBefore;
// The cold row filled the memo past its size, which empties it: visit the cycling set again.
for (const agent of cycling) traitsOf(agent);
const cachedBefore = traitsParseCount();
rows.push(['traitsOf, cached (1,000 cycling agents)', measure(traitsOf, cycling, 100_000)]);
const cachedParses = traitsParseCount() - cachedBefore;
rows.push([
  'traitsOf, 8 KB agent (remembered by its first 512 chars)',
  measure(traitsOf, [`${AGENTS[2]} ${'x'.repeat(8192)}`], 2000),
]);
rows.push([
  'firstLanguage, de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7',
  measure(firstLanguage, ['de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7'], 200_000),
]);
rows.push(['firstLanguage, en-US (one entry)', measure(firstLanguage, ['en-US'], 200_000)]);
rows.push([
  'firstLanguage, 500 chars of malformed entries',
  measure(firstLanguage, ['en;q=x, '.repeat(62)], 20_000),
]);
const V4 = ['193.99.144.80', '8.8.8.8', '133.0.0.1', '200.160.2.3', '80.156.55.1'];
const V6 = ['2003::1', '2001:4860:4860::8888', '2400:4000::1', '2001:12ff::1', '2804::1'];
const MAPPED = V4.map((address) => `::ffff:${address}`);
const PRIVATE = ['10.1.2.3', '192.168.1.1', '127.0.0.1', 'fd12::1', '::ffff:172.16.0.1'];
const country = (address) => geo.countryOf(address);
rows.push(['countryOf, IPv4', measure(country, V4, 100_000)]);
rows.push(['countryOf, IPv4-mapped IPv6 (::ffff:a.b.c.d)', measure(country, MAPPED, 100_000)]);
rows.push(['countryOf, IPv6', measure(country, V6, 100_000)]);
rows.push(['countryOf, private (no lookup)', measure(country, PRIVATE, 100_000)]);

console.log(
  `Visit traits, median of ${ROUNDS} batches (Node ${process.version}${globalThis.gc ? ', GC forced before memory readings' : ', run with --expose-gc for steadier memory figures'})`,
);
console.log('');
console.log(`| ${'call'.padEnd(58)} | ${'ns/call'.padStart(8)} |`);
console.log(`| ${'-'.repeat(58)} | ${'-'.repeat(7)}: |`);
for (const [name, ns] of rows) {
  console.log(`| ${name.padEnd(58)} | ${Math.round(ns).toLocaleString('en').padStart(8)} |`);
}
console.log('');
console.log(
  `traitsOf parses: ${coldParses.toLocaleString('en')} in the cold rows (one per call), ${cachedParses} in the cached row.`,
);
console.log(
  `Country database: ${packagedCountryDatabase().replace(/.*node_modules\//, 'node_modules/')}, ` +
    `${mb(databaseBytes)} MB on disk, built ${geo.builtAt.toISOString().slice(0, 10)}, opened in ${openMs.toFixed(0)} ms.`,
);
console.log(
  `RSS added by loading it: ${mb(after.rss - before.rss)} MB (RSS ${mb(before.rss)} → ${mb(after.rss)} MB; ` +
    `external memory (Buffers) ${mb(before.external)} → ${mb(after.external)} MB; ` +
    `heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB). The limit is 40 MB.`,
);
if (sink === -1) console.log('');
