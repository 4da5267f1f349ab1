import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS } from '../../src/db/open-database.sqlite.js';
import { readColumn } from '../support/read-database.js';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { type Answer } from './http-outcome.js';
import { createTally, describeTally, expectStatus, record, tryBadInput } from './load.js';
import {
  BOT,
  createDatabaseFile,
  createRequest,
  killLeftovers,
  startSnip,
  visitRequest,
  waitFor,
} from './snip-process.js';

/**
 * PRODUCT §4 and §7: another process holding the write lock past busy_timeout (a backup, the
 * sqlite3 shell, a stuck migration) makes creation answer 503 with Retry-After — never a 500,
 * never a partial row — and creation works again as soon as the lock goes.
 */

const LOCKED_CREATIONS = 2;

let dir: string | undefined;
let holder: Database.Database | undefined;
afterEach(async () => {
  if (holder?.inTransaction) holder.exec('ROLLBACK');
  holder?.close();
  holder = undefined;
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function storageBusyPage(answer: Answer): string | null {
  if (answer.status !== 503) return `${answer.status}, expected 503`;
  if (!/^\d+$/.test(String(answer.headers['retry-after']))) return 'no Retry-After';
  if (!answer.body.includes('try again in a moment')) return 'the page does not say what to do';
  return null;
}

describe('a write lock held by another process', () => {
  it(`when another process holds the write lock past busy_timeout (${BUSY_TIMEOUT_MS} ms), then creation answers 503 with Retry-After and stores nothing, and works again once the lock goes`, async () => {
    const fault = faultReport('write lock held past busy_timeout');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    const snip = await startSnip(file);
    const tally = createTally();
    const before = { code: 'before-lock', target: 'https://example.com/before' };
    record(
      tally,
      'create before the lock',
      await snip.send(createRequest(before.target, before.code)),
      expectStatus(303),
    );

    // The other process: its own connection, a write transaction, a row of its own not yet committed.
    holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    holder
      .prepare('INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?)')
      .run('holder', 'https://example.com/holder', Date.now(), Date.now());
    const lockedAt = performance.now();

    // Visitors while the lock is held: their counts wait in memory, and the flush that cannot
    // write them must not make the redirects wait. better-sqlite3 waits synchronously, so a
    // flush waiting busy_timeout would stall every request each second; the server's flush runs
    // with busy_timeout 0 (src/db/write-gate.ts) and fails at once instead.
    const visitLatencies: number[] = [];
    while (performance.now() - lockedAt < BUSY_TIMEOUT_MS + 1500) {
      const answer = record(
        tally,
        'visit while locked',
        await snip.send(visitRequest(before.code)),
        expectStatus(302),
      );
      if (answer) visitLatencies.push(answer.ms);
    }
    const slowestVisit = Math.max(...visitLatencies);
    const failedFlushes = snip.logLines().filter((l) => l.msg === 'visit flush failed').length;
    expect(failedFlushes, 'visit flushes that met the lock').toBeGreaterThan(0);
    expect(readColumn(file, 'SELECT SUM(visits) FROM urls')).toEqual([0]);
    expect(slowestVisit, 'the slowest redirect while a flush met the lock').toBeLessThan(
      BUSY_TIMEOUT_MS / 2,
    );

    // Creations, a redirect, the health check and a refusal, all at once while the lock is held.
    const creations = Array.from({ length: LOCKED_CREATIONS }, (_, i) =>
      snip.send(createRequest(`https://example.com/locked/${i}`, `locked-${i}`)),
    );
    const redirect = snip.send(visitRequest(before.code, BOT));
    const health = snip.send({ path: '/healthz' });
    const refusal = tryBadInput(tally, snip.port, 0);
    const created = await Promise.all(creations);
    const heldMs = Math.round(performance.now() - lockedAt);
    const redirected = await redirect;
    const healthAnswer = await health;
    await refusal;

    for (const outcome of created) record(tally, 'create while locked', outcome, storageBusyPage);
    record(tally, 'redirect while locked', redirected, expectStatus(302));
    record(tally, '/healthz while locked', healthAnswer, () => null);
    const slowest = Math.max(...created.map((o) => (o.kind === 'answered' ? o.ms : 0)));
    const noPartialRows = readColumn(file, "SELECT COUNT(*) FROM urls WHERE code LIKE 'locked-%'");
    expect(noPartialRows).toEqual([0]);
    // Each refusal waited for the lock first: the 503 comes from busy_timeout, not a shortcut.
    for (const outcome of created) {
      expect(outcome.kind === 'answered' && outcome.ms).toBeGreaterThanOrEqual(
        BUSY_TIMEOUT_MS - 500,
      );
    }

    holder.exec('COMMIT');
    const afterLock = { code: 'after-lock', target: 'https://example.com/after' };
    const resumed = record(
      tally,
      'create after the lock',
      await snip.send(createRequest(afterLock.target, afterLock.code)),
      expectStatus(303),
    );
    // The other process's committed row is visible to snip at once.
    record(tally, 'the holder’s link', await snip.send(visitRequest('holder', BOT)), (a) =>
      a.status === 302 && a.headers.location === 'https://example.com/holder'
        ? null
        : `${a.status}`,
    );
    const flushedAfterMs = await waitFor(
      () => readColumn(file, 'SELECT SUM(visits) FROM urls')[0] === visitLatencies.length,
      10_000,
    );
    expect(flushedAfterMs, 'visits counted during the lock, written after it').not.toBeNull();
    const acknowledged = [before, afterLock];
    const missing = [];
    for (const link of acknowledged) {
      const outcome = await snip.send(visitRequest(link.code, BOT));
      if (outcome.kind !== 'answered' || outcome.headers.location !== link.target) {
        missing.push(link.code);
      }
    }
    const served500 = snip.logLines().filter((l) => l.msg === 'request' && l.status === 500).length;
    fault.add({
      requests: tally.answered + acknowledged.length,
      errors: tally.errors + served500,
      badInputs: tally.badInputs,
      acknowledged: acknowledged.length,
      lost: missing.length,
    });
    expect(tally.errors, tally.examples.join('\n')).toBe(0);
    expect(served500).toBe(0);
    expect(missing).toEqual([]);
    expect(readColumn(file, "SELECT COUNT(*) FROM urls WHERE code LIKE 'locked-%'")).toEqual([0]);

    snip.proc.child.kill('SIGTERM');
    expect((await snip.proc.exited).code).toBe(0);
    const ms = (o: typeof redirected) => (o.kind === 'answered' ? `${o.ms} ms` : o.kind);
    fault.survived(
      `write lock: ${visitLatencies.length} redirects during the lock (slowest ${slowestVisit} ms, ${failedFlushes} visit flushes postponed, counts written ${flushedAfterMs} ms after release); ${LOCKED_CREATIONS} creations during a ${heldMs} ms lock answered 503 with Retry-After (slowest after ${slowest} ms; busy_timeout ${BUSY_TIMEOUT_MS} ms), 0 partial rows, 0 answers of 500; meanwhile a redirect took ${ms(redirected)} and /healthz ${healthAnswer.kind === 'answered' ? healthAnswer.status : healthAnswer.kind} took ${ms(healthAnswer)}; creation after release ${resumed ? `${resumed.status} in ${resumed.ms} ms` : 'failed'}; load ${describeTally(tally)}`,
    );
  });
});
