import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { postgresUnavailable, startPostgresCluster } from '../../scripts/postgres-cluster.mjs';
import { findFreePort } from '../support/server-process.js';
import {
  BUILD_FLAGS,
  ENGINE,
  IN_CI,
  ROOT,
  engine as engineRun,
  missingPrerequisite,
  run,
  setUpEngine,
  shorten,
} from './container-engine.js';

/**
 * Builds the real Dockerfile and proves what README's "Run with Docker" promises: migrations at
 * first start, data kept across containers and upgrades, a clean stop, no root, no compiler, and
 * a server that survives a few thousand requests. `npm run test:container`.
 *
 * The engine is podman where the shared set-up scripts are (development machines and .ci/run,
 * which have no Docker engine), docker otherwise (GitHub's runners); CONTAINER_ENGINE=podman or
 * docker chooses one.
 */

const RUN_ID = randomBytes(4).toString('hex');
const IMAGE = 'localhost/snip-test';
const UPGRADE_IMAGE = 'localhost/snip-test-upgrade';
const VOLUME = `snip-test-${RUN_ID}`;
const LABEL = `snip-container-test=${RUN_ID}`;
// Sorts after every real migration, so the derived image has exactly one pending.
const EXTRA_MIGRATION = '29991231235959_container_test_extra.sql';
const DB_FILE = '/data/db/database.sqlite3';

const LOAD_REQUESTS = 3000;
const LOAD_CONCURRENCY = 20;
const STOP_LIMIT_MS = 3000;
const HEALTHY_DEADLINE_MS = 30_000;

const engine = engineRun;

const missing = missingPrerequisite();
if (missing && !IN_CI) console.warn(`container test skipped: ${missing}`);

type Running = { name: string; port: number };
const containers: string[] = [];
const timings: [string, string][] = [];

function record(label: string, ms: number, note = ''): void {
  timings.push([label, `${(ms / 1000).toFixed(2)} s${note ? `  ${note}` : ''}`]);
}

async function startContainer(image: string, extra: string[] = []): Promise<Running> {
  const name = `snip-test-${RUN_ID}-${containers.length + 1}`;
  const port = await findFreePort();
  containers.push(name);
  // Loopback only: nothing outside this machine can reach the test server.
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
    `${VOLUME}:/data`,
    ...extra,
    image,
  ]);
  return { name, port };
}

