import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { REPLICATION_INTERVAL_MS } from '../../src/replication/litestream-config.js';
import { findFreePort } from '../support/server-process.js';
import {
  BUILD_FLAGS,
  engine,
  ENGINE,
  IN_CI,
  missingPrerequisite,
  run,
  setUpEngine,
} from './container-engine.js';

/**
 * The image with LITESTREAM_REPLICA_URL: Litestream replicates the database on the data volume
 * to a second volume (file://), as it would to a bucket. The container is killed with SIGKILL
 * while links are created, its data volume removed and made again empty, and a new container
 * on it must restore from the replica every link acknowledged more than the replication
 * interval before the kill; a `stop` (SIGTERM) must ship the last write before exiting 0.
 * `npm run test:container` (image tag and volumes of its own).
 */

const RUN_ID = randomBytes(4).toString('hex');
const IMAGE = 'localhost/snip-test-litestream';
const DATA = `snip-ls-data-${RUN_ID}`;
const REPLICA = `snip-ls-replica-${RUN_ID}`;
const LABEL = `snip-container-test=${RUN_ID}`;
const DB_FILE = '/data/db/database.sqlite3';
const CLIENTS = 6;
const LOAD_MS = 6000;
const HEALTHY_DEADLINE_MS = 30_000;

const missing = missingPrerequisite();
if (missing && !IN_CI) console.warn(`container test skipped: ${missing}`);

type Running = { name: string; port: number };
const containers: string[] = [];
const figures: string[] = [];

async function startContainer(): Promise<Running> {
  const name = `snip-ls-${RUN_ID}-${containers.length + 1}`;
  const port = await findFreePort();
  containers.push(name);
  await engine([
    'run',
    '-d',
    '--pull=never',
    '--name',
    name,
    '--label',
    LABEL,
    '-p',
    `127.0.0.1:${port}:8080`,
    '-v',
    `${DATA}:/data`,
    '-v',
    `${REPLICA}:/replica`,
    '-e',
    'LITESTREAM_REPLICA_URL=file:///replica/snip',
    '-e',
    'RATE_LIMITS=off',
    IMAGE,
  ]);
  return { name, port };
}

async function waitHealthy(container: Running): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + HEALTHY_DEADLINE_MS;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${container.port}/healthz`);
      if (res.status === 200) return performance.now() - started;
    } catch {
      // Not listening yet.
    }
    const state = await run(ENGINE, ['inspect', '-f', '{{.State.Running}}', container.name]);
    if (state.stdout.trim() === 'false') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const logs = await run(ENGINE, ['logs', container.name]);
  throw new Error(`${container.name} never became healthy:\n${logs.stdout}\n${logs.stderr}`);
}

async function lagOf(container: Running): Promise<number | null> {
  const res = await fetch(`http://127.0.0.1:${container.port}/healthz`);
  const body = (await res.json()) as { replication?: { lagSeconds: number | null } };
  return body.replication?.lagSeconds ?? null;
}

async function shorten(port: number, url: string, alias: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/shorten`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams({ url, alias }).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

async function redirectsTo(port: number, code: string, target: string): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/${code}`, {
    redirect: 'manual',
    headers: { 'User-Agent': 'curl/8.5.0' },
  });
  await res.arrayBuffer();
  return res.status === 302 && res.headers.get('location') === target;
}

/** The volume lost: removed, and made again under the same name, empty. */
async function loseDataVolume(): Promise<void> {
  await engine(['volume', 'rm', DATA]);
  await engine(['volume', 'create', DATA]);
}

