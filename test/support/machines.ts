import http from 'node:http';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { loadMigrations } from '../../src/db/migrations.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { BROWSER } from '../faults/snip-process.js';
import { createTestPgDatabase } from './postgres.js';
import {
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from './server-process.js';

/**
 * Several real snip processes (`node dist/server.js`) on one PostgreSQL database, as several
 * machines behind a load balancer would be: each its own port, memory, caches and visit counter.
 */
const SERVER = path.resolve('dist/server.js');

export const MACHINE_API_KEY = 'machines-test-key-0123456789abcdefghijkl';
export const MACHINE_ADMIN_PASSWORD = 'machines admin password';
export const BROWSER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

export type Machine = {
  name: string;
  port: number;
  proc: RunningProcess;
  /** fetch against this machine; redirects are answers, never followed. */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
};

/** A fresh database on the run's cluster with every migration applied. */
export async function createMachinesDatabase(): Promise<string> {
  const { url } = await createTestPgDatabase();
  await applyPostgresMigrations(url, loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR)));
  return url;
}

/** Starts one machine on `url` and waits until it is healthy; it is killed when the test ends. */
export async function startMachine(
  name: string,
  url: string,
  env: Record<string, string> = {},
): Promise<Machine> {
  const port = await findFreePort();
  const proc = startProcess('node', [SERVER], {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    BASE_URL: 'https://snip.example',
    PORT: String(port),
    DATABASE_URL: url,
    INITIAL_API_KEY: MACHINE_API_KEY,
    ADMIN_PASSWORD: MACHINE_ADMIN_PASSWORD,
    RATE_LIMITS: 'off',
    ...env,
  });
  onTestFinished(async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  });
  await waitForHealthy(port, proc, 30_000);
  return {
    name,
    port,
    proc,
    fetch: (requestPath, init = {}) =>
      fetch(`http://127.0.0.1:${port}${requestPath}`, { redirect: 'manual', ...init }),
  };
}

/** Stops a machine as its platform would (SIGTERM) and answers its exit code. */
export async function stopMachine(machine: Machine): Promise<number | null> {
  machine.proc.child.kill('SIGTERM');
  return (await machine.proc.exited).code;
}

export const json = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${MACHINE_API_KEY}` },
  body: JSON.stringify(body),
});

export const withKey: RequestInit = { headers: { Authorization: `Bearer ${MACHINE_API_KEY}` } };

/** A form post from snip's own page. */
export function form(fields: Record<string, string>, cookie?: string): RequestInit {
  return {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Signs in to the admin on `machine`; the session cookie. */
export async function adminSignIn(machine: Machine): Promise<string> {
  const res = await machine.fetch('/admin/sign-in', form({ password: MACHINE_ADMIN_PASSWORD }));
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** A visit as a person's browser makes it: the status and Location. */
/**
 * A browser's visit to `/code` on `machine`, as sent to `host` when one is given (fetch cannot
 * set a Host header, so that visit goes through node:http).
 */
export async function visit(
  machine: Machine,
  code: string,
  host?: string,
): Promise<{ status: number; location: string | null }> {
  if (host !== undefined) {
    return new Promise((resolve, reject) => {
      const req = http.get(
        { port: machine.port, path: `/${code}`, headers: { Host: host, 'User-Agent': BROWSER } },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null }),
          );
        },
      );
      req.on('error', reject);
    });
  }
  const res = await machine.fetch(`/${code}`, { headers: { 'User-Agent': BROWSER } });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get('location') };
}
