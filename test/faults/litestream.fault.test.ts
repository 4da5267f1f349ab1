import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLICATION_INTERVAL_MS } from '../../src/replication/litestream-config.js';
import { childEnv, findFreePort, waitForHealthy } from '../support/server-process.js';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { send } from './http-outcome.js';
import {
  BOT,
  createRequest,
  createdToken,
  PRODUCTION_ENV,
  sleep,
  visitRequest,
  waitFor,
} from './snip-process.js';

/**
 * ISSUE: a lost volume is not lost links. snip runs as the image and `npm start` run it:
 * scripts/launch.sh with LITESTREAM_REPLICA_URL, so Litestream replicates the database to a
 * folder (file://) and runs the server as its child. The whole process group is killed with
 * SIGKILL while clients create links, the database folder is deleted with everything in it
 * (the file, its -wal and -shm, Litestream's shadow WAL), and snip is launched again on the
 * empty folder: every link acknowledged more than the documented replication interval
 * (REPLICATION_INTERVAL_MS, docs/replication.md) before the kill must redirect again.
 */

const CLIENTS = 6;
/** Load before the kill: long enough for Litestream to checkpoint the WAL a few times. */
const LOAD_MS = 6000;

type Launched = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

type Setup = {
  dir: string;
  volume: string;
  file: string;
  replica: string;
  env: Record<string, string>;
};

const launched: Launched[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const run of launched.splice(0)) {
    if (run.child.pid !== undefined && groupAlive(run.child.pid))
      process.kill(-run.child.pid, 'SIGKILL');
    await run.exited;
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Whether any process of the group `pgid` is still there. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function setUp(): Promise<Setup> {
  dir = createTempDir();
  const volume = path.join(dir, 'volume');
  const replica = path.join(dir, 'replica');
  const file = path.join(volume, 'db', 'snip.sqlite3');
  const env = {
    ...PRODUCTION_ENV,
    // Many clients creating as fast as they can: load, not abuse.
    RATE_LIMITS: 'off',
    DATABASE_URL: `sqlite:${file}`,
    LITESTREAM_REPLICA_URL: `file://${replica}`,
    LITESTREAM_METRICS_PORT: String(await findFreePort()),
  };
  return { dir, volume, file, replica, env };
}

/** `bash scripts/launch.sh` in a process group of its own (Litestream and the server). */
async function launch(setup: Setup): Promise<Launched & { port: number; ms: number }> {
  const port = await findFreePort();
  const started = performance.now();
  const child = spawn('bash', ['scripts/launch.sh'], {
    env: childEnv({ ...setup.env, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const run = { child, output: () => output, exited };
  launched.push(run);
  await waitForHealthy(port, run, 30_000);
  return { ...run, port, ms: performance.now() - started };
}

/** A script of scripts/ with snip's settings, to its end. */
function runScript(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Replication = { lagSeconds: number | null; problem?: string };

async function replicationOf(port: number): Promise<Replication> {
  const answer = await send(port, { path: '/healthz' });
  if (answer.kind !== 'answered') throw new Error(`/healthz: ${answer.kind}`);
  return (JSON.parse(answer.body) as { replication: Replication }).replication;
}

/** The processes of a group, as `ps` names them, with their parent. */
function processTree(pgid: number): { pid: number; ppid: number; command: string }[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) !== pgid) return [];
        const command = fs
          .readFileSync(`/proc/${name}/cmdline`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .join(' ');
        return [{ pid: Number(name), ppid: Number(fields[1]), command }];
      } catch {
        return [];
      }
    });
}

function checkpointsOf(metrics: string, file: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith(`litestream_checkpoint_count{db="${file}"`))
      total += Number(line.split(' ').at(-1));
  }
  return total;
}

type Created = { code: string; target: string; ackedAt: number };

async function redirects(port: number, link: { code: string; target: string }): Promise<boolean> {
  const outcome = await send(port, visitRequest(link.code, BOT));
  return (
    outcome.kind === 'answered' &&
    outcome.status === 302 &&
    outcome.headers.location === link.target
  );
}

