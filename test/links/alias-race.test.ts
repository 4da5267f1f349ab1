import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readColumn } from '../support/read-database.js';
import {
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from '../support/server-process.js';
import { createTempDir, createTestDatabase, SAME_ORIGIN } from '../support/test-app.js';

// BAD-INPUTS row 43. Its own file: it runs real server processes, so mutation testing (which
// switches mutants on inside the test process only) leaves it out.
const OUR_HOST = 'snip.example';

describe('BAD-INPUTS row 43: ten requests for one new alias at once', () => {
  // One process answers one request at a time, so requests to it cannot interleave inside a
  // write. Two server processes on one database file can: each may look for the alias before the
  // other's insert commits, and only the UNIQUE constraint then decides.
  const servers: RunningProcess[] = [];
  afterAll(() => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('row 43: when 10 requests race for each new alias across two server processes on one file, then exactly one wins, nine get 409 and none fails', async () => {
    const file = path.join(createTempDir(), 'race.sqlite3');
    createTestDatabase(file).close();
    // Both start at once: each start is mostly Node loading, which the two cores share.
    const ports = await Promise.all(
      [0, 1].map(async () => {
        const port = await findFreePort();
        const proc = startProcess('node', [path.resolve('dist/server.js')], {
          PORT: String(port),
          DATABASE_URL: `sqlite:${file}`,
          BASE_URL: `https://${OUR_HOST}`,
          RATE_LIMITS: 'off',
          LOG_LEVEL: 'warn',
        });
        servers.push(proc);
        await waitForHealthy(port, proc);
        return port;
      }),
    );
    const rounds = 6;
    const tally = new Map<number, number>();
    for (let round = 0; round < rounds; round++) {
      const alias = `race-${round}`;
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const res = await fetch(`http://127.0.0.1:${ports[i % 2]}/shorten`, {
            method: 'POST',
            redirect: 'manual',
            headers: { ...SAME_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ url: `https://a.example/${i}`, alias }).toString(),
          });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      for (const status of statuses) tally.set(status, (tally.get(status) ?? 0) + 1);
      expect(
        statuses.filter((s) => s === 303),
        alias,
      ).toHaveLength(1);
      expect(
        statuses.filter((s) => s === 409),
        alias,
      ).toHaveLength(9);
    }
    console.log(
      `row 43: ${rounds} aliases × 10 requests on two processes: ${JSON.stringify(Object.fromEntries(tally))}`,
    );
    const stored = readColumn<number>(file, "SELECT COUNT(*) FROM urls WHERE code LIKE 'race-%'");
    expect(stored).toEqual([rounds]);
    for (const server of servers)
      server
        .output()
        .split('\n')
        .forEach((line) => expect(line).not.toMatch(/"level":50/));
  });
});
