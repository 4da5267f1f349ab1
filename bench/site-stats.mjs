// `node bench/site-stats.mjs` after `npm run build`: what the whole site's statistics cost to
// read (src/stats/site-stats.ts) on SQLite, on LINKS links with visits on each of DAYS days
// (1 to 20 visitors a link a day, drawn from a day's pool, so one visitor reaches several links)
// and three countries a link a day. Prints the median of ROUNDS reads: by day, by country, the
// top 10 links, and the same by day with every link's sketch merged in JavaScript (what
// PostgreSQL, which cannot merge sketches itself, leaves to the server, without the network).
// Options: --links <n> (10,000), --days <n> (30).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations, loadMigrations } from '../dist/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR } from '../dist/db/migrations-dir.js';
import { openDatabase } from '../dist/db/open-database.sqlite.js';
import { siteStats, topLinks } from '../dist/stats/site-stats.js';
import { createVisitRepository } from '../dist/stats/visit-store.sqlite.js';
import { addToSketch, encodeSketch, newSketch } from '../dist/stats/visitor-sketch.js';

const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const LINKS = option('links', 10_000);
const DAYS = option('days', 30);
/** Distinct visitors a day across the site. */
const POOL = 50_000;
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'AT', 'CH', 'IT', 'ES', 'PL'];
const ROUNDS = 5;

/** A well-mixed 32-bit word of (a, b): a stand-in for a keyed hash, the same for the same pair. */
function mix(a, b) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Visitor `v` on day `d`: the day's key differs, so the same person hashes anew each day. */
const hashOf = (v, d) => ({ hi: mix(v, d), lo: mix(d, v) });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-site-stats-'));
const file = path.join(dir, 'bench.sqlite3');
try {
  const db = openDatabase(file);
  applyMigrations(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  db.pragma('cache_size = -262144');
  const seeded = Date.now();
  const insertLink = db.prepare(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status)
     VALUES (?, 'https://example.com/', 0, 0, ?, 302)`,
  );
  const insertDay = db.prepare(
    'INSERT INTO visits_daily (url_id, day, count, visitors) VALUES (?, ?, ?, ?)',
  );
  const insertValue = db.prepare(
    `INSERT INTO visit_dimensions (url_id, dimension, day, value, count, visitors)
     VALUES (?, 'country', ?, ?, ?, ?)`,
  );
  const days = Array.from({ length: DAYS }, (_, d) =>
    new Date(Date.UTC(2026, 10, 1) + d * 86_400_000).toISOString().slice(0, 10),
  );
  let rows = 0;
  db.transaction(() => {
    for (let link = 1; link <= LINKS; link++) {
      insertLink.run(`s${link}`, Buffer.from(`token-${link}`));
      days.forEach((day, d) => {
        const count = 1 + (mix(link, d) % 20);
        const byCountry = new Map();
        const all = newSketch();
        for (let i = 0; i < count; i++) {
          const visitor = mix(link * 31 + i, d) % POOL;
          addToSketch(all, hashOf(visitor, d));
          const country = COUNTRIES[(link + i) % 3 === 0 ? 0 : (link + i + d) % COUNTRIES.length];
          let entry = byCountry.get(country);
          if (!entry) byCountry.set(country, (entry = { count: 0, sketch: newSketch() }));
          entry.count += 1;
          addToSketch(entry.sketch, hashOf(visitor, d));
        }
        insertDay.run(link, day, count, encodeSketch(all));
        rows += 1;
        for (const [country, entry] of byCountry) {
          insertValue.run(link, day, country, entry.count, encodeSketch(entry.sketch));
          rows += 1;
        }
      });
    }
  })();
  const size = fs.statSync(file).size;
  console.error(
    `seeded ${LINKS} links x ${DAYS} days: ${rows} rows, ${(size / 1e6).toFixed(0)} MB, in ${((Date.now() - seeded) / 1000).toFixed(1)} s`,
  );

  const store = createVisitRepository(db);
  const from = days[0];
  const to = days.at(-1);
  /** The PostgreSQL way: counts summed by the database, every link's sketch handed over. */
  const rawDays = db.prepare(
    `SELECT day AS key, count, visitors FROM visits_daily WHERE day >= ? AND day <= ?`,
  );
  const sketchesInJs = {
    siteDayRows(fromDay, toDay) {
      const byDay = new Map();
      for (const row of rawDays.iterate(fromDay, toDay)) {
        let entry = byDay.get(row.key);
        if (!entry) byDay.set(row.key, (entry = { key: row.key, count: 0, visitors: [] }));
        entry.count += row.count;
        if (row.visitors !== null) entry.visitors.push(row.visitors);
      }
      return [...byDay.values()].toSorted((a, b) => (a.key < b.key ? -1 : 1));
    },
    siteDimensionRows: () => [],
  };

  /** Median milliseconds of ROUNDS runs, after one unmeasured run; the last answer too. */
  async function measure(run) {
    let answer = await run();
    const times = [];
    for (let i = 0; i < ROUNDS; i++) {
      const started = process.hrtime.bigint();
      answer = await run();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return { ms: times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)], answer };
  }

  const rowsOut = [];
  const byDay = await measure(() => siteStats(store, 'day', from, to));
  rowsOut.push(['siteStats by day (SQLite merges)', byDay]);
  const byCountry = await measure(() => siteStats(store, 'country', from, to));
  rowsOut.push(['siteStats by country (SQLite merges)', byCountry]);
  const top = await measure(() => topLinks(store, from, to, 10));
  rowsOut.push(['topLinks, 10', top]);
  const inJs = await measure(() => siteStats(sketchesInJs, 'day', from, to));
  rowsOut.push(['siteStats by day, every sketch merged in JS', inJs]);
  if (inJs.answer.uniqueVisitors !== byDay.answer.uniqueVisitors) {
    throw new Error('the two ways disagree on the unique visitors');
  }

  console.log(`| ${LINKS} links x ${DAYS} days (${os.cpus()[0]?.model ?? 'cpu'}) | median ms |`);
  console.log('| --- | ---: |');
  for (const [name, { ms }] of rowsOut) console.log(`| ${name} | ${ms.toFixed(1)} |`);
  console.log(
    `\nvisits ${byDay.answer.visits}, unique visitors ${byDay.answer.uniqueVisitors} (${DAYS} days of at most ${POOL} a day)`,
  );
  db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
