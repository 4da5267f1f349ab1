// The redirect's lookup alone, on seeded SQLite files of several sizes: CPU microseconds per
// lookup and the process's RSS for each way of finding a link (SQLite's page cache, a memory-
// mapped file, the in-memory index of codes, a covering index, a WITHOUT ROWID table) and for the
// redirect cache's admission policies, under uniform and Zipf (s = 1.1) popularity. ADR 044.
//
//   npm run build && node bench/lookup.mjs [--sizes 1000,1000000,10000000] [--lookups 200000]
//                                         [--rounds 2] [--keep <dir>]
//
// Each measurement runs in a fresh `node` (so RSS is that option's alone): it opens the file
// through snip's openDatabase() and createLinkRepository(), makes `--lookups` lookups to warm up,
// then `--lookups` more, timed with process.cpuUsage(). Codes are drawn before timing; building
// each code's string is inside the timed loop (about 0.1 µs, the same for every option). With
// `--keep <dir>`, seeded files are kept there and reused by later runs; otherwise they go in a
// temporary directory deleted at the end.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
const ZIPF_S = 1.1;
const MB = 1024 * 1024;
const MAX_LAYOUT_LINKS = 1_000_000;

// ---------------------------------------------------------------------------------------------
// The runner.

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,1000000,10000000' },
      lookups: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '2' },
      keep: { type: 'string' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const lookups = Number(values.lookups);
  const rounds = Number(values.rounds);
  const dir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'snip-lookup-'));
  fs.mkdirSync(dir, { recursive: true });
  const cleanUp = () => {
    if (values.keep === undefined) fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  const { seedLinks } = await import('./seed-links.mjs');
  const log = (line) => process.stderr.write(`${line}\n`);
  const rows = [];
  const notes = [];
  try {
    for (const n of sizes) {
      const file = path.join(dir, `links-${n}.db`);
      // A kept file remembers how long its seeding took, beside it.
      const seedTime = `${file}.seed-ms`;
      if (!fs.existsSync(file)) {
        log(`seeding ${n.toLocaleString('en')} links…`);
        fs.writeFileSync(seedTime, String(seedLinks(file, n)));
      }
      const seedMs = fs.existsSync(seedTime) ? Number(fs.readFileSync(seedTime, 'utf8')) : NaN;
      notes.push(
        `seeding ${n.toLocaleString('en')} links: ${(seedMs / 1000).toFixed(1)} s, file ${(fs.statSync(file).size / MB).toFixed(0)} MB`,
      );
      // The other layouts are copies of the file: measured up to a million links, where the
      // copies and their indexes take seconds, not the minutes and gigabytes of ten million.
      const layouts = n <= MAX_LAYOUT_LINKS ? prepareLayouts(file, n, log, notes) : {};
      for (const option of OPTIONS) {
        if (option.layout && !layouts[option.layout]) continue;
        if (option.onlyAbove !== undefined && n <= option.onlyAbove) continue;
        for (const distribution of ['uniform', 'zipf']) {
          const results = [];
          for (let round = 0; round < rounds; round++) {
            const spec = {
              ...option,
              file: layouts[option.layout] ?? file,
              n,
              lookups,
              distribution,
            };
            log(`${n} ${option.name} ${distribution} round ${round + 1}`);
            results.push(runChild(spec));
          }
          // The least CPU time of the rounds: other load on the machine only ever adds to it.
          const best = results.reduce((a, b) => (a.us <= b.us ? a : b));
          rows.push({ n, option: option.name, distribution, ...best });
        }
      }
    }
  } finally {
    cleanUp();
  }
  printTable(rows, { lookups, rounds });
  for (const note of notes) console.log(`- ${note}`);
}

/**
 * The ways of finding a link that are measured. `layout` names a copy of the file with another
 * schema (made once per size by prepareLayouts); `pragmas` are set after openDatabase()'s own.
 */
const OPTIONS = [
  { name: 'SQLite index, cache 2 MB (SQLite default)', pragmas: ['cache_size = -2000'] },
  { name: 'SQLite index, cache 16 MB (driver default)', pragmas: [] },
  { name: 'SQLite index, cache 32 MB', pragmas: ['cache_size = -32768'] },
  { name: 'SQLite index, cache 64 MB', pragmas: ['cache_size = -65536'] },
  { name: 'SQLite index, mmap 256 MB', pragmas: ['mmap_size = 268435456'] },
  { name: 'SQLite index, mmap whole file', pragmas: ['mmap_size = 17179869184'] },
  { name: 'covering index (no visits)', layout: 'covering', pragmas: [] },
  { name: 'WITHOUT ROWID table (no visits)', layout: 'withoutRowid', pragmas: [] },
  { name: 'in-memory index', codeIndex: true, pragmas: [] },
  // Above snip's budget the index is not built: what it would give, and cost, if it were.
  {
    name: 'in-memory index without its cap',
    codeIndex: true,
    uncapped: true,
    pragmas: [],
    onlyAbove: 4_000_000,
  },
  { name: 'in-memory index, mmap 256 MB', codeIndex: true, pragmas: ['mmap_size = 268435456'] },
  {
    name: 'cache 10k admit all (snip before) + index',
    cache: 'all',
    size: 10_000,
    codeIndex: true,
  },
  { name: 'cache 10k second sight + index (snip)', cache: 'second', size: 10_000, codeIndex: true },
  { name: 'cache 50k second sight + index', cache: 'second', size: 50_000, codeIndex: true },
  { name: 'cache 50k admit all + index', cache: 'all', size: 50_000, codeIndex: true },
  { name: 'cache 10k admit all, no index', cache: 'all', size: 10_000 },
];

