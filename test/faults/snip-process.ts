import Database from 'better-sqlite3';
import path from 'node:path';
import { smallDiskUnavailable } from '../support/small-disk.js';
import { createTestDatabase } from '../support/test-app.js';
import {
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from '../support/server-process.js';
import { send, type Outcome, type RequestSpec } from './http-outcome.js';

/** The compiled server, as the image runs it (test/support/global-setup.ts builds dist/). */
export const SERVER = path.resolve('dist/server.js');

/**
 * Production's settings: JSON logs at info (the tests read them), HSTS and Secure cookies from
 * an https BASE_URL. Rate limits stay at their defaults unless a test says why it turns them off.
 */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  BASE_URL: 'https://snip.example',
} as const;

/** A browser's user agent: its visits are counted. */
export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';
/** A script's user agent: followed, never counted. */
export const BOT = 'curl/8.5.0';

/**
 * Why the tests that mount filesystems (a small tmpfs, a read-only bind mount) are skipped on
 * this machine, or null when they run. They need Linux and root; CI has both and never skips
 * them (a skip there would hide a fault): without root it fails instead.
 */
export const MOUNTS_SKIPPED: string | null = (() => {
  const unavailable = smallDiskUnavailable();
  const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
  return unavailable !== null && !inCi ? unavailable : null;
})();

/** Throws when a mounting test runs (in CI) where it cannot mount. */
export function requireMounts(): void {
  const unavailable = smallDiskUnavailable();
  if (unavailable) throw new Error(`cannot mount: ${unavailable}`);
}

export type LogLine = { level: number; msg: string; [key: string]: unknown };

export type Snip = {
  port: number;
  file: string;
  proc: RunningProcess;
  pid: number;
  send(spec: RequestSpec): Promise<Outcome>;
  /** The JSON lines the process has logged so far. */
  logLines(): LogLine[];
};

const running = new Set<RunningProcess>();

/** A database file with the real migrations applied, in `dir/db/`. */
export function createDatabaseFile(dir: string, name = 'snip.sqlite3'): string {
  const file = path.join(dir, 'db', name);
  createTestDatabase(file).close();
  return file;
}

/**
 * Writes links straight into the file, many in one transaction, as a table that has grown would
 * hold them: faster than creating each through HTTP. Each is [code, target].
 */
export function insertLinks(file: string, links: Iterable<readonly [string, string]>): void {
  const db = new Database(file);
  try {
    const insert = db.prepare(
      'INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?)',
    );
    const now = Date.now();
    db.transaction(() => {
      for (const [code, target] of links) insert.run(code, target, now, now);
    })();
  } finally {
    db.close();
  }
}

/** Starts `node dist/server.js` on `file` and waits for its /healthz to answer 200. */
export async function startSnip(
  file: string,
  env: Record<string, string> = {},
  port?: number,
): Promise<Snip> {
  const chosen = port ?? (await findFreePort());
  return serving(spawnSnip('node', [SERVER], file, chosen, env), chosen, file);
}

/** Starts `scripts/launch.sh` (migrations, then the server), as the image's entrypoint does. */
export function launchSnip(file: string, port: number, env: Record<string, string> = {}) {
  return spawnSnip('bash', ['scripts/launch.sh'], file, port, env);
}

function spawnSnip(
  command: string,
  args: string[],
  file: string,
  port: number,
  env: Record<string, string>,
): RunningProcess {
  const proc = startProcess(command, args, {
    ...PRODUCTION_ENV,
    PORT: String(port),
    DATABASE_URL: `sqlite:${file}`,
    ...env,
  });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** Waits for the process to answer /healthz with 200. */
export async function serving(proc: RunningProcess, port: number, file: string): Promise<Snip> {
  await waitForHealthy(port, proc);
  return {
    port,
    file,
    proc,
    pid: proc.child.pid ?? 0,
    send: (spec) => send(port, spec),
    logLines: () => parseLog(proc.output()),
  };
}

export function parseLog(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Kills whatever a test left running (an assertion failed before it stopped its server). */
export async function killLeftovers(): Promise<void> {
  const left = [...running];
  for (const proc of left) proc.child.kill('SIGKILL');
  await Promise.all(left.map((proc) => proc.exited));
}

/** The form's POST, as snip's own page sends it. */
export function createRequest(url: string, alias = ''): RequestSpec {
  return {
    method: 'POST',
    path: '/shorten',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams({ url, alias }).toString(),
  };
}

export function visitRequest(code: string, userAgent = BROWSER): RequestSpec {
  return { path: `/${code}`, headers: { 'User-Agent': userAgent } };
}

/** The management token in a creation's 303 (`/manage/<token>?created=1`), or null. */
export function createdToken(outcome: Outcome): string | null {
  if (outcome.kind !== 'answered' || outcome.status !== 303) return null;
  const location = String(outcome.headers.location ?? '');
  return /^\/manage\/([A-Za-z0-9_-]{32})\?created=1$/.exec(location)?.[1] ?? null;
}

/** "Visits in total" as the management page shows it: written counts plus those in memory. */
export function visitsOnPage(html: string): number | null {
  const match = /<dt>Visits in total<\/dt><dd>([\d,]+)<\/dd>/.exec(html);
  return match ? Number(match[1]!.replace(/,/g, '')) : null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it answers true or `timeoutMs` passes; answers how long it took, or null. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(everyMs);
  }
  return (await check()) ? Date.now() - started : null;
}

/** Signs in to a running snip's admin and returns the session cookie (`name=value`). */
export async function signInAdmin(snip: Snip, password: string): Promise<string> {
  const outcome = await snip.send({
    method: 'POST',
    path: '/admin/sign-in',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams({ password }).toString(),
  });
  if (outcome.kind !== 'answered' || outcome.status !== 303) {
    throw new Error(`sign-in failed: ${JSON.stringify(outcome)}`);
  }
  return (outcome.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
}