describe('Litestream: a lost volume is not lost links', () => {
  it(`when snip and Litestream are killed with SIGKILL while ${CLIENTS} clients create links and the volume is lost, then a start on the empty volume restores every link acknowledged more than ${REPLICATION_INTERVAL_MS / 1000} s before the kill`, async () => {
    const fault = faultReport('kill -9 of snip and Litestream, then the volume lost');
    const setup = await setUp();
    const first = await launch(setup);
    const pgid = first.child.pid!;

    // The launch left Litestream in charge, the server its child, both in this group.
    const tree = processTree(pgid);
    const litestream = tree.find((p) => p.pid === pgid);
    expect(litestream?.command).toMatch(/\/litestream replicate -config \/dev\/stdin/);
    const server = tree.find((p) => p.ppid === pgid);
    // The command scripts/launch.sh gives: Node with its heap options, the bundle, --migrate.
    expect(server?.command).toMatch(/^node (--\S+ )*\S+\/dist\/bundle\/server\.js --migrate$/);
    expect(
      await waitFor(async () => (await replicationOf(first.port)).lagSeconds === 0, 5000),
    ).not.toBeNull();

    const acknowledged: Created[] = [];
    let refusedOrCut = 0;
    let stop = false;
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; !stop; i++) {
        const link = {
          code: `ls-${client}-${i}`,
          target: `https://example.com/litestream/${client}/${i}`,
        };
        const outcome = await send(first.port, createRequest(link.target, link.code));
        if (createdToken(outcome) !== null)
          acknowledged.push({ ...link, ackedAt: performance.now() });
        else if (outcome.kind !== 'answered') {
          refusedOrCut += 1;
          return;
        } else
          throw new Error(`creation answered ${outcome.status}: ${outcome.body.slice(0, 200)}`);
      }
    });
    // The lag /healthz reports under load, read as a monitor would.
    const lags: number[] = [];
    const watcher = (async () => {
      while (!stop) {
        const { lagSeconds } = await replicationOf(first.port).catch(() => ({ lagSeconds: null }));
        if (lagSeconds !== null) lags.push(lagSeconds);
        await sleep(250);
      }
    })();
    // An operator's restore drill in the middle of it: the replica restored beside the live
    // database, checked, while the server keeps writing.
    await sleep(LOAD_MS / 2);
    const drillFile = path.join(setup.dir, 'drill.sqlite3');
    const drill = await runScript(['scripts/replica.sh', 'restore', drillFile], setup.env);
    expect(drill.code, drill.stderr).toBe(0);
    const drilled = /integrity_check ok, (\d+) links, newest created \S+$/m.exec(drill.stdout);
    expect(drilled, drill.stdout).not.toBeNull();
    const generations = await runScript(['scripts/replica.sh', 'generations'], setup.env);
    expect(generations.code, generations.stderr).toBe(0);
    expect(generations.stdout).toMatch(/^name\s+generation\s+lag/m);
    await sleep(LOAD_MS / 2 + Math.random() * 1000);
    const metrics = await (
      await fetch(`http://127.0.0.1:${setup.env.LITESTREAM_METRICS_PORT}/metrics`)
    ).text();
    const walPages = Math.round(fs.statSync(`${setup.file}-wal`).size / 4096);

    // The whole group at once: Litestream gets no chance to ship what it has not shipped.
    const killedAt = performance.now();
    process.kill(-pgid, 'SIGKILL');
    stop = true;
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await waitFor(() => !groupAlive(pgid), 5000)).not.toBeNull();
    await Promise.all([...clients, watcher]);

    // The volume is lost: the database, its -wal and -shm, Litestream's shadow WAL, backups.
    fs.rmSync(setup.volume, { recursive: true, force: true });
    const second = await launch(setup);
    expect(second.output()).toContain(`litestream: restored ${setup.file}`);

    const old = acknowledged.filter((l) => killedAt - l.ackedAt > REPLICATION_INTERVAL_MS);
    const restored: Created[] = [];
    const lost: Created[] = [];
    for (let i = 0; i < acknowledged.length; i += 20) {
      const batch = acknowledged.slice(i, i + 20);
      const found = await Promise.all(batch.map((l) => redirects(second.port, l)));
      batch.forEach((l, j) => (found[j] ? restored : lost).push(l));
    }
    const lostOld = lost.filter((l) => killedAt - l.ackedAt > REPLICATION_INTERVAL_MS);
    // The summary counts the links the promise covers: those older than the interval.
    fault.add({
      requests: acknowledged.length * 2,
      acknowledged: old.length,
      lost: lostOld.length,
    });

    const integrity = new Database(setup.file, { readonly: true });
    expect(integrity.pragma('integrity_check', { simple: true })).toBe('ok');
    integrity.close();

    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    const oldestLost = lost.length > 0 ? Math.max(...lost.map((l) => killedAt - l.ackedAt)) : 0;
    const newestRestored =
      restored.length > 0 ? Math.min(...restored.map((l) => killedAt - l.ackedAt)) : NaN;
    const sortedLags = [...lags].sort((a, b) => a - b);
    const median = sortedLags[Math.floor(sortedLags.length / 2)] ?? NaN;
    const checkpoints = checkpointsOf(metrics, setup.file);

    expect(
      lostOld.map((l) => l.code),
      'links acknowledged before the replication interval, missing',
    ).toEqual([]);
    expect(old.length).toBeGreaterThan(CLIENTS * 10);
    expect(refusedOrCut).toBeLessThanOrEqual(CLIENTS);
    // Litestream checkpointed the WAL; the server never did.
    expect(checkpoints).toBeGreaterThan(0);
    expect(lags.length).toBeGreaterThan(0);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    fault.survived(
      `kill -9 of snip and Litestream, then the volume lost: ${acknowledged.length} links acknowledged, ${restored.length} restored from the file:// replica (${old.length} acknowledged more than ${seconds(REPLICATION_INTERVAL_MS)} s before the kill: all back); ` +
        `the ${lost.length} lost were acknowledged at most ${seconds(oldestLost)} s before the kill, the newest restored ${seconds(newestRestored)} s before it; ` +
        `a restore drill under load found ${drilled![1]} links, integrity ok; /healthz lag under load median ${median} s, max ${sortedLags.at(-1)} s; Litestream ran ${checkpoints} checkpoints (the WAL file at ${((walPages * 4096) / 1e6).toFixed(0)} MB before the kill); restore and start ${seconds(second.ms)} s; integrity_check ok`,
    );
  });

  it('when snip under Litestream gets SIGTERM right after a write, then the server stops first, the write reaches the replica, and both exit 0', async () => {
    const fault = faultReport('SIGTERM under Litestream, then the volume lost');
    const setup = await setUp();
    const first = await launch(setup);
    const link = { code: 'last-words', target: 'https://example.com/the/last/write' };
    const created = await send(first.port, createRequest(link.target, link.code));
    expect(createdToken(created)).not.toBeNull();
    // At once: the write is in the WAL, most likely not yet in the replica.
    const stoppedAt = performance.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    const stopMs = performance.now() - stoppedAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(groupAlive(first.child.pid!)).toBe(false);
    const log = first.output();
    // The server stopped cleanly (Litestream waits for its child before its last sync).
    expect(log).toContain('"msg":"stopped"');

    fs.rmSync(setup.volume, { recursive: true, force: true });
    const second = await launch(setup);
    const back = await redirects(second.port, link);
    fault.add({ requests: 2, acknowledged: 1, lost: back ? 0 : 1 });
    expect(back).toBe(true);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    fault.survived(
      `SIGTERM under Litestream, then the volume lost: the link written just before the signal was in the replica; stop took ${(stopMs / 1000).toFixed(2)} s, exit 0; restored on an empty volume in ${(second.ms / 1000).toFixed(2)} s`,
    );
  });
});
