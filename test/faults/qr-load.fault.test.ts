import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { createTally, expectStatus, record, type Tally } from './load.js';
import {
  createDatabaseFile,
  createRequest,
  killLeftovers,
  sleep,
  startSnip,
  type Snip,
} from './snip-process.js';

/**
 * QR codes are drawn on the server, and drawing costs CPU that redirects need. Here a client
 * asks for them as fast as four connections allow, in the way that defeats every cache: a new
 * Host header each time (snip runs without BASE_URL, as a first deploy does), codes cycling
 * through more links than the image cache holds, and a new client address each time (on Fly.io,
 * Fly-Client-IP), so no per-client limit stops it either. A visitor's redirects are timed
 * alone and under that load by turns, in the same run, and their p99s compared.
 */

const LINKS = 300;
const HAMMERS = 4;
/** Redirects timed alone and as many under load, in this many turns of each. */
const SAMPLES = 1000;
const ROUNDS = 5;
const HAMMER = path.resolve('test/fixtures/qr-hammer.mjs');
/**
 * How much slower redirects may get under the load: three times their own p99, or 20 ms more,
 * whichever is larger. A flood of any request costs a redirect the time to answer what is queued
 * ahead of it (a few cheap answers, a few milliseconds on a busy shared CPU); a PNG drawn on the
 * event loop cost 15–20 ms each, and four of them queued ahead of a redirect far more.
 */
const slowdownBound = (baseline: number) => Math.max(3 * baseline, baseline + 20);

let dir: string | undefined;
const hammers = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of hammers) child.kill('SIGKILL');
  hammers.clear();
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The address of the n-th client, one per request: 10.x.y.z. */
const clientAddress = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1]!;
}

/** Milliseconds each of `count` redirects took, one after another on one kept-alive connection. */
async function timeRedirects(snip: Snip, tally: Tally, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const outcome = await snip.send({
        path: '/qr0',
        headers: { 'User-Agent': 'curl/8.5.0' },
        agent,
      });
      times.push(performance.now() - started);
      record(tally, 'redirect', outcome, expectStatus(302));
    }
  } finally {
    agent.destroy();
  }
  return times;
}

/** Starts the hammer (test/fixtures/qr-hammer.mjs) and answers once its first answer is in. */
async function startHammer(port: number, first: number) {
  const child = spawn(
    process.execPath,
    [HAMMER, String(port), String(HAMMERS), String(LINKS), String(first)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  hammers.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  while (!output.includes('hammering\n')) {
    if (child.exitCode !== null) throw new Error(`the hammer stopped: ${output}`);
    await sleep(10);
  }
  return {
    /** Stops it; answers the statuses of its answers and the request number to go on from. */
    async stop(): Promise<{ statuses: Record<string, number>; next: number }> {
      child.stdin.end();
      await exited;
      hammers.delete(child);
      return JSON.parse(output.split('\n').at(-2)!) as {
        statuses: Record<string, number>;
        next: number;
      };
    },
  };
}

describe('QR codes requested as fast as they can be', () => {
  it(`when ${HAMMERS} connections ask for QR codes of ${LINKS} links with a new Host header and client address each time, then redirects keep their p99`, async () => {
    const fault = faultReport('QR codes as fast as they can be asked for');
    dir = createTempDir();
    const snip = await startSnip(createDatabaseFile(dir), {
      BASE_URL: '',
      FLY_APP_NAME: 'snip-qr-load',
      // A throw-away file in a temporary folder, not on a volume: Fly's start-up guard allows it.
      ALLOW_EPHEMERAL_DATABASE: 'true',
    });
    const tally = createTally();
    for (let i = 0; i < LINKS; i++) {
      const create = createRequest(`https://example.com/${i}`, `qr${i}`);
      create.headers = { ...create.headers, 'Fly-Client-IP': clientAddress(i) };
      record(tally, 'create', await snip.send(create), expectStatus(303));
    }
    await timeRedirects(snip, tally, 200);

    // Alone and under load by turns, so that whatever else the machine does weighs on both alike.
    const alone: number[] = [];
    const loaded: number[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    for (let round = 0; round < ROUNDS; round++) {
      alone.push(...(await timeRedirects(snip, tally, SAMPLES / ROUNDS)));
      const hammer = await startHammer(snip.port, next);
      loaded.push(...(await timeRedirects(snip, tally, SAMPLES / ROUNDS)));
      const result = await hammer.stop();
      next = result.next;
      for (const [status, n] of Object.entries(result.statuses)) {
        statuses.set(status, (statuses.get(status) ?? 0) + n);
      }
    }
    const asked = [...statuses.values()].reduce((sum, n) => sum + n, 0);
    const wrong = [...statuses.keys()].filter((status) => !['200', '429', '503'].includes(status));
    fault.add({ requests: tally.answered + asked, errors: tally.errors });

    const baseline = p99(alone);
    const underLoad = p99(loaded);
    const drawn = statuses.get('200') ?? 0;
    const figure =
      `QR load: redirect p99 ${baseline.toFixed(1)} ms alone, ${underLoad.toFixed(1)} ms while ` +
      `${HAMMERS} connections asked for ${asked} QR codes (${drawn} drawn, ` +
      `${statuses.get('503') ?? 0} told to retry, ${statuses.get('429') ?? 0} limited); ` +
      `bound ${slowdownBound(baseline).toFixed(1)} ms`;
    console.log(figure);
    expect(tally.examples).toEqual([]);
    expect(wrong).toEqual([]);
    // The load must really have asked for many and drawn some, or the comparison proves nothing.
    expect(asked).toBeGreaterThanOrEqual(1000);
    expect(drawn).toBeGreaterThanOrEqual(50);
    expect(underLoad).toBeLessThanOrEqual(slowdownBound(baseline));
    fault.survived(figure);
  });
});