async function removeContainer(container: Running): Promise<void> {
  await engine(['rm', '-f', container.name]);
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

describe.skipIf(missing !== null && !IN_CI)('the container image with Litestream', () => {
  let ready = false;

  beforeEach((context) => {
    if (context.task.name !== 'sets up the engine and builds the image' && !ready) {
      throw new Error(`${ENGINE} is not set up, or the image did not build (see above)`);
    }
  });

  afterAll(async () => {
    if (ready) {
      for (const name of containers) await run(ENGINE, ['rm', '-f', name]);
      await run(ENGINE, ['volume', 'rm', '-f', DATA, REPLICA]);
      await run(ENGINE, ['rmi', '-f', IMAGE]);
    }
    if (figures.length > 0)
      console.log([`litestream in the image (${ENGINE})`, ...figures].join('\n'));
  });

  it('sets up the engine and builds the image', async () => {
    if (missing) throw new Error(`cannot set up ${ENGINE} here: ${missing}`);
    await setUpEngine();
    const build = await engine(
      ['build', ...BUILD_FLAGS, '--label', LABEL, '-t', IMAGE, '.'],
      1_200_000,
    );
    figures.push(`  image build ${seconds(build.ms)} s`);
    // The binary the npm package ships for the image's platform, and its version.
    const version = await engine([
      'run',
      '--rm',
      '--pull=never',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'for b in /app/node_modules/@flydotio/litestream-linux-*/litestream; do echo "$b"; "$b" version; done',
    ]);
    expect(version.stdout.trim()).toMatch(
      /^\/app\/node_modules\/@flydotio\/litestream-linux-(x64|arm64)\/litestream\nv0\.3\.13$/,
    );
    figures.push(`  ${version.stdout.trim().replace('\n', ' ')}`);
    await engine(['volume', 'create', DATA]);
    await engine(['volume', 'create', REPLICA]);
    ready = true;
  });

  it(`when the container is killed with SIGKILL while ${CLIENTS} clients create links and its volume is lost, then a new one restores every link acknowledged more than ${REPLICATION_INTERVAL_MS / 1000} s (or the lag /healthz reported) before the kill`, async () => {
    const first = await startContainer();
    const firstMs = await waitHealthy(first);
    figures.push(`  first start (empty replica) → healthy ${seconds(firstMs)} s`);

    // Litestream is PID 1, the server its child, running as node (uid 1000).
    const tree = (
      await engine([
        'exec',
        first.name,
        'node',
        '-e',
        `const fs = require('fs');
         for (const pid of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
           try {
             const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
             const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
             const uid = /^Uid:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'))[1];
             const cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean).join(' ');
             console.log([pid, ppid, uid, cmd].join('|'));
           } catch {}
         }`,
      ])
    ).stdout
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const pid1 = tree.find(([pid]) => pid === '1');
    expect(pid1?.[3]).toMatch(/litestream replicate -config \/dev\/stdin -no-expand-env -exec/);
    expect(pid1?.[2]).toBe('1000');
    const server = tree.find(([, ppid, , cmd]) => ppid === '1' && cmd!.startsWith('node '));
    expect(server?.[3]).toMatch(/^node (--\S+ )*\/app\/dist\/bundle\/server\.js --migrate$/);
    expect(server?.[2]).toBe('1000');
    const deadline = Date.now() + 10_000;
    while ((await lagOf(first)) !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await lagOf(first)).toBe(0);

    const acknowledged: { code: string; target: string; ackedAt: number }[] = [];
    // Set just before the kill: from then on a cut connection is the kill's, not a failure.
    let stop = false;
    const failures: string[] = [];
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; !stop; i++) {
        const link = { code: `ct-${client}-${i}`, target: `https://example.com/ct/${client}/${i}` };
        try {
          const status = await shorten(first.port, link.target, link.code);
          if (status === 303) acknowledged.push({ ...link, ackedAt: performance.now() });
          else failures.push(`${link.code}: ${status}`);
        } catch (error) {
          if (!stop) failures.push(`${link.code}: ${(error as Error).message}`);
          return;
        }
      }
    });
    const lags: number[] = [];
    const watcher = (async () => {
      while (!stop) {
        const lag = await lagOf(first).catch(() => null);
        if (lag !== null) lags.push(lag);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, LOAD_MS + Math.random() * 1000));
    // The moment the kill is asked for: each link's age is measured to it, never longer.
    stop = true;
    const killedAt = performance.now();
    await engine(['kill', '-s', 'KILL', first.name]);
    await Promise.all([...clients, watcher]);
    expect(failures).toEqual([]);
    const state = (
      await engine(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', first.name])
    ).stdout.trim();
    expect(state).toBe('false 137');
    await removeContainer(first);
    await loseDataVolume();

    const second = await startContainer();
    const restoreMs = await waitHealthy(second);
    const logs = await engine(['logs', second.name]);
    expect(logs.stdout).toContain(`litestream: restored ${DB_FILE}`);

    // The promise (docs/replication.md): a link older than REPLICATION_INTERVAL_MS while the
    // replica keeps up, and in any case one older than the worst lag /healthz reported under the
    // load (plus the second it is rounded to and the time between two readings).
    expect(lags.length).toBeGreaterThan(0);
    const boundMs = Math.max(REPLICATION_INTERVAL_MS, (Math.max(...lags) + 1.5) * 1000);
    const old = acknowledged.filter((l) => killedAt - l.ackedAt > boundMs);
    const lost: typeof acknowledged = [];
    for (let i = 0; i < acknowledged.length; i += 20) {
      const batch = acknowledged.slice(i, i + 20);
      const found = await Promise.all(batch.map((l) => redirectsTo(second.port, l.code, l.target)));
      batch.forEach((l, j) => {
        if (!found[j]) lost.push(l);
      });
    }
    const lostOld = lost.filter((l) => killedAt - l.ackedAt > boundMs);
    const sortedLags = [...lags].sort((a, b) => a - b);
    figures.push(
      `  SIGKILL, volume removed and recreated: ${acknowledged.length} links acknowledged, ${acknowledged.length - lost.length} restored ` +
        `(${old.length} acknowledged more than ${seconds(boundMs)} s before the kill, ${old.length - lostOld.length} of them back); ` +
        `the ${lost.length} lost were acknowledged at most ${seconds(Math.max(0, ...lost.map((l) => killedAt - l.ackedAt)))} s before the kill; ` +
        `/healthz lag under load median ${sortedLags[Math.floor(sortedLags.length / 2)]} s, max ${sortedLags.at(-1)} s; restore → healthy ${seconds(restoreMs)} s`,
    );
    expect(lostOld.map((l) => l.code)).toEqual([]);
    expect(old.length).toBeGreaterThan(CLIENTS * 10);

    // A clean stop right after a write: Litestream ships it before it exits.
    expect(await shorten(second.port, 'https://example.com/ct/last-words', 'last-words')).toBe(303);
    const stop2 = await engine(['stop', '-t', '10', second.name], 30_000);
    expect(
      (await engine(['inspect', '-f', '{{.State.ExitCode}}', second.name])).stdout.trim(),
    ).toBe('0');
    await removeContainer(second);
    await loseDataVolume();
    const third = await startContainer();
    await waitHealthy(third);
    expect(await redirectsTo(third.port, 'last-words', 'https://example.com/ct/last-words')).toBe(
      true,
    );
    // The operator's restore drill, inside the running container as its user.
    const drill = await engine([
      'exec',
      '--user',
      'node',
      third.name,
      '/app/scripts/replica.sh',
      'restore',
      '/tmp/drill.sqlite3',
    ]);
    const drilled = /integrity_check ok, (\d+) links/.exec(drill.stdout);
    expect(drilled, drill.stdout).not.toBeNull();
    expect(Number(drilled![1])).toBeGreaterThanOrEqual(old.length + 1);
    figures.push(`  restore drill in the container: ${drill.stdout.trim()}`);
    figures.push(
      `  SIGTERM right after a write: exit 0 in ${seconds(stop2.ms)} s, the write restored on a new empty volume`,
    );
    await engine(['stop', '-t', '10', third.name], 30_000);
  });
});
