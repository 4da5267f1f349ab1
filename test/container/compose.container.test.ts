import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { childEnv } from '../support/server-process.js';
import {
  ENGINE,
  IN_CI,
  ROOT,
  missingPrerequisite,
  run,
  setUpEngine,
  shorten,
  tail,
  type Result,
} from './container-engine.js';

/**
 * Runs compose.postgres.yaml and compose.yaml as README and docs/operations.md tell an operator
 * to: `up -d --build`, a link made on one machine followed on the other, `down` and `up` again
 * with the data kept, `down -v`. `npm run test:container`.
 *
 * With podman (development machines and .ci/run) the tool is Debian's podman-compose, and the
 * images that cannot be pulled here are built locally: node:24-bookworm-slim by
 * ../shared/tools/containers/make-node-base.sh, postgres:15 from Debian's packages by
 * test/container/postgres-15/Dockerfile (ADR 051). With docker (GitHub's runners) the tool is
 * `docker compose` and both images are the real ones, pulled.
 *
 * The files run unchanged, on the host ports they publish (8080, 8081, 8082): a generated
 * override only renames the image they build, so that no image of the operator's is touched.
 */

const COMPOSE: [string, ...string[]] =
  ENGINE === 'podman' ? ['podman-compose'] : ['docker', 'compose'];
const COMPOSE_NAME = COMPOSE.join(' ');

const RUN_ID = randomBytes(4).toString('hex');
const IMAGE = 'localhost/snip-test-compose';
// What `image: postgres:15` resolves to when nothing is pulled (podman's short-name lookup).
const POSTGRES_STAND_IN = 'docker.io/library/postgres:15';
const NODE_BASE = 'docker.io/library/node:24-bookworm-slim';
const PROJECT_LABEL = 'com.docker.compose.project';
// The generated override files; made at the first compose command, removed at the end.
const WORK = path.join(os.tmpdir(), `snip-compose-${RUN_ID}`);

const HEALTHY_DEADLINE_MS = 120_000;

async function must(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Result> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code}:\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
  }
  return result;
}

const engine = (args: string[], timeoutMs?: number) => must(ENGINE, args, { timeoutMs });

/** Why this machine cannot run the test, or null when it can: the engine's, then Compose's. */
function missingCompose(): string | null {
  if (ENGINE === 'docker') {
    if (process.platform !== 'linux') return 'docker set-up needs Linux';
    const info = spawnSync('docker', ['compose', 'version'], { timeout: 30_000 });
    return info.status === 0 ? null : 'docker compose is not installed';
  }
  const engineMissing = missingPrerequisite();
  if (engineMissing !== null) return engineMissing;
  const version = spawnSync('podman-compose', ['version'], { timeout: 30_000 });
  if (version.error || version.status !== 0) {
    return 'podman-compose is not installed (apt-get install podman-compose; .ci/run does)';
  }
  return null;
}

const missing = missingCompose();
if (missing && !IN_CI) console.warn(`compose test skipped: ${missing}`);

const timings: [string, string][] = [];
function record(label: string, ms: number, note = ''): void {
  timings.push([label, `${(ms / 1000).toFixed(2)} s${note ? `  ${note}` : ''}`]);
}

type Service = {
  build?: unknown;
  image?: string;
  ports?: string[];
  healthcheck?: { test?: string[] };
};
type ComposeFile = { services: Record<string, Service> };

/**
 * One Compose project of this run: a compose file of the project's, under a project name of
 * its own, plus an override that renames the image the file builds (nothing else).
 */
class Project {
  readonly name: string;
  readonly services: Record<string, Service>;
  private readonly override: string;
  /** Every volume a container of the project mounted: `down` leaves the anonymous ones. */
  readonly volumes = new Set<string>();

  constructor(
    label: string,
    readonly file: string,
    private readonly env: Record<string, string>,
  ) {
    this.name = `snip-compose-${label}-${RUN_ID}`;
    this.services = (
      parseYaml(fs.readFileSync(path.join(ROOT, file), 'utf8')) as ComposeFile
    ).services;
    this.override = path.join(WORK, `${this.name}.override.yaml`);
  }

  /** The override: the services that build an image get this run's image name, and only that. */
  private writeOverride(): void {
    const built = Object.entries(this.services).filter(([, service]) => service.build);
    fs.mkdirSync(WORK, { recursive: true });
    fs.writeFileSync(
      this.override,
      stringifyYaml({
        services: Object.fromEntries(built.map(([name]) => [name, { image: IMAGE }])),
      }),
    );
  }

  /** The host ports the file publishes: `'8081:8080'` → 8081. */
  hostPorts(): number[] {
    return Object.values(this.services).flatMap((service) =>
      (service.ports ?? []).map((port) => Number(port.split(':').at(-2))),
    );
  }

