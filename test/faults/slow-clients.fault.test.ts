import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_TIMEOUTS } from '../../src/http/server-timeouts.js';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { createTally, describeTally, expectStatus, record } from './load.js';
import {
  createDatabaseFile,
  createRequest,
  killLeftovers,
  sleep,
  startSnip,
  visitRequest,
} from './snip-process.js';

/**
 * Slow and greedy clients against the real timeouts (src/http/server-timeouts.ts): hundreds of
 * connections that trickle their headers a byte a second (slowloris), bodies that never finish,
 * and idle keep-alive connections are all closed by snip, while a normal visitor is redirected
 * promptly throughout.
 */

const SLOW_CONNECTIONS = 300;
/** Time for snip's once-a-second check to notice, and for a busy machine. */
const SLACK_MS = 5000;
const { headersTimeout, requestTimeout, keepAliveTimeout } = SERVER_TIMEOUTS;
/**
 * Fly's proxy gives up on a silent app after 60 s: snip must give up on a slow client well
 * before that, and long before Node's own defaults (60 s for headers, 300 s for a request).
 */
const FLY_PROXY_WAIT_MS = 60_000;

let dir: string | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

type Watched = {
  /** Milliseconds from the first byte sent to snip closing the connection; null while open. */
  closedAfterMs: () => number | null;
  /** What snip sent before closing, e.g. `HTTP/1.1 408 Request Timeout`. */
  statusLine: () => string;
};

/**
 * A connection that sends `head` and then one byte of `drip` per second, for as long as snip
 * keeps it open. Closing is left to snip: the test destroys the socket only at the end.
 */
function trickle(port: number, head: string, drip: string): Watched {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let started = 0;
  let closedAfter: number | null = null;
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('latin1');
  socket.on('connect', () => {
    started = performance.now();
    socket.write(head);
    if (drip === '') return;
    let i = 0;
    timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(drip[i++ % drip.length]!);
    }, 1000);
  });
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    clearInterval(timer);
    if (started > 0) closedAfter = Math.round(performance.now() - started);
  });
  return {
    closedAfterMs: () => closedAfter,
    statusLine: () => received.split('\r\n', 1)[0] ?? '',
  };
}

/** A keep-alive connection that makes one request, then stays silent. */
function idleKeepAlive(port: number): Watched & { answered: () => boolean } {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let answeredAt = 0;
  let closedAfter: number | null = null;
  let received = '';
  socket.setEncoding('latin1');
  socket.on('connect', () =>
    socket.write('GET /healthz HTTP/1.1\r\nHost: snip.example\r\nConnection: keep-alive\r\n\r\n'),
  );
  socket.on('data', (chunk: string) => {
    received += chunk;
    if (answeredAt === 0 && received.includes('\r\n\r\n')) answeredAt = performance.now();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (answeredAt > 0) closedAfter = Math.round(performance.now() - answeredAt);
  });
  return {
    closedAfterMs: () => closedAfter,
    statusLine: () => received.split('\r\n', 1)[0] ?? '',
    answered: () => answeredAt > 0,
  };
}

