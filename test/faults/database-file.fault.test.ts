import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readColumn } from '../support/read-database.js';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { type Answer, type RequestSpec } from './http-outcome.js';
import { createTally, describeTally, expectStatus, record, type Tally } from './load.js';
import {
  BOT,
  createDatabaseFile,
  createRequest,
  createdToken,
  killLeftovers,
  MOUNTS_SKIPPED,
  requireMounts,
  startSnip,
  visitRequest,
  waitFor,
  type Snip,
} from './snip-process.js';

/**
 * The database file deleted, or its folder turned read-only, under a running snip: SQLite keeps
 * writing through its open descriptor, so without a check a link "saved" now would vanish at the
 * next start. /healthz says the database cannot be written (still 200: the redirects go on, and
 * neither Fly's proxy nor a restart should take them away; ADR 046), writes answer 503, reads
 * keep answering, no request hangs, and the log says what is wrong.
 */

const LINKS = 3;
/** Every request must be answered within this, whatever the file's state. */
const DEADLINE_MS = 10_000;

let dir: string | undefined;
let mounted: string | undefined;
afterEach(async () => {
  await killLeftovers();
  if (mounted) execFileSync('umount', [mounted]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = mounted = undefined;
});

type Link = { code: string; target: string; token: string };

async function createLinks(snip: Snip, tally: Tally, prefix: string): Promise<Link[]> {
  const links: Link[] = [];
  for (let i = 0; i < LINKS; i++) {
    const link = { code: `${prefix}-${i}`, target: `https://example.com/${prefix}/${i}` };
    const answer = record(
      tally,
      'create',
      await snip.send(createRequest(link.target, link.code)),
      expectStatus(303),
    );
    links.push({ ...link, token: createdToken(answer!)! });
  }
  return links;
}

function refusedForStorage(answer: Answer): string | null {
  if (answer.status !== 503) return `${answer.status}, expected 503`;
  if (!/^\d+$/.test(String(answer.headers['retry-after']))) return 'no Retry-After';
  return null;
}

/** /healthz's answer while the database answers but cannot be written. */
function notWritable(problem: string) {
  return (answer: Answer): string | null => {
    if (answer.status !== 200) return `${answer.status}, expected 200`;
    const expected = { status: 'degraded', database: { answers: true, writable: false, problem } };
    return answer.body === JSON.stringify(expected) ? null : answer.body;
  };
}

/**
 * Every kind of request at once, each with a deadline: health "not writable", writes 503,
 * redirects and pages as usual. Answers the slowest answer's time and how many visits it counted.
 */
async function probe(snip: Snip, tally: Tally, links: Link[], problem: string) {
  const form = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Sec-Fetch-Site': 'same-origin',
  };
  const probes: { what: string; spec: RequestSpec; check: (a: Answer) => string | null }[] = [
    { what: 'GET /healthz', spec: { path: '/healthz' }, check: notWritable(problem) },
    ...links.map((link, i) => ({
      what: 'create',
      spec: createRequest(`https://example.com/refused/${i}`, `refused-${i}`),
      check: refusedForStorage,
    })),
    ...links.map((link) => ({
      what: `GET /${link.code}`,
      spec: visitRequest(link.code),
      check: (a: Answer) =>
        a.status === 302 && a.headers.location === link.target ? null : `${a.status}`,
    })),
    { what: 'GET /', spec: { path: '/' }, check: expectStatus(200) },
    { what: 'preview', spec: { path: `/${links[0]!.code}+` }, check: expectStatus(200) },
    { what: 'manage page', spec: { path: `/manage/${links[0]!.token}` }, check: expectStatus(200) },
    { what: 'unknown link', spec: { path: '/no-such-link' }, check: expectStatus(404) },
    {
      what: 'disable',
      spec: { method: 'POST', path: `/manage/${links[1]!.token}/disable`, headers: form, body: '' },
      check: refusedForStorage,
    },
  ];
  const outcomes = await Promise.all(
    probes.map((p) => snip.send({ ...p.spec, deadlineMs: DEADLINE_MS })),
  );
  let slowest = 0;
  outcomes.forEach((outcome, i) => {
    const answer = record(tally, probes[i]!.what, outcome, probes[i]!.check);
    if (answer) slowest = Math.max(slowest, answer.ms);
  });
  return { slowest, visits: links.length, requests: probes.length };
}

/** How long until /healthz says the database can (or cannot) be written; null if it never does. */
async function healthTurns(snip: Snip, writable: boolean): Promise<number | null> {
  return waitFor(async () => {
    const outcome = await snip.send({ path: '/healthz', deadlineMs: DEADLINE_MS });
    if (outcome.kind !== 'answered' || outcome.status !== 200) return false;
    return (
      (JSON.parse(outcome.body) as { database: { writable: boolean } }).database.writable ===
      writable
    );
  }, 5000);
}

function logged(snip: Snip, msg: string): number {
  return snip.logLines().filter((line) => line.msg === msg).length;
}

if (MOUNTS_SKIPPED) console.warn(`read-only database fault skipped: ${MOUNTS_SKIPPED}`);

