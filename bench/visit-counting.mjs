// In-process cost of counting visits: the counter's record (with the visit's facts worked out)
// and its flush into a real SQLite file, in CPU time per visit, for 30,000 visits a second spread
// over 1,000 links, flushed as the server does (tallies held back TALLY_HOLD_MS).
//   node bench/visit-counting.mjs [seconds] [mode …]
// Modes: plain (counts only, as STATISTICS=basic), loop (one browser from 127.0.0.1), loopagents
// (1,000 browsers from 127.0.0.1), browser (one browser from 250 public addresses), agents
// (1,000 browsers from them), dnt (DNT: 1). Without modes: the first five and dnt, twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../dist/db/open-database.sqlite.js';
import { createVisitRepository } from '../dist/stats/visit-store.sqlite.js';
import { createVisitCounter, TALLY_HOLD_MS } from '../dist/stats/visit-counter.js';
import { createVisitFactsOf } from '../dist/stats/visit-facts.js';
import { createVisitorKeys } from '../dist/stats/visitor-key.js';
import { countryLookupFor } from '../dist/stats/geo-country.js';
import { firstLanguage, traitsOf } from '../dist/stats/visit-traits.js';
import { seedLinks } from './seed-links.mjs';

const LINKS = 1000;
const PER_SECOND = 30_000;
const SECONDS = Number(process.argv[2] ?? 8);
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const agents = Array.from({ length: 1000 }, (_, i) => CHROME.replace('131.0.0.0', `131.0.${i}.0`));

/** CPU time of this process in nanoseconds: other processes' load does not count. */
function cpu() {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function requestOf(i, mode) {
  const headers = {
    'user-agent': mode.includes('agents') ? agents[i % 1000] : CHROME,
    'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
  };
  if (mode === 'dnt') headers.dnt = '1';
  const remoteAddress = mode.startsWith('loop') ? '127.0.0.1' : `193.99.144.${i % 250}`;
  return { headers, socket: { remoteAddress } };
}

function run(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'snip-count-'));
  const file = join(dir, 'db.sqlite3');
  seedLinks(file, LINKS);
  const db = openDatabase(file);
  const visits = createVisitRepository(db);
  let clock = Date.parse('2026-12-06T10:00:00Z');
  const counter = createVisitCounter({ visits, now: () => clock });
  const keys = createVisitorKeys({ now: () => clock, randomBytes });
  const country = countryLookupFor(null);
  const factsOf = createVisitFactsOf(
    { hashOf: keys.hashOf, countryOf: country.countryOf, traitsOf, firstLanguage },
    (req) => req.socket.remoteAddress,
  );
  const reqs = Array.from({ length: 4096 }, (_, i) => requestOf(i, mode));
  let recordNs = 0;
  let flushNs = 0;
  let n = 0;
  for (let s = 0; s < SECONDS + 1; s++) {
    const t0 = cpu();
    for (let i = 0; i < PER_SECOND; i++) {
      const req = reqs[(i * 7919) & 4095];
      const id = 1 + ((i * 2654435761) % LINKS);
      counter.record(id, '', mode === 'plain' ? undefined : factsOf(req));
    }
    const t1 = cpu();
    counter.flush(Number.POSITIVE_INFINITY, TALLY_HOLD_MS);
    const t2 = cpu();
    clock += 1000;
    if (s > 0) {
      recordNs += t1 - t0;
      flushNs += t2 - t1;
      n += PER_SECOND;
    }
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { mode, record: recordNs / n / 1000, flush: flushNs / n / 1000 };
}

const MODES = ['plain', 'loop', 'loopagents', 'browser', 'agents', 'dnt'];
const rows = [];
for (const mode of process.argv.slice(3).length ? process.argv.slice(3) : [...MODES, ...MODES])
  rows.push(run(mode));
console.log('| visits | record µs | flush µs | total µs |');
console.log('|---|--:|--:|--:|');
for (const r of rows)
  console.log(
    `| ${r.mode} | ${r.record.toFixed(2)} | ${r.flush.toFixed(2)} | ${(r.record + r.flush).toFixed(2)} |`,
  );