  compose(args: string[], timeoutMs = 300_000): Promise<Result> {
    const [command, ...prefix] = COMPOSE;
    this.writeOverride();
    return must(
      command,
      [...prefix, '-p', this.name, '-f', this.file, '-f', this.override, ...args],
      // Only what the test sets reaches the files' ${…} and pass-through variables: vitest's
      // own BASE_URL=/ and any snip setting of this shell stay out.
      { env: childEnv(this.env), timeoutMs },
    );
  }

  /** The container of a service, found by the label both tools set. */
  async container(service: string): Promise<string> {
    const names = (
      await engine([
        'ps',
        '-a',
        '--filter',
        `label=${PROJECT_LABEL}=${this.name}`,
        '--filter',
        `label=com.docker.compose.service=${service}`,
        '--format',
        '{{.Names}}',
      ])
    ).stdout
      .split('\n')
      .filter(Boolean);
    expect(names, `the ${service} container of ${this.name}`).toHaveLength(1);
    return names[0]!;
  }

  async containers(): Promise<string[]> {
    const out = await engine([
      'ps',
      '-a',
      '--filter',
      `label=${PROJECT_LABEL}=${this.name}`,
      '--format',
      '{{.Names}}',
    ]);
    return out.stdout.split('\n').filter(Boolean).sort();
  }

  async noteVolumes(): Promise<void> {
    for (const name of await this.containers()) {
      const out = await engine([
        'inspect',
        '-f',
        '{{range .Mounts}}{{if .Name}}{{.Name}}{{"\\n"}}{{end}}{{end}}',
        name,
      ]);
      for (const volume of out.stdout.split('\n').filter(Boolean)) this.volumes.add(volume);
    }
  }

  async logs(): Promise<string> {
    const parts: string[] = [];
    for (const name of await this.containers()) {
      const logs = await run(ENGINE, ['logs', '--tail', '30', name]);
      parts.push(`--- ${name}\n${tail(logs.stdout + logs.stderr, 30)}`);
    }
    return parts.join('\n');
  }

  /** What is left of the project: containers, volumes and networks under its label. */
  async leftovers(): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
    const list = async (kind: 'volume' | 'network') =>
      (await engine([kind, 'ls', '-q', '--filter', `label=${PROJECT_LABEL}=${this.name}`])).stdout
        .split('\n')
        .filter(Boolean);
    const existing = new Set(
      (await engine(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean),
    );
    return {
      containers: await this.containers(),
      volumes: [...new Set([...(await list('volume')), ...this.volumes])].filter((v) =>
        existing.has(v),
      ),
      networks: await list('network'),
    };
  }

  /** Removes everything of the project, whatever state a failure left it in. */
  async remove(): Promise<void> {
    const [command, ...prefix] = COMPOSE;
    if (ENGINE === 'docker') {
      this.writeOverride();
      await run(
        command,
        [...prefix, '-p', this.name, '-f', this.file, '-f', this.override, 'down', '-v'],
        { env: childEnv(this.env) },
      );
    }
    await this.noteVolumes().catch(() => undefined);
    const left = await this.leftovers();
    for (const name of left.containers) await run(ENGINE, ['rm', '-f', '-v', name]);
    for (const volume of left.volumes) await run(ENGINE, ['volume', 'rm', '-f', volume]);
    for (const network of left.networks) await run(ENGINE, ['network', 'rm', '-f', network]);
  }
}

/** Fails at once, naming the port, when another program already listens on it. */
async function requireFreePort(port: number, file: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '0.0.0.0', resolve);
    });
  } catch (error) {
    throw new Error(
      `${file} publishes port ${port}, and something on this machine already listens there (${(error as Error).message}); stop it and run the test again`,
      { cause: error },
    );
  } finally {
    server.close();
  }
}

/** Polls /healthz until 200; fails with the project's logs if it never comes. */
async function waitHealthy(project: Project, port: number): Promise<void> {
  const deadline = Date.now() + HEALTHY_DEADLINE_MS;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} of ${project.name} never became healthy:\n${await project.logs()}`);
}

async function restartCount(name: string): Promise<number> {
  return Number((await engine(['inspect', '-f', '{{.RestartCount}}', name])).stdout.trim());
}

async function expectRedirect(port: number, code: string, target: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/${code}`, { redirect: 'manual' });
  expect(res.status, `/${code} on port ${port}`).toBe(302);
  expect(res.headers.get('location')).toBe(target);
}

function migrationVersions(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir))
    .map((name) => /^(\d{14})_.+\.sql$/.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .sort();
}

const SETUP =
  ENGINE === 'podman'
    ? 'sets up podman, podman-compose and the node:24 and postgres:15 stand-ins'
    : 'finds docker compose';

