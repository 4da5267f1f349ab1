// `npm run bench:metrics`: what counting a redirect for /metrics costs the redirect path. The fast
// path's listener is called in-process with a stand-in request and response (no sockets, no HTTP
// parsing: only snip's own work per redirect), once without counting and once with each way of
// counting. Compare the differences within one run, not absolute times.
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { assembleApp } from '../dist/app.js';
import { loadConfig } from '../dist/config.js';
import { applyMigrations, loadMigrations } from '../dist/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../dist/db/migrations-dir.js';
import { openDatabase } from '../dist/db/open-database.sqlite.js';
import { createMetrics } from '../dist/metrics/metrics.js';
import { buildServices } from '../dist/services.js';
import { createSqliteStore } from '../dist/storage/store.sqlite.js';

const ROUNDS = 9;
const BATCH = 100_000;
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

/** prom-client's own ways: a child bound once per status, or labels on every call. */
function promClientCounter() {
  const counter = new Counter({
    name: 'bench_redirects_total',
    help: 'bench',
    labelNames: ['status'],
    registers: [new Registry()],
  });
  return counter;
}
const bound = promClientCounter();
const children = new Map([301, 302, 307, 308].map((s) => [s, bound.labels(String(s))]));
const labelled = promClientCounter();

const WAYS = [
  ['not counted (before)', { count() {} }],
  ['plain numbers (snip)', null],
  ['prom-client, pre-bound child', { count: (_method, status) => children.get(status).inc() }],
  ['prom-client, labels per call', { count: (_method, status) => labelled.inc({ status }) }],
];

/** The fast path in front of a stand-in app, on a fresh database with one cached link. */
function fastPath(redirects) {
  const db = openDatabase(':memory:');
  applyMigrations(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  db.prepare(
    `INSERT INTO urls (code, target, created, updated, redirect_status) VALUES ('bench01', 'https://example.com/a', 0, 0, 302)`,
  ).run();
  const services = buildServices({
    config: loadConfig({ DATABASE_URL: 'sqlite::memory:', METRICS_TOKEN: 'x'.repeat(32) }),
    store: createSqliteStore({ db, file: ':memory:', fileCheck: () => null, now: Date.now }),
    logger: pino({ level: 'info' }),
  });
  const { metrics } = services;
  const { redirectFastPath } = assembleApp({
    ...services,
    metrics: redirects === null ? metrics : { ...metrics, redirects },
  });
  return redirectFastPath(() => {
    throw new Error('the bench link must be answered by the fast path');
  });
}

// A request as Node hands it over (with an id, so no UUID is drawn), and a response that keeps
// nothing: the listener's own work is what is measured.
const req = {
  method: 'GET',
  url: '/bench01',
  headers: { host: 'snip.example', 'user-agent': CHROME, 'x-request-id': 'bench-request-0001' },
};
const res = { setHeader() {}, writeHead() {}, end() {} };

/**
 * Median nanoseconds of CPU time (user and system) per call of `fn` over ROUNDS timed batches,
 * after a warm-up batch: CPU time is what other programs on the machine move least.
 */
function measure(fn) {
  for (let i = 0; i < BATCH; i++) fn();
  const perCall = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) fn();
    const used = process.cpuUsage(started);
    perCall.push(((used.user + used.system) * 1000) / BATCH);
  }
  return perCall.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

const listeners = WAYS.map(([name, redirects]) => [name, fastPath(redirects)]);
const snipTally = createMetrics({ enabled: true }).redirects;
const counts = WAYS.map(([name, redirects]) => [name, redirects ?? snipTally]);
// Interleaved rounds, so a change in the machine's load touches every way alike.
const listenerNs = new Map();
const countNs = new Map();
for (let pass = 0; pass < 3; pass++) {
  for (const [name, listener] of listeners) {
    const ns = measure(() => listener(req, res));
    listenerNs.set(name, [...(listenerNs.get(name) ?? []), ns]);
  }
  for (const [name, tally] of counts) {
    const ns = measure(() => tally.count('GET', 302));
    countNs.set(name, [...(countNs.get(name) ?? []), ns]);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const before = median(listenerNs.get(WAYS[0][0]));

console.log(
  `Counting a redirect: CPU time of the fast-path listener in-process, median of 3 passes of ${ROUNDS} batches of ${BATCH} (Node ${process.version})`,
);
console.log(
  [
    'way'.padEnd(30),
    'ns/redirect'.padStart(12),
    'vs before'.padStart(10),
    'ns/count'.padStart(9),
  ].join('  '),
);
for (const [name] of WAYS) {
  const ns = median(listenerNs.get(name));
  console.log(
    [
      name.padEnd(30),
      ns.toFixed(0).padStart(12),
      `${ns - before >= 0 ? '+' : ''}${(ns - before).toFixed(0)} ns`.padStart(10),
      median(countNs.get(name)).toFixed(1).padStart(9),
    ].join('  '),
  );
}
