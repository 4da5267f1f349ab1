import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What a container test needs to build and run the image: the engine (podman where the shared
 * set-up scripts are, docker otherwise; CONTAINER_ENGINE chooses), commands run to their end,
 * and the one-time set-up of podman and the node:24-bookworm-slim stand-in
 * (../shared/docs/CONTAINERS.md).
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// shared/ sits beside the project, here and in CI's clone.
const TOOLS = path.resolve(ROOT, '..', 'shared', 'tools', 'containers');
// Outside shared/ (read-only in CI) and outside the clone, so the download cache outlives it.
const BASE_CACHE = path.join(os.tmpdir(), 'snip-container-cache');
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';

export type Engine = 'podman' | 'docker';
function chooseEngine(): Engine {
  const asked = process.env.CONTAINER_ENGINE;
  if (asked === 'podman' || asked === 'docker') return asked;
  return fs.existsSync(path.join(TOOLS, 'setup-podman.sh')) ? 'podman' : 'docker';
}
export const ENGINE = chooseEngine();
/** podman pulls nothing (there is no registry here); docker pulls the base image as usual. */
export const BUILD_FLAGS = ENGINE === 'podman' ? ['--pull=never', '--format', 'docker'] : [];

export type Result = { code: number | null; stdout: string; stderr: string; ms: number };

/** Runs a command to its end (or kills it at the timeout) and keeps what it printed. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The engine with `args`; a non-zero exit throws with the end of what it printed. */
export async function engine(args: string[], timeoutMs?: number): Promise<Result> {
  const result = await run(ENGINE, args, { timeoutMs });
  if (result.code !== 0) {
    throw new Error(
      `${ENGINE} ${args.join(' ')} exited ${result.code}:\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
  }
  return result;
}

/** Why this machine cannot run container tests, or null when it can. */
export function missingPrerequisite(): string | null {
  if (process.platform !== 'linux') return `${ENGINE} set-up needs Linux`;
  if (ENGINE === 'docker') {
    const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
      timeout: 30_000,
    });
    return info.status === 0 ? null : 'docker is not installed or its engine does not answer';
  }
  if (process.getuid?.() !== 0) return 'setup-podman.sh and rootful podman need root';
  if (!fs.existsSync(path.join(TOOLS, 'setup-podman.sh'))) return `no container tools in ${TOOLS}`;
  return null;
}

/**
 * podman and the base image, set up by the shared scripts (idempotent: seconds when done
 * before); nothing for docker. Throws with the scripts' own words when they fail.
 */
export async function setUpEngine(): Promise<number> {
  if (ENGINE === 'docker') return 0;
  let setup = await run('bash', [path.join(TOOLS, 'setup-podman.sh')], { timeoutMs: 600_000 });
  // Another apt-get may hold the dpkg lock for a moment; wait for it rather than fail.
  for (let attempt = 0; attempt < 6 && /Could not get lock/.test(setup.stderr); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    setup = await run('bash', [path.join(TOOLS, 'setup-podman.sh')], { timeoutMs: 600_000 });
  }
  if (setup.code !== 0) throw new Error(`setup-podman.sh failed:\n${tail(setup.stderr)}`);
  fs.mkdirSync(BASE_CACHE, { recursive: true });
  const base = await run('bash', [path.join(TOOLS, 'make-node-base.sh'), '24'], {
    env: { ...process.env, WORK_DIR: BASE_CACHE },
    timeoutMs: 900_000,
  });
  if (base.code !== 0) throw new Error(`make-node-base.sh failed:\n${tail(base.stderr)}`);
  return setup.ms + base.ms;
}

/** A link made through the home page's form on `port`, as a browser posts it. */
export async function shorten(port: number, url: string, alias = ''): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/shorten`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams({ url, alias }).toString(),
  });
}
