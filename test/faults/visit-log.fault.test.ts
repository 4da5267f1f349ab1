import fs from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_FROM_LINKS } from '../../src/stats/visit-log.sqlite.js';
import { withReadOnlyDatabase } from '../support/read-database.js';
import { faultReport } from './fault-report.js';
import { createTempDir } from '../support/test-app.js';
import {
  createDatabaseFile,
  insertLinks,
  killLeftovers,
  sleep,
  startSnip,
  visitRequest,
  waitFor,
  type Snip,
} from './snip-process.js';

/**
 * ADR 045 on a real process: visits spread over more links a second than LOG_FROM_LINKS go to
 * the visit log and are folded later. Killed with SIGKILL while it logs, snip loses at most the
 * last second's visits and counts none twice once the next start has folded the log; stopped with
 * SIGTERM, it keeps every answered visit.
 */

const LINKS = 4 * LOG_FROM_LINKS;
const CLIENTS = 8;
const LOAD_MS = 3000;
/** PRODUCT §4: a hard crash may lose the last unflushed second; the flush itself takes a moment. */
const MAY_LOSE_MS = 2000;

let dir: string | undefined;
afterEach(async () => {
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function seedLinks(file: string): void {
  insertLinks(
    file,
    Array.from({ length: LINKS }, (_, i) => [`v${i}`, `https://example.com/${i}`] as const),
  );
}

type Answered = { code: string; at: number };

/** Follows random links from CLIENTS keep-alive clients for `ms`; the 302s they got, and when. */
async function visitSpreadOut(snip: Snip, ms: number): Promise<Answered[]> {
  const answered: Answered[] = [];
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (performance.now() < until) {
          const code = `v${Math.floor(Math.random() * LINKS)}`;
          const outcome = await snip.send({ ...visitRequest(code), agent });
          if (outcome.kind !== 'answered') return;
          expect(outcome.status).toBe(302);
          answered.push({ code, at: performance.now() });
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return answered;
}

function storedVisits(file: string) {
  return withReadOnlyDatabase(file, (db) => ({
    byCode: new Map(
      (db.prepare('SELECT code, visits FROM urls').all() as { code: string; visits: number }[]).map(
        (row) => [row.code, row.visits],
      ),
    ),
    daily: (
      db.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM visits_daily').get() as { n: number }
    ).n,
    logged: (db.prepare('SELECT COUNT(*) AS n FROM visit_log').get() as { n: number }).n,
  }));
}

function countByCode(answered: Answered[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { code } of answered) counts.set(code, (counts.get(code) ?? 0) + 1);
  return counts;
}

/** Starts snip on the file and waits until its fold has emptied the visit log. */
async function startAndFold(file: string): Promise<Snip> {
  const snip = await startSnip(file, { RATE_LIMITS: 'off' });
  expect(await waitFor(() => storedVisits(file).logged === 0, 30_000)).not.toBeNull();
  return snip;
}

describe('visits spread over many links, through the visit log', () => {
  it(`when snip is killed with SIGKILL while it logs visits to ${LINKS} links, then the next start folds them: at most the last second lost, none counted twice`, async () => {
    const fault = faultReport('kill -9 while visits go to the visit log');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    seedLinks(file);
    const snip = await startSnip(file, { RATE_LIMITS: 'off' });
    const answered = await visitSpreadOut(snip, LOAD_MS);
    fault.add({ requests: answered.length });
    const killedAt = performance.now();
    snip.proc.child.kill('SIGKILL');
    await snip.proc.exited;
    // More links a second than LOG_FROM_LINKS: the flushes went to the log, not yet folded.
    expect(new Set(answered.map((a) => a.code)).size).toBeGreaterThan(LOG_FROM_LINKS);
    const afterKill = storedVisits(file);
    expect(afterKill.logged).toBeGreaterThan(0);

    const restarted = await startAndFold(file);
    const stored = storedVisits(file);
    const sent = countByCode(answered);
    let total = 0;
    for (const [code, visits] of stored.byCode) {
      // Never more than were answered: nothing counted twice by a fold after a crash.
      expect(visits, code).toBeLessThanOrEqual(sent.get(code) ?? 0);
      total += visits;
    }
    expect(stored.daily).toBe(total);
    const older = answered.filter((a) => a.at < killedAt - MAY_LOSE_MS).length;
    expect(total).toBeGreaterThanOrEqual(older);
    expect(total).toBeLessThanOrEqual(answered.length);
    restarted.proc.child.kill('SIGTERM');
    await restarted.proc.exited;
    fault.survived(
      `kill -9 while visits go to the visit log: ${answered.length} visits answered over ${LINKS} links in ${LOAD_MS / 1000} s, ${afterKill.logged} log rows left by the kill, ${total} stored after the next start folded them (${older} answered more than ${MAY_LOSE_MS / 1000} s before the kill, all stored), none counted twice`,
    );
  });

  it(`when snip is stopped with SIGTERM while it logs visits to ${LINKS} links, then every answered visit is stored once the log is folded`, async () => {
    const fault = faultReport('SIGTERM while visits go to the visit log');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    seedLinks(file);
    const snip = await startSnip(file, { RATE_LIMITS: 'off' });
    const load = visitSpreadOut(snip, LOAD_MS);
    await sleep(LOAD_MS - 500);
    snip.proc.child.kill('SIGTERM');
    const answered = await load;
    fault.add({ requests: answered.length });
    expect(await snip.proc.exited).toMatchObject({ code: 0 });
    const logged = storedVisits(file).logged;
    expect(logged).toBeGreaterThan(0);

    const restarted = await startAndFold(file);
    const stored = storedVisits(file);
    const sent = countByCode(answered);
    for (const [code, visits] of stored.byCode) expect(visits, code).toBe(sent.get(code) ?? 0);
    expect(stored.daily).toBe(answered.length);
    restarted.proc.child.kill('SIGTERM');
    await restarted.proc.exited;
    fault.survived(
      `SIGTERM while visits go to the visit log: ${answered.length} visits answered over ${LINKS} links, exit 0 with ${logged} log rows, all ${answered.length} stored once the next start folded them`,
    );
  });
});
