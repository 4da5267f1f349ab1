import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { createTally, describeTally, expectStatus, record, tryBadInput } from './load.js';
import {
  BOT,
  createDatabaseFile,
  createRequest,
  createdToken,
  killLeftovers,
  sleep,
  startSnip,
  visitRequest,
  type Snip,
} from './snip-process.js';

/**
 * PRODUCT §7: kill -9 during concurrent link creation, repeated. A link is acknowledged (303)
 * only after its commit, so every acknowledged link is there after the restart, and SQLite's WAL
 * leaves a database that passes its own integrity check however the process died.
 */

const ROUNDS = 5;
const CLIENTS = 10;

let dir: string | undefined;
afterEach(async () => {
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

type Created = { code: string; target: string };

/** Every acknowledged link must redirect to its target; answers the codes that do not. */
async function missingLinks(snip: Snip, links: Created[]): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < links.length; i += 20) {
    const batch = links.slice(i, i + 20);
    const outcomes = await Promise.all(batch.map((l) => snip.send(visitRequest(l.code, BOT))));
    outcomes.forEach((outcome, j) => {
      const link = batch[j]!;
      const found =
        outcome.kind === 'answered' &&
        outcome.status === 302 &&
        outcome.headers.location === link.target;
      if (!found) missing.push(link.code);
    });
  }
  return missing;
}

function inspect(file: string): { integrity: string; codes: Set<string> } {
  // A read-write connection, as the next start opens it: it replays what the WAL holds.
  const db = new Database(file);
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    const codes = new Set(db.prepare('SELECT code FROM urls').pluck().all() as string[]);
    return { integrity, codes };
  } finally {
    db.close();
  }
}

describe('kill -9 during concurrent link creation', () => {
  it(`when snip is killed ${ROUNDS} times while ${CLIENTS} clients create links, then every acknowledged link is there after each restart and the database is intact`, async () => {
    const fault = faultReport('kill -9 during link creation');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    const tally = createTally();
    const acknowledged: Created[] = [];
    const lostByRound: number[] = [];
    let storedUnacknowledged = 0;
    let cutByKill = 0;

    for (let round = 1; round <= ROUNDS; round++) {
      // Ten clients creating as fast as they can would trip RATE_LIMIT_CREATE: this is load, not abuse.
      const snip = await startSnip(file, { RATE_LIMITS: 'off' });
      const missing = await missingLinks(snip, acknowledged);
      lostByRound.push(missing.length);
      fault.add({ requests: acknowledged.length, lost: missing.length });
      expect(missing, `acknowledged links missing after restart ${round}`).toEqual([]);

      const attempted: Created[] = [];
      const clients = Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = 0; ; i++) {
          if (i % 7 === 3) {
            // A bad input now and then: a refusal must stay a refusal while others write.
            if (!(await tryBadInput(tally, snip.port, round * 100 + client * 10 + i))) return;
            continue;
          }
          if (i % 5 === 4 && acknowledged.length > 0) {
            const link = acknowledged[(client * 31 + i) % acknowledged.length]!;
            const outcome = await snip.send(visitRequest(link.code));
            record(tally, `GET /${link.code}`, outcome, expectStatus(302));
            if (outcome.kind !== 'answered') return;
            continue;
          }
          const link = {
            code: `k${round}-${client}-${i}`,
            target: `https://example.com/round/${round}/${client}/${i}`,
          };
          attempted.push(link);
          const outcome = await snip.send(createRequest(link.target, link.code));
          const answer = record(tally, `create ${link.code}`, outcome, expectStatus(303));
          if (answer === null) {
            cutByKill += 1;
            return; // the process is gone
          }
          if (createdToken(answer) !== null) acknowledged.push(link);
        }
      });
      // Long enough for a few hundred creations; random, so the kill lands on any step of a write.
      await sleep(600 + Math.random() * 900);
      snip.proc.child.kill('SIGKILL');
      const { signal } = await snip.proc.exited;
      expect(signal).toBe('SIGKILL');
      await Promise.all(clients);

      const { integrity, codes } = inspect(file);
      expect(integrity).toBe('ok');
      const acked = new Set(acknowledged.map((l) => l.code));
      storedUnacknowledged += attempted.filter(
        (l) => codes.has(l.code) && !acked.has(l.code),
      ).length;
      const notStored = acknowledged.filter((l) => !codes.has(l.code)).map((l) => l.code);
      expect(notStored, `acknowledged links not in the file after kill ${round}`).toEqual([]);
    }

    // The last kill's links, found by a fresh start.
    const snip = await startSnip(file, { RATE_LIMITS: 'off' });
    const missing = await missingLinks(snip, acknowledged);
    lostByRound.push(missing.length);
    fault.add({
      requests: tally.answered + acknowledged.length,
      errors: tally.errors,
      badInputs: tally.badInputs,
      acknowledged: acknowledged.length,
      lost: missing.length,
    });
    expect(missing, 'acknowledged links missing after the last restart').toEqual([]);
    expect(tally.errors, tally.examples.join('\n')).toBe(0);
    expect(tally.cut + tally.hung).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(ROUNDS * CLIENTS);
    snip.proc.child.kill('SIGTERM');
    expect((await snip.proc.exited).code).toBe(0);

    fault.survived(
      `kill -9: ${ROUNDS} rounds of ${CLIENTS} clients, ${acknowledged.length} links acknowledged, ${fault.counts().lost} lost after restart, ${storedUnacknowledged} more stored while their 303 was in flight, ${cutByKill} creations cut by the kill, integrity_check ok every round; load ${describeTally(tally)}, ${tally.badInputs} bad inputs`,
    );
  });
});
