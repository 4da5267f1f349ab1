import fs from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readColumn } from '../support/read-database.js';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { createTally, describeTally, expectStatus, record } from './load.js';
import type { Outcome } from './http-outcome.js';
import {
  BROWSER,
  createDatabaseFile,
  insertLinks,
  killLeftovers,
  startSnip,
  signInAdmin,
  visitRequest,
} from './snip-process.js';

/**
 * PRODUCT §6: banning a link with "disable every other active link to that host" on a busy
 * snip. The other links are disabled in batched transactions (one fsync per batch, with
 * synchronous=FULL) that let the event loop serve other requests between batches, so visitors
 * of unrelated links keep being redirected at once while a ban disables 10 000 links.
 */

const PASSWORD = 'ban under load password';
const OTHER_LINKS = 10_000;
/** Clients redirecting at an unrelated link while the ban runs, each on its own connection. */
const CLIENTS = 4;
/** The p99 of those redirects must stay under this while the ban runs. */
const P99_LIMIT_MS = 50;

let dir: string | undefined;
afterEach(async () => {
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The bait, 10 000 other links to its host, and an unrelated link for the visitors. */
function seedLinks(file: string): void {
  const others = Array.from(
    { length: OTHER_LINKS },
    (_, i) => [`phish-${i}`, `https://phish.example/kit/${i}`] as const,
  );
  insertLinks(file, [
    ['bait', 'https://phish.example/login'],
    ...others,
    ['steady', 'https://steady.example/'],
  ]);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

describe('a ban that disables 10 000 other links', () => {
  it(`when a ban disables ${OTHER_LINKS} other links to its host, then redirects of another link keep a p99 under ${P99_LIMIT_MS} ms and every link to the host ends disabled`, async () => {
    const fault = faultReport('a ban of 10 000 links while visitors follow another');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    seedLinks(file);
    const snip = await startSnip(file, { ADMIN_PASSWORD: PASSWORD });
    const cookie = await signInAdmin(snip, PASSWORD);
    const tally = createTally();
    const agents = Array.from(
      { length: CLIENTS },
      () => new http.Agent({ keepAlive: true, maxSockets: 1 }),
    );

    // Before the ban: the same clients, for a figure to compare with.
    const before: number[] = [];
    for (let i = 0; i < 200; i++) {
      const answer = record(
        tally,
        'redirect before the ban',
        await snip.send({ ...visitRequest('steady', BROWSER), agent: agents[i % CLIENTS] }),
        expectStatus(302),
      );
      if (answer) before.push(answer.ms);
    }

    const started = performance.now();
    let banOutcome: Outcome | null = null;
    const ban = snip
      .send({
        method: 'POST',
        path: '/admin/links/bait/ban',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Sec-Fetch-Site': 'same-origin',
          Cookie: cookie,
        },
        body: 'reason=phishing+kit&block_host=on&disable_others=on',
        deadlineMs: 120_000,
      })
      .then((outcome) => {
        banOutcome = outcome;
        return outcome;
      });
    const during: number[] = [];
    await Promise.all(
      agents.map(async (agent) => {
        // Every redirect sent before the ban is answered counts, however late its own answer.
        while (banOutcome === null) {
          const answer = record(
            tally,
            'redirect during the ban',
            await snip.send({ ...visitRequest('steady', BROWSER), agent }),
            expectStatus(302),
          );
          if (answer) during.push(answer.ms);
        }
      }),
    );
    const banned = await ban;
    const banMs = Math.round(performance.now() - started);
    for (const agent of agents) agent.destroy();

    const sorted = [...during].sort((a, b) => a - b);
    const beforeSorted = [...before].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    const figure = `ban of ${OTHER_LINKS} links: ${banMs} ms; ${during.length} redirects meanwhile: p50 ${percentile(sorted, 50)} ms, p99 ${p99} ms, max ${sorted.at(-1) ?? 0} ms (before the ban: p99 ${percentile(beforeSorted, 99)} ms); ${describeTally(tally)}`;
    console.log(figure);
    fault.add({ requests: tally.answered, errors: tally.errors });

    expect(banned.kind === 'answered' && banned.status, 'the ban').toBe(303);
    expect(banned.kind === 'answered' && banned.headers.location).toBe(
      `/admin/links/bait?done=banned&blocked=1&disabled=${OTHER_LINKS}`,
    );
    expect(tally.errors, tally.examples.join('\n')).toBe(0);
    expect(tally.unanswered + tally.cut + tally.hung, 'connections reset or left hanging').toBe(0);
    expect(during.length, 'redirects answered while the ban ran').toBeGreaterThan(0);
    expect(p99, 'p99 of the redirects while the ban ran (ms)').toBeLessThan(P99_LIMIT_MS);
    expect(
      readColumn(
        file,
        "SELECT COUNT(*) FROM urls WHERE code LIKE 'phish-%' AND disabled_at IS NOT NULL",
      ),
    ).toEqual([OTHER_LINKS]);
    expect(readColumn(file, "SELECT banned_at IS NOT NULL FROM urls WHERE code = 'bait'")).toEqual([
      1,
    ]);
    const visitor = await snip.send(visitRequest('phish-9999'));
    expect(visitor.kind === 'answered' && visitor.status).toBe(410);
    fault.survived(figure);
  });
});