describe('the database file under a running snip', () => {
  it('when the database file is deleted, then /healthz says it cannot be written, writes answer 503, reads still answer, nothing hangs, and the log says the file is gone', async () => {
    const fault = faultReport('database file deleted');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    const snip = await startSnip(file);
    const tally = createTally();
    const links = await createLinks(snip, tally, 'kept');

    fs.rmSync(file);
    const unhealthyAfterMs = await healthTurns(snip, false);
    const { slowest, requests } = await probe(snip, tally, links, 'gone');
    const message = `unhealthy: the database file ${file} is gone`;
    const unhealthyLines = logged(snip, message);
    const answered500 = snip.logLines().filter((l) => l.msg === 'request' && l.status === 500);
    snip.proc.child.kill('SIGTERM');
    const exit = await snip.proc.exited;
    // By the next flush, or the one at shutdown: never written into the deleted file.
    const postponed = logged(snip, 'visit flushes postponed');
    fault.add({ requests: tally.answered, errors: tally.errors + answered500.length });

    expect(unhealthyAfterMs, '/healthz saying "writable": false').not.toBeNull();
    expect(tally.errors, tally.examples.join('\n')).toBe(0);
    expect(answered500).toEqual([]);
    expect(unhealthyLines, `the log line "${message}"`).toBe(1);
    expect(postponed, 'visit flushes postponed rather than written into the deleted file').toBe(1);
    expect(exit).toEqual({ code: 0, signal: null });
    fault.survived(
      `database file deleted: /healthz 200 "writable": false after ${unhealthyAfterMs} ms, ${requests} requests at once all answered (slowest ${slowest} ms; creation and disable 503 with Retry-After, redirects 302, pages 200), log "unhealthy: the database file … is gone", visit flushes postponed, exit 0 on SIGTERM; load ${describeTally(tally)}`,
    );
  });

  it.skipIf(MOUNTS_SKIPPED !== null)(
    'when the database folder turns read-only, then /healthz says it cannot be written and writes answer 503 until it is writable again, and then everything resumes without a restart',
    async () => {
      requireMounts();
      const fault = faultReport('database folder read-only');
      dir = createTempDir();
      const file = createDatabaseFile(dir);
      const folder = path.dirname(file);
      const snip = await startSnip(file);
      const tally = createTally();
      const links = await createLinks(snip, tally, 'before');
      const visitsInFile = () => Number(readColumn(file, 'SELECT SUM(visits) FROM urls')[0]);

      // A read-only bind mount of the folder over itself: a volume remounted read-only, as new
      // opens see it (root ignores file modes, so chmod would prove nothing).
      execFileSync('mount', ['--bind', folder, folder]);
      mounted = folder;
      execFileSync('mount', ['-o', 'remount,bind,ro', folder]);
      const unhealthyAfterMs = await healthTurns(snip, false);
      const { slowest, requests, visits } = await probe(snip, tally, links, 'read-only');
      const message = `unhealthy: the database file ${file} cannot be written (EROFS)`;
      const unhealthyLines = logged(snip, message);

      execFileSync('umount', [folder]);
      mounted = undefined;
      const healthyAfterMs = await healthTurns(snip, true);
      const flushedAfterMs = await waitFor(() => visitsInFile() === visits, 5000);
      const after = await createLinks(snip, tally, 'after');
      const missing: string[] = [];
      for (const link of [...links, ...after]) {
        const outcome = await snip.send(visitRequest(link.code, BOT));
        if (outcome.kind !== 'answered' || outcome.headers.location !== link.target) {
          missing.push(link.code);
        }
      }
      const refusedStored = readColumn(
        file,
        "SELECT COUNT(*) FROM urls WHERE code LIKE 'refused-%'",
      );
      const answered500 = snip.logLines().filter((l) => l.msg === 'request' && l.status === 500);
      fault.add({
        requests: tally.answered + missing.length,
        errors: tally.errors + answered500.length,
        acknowledged: links.length + after.length,
        lost: missing.length,
      });

      expect(unhealthyAfterMs, '/healthz saying "writable": false').not.toBeNull();
      expect(tally.errors, tally.examples.join('\n')).toBe(0);
      expect(answered500).toEqual([]);
      expect(unhealthyLines, `the log line "${message}"`).toBe(1);
      expect(healthyAfterMs, '/healthz saying "writable": true again').not.toBeNull();
      expect(logged(snip, 'healthy again: the database answers and can be written')).toBe(1);
      expect(flushedAfterMs, 'visits counted while read-only, written afterwards').not.toBeNull();
      expect(refusedStored).toEqual([0]);
      expect(missing).toEqual([]);
      expect(snip.proc.child.exitCode, 'the same process, never restarted').toBeNull();
      snip.proc.child.kill('SIGTERM');
      expect((await snip.proc.exited).code).toBe(0);
      fault.survived(
        `database folder read-only (bind mount): /healthz 200 "writable": false after ${unhealthyAfterMs} ms, ${requests} requests at once all answered (slowest ${slowest} ms; creation and disable 503, redirects 302, pages 200), log "unhealthy: … cannot be written (EROFS)"; writable again: /healthz "writable": true after ${healthyAfterMs} ms, ${visits} held visits written after ${flushedAfterMs} ms, creation 303 without a restart, 0 of ${links.length + after.length} acknowledged links lost; load ${describeTally(tally)}`,
      );
    },
  );
});