describe.skipIf(missing !== null && !IN_CI)(`the Compose files with ${COMPOSE_NAME}`, () => {
  let ready = false;
  const postgres = new Project('postgres', 'compose.postgres.yaml', {});
  // podman-compose 1.0.3 leaves `${BASE_URL:-}` as that text when BASE_URL is unset, and the
  // server refuses it (docs/operations.md, "Compose with podman"): the README sets it anyway.
  const sqlite = new Project('sqlite', 'compose.yaml', { BASE_URL: 'http://localhost:8080' });
  const projects = [postgres, sqlite];
  const A = 8081;
  const B = 8082;
  const ALIAS_A = `ca-${RUN_ID}`;
  const ALIAS_B = `cb-${RUN_ID}`;
  const TARGET_A = `https://example.com/compose/${RUN_ID}/made-on-a`;
  const TARGET_B = `https://example.com/compose/${RUN_ID}/made-on-b`;

  beforeEach((context) => {
    if (context.task.name !== SETUP && !ready)
      throw new Error(`${ENGINE} is not set up (see above)`);
  });

  afterAll(async () => {
    if (ready) {
      // Only what this run made: its projects and the snip image they built. The stand-ins
      // stay, as the Node base does, so that the next run starts from them.
      for (const project of projects) await project.remove();
      await run(ENGINE, ['rmi', '-f', IMAGE]);
      for (const project of projects) {
        const left = await project.leftovers();
        const count = left.containers.length + left.volumes.length + left.networks.length;
        if (count > 0) console.error(`${project.name} left behind`, left);
      }
    }
    fs.rmSync(WORK, { recursive: true, force: true });
    if (timings.length > 0) {
      const width = Math.max(...timings.map(([label]) => label.length));
      const rows = timings.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
      console.log([`compose test (${COMPOSE_NAME})`, ...rows].join('\n'));
    }
  });

  it(SETUP, async () => {
    if (missing) throw new Error(`cannot run ${COMPOSE_NAME} here: ${missing}`);
    if (ENGINE === 'podman') {
      const started = performance.now();
      await setUpEngine();
      // The Node base is a Debian 12 whose apt reaches this machine's mirror: PostgreSQL 15 is
      // installed on it from Debian's packages, under the name compose.postgres.yaml asks for.
      const standIn = await engine(
        [
          'build',
          '--pull=never',
          '--format',
          'docker',
          '--build-arg',
          `BASE=${NODE_BASE}`,
          '--label',
          'snip-test-stand-in=postgres:15',
          '-t',
          POSTGRES_STAND_IN,
          path.join(ROOT, 'test', 'container', 'postgres-15'),
        ],
        900_000,
      );
      record('set-up (podman, Node base, PostgreSQL stand-in)', performance.now() - started);
      expect(standIn.stdout).toContain('COMMIT');
    }
    ready = true;
  });

  it('compose.postgres.yaml: up -d --build starts PostgreSQL and two machines that migrate it once', async () => {
    for (const port of postgres.hostPorts()) await requireFreePort(port, postgres.file);
    expect(postgres.hostPorts()).toEqual([A, B]);
    const up = await postgres.compose(['up', '-d', '--build'], 1_200_000);
    await postgres.noteVolumes();
    const started = performance.now();
    await Promise.all([waitHealthy(postgres, A), waitHealthy(postgres, B)]);
    record('postgres: up -d --build', up.ms);
    record('postgres: then both machines healthy', performance.now() - started);

    const db = await postgres.container('postgres');
    // The file's health check, run once (podman schedules none without systemd).
    const check = postgres.services.postgres!.healthcheck!.test!;
    expect(check.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    if (ENGINE === 'podman') await engine(['healthcheck', 'run', db]);
    else await engine(['exec', db, ...check.slice(1)]);

    const applied = await engine([
      'exec',
      db,
      'psql',
      '-U',
      'snip',
      '-d',
      'snip',
      '-tAc',
      'SELECT version FROM schema_migrations ORDER BY version',
    ]);
    expect(applied.stdout.split('\n').filter(Boolean)).toEqual(
      migrationVersions('migrations/postgres'),
    );
    const restarts = [
      await restartCount(await postgres.container('snip-a')),
      await restartCount(await postgres.container('snip-b')),
    ];
    timings.push(['postgres: machine restarts at first start (a, b)', restarts.join(', ')]);
  });

  it('compose.postgres.yaml: the admin is off when ADMIN_PASSWORD is not set', async () => {
    for (const port of [A, B]) {
      expect((await fetch(`http://127.0.0.1:${port}/admin`)).status, `/admin on ${port}`).toBe(404);
    }
  });

  it('compose.postgres.yaml: a link made through snip-a redirects on snip-b, and back', async () => {
    expect((await shorten(A, TARGET_A, ALIAS_A)).status).toBe(303);
    await expectRedirect(B, ALIAS_A, TARGET_A);
    expect((await shorten(B, TARGET_B, ALIAS_B)).status).toBe(303);
    await expectRedirect(A, ALIAS_B, TARGET_B);
  });

  it('compose.postgres.yaml: a machine started while PostgreSQL is down comes up once it is back', async () => {
    const db = await postgres.container('postgres');
    const machine = await postgres.container('snip-a');
    await engine(['stop', db], 60_000);
    // A manual restart sets the count back to 0 (podman and docker alike); read it after.
    await engine(['restart', machine], 60_000);
    const before = await restartCount(machine);
    // It exits for want of a database, and `restart: unless-stopped` starts it again.
    const deadline = Date.now() + 30_000;
    while ((await restartCount(machine)) === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await restartCount(machine)).toBeGreaterThan(before);
    // Each of those starts said why in a line, without a stack trace.
    const logs = await engine(['logs', machine]);
    const said = logs.stdout + logs.stderr;
    expect(said).toMatch(/^launch: .+; not starting the server$/m);
    expect(said).not.toMatch(/^\s+at /m);
    const reason = said.split('\n').findLast((line) => line.startsWith('migrate: '));
    expect(reason).toBeDefined();
    timings.push(['postgres: a machine without its database says', reason!]);
    const started = performance.now();
    await engine(['start', db], 60_000);
    await waitHealthy(postgres, A);
    record('postgres: machine healthy after PostgreSQL is back', performance.now() - started);
    await expectRedirect(A, ALIAS_B, TARGET_B);
  });

  it('compose.postgres.yaml: down, then up again, keeps the links', async () => {
    const down = await postgres.compose(['down']);
    record('postgres: down', down.ms);
    expect(await postgres.containers()).toEqual([]);
    const up = await postgres.compose(['up', '-d']);
    await postgres.noteVolumes();
    const started = performance.now();
    await Promise.all([waitHealthy(postgres, A), waitHealthy(postgres, B)]);
    record('postgres: up -d (data kept)', up.ms);
    record('postgres: then both machines healthy', performance.now() - started);
    await expectRedirect(B, ALIAS_A, TARGET_A);
    await expectRedirect(A, ALIAS_B, TARGET_B);
    const logs = await engine(['logs', await postgres.container('snip-a')]);
    expect(logs.stdout + logs.stderr).toMatch(/nothing to migrate/);
  });

  it('compose.postgres.yaml: down -v removes the containers and the database volume', async () => {
    const down = await postgres.compose(['down', '-v']);
    record('postgres: down -v', down.ms);
    const left = await postgres.leftovers();
    expect(left.containers).toEqual([]);
    expect(left.volumes.filter((volume) => volume.endsWith('postgres_data'))).toEqual([]);
    // What the tool itself leaves (podman-compose 1.0.3: the network and the machines'
    // anonymous /data volumes); the test removes it.
    timings.push([
      `postgres: left by ${COMPOSE_NAME} down -v`,
      `${left.networks.length} network(s), ${left.volumes.length} anonymous volume(s)`,
    ]);
  });

  it('compose.yaml: up -d --build serves snip on port 8080 with its data on a named volume', async () => {
    expect(sqlite.hostPorts()).toEqual([8080]);
    await requireFreePort(8080, sqlite.file);
    const up = await sqlite.compose(['up', '-d', '--build'], 1_200_000);
    await sqlite.noteVolumes();
    const started = performance.now();
    await waitHealthy(sqlite, 8080);
    record('sqlite: up -d --build', up.ms);
    record('sqlite: then healthy', performance.now() - started);
    expect([...sqlite.volumes]).toContain(`${sqlite.name}_snip_data`);
    expect((await shorten(8080, TARGET_A, ALIAS_A)).status).toBe(303);
    await expectRedirect(8080, ALIAS_A, TARGET_A);
  });

  it('compose.yaml: down, then up again, keeps the link', async () => {
    const down = await sqlite.compose(['down']);
    record('sqlite: down', down.ms);
    expect(await sqlite.containers()).toEqual([]);
    const up = await sqlite.compose(['up', '-d']);
    const started = performance.now();
    await waitHealthy(sqlite, 8080);
    record('sqlite: up -d (data kept)', up.ms);
    record('sqlite: then healthy', performance.now() - started);
    await expectRedirect(8080, ALIAS_A, TARGET_A);
    const logs = await engine(['logs', await sqlite.container('snip')]);
    expect(logs.stdout + logs.stderr).toMatch(/nothing to migrate/);
    const down2 = await sqlite.compose(['down', '-v']);
    record('sqlite: down -v', down2.ms);
    expect(await sqlite.containers()).toEqual([]);
  });
});