describe('slow and greedy clients', () => {
  it(`when ${SLOW_CONNECTIONS} connections trickle their headers and bodies never finish, then snip closes them all within its timeouts while a normal visitor is redirected promptly`, async () => {
    const fault = faultReport('slow and greedy clients');
    for (const timeout of [headersTimeout, requestTimeout, keepAliveTimeout]) {
      expect(timeout).toBeLessThanOrEqual(FLY_PROXY_WAIT_MS / 3);
    }
    expect(headersTimeout).toBeLessThanOrEqual(requestTimeout);
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    const snip = await startSnip(file);
    const tally = createTally();
    const link = { code: 'visited', target: 'https://example.com/visited' };
    record(
      tally,
      'create',
      await snip.send(createRequest(link.target, link.code)),
      expectStatus(303),
    );

    const slowloris = Array.from({ length: SLOW_CONNECTIONS }, (_, i) =>
      trickle(
        snip.port,
        `GET /${link.code} HTTP/1.1\r\nHost: snip.example\r\n`,
        `X-Slow-${i}: ${'z'.repeat(40)}\r\n`,
      ),
    );
    const form = 'url=https%3A%2F%2Fexample.com%2Fnever-finished';
    const bodyHead =
      'POST /shorten HTTP/1.1\r\nHost: snip.example\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      `Sec-Fetch-Site: same-origin\r\nContent-Length: ${form.length + 1000}\r\n\r\n`;
    // One body that keeps trickling (never idle), one that stops after its first bytes.
    const trickledBody = trickle(snip.port, bodyHead, form + 'a'.repeat(1000));
    const stalledBody = trickle(snip.port, bodyHead + form.slice(0, 10), '');
    const keepAlive = idleKeepAlive(snip.port);

    // A normal visitor, once a second, while the slow connections are open.
    const latencies: number[] = [];
    const visitUntil = performance.now() + headersTimeout - 1500;
    while (performance.now() < visitUntil) {
      const answer = record(
        tally,
        'normal visitor',
        await snip.send({ ...visitRequest(link.code), deadlineMs: headersTimeout }),
        (a) => (a.status === 302 && a.headers.location === link.target ? null : `${a.status}`),
      );
      if (answer) latencies.push(answer.ms);
      await sleep(1000);
    }
    const stillOpenDuringVisits = slowloris.filter((c) => c.closedAfterMs() === null).length;

    const allClosed = async (watched: Watched[], withinMs: number) => {
      const deadline = performance.now() + withinMs;
      while (performance.now() < deadline && watched.some((c) => c.closedAfterMs() === null)) {
        await sleep(250);
      }
      return watched.filter((c) => c.closedAfterMs() === null).length;
    };
    const slowOpen = await allClosed(slowloris, headersTimeout + SLACK_MS);
    const bodiesOpen = await allClosed([trickledBody, stalledBody], requestTimeout + SLACK_MS);
    const slowClosedAfter = Math.max(...slowloris.map((c) => c.closedAfterMs() ?? Infinity));
    const answered408 = slowloris.filter((c) => c.statusLine().startsWith('HTTP/1.1 408')).length;
    const slowestVisit = Math.max(...latencies);
    // The server still serves after all that.
    record(
      tally,
      'visitor afterwards',
      await snip.send(visitRequest(link.code)),
      expectStatus(302),
    );
    fault.add({ requests: tally.answered, errors: tally.errors });

    expect(tally.errors, tally.examples.join('\n')).toBe(0);
    expect(latencies.length).toBeGreaterThan(3);
    // While all the slow connections were still open, and far from when they were cut.
    expect(stillOpenDuringVisits).toBe(SLOW_CONNECTIONS);
    expect(slowestVisit, 'the slowest normal visit').toBeLessThan(headersTimeout / 2);
    expect(slowOpen, 'slow-header connections still open').toBe(0);
    expect(bodiesOpen, 'unfinished bodies still open').toBe(0);
    // A 408 when snip can still answer, or a plain close: never a page, never a 5xx.
    for (const body of [trickledBody, stalledBody]) {
      expect(body.statusLine()).toMatch(/^(HTTP\/1\.1 408 .*)?$/);
    }
    expect(keepAlive.answered()).toBe(true);
    expect(keepAlive.closedAfterMs(), 'the idle keep-alive connection').not.toBeNull();
    expect(keepAlive.closedAfterMs()!).toBeLessThan(keepAliveTimeout + SLACK_MS);

    snip.proc.child.kill('SIGTERM');
    expect((await snip.proc.exited).code).toBe(0);
    const median = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
    fault.survived(
      `slow clients: ${SLOW_CONNECTIONS} slowloris connections all closed by snip within ${slowClosedAfter} ms (headersTimeout ${headersTimeout} ms; ${answered408} got 408), a normal visitor redirected ${latencies.length} times meanwhile (median ${median} ms, slowest ${slowestVisit} ms), unfinished bodies cut after ${trickledBody.closedAfterMs()} ms trickling and ${stalledBody.closedAfterMs()} ms stalled (requestTimeout ${requestTimeout} ms; "${trickledBody.statusLine()}"), idle keep-alive closed after ${keepAlive.closedAfterMs()} ms (keepAliveTimeout ${keepAliveTimeout} ms); load ${describeTally(tally)}`,
    );
  });
});