/** The columns the redirect reads, without `visits` (needed only for links with a visit limit). */
const LAYOUT_COLUMNS = `target, redirect_status, forward_query, redirect_rules, crawlable,
  expires_at, starts_at, max_visits, disabled_at, deleted_at, banned_at, password_hash`;

/** Copies of the file with a covering index, or with a WITHOUT ROWID table of redirect rows. */
function prepareLayouts(file, n, log, notes) {
  const layouts = {};
  const covering = file.replace(/\.db$/, '-covering.db');
  const withoutRowid = file.replace(/\.db$/, '-without-rowid.db');
  const build = (target, sql, label) => {
    if (!fs.existsSync(target)) {
      log(`${label} for ${n} links…`);
      fs.copyFileSync(file, target);
      const result = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', buildLayoutScript(target, sql)],
        { encoding: 'utf8' },
      );
      if (result.status !== 0) throw new Error(result.stderr);
      notes.push(`${label}, ${n.toLocaleString('en')} links: ${result.stdout.trim()}`);
    }
    return target;
  };
  layouts.covering = build(
    covering,
    `CREATE UNIQUE INDEX idx_urls_redirect ON urls (code, COALESCE(domain_id, 0), id,
       ${LAYOUT_COLUMNS})`,
    'covering index',
  );
  layouts.withoutRowid = build(
    withoutRowid,
    `CREATE TABLE redirects (code TEXT NOT NULL, domain_key INTEGER NOT NULL, id INTEGER NOT NULL,
       target TEXT NOT NULL, redirect_status INTEGER, forward_query INTEGER, redirect_rules TEXT,
       crawlable INTEGER, expires_at INTEGER, starts_at INTEGER, max_visits INTEGER,
       disabled_at INTEGER, deleted_at INTEGER, banned_at INTEGER, password_hash TEXT,
       PRIMARY KEY (code, domain_key)) WITHOUT ROWID;
     INSERT INTO redirects SELECT code, COALESCE(domain_id, 0), id, ${LAYOUT_COLUMNS}
       FROM urls ORDER BY code, COALESCE(domain_id, 0);`,
    'WITHOUT ROWID copy',
  );
  return layouts;
}

function buildLayoutScript(target, sql) {
  const dist = JSON.stringify(new URL('../dist/db/open-database.sqlite.js', import.meta.url).href);
  return `
    import fs from 'node:fs';
    const { openDatabase } = await import(${dist});
    const before = fs.statSync(${JSON.stringify(target)}).size;
    const db = openDatabase(${JSON.stringify(target)});
    db.pragma('cache_size = -262144');
    const started = performance.now();
    db.exec(${JSON.stringify(sql)});
    db.pragma('wal_checkpoint(TRUNCATE)');
    const ms = performance.now() - started;
    db.close();
    const after = fs.statSync(${JSON.stringify(target)}).size;
    console.log('built in ' + (ms / 1000).toFixed(1) + ' s, file ' + (before / 2 ** 20).toFixed(0) +
      ' MB → ' + (after / 2 ** 20).toFixed(0) + ' MB');
  `;
}