/** Polls /healthz from the host until 200; fails with the container's log if it never comes. */
async function waitHealthy(container: Running): Promise<void> {
  const deadline = Date.now() + HEALTHY_DEADLINE_MS;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${container.port}/healthz`);
      if (res.status === 200) return;
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

async function startHealthy(image: string, label: string): Promise<Running> {
  const started = performance.now();
  const container = await startContainer(image);
  await waitHealthy(container);
  record(label, performance.now() - started);
  return container;
}

/** Runs node inside the container as the node user, with /app's node_modules at hand. */
async function nodeIn(container: Running, script: string): Promise<string> {
  const result = await engine(['exec', '--user', 'node', container.name, 'node', '-e', script]);
  return result.stdout.trim();
}

async function appliedVersions(container: Running): Promise<string[]> {
  const out = await nodeIn(
    container,
    `const Database = require('better-sqlite3');
     const db = new Database('${DB_FILE}', { readonly: true });
     console.log(JSON.stringify(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()));`,
  );
  return JSON.parse(out) as string[];
}

async function inspect(name: string): Promise<{
  running: boolean;
  pid: number;
  startedAt: string;
  restarts: number;
  exitCode: number;
}> {
  const format =
    '{{json .State.Running}}|{{.State.Pid}}|{{.State.StartedAt}}|{{.RestartCount}}|{{.State.ExitCode}}';
  const [running, pid, startedAt, restarts, exitCode] = (
    await engine(['inspect', '-f', format, name])
  ).stdout
    .trim()
    .split('|');
  return {
    running: running === 'true',
    pid: Number(pid),
    startedAt: startedAt ?? '',
    restarts: Number(restarts),
    exitCode: Number(exitCode),
  };
}

async function stopTimed(container: Running, label: string): Promise<number> {
  const result = await engine(['stop', '-t', '10', container.name], 30_000);
  record(label, result.ms);
  return result.ms;
}

function migrationVersions(): string[] {
  return fs
    .readdirSync(path.join(ROOT, 'migrations'))
    .map((name) => /^(\d{14})_.+\.sql$/.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .sort();
}

const ALIAS = `ct-${RUN_ID}`;
const TARGET = `https://example.com/container-test/${RUN_ID}?kept=yes`;

async function follow(port: number, code: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/${code}`, { redirect: 'manual' });
}

const SETUP =
  ENGINE === 'podman'
    ? 'sets up podman and the node:24-bookworm-slim stand-in'
    : 'finds a docker engine that answers';

describe.skipIf(missing !== null && !IN_CI)('the container image', () => {
  let ready = false;
  let first: Running;
  let second: Running;

  // Every later step needs the engine: without it they fail at once, with the reason in the first.
  beforeEach((context) => {
    if (context.task.name !== SETUP && !ready)
      throw new Error(`${ENGINE} is not set up (see above)`);
  });

  afterAll(async () => {
    if (ready) {
      // Only what this run made: its containers, its volume and its images (not the base
      // image, and not the build cache, which keeps the next build fast).
      for (const name of containers) await run(ENGINE, ['rm', '-f', name]);
      await run(ENGINE, ['volume', 'rm', '-f', VOLUME]);
      await run(ENGINE, ['rmi', '-f', UPGRADE_IMAGE]);
      await run(ENGINE, ['rmi', '-f', IMAGE]);
    }
    if (timings.length > 0) {
      const width = Math.max(...timings.map(([label]) => label.length));
      const rows = timings.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
      console.log([`container test (${ENGINE})`, ...rows].join('\n'));
    }
  });

  it(SETUP, async () => {
    if (missing) throw new Error(`cannot set up ${ENGINE} here: ${missing}`);
    if (ENGINE === 'docker') {
      ready = true;
      return;
    }
    const setUpMs = await setUpEngine();
    record('podman and base image set-up', setUpMs);
    ready = true;
  });

  it('builds from the Dockerfile into a runtime image without compiler or dev dependencies', async () => {
    const build = await engine(
      ['build', ...BUILD_FLAGS, '--label', LABEL, '-t', IMAGE, '.'],
      1_200_000,
    );
    record('image build', build.ms);
    const size = Number((await engine(['image', 'inspect', '-f', '{{.Size}}', IMAGE])).stdout);
    timings.push(['image size', `${(size / 1e6).toFixed(0)} MB`]);

    // The shell says what it found, then that it finished: this does not depend on the exit
    // code of `run --rm`, which docker clients talking to podman's socket do not pass on.
    const compilers = await engine([
      'run',
      '--rm',
      '--pull=never',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'for tool in gcc g++ cc c++ make python3; do command -v "$tool"; done; echo checked',
    ]);
    expect(compilers.stdout.trim()).toBe('checked');

    // No dev dependency, no source, and of the SQLite driver only the prebuilt binary it loads.
    const contents = await run(ENGINE, [
      'run',
      '--rm',
      '--pull=never',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls -d /app/node_modules/typescript /app/node_modules/vitest /app/src /app/node_modules/better-sqlite3/build /app/node_modules/better-sqlite3/deps 2>/dev/null; ls /app/node_modules/better-sqlite3/prebuilds',
    ]);
    expect(contents.stdout.trim()).toMatch(/^linux-(x64|arm64)\.node$/);

    const runtime = await engine([
      'run',
      '--rm',
      '--pull=never',
      '--entrypoint',
      'node',
      IMAGE,
      '-e',
      "const db = require('/app/node_modules/better-sqlite3')(':memory:'); console.log(process.version, db.prepare('SELECT sqlite_version() AS v').get().v)",
    ]);
    expect(runtime.stdout).toMatch(/^v24\.\d+\.\d+ 3\.\d+\.\d+$/m);
    timings.push(['Node and SQLite in the image', runtime.stdout.trim()]);
  });

  it('first start: creates the database on the volume and applies every migration', async () => {
    first = await startHealthy(IMAGE, 'first start → healthy');
    expect(await appliedVersions(first)).toEqual(migrationVersions());
    const logs = await engine(['logs', first.name]);
    expect(logs.stdout).toContain(`run-migrations: database ${DB_FILE}`);
    // The image's own HEALTHCHECK, run once now rather than waiting for its 30 s schedule.
    if (ENGINE === 'podman') {
      await engine(['healthcheck', 'run', first.name]);
    } else {
      const test = JSON.parse(
        (await engine(['inspect', '-f', '{{json .Config.Healthcheck.Test}}', first.name])).stdout,
      ) as string[];
      const command = test[0] === 'CMD-SHELL' ? ['sh', '-c', test[1]!] : test.slice(1);
      await engine(['exec', first.name, ...command]);
    }
  });

  it('runs the server as the unprivileged node user', async () => {
    const cmdline = await engine(['exec', first.name, 'cat', '/proc/1/cmdline']);
    // The one Node process of the start: the bundle, which migrated before it listened (ADR 043),
    // with the heap options scripts/launch.sh gives it.
    const argv = cmdline.stdout.split('\0').filter(Boolean);
    expect(argv[0]).toBe('node');
    expect(argv.slice(-2)).toEqual(['/app/dist/bundle/server.js', '--migrate']);
    expect(argv.slice(1, -2)).toContain('--max-semi-space-size=8');
    const status = await engine(['exec', first.name, 'cat', '/proc/1/status']);
    expect(status.stdout).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status.stdout).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
  });

  it('shortens through the form and redirects to the target', async () => {
    const created = await shorten(first.port, TARGET, ALIAS);
    expect(created.status).toBe(303);
    const res = await follow(first.port, ALIAS);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(TARGET);
  });

  it('writes a backup with node dist/backup.js inside the running container', async () => {
    const backup = await engine(['exec', '--user', 'node', first.name, 'node', 'dist/backup.js']);
    const file = backup.stdout.trim();
    expect(file).toMatch(/^\/data\/db\/backups\/database-\d{8}T\d{6}Z-manual\.sqlite3$/);
    const target = await nodeIn(
      first,
      `const Database = require('better-sqlite3');
       const db = new Database('${file}', { readonly: true });
       console.log(db.prepare('SELECT target FROM urls WHERE code = ?').pluck().get('${ALIAS}'));`,
    );
    expect(target).toBe(TARGET);
  });

  it('stops cleanly on SIGTERM in under 3 s', async () => {
    const ms = await stopTimed(first, 'stop (SIGTERM → exited)');
    expect((await inspect(first.name)).exitCode).toBe(0);
    expect(ms).toBeLessThan(STOP_LIMIT_MS);
  });

  it("copies the volume's database with node dist/copy-store.js, to PostgreSQL and back", async () => {
    // The image's entrypoint runs a command given after the image as it is, as the node user.
    const copyStoreArgv = (args: string[]) => [
      'run',
      '--rm',
      '--pull=never',
      '--label',
      LABEL,
      '--network',
      'host',
      '-v',
      `${VOLUME}:/data`,
      IMAGE,
      'node',
      'dist/copy-store.js',
      ...args,
    ];
    const copyStore = (args: string[]) => engine(copyStoreArgv(args));
    const codeIn = (file: string) =>
      engine([
        'run',
        '--rm',
        '--pull=never',
        '-v',
        `${VOLUME}:/data`,
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        `const db = require('/app/node_modules/better-sqlite3')('${file}', { readonly: true });
         console.log(db.prepare('SELECT target FROM urls WHERE code = ?').pluck().get('${ALIAS}'));`,
      ]);
    const unavailable = postgresUnavailable();
    if (unavailable !== null) {
      if (IN_CI)
        throw new Error(`CI is set, but this machine cannot run PostgreSQL: ${unavailable}`);
      console.warn(`copy-store to PostgreSQL in the image skipped: ${unavailable}`);
      const copied = await copyStore([
        '--from',
        `sqlite:${DB_FILE}`,
        '--to',
        'sqlite:/data/db/copy.sqlite3',
      ]);
      expect(copied.stdout).toMatch(/the counts match$/m);
      expect((await codeIn('/data/db/copy.sqlite3')).stdout.trim()).toBe(TARGET);
      return;
    }
    // A throw-away cluster on the host's loopback, which --network host shares.
    const cluster = await startPostgresCluster();
    try {
      const there = await copyStore(['--from', `sqlite:${DB_FILE}`, '--to', cluster.url]);
      expect(there.stdout).toMatch(/^urls\s+(\d+)\s+\1$/m);
      expect(there.stdout).toMatch(/the counts match$/m);
      const back = await copyStore(['--from', cluster.url, '--to', 'sqlite:/data/db/copy.sqlite3']);
      expect(back.stdout).toMatch(/the counts match$/m);
      record('copy-store SQLite → PostgreSQL → SQLite in the image', there.ms + back.ms);
      expect((await codeIn('/data/db/copy.sqlite3')).stdout.trim()).toBe(TARGET);
      // Into a target that is no longer empty: refused, exit 1.
      const again = await run(
        ENGINE,
        copyStoreArgv(['--from', `sqlite:${DB_FILE}`, '--to', cluster.url]),
      );
      expect(again.stderr).toContain('is not empty');
      if (ENGINE === 'podman') expect(again.code).toBe(1);
    } finally {
      cluster.stop();
    }
  });

  it('a new container on the same volume keeps the link and has nothing to migrate', async () => {
    second = await startHealthy(IMAGE, 'restart → healthy');
    const res = await follow(second.port, ALIAS);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(TARGET);
    const logs = await engine(['logs', second.name]);
    expect(logs.stdout).toMatch(/nothing to migrate/);
  });

  it(`survives ${LOAD_REQUESTS} mixed requests without a crash or a restart`, async () => {
    const before = await inspect(second.name);
    const statuses = new Map<string, number>();
    const count = (kind: string, status: number | string) => {
      const key = `${kind} ${status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    };
    let next = 0;
    const worker = async () => {
      while (next < LOAD_REQUESTS) {
        const i = next++;
        const slot = i % 10;
        try {
          if (slot === 0) {
            const res = await shorten(second.port, `https://example.com/load/${RUN_ID}/${i}`);
            count('create', res.status);
            await res.arrayBuffer();
          } else if (slot <= 6) {
            const res = await follow(second.port, ALIAS);
            const wrongTarget = res.status === 302 && res.headers.get('location') !== TARGET;
            count('redirect', wrongTarget ? '302 to a wrong target' : res.status);
            await res.arrayBuffer();
          } else {
            const res = await follow(second.port, `missing-${RUN_ID}-${i}`);
            count('unknown', res.status);
            await res.arrayBuffer();
          }
        } catch (error) {
          count('network error', (error as Error).message);
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
    const ms = performance.now() - started;
    record(
      'load run',
      ms,
      `${LOAD_REQUESTS} requests, ${Math.round(LOAD_REQUESTS / (ms / 1000))}/s`,
    );
    console.log('load statuses', Object.fromEntries(statuses));

    // Every answer is the expected one; never a 5xx or a dropped socket. The image runs with
    // the default rate limits: redirects are never limited, while creations and unknown links
    // from this one client turn into 429 exactly at their limits.
    const allowed = ['create 303', 'create 429', 'redirect 302', 'unknown 404', 'unknown 429'];
    const unexpected = [...statuses].filter(([key]) => !allowed.includes(key));
    expect(unexpected).toEqual([]);
    const limits = loadConfig({}).rateLimits!;
    const creates = LOAD_REQUESTS / 10;
    expect(statuses.get('create 303')).toBe(Math.min(creates, limits.create.points));
    expect(statuses.get('redirect 302')).toBe((LOAD_REQUESTS / 10) * 6);
    const unknown = (statuses.get('unknown 404') ?? 0) + (statuses.get('unknown 429') ?? 0);
    expect(unknown).toBe((LOAD_REQUESTS / 10) * 3);
    // A fixed window: exactly the limit within one window, at most one limit per window begun.
    const windows = Math.ceil(ms / 1000 / limits.notFound.seconds);
    const notFound = statuses.get('unknown 404') ?? 0;
    if (windows === 1) expect(notFound).toBe(limits.notFound.points);
    expect(notFound).toBeGreaterThanOrEqual(limits.notFound.points);
    expect(notFound).toBeLessThanOrEqual(limits.notFound.points * (windows + 1));
    expect(statuses.get('redirect 302') ?? 0).toBeGreaterThan(0);
    const after = await inspect(second.name);
    expect(after).toMatchObject({
      running: true,
      restarts: 0,
      pid: before.pid,
      startedAt: before.startedAt,
    });
    expect((await fetch(`http://127.0.0.1:${second.port}/healthz`)).status).toBe(200);
    await stopTimed(second, 'stop after load');
    expect((await inspect(second.name)).exitCode).toBe(0);
  });

  it('an image with one more migration applies it at start, after a snapshot, and keeps the data', async () => {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-upgrade-'));
    try {
      fs.writeFileSync(
        path.join(context, EXTRA_MIGRATION),
        '-- migrate:up\nCREATE TABLE container_test_extra (id INTEGER PRIMARY KEY);\n\n' +
          '-- migrate:down\nDROP TABLE container_test_extra;\n',
      );
      fs.writeFileSync(
        path.join(context, 'Dockerfile'),
        `FROM ${IMAGE}\nCOPY ${EXTRA_MIGRATION} /app/migrations/\n`,
      );
      await engine(['build', ...BUILD_FLAGS, '--label', LABEL, '-t', UPGRADE_IMAGE, context]);
    } finally {
      fs.rmSync(context, { recursive: true, force: true });
    }

    const upgraded = await startHealthy(UPGRADE_IMAGE, 'upgrade start (1 migration) → healthy');
    expect(await appliedVersions(upgraded)).toEqual([...migrationVersions(), '29991231235959']);
    const logs = await engine(['logs', upgraded.name]);
    expect(logs.stdout).toMatch(
      /snapshot \/data\/db\/backups\/database-\d{8}T\d{6}Z-before-29991231235959\.sqlite3/,
    );
    expect(logs.stdout).toContain(`applied ${EXTRA_MIGRATION}`);
    const res = await follow(upgraded.port, ALIAS);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(TARGET);
    await stopTimed(upgraded, 'stop after upgrade');
  });

  it('with an empty DATABASE_URL, exits non-zero with a clear message instead of looping', async () => {
    const name = `snip-test-${RUN_ID}-empty-url`;
    containers.push(name);
    const result = await run(
      ENGINE,
      [
        'run',
        '--pull=never',
        '--name',
        name,
        '--label',
        LABEL,
        '-e',
        'DATABASE_URL=',
        '-v',
        `${VOLUME}:/data`,
        IMAGE,
      ],
      { timeoutMs: 30_000 },
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('run-migrations: DATABASE_URL is not set');
    expect(result.stderr).toContain(
      'launch: configuration error in DATABASE_URL; not starting the server',
    );
    expect(await inspect(name)).toMatchObject({ running: false, restarts: 0, exitCode: 1 });
  });
});
