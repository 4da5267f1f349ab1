// `npm run bench:policy`: what the URL policy costs for a normal URL and for the worst inputs a
// client can send. The worst cases must cost about what a normal URL does: refused in one pass,
// before any work per label. Compare the ratios of one run, not absolute times.
import { checkTargetUrl } from '../dist/links/url-policy.js';

const options = { maxLength: 8192, ownHosts: ['snip.example'], addMissingScheme: true };
const CASES = [
  ['a normal URL', 'https://www.example.com/docs/getting-started?ref=home'],
  ['1,000 IDN labels (2 KB)', `https://${'é.'.repeat(1000)}com/`],
  ['1,018 ASCII labels (2 KB)', `https://${'a.'.repeat(1018)}com/`],
  ['4,000 IDN labels (8 KB)', `https://${'é.'.repeat(4000)}com/`],
  [
    'a 253-character host',
    `https://${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com/`,
  ],
];
const ROUNDS = 7;
const BATCH = 2000;

/** Median microseconds per check over several timed batches, after a warm-up batch. */
function measure(url) {
  for (let i = 0; i < BATCH; i++) checkTargetUrl(url, options);
  const perCheck = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) checkTargetUrl(url, options);
    perCheck.push(Number(process.hrtime.bigint() - started) / BATCH / 1000);
  }
  return perCheck.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

const rows = CASES.map(([name, url]) => {
  const result = checkTargetUrl(url, options);
  return {
    name,
    chars: url.length,
    verdict: result.ok ? 'accepted' : result.reason,
    us: measure(url),
  };
});
const normal = rows[0].us;
console.log(`URL policy, median of ${ROUNDS} batches of ${BATCH} checks (Node ${process.version})`);
console.log(
  [
    'input'.padEnd(28),
    'chars'.padStart(6),
    'verdict'.padEnd(10),
    'µs/check'.padStart(9),
    'vs normal'.padStart(10),
  ].join('  '),
);
for (const row of rows) {
  console.log(
    [
      row.name.padEnd(28),
      String(row.chars).padStart(6),
      row.verdict.padEnd(10),
      row.us.toFixed(1).padStart(9),
      `${(row.us / normal).toFixed(2)}×`.padStart(10),
    ].join('  '),
  );
}