function runChild(spec) {
  const result = spawnSync(process.execPath, [SELF, '--child', JSON.stringify(spec)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

function printTable(rows, { lookups, rounds }) {
  console.log(
    `Lookups of random codes, ${lookups.toLocaleString('en')} timed after as many to warm up, ` +
      `the least CPU time of ${rounds} fresh process(es); ${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}.\n`,
  );
  console.log(
    '| links | option | popularity | µs/lookup | cache hits | RSS MB | of which file MB | extra |',
  );
  console.log('| ---: | --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const extra = [];
    if (r.index) {
      extra.push(
        `index ${r.index.entries.toLocaleString('en')} entries, ${(r.index.bytes / MB).toFixed(1)} MB, built in ${Math.round(r.index.buildMs)} ms`,
      );
    }
    if (r.index?.state === 'off') extra.push('index off (over its budget)');
    console.log(
      `| ${r.n.toLocaleString('en')} | ${r.option} | ${r.distribution} | ${r.us.toFixed(2)} | ` +
        `${r.hitRate === null ? '' : `${(r.hitRate * 100).toFixed(1)}%`} | ${r.rssMb.toFixed(0)} | ` +
        `${r.fileMb.toFixed(0)} | ${extra.join('; ')} |`,
    );
  }
  console.log('');
}

// ---------------------------------------------------------------------------------------------
// One measurement, in its own process.

async function child(spec) {
  const dist = (file) => new URL(`../dist/${file}`, import.meta.url).href;
  const { openDatabase } = await import(dist('db/open-database.sqlite.js'));
  const { createLinkRepository } = await import(dist('links/link-store.sqlite.js'));
  const { admitOnSecondSight, createRedirectCache, linkKey } = await import(
    dist('links/redirect-cache.js')
  );
  const { codeFor, CODE_PREFIX } = await import('./seed-links.mjs');

  const db = openDatabase(spec.file);
  for (const pragma of spec.pragmas ?? []) db.pragma(pragma);
  const links = createLinkRepository(
    db,
    spec.codeIndex
      ? { codeIndex: spec.uncapped ? { maxLinks: Number.MAX_SAFE_INTEGER } : {} }
      : { codeIndex: false },
  );
  let find = (code) => links.findRedirect(code, 0);
  if (spec.layout === 'covering') {
    const statement = db.prepare(
      `SELECT id, ${LAYOUT_COLUMNS} FROM urls INDEXED BY idx_urls_redirect
       WHERE code = ? AND COALESCE(domain_id, 0) = ?`,
    );
    find = (code) => statement.get(code, 0) ?? null;
  } else if (spec.layout === 'withoutRowid') {
    const statement = db.prepare(
      `SELECT id, ${LAYOUT_COLUMNS} FROM redirects WHERE code = ? AND domain_key = ?`,
    );
    find = (code) => statement.get(code, 0) ?? null;
  }
  let index = null;
  if (spec.codeIndex) {
    links.findRedirect(codeFor(CODE_PREFIX, 0), 0); // starts the build
    while (links.codeIndexState().state === 'building') {
      await new Promise((resolve) => globalThis.setImmediate(resolve));
    }
    index = links.codeIndexState();
  }
  let hits = 0;
  let misses = 0;
  if (spec.cache) {
    const inner = createRedirectCache(spec.size);
    const cache = spec.cache === 'second' ? admitOnSecondSight(inner, spec.size) : inner;
    const store = find;
    find = (code) => {
      const key = linkKey(0, code);
      const cached = cache.get(key);
      if (cached !== undefined) {
        hits += 1;
        return cached;
      }
      misses += 1;
      const row = store(code);
      if (row !== null) cache.set(key, row);
      return row;
    };
  }

  const draw = spec.distribution === 'zipf' ? zipfIndices(spec.n) : uniformIndices(spec.n);
  const warm = Int32Array.from({ length: spec.lookups }, draw);
  const timed = Int32Array.from({ length: spec.lookups }, draw);
  const run = (indices) => {
    let found = 0;
    for (let i = 0; i < indices.length; i++) {
      if (find(codeFor(CODE_PREFIX, indices[i])) !== null) found += 1;
    }
    if (found !== indices.length) throw new Error(`${indices.length - found} codes not found`);
  };
  run(warm);
  hits = 0;
  misses = 0;
  const before = process.cpuUsage();
  run(timed);
  const used = process.cpuUsage(before);
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  db.close();
  console.log(
    JSON.stringify({
      us: (used.user + used.system) / spec.lookups,
      rssMb: kb('VmRSS') / 1024,
      fileMb: kb('RssFile') / 1024,
      hitRate: spec.cache ? hits / (hits + misses) : null,
      index,
    }),
  );
}

function uniformIndices(n) {
  return () => Math.floor(Math.random() * n);
}

/**
 * Zipf (s = ZIPF_S) over ranks 1…n by rejection-inversion (Hörmann and Derflinger, 1996), no
 * table of n weights; rank r is then the link (r·A + B) mod n, a bijection (A is prime to n's
 * factors 2 and 5), so the popular links are spread over the table rather than at its start.
 */
function zipfIndices(n) {
  const s = ZIPF_S;
  const h = (x) => Math.exp(-s * Math.log(x));
  const H = (x) => (Math.exp((1 - s) * Math.log(x)) - 1) / (1 - s);
  const Hinv = (y) => Math.exp(Math.log(1 + y * (1 - s)) / (1 - s));
  const hX1 = H(1.5) - 1;
  const hN = H(n + 0.5);
  const cut = 2 - Hinv(H(2.5) - h(2));
  const A = 48_271;
  const B = Math.floor(n / 3);
  return () => {
    for (;;) {
      const u = hN + Math.random() * (hX1 - hN);
      const x = Hinv(u);
      let k = Math.round(x);
      if (k < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= cut || u >= H(k + 0.5) - h(k)) return ((k - 1) * A + B) % n;
    }
  };
}

// Last: the constants above are defined by now.
if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else {
  await main();
}
