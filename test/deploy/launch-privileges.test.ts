import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  childEnv,
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from '../support/server-process.js';

/**
 * scripts/launch.sh's root branch, as the image uses it (SNIP_RUN_AS=node): here with the
 * `nobody` user, since development machines have no `node` user. The container test checks the
 * same path inside the real image.
 */
const NOBODY = 65534;
const canDropPrivileges =
  process.getuid?.() === 0 &&
  spawnSync('sh', ['-c', 'command -v setpriv && id nobody']).status === 0;
const ci = process.env.CI;
const inCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
if (!canDropPrivileges && !inCi) {
  console.warn('launch.sh privilege tests skipped: they need root, setpriv and a nobody user');
}

// In CI a skipped suite would pass silently: there, a machine that cannot run it fails instead.
describe.runIf(!canDropPrivileges && inCi)('scripts/launch.sh privilege drop in CI', () => {
  it('needs root, setpriv and a nobody user', () => {
    throw new Error(
      'CI is set, but this machine cannot run launch.sh as root with SNIP_RUN_AS: run the tests as root (sudo) with setpriv installed',
    );
  });
});

function ownerOf(file: string): number {
  return fs.statSync(file).uid;
}

function uidOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

describe.skipIf(!canDropPrivileges)('scripts/launch.sh started as root with SNIP_RUN_AS', () => {
  let tmp: string;
  let proc: RunningProcess | null;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-privileges-'));
    // The unprivileged user must be able to walk down to the database directory.
    fs.chmodSync(tmp, 0o755);
    proc = null;
  });

  afterEach(() => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('when the database directory is root-owned, then it hands it over and runs migrations and server as that user', async () => {
    const dir = path.join(tmp, 'data', 'db');
    fs.mkdirSync(path.join(dir, 'backups'), { recursive: true });
    // Left by an earlier root process (e.g. a backup run as root): must become writable too.
    fs.writeFileSync(path.join(dir, 'backups', 'old.sqlite3'), '');
    // Not snip's: stays as it is.
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'root');
    const port = await findFreePort();
    // Every Node process started, as root or as nobody, writes its arguments here first, and
    // the malloc arenas glibc may give it (MALLOC_ARENA_MAX, set by launch.sh).
    const starts = path.join(tmp, 'node-starts.log');
    fs.writeFileSync(starts, '', { mode: 0o666 });
    fs.chmodSync(starts, 0o666);
    const recorder = path.join(tmp, 'record-start.mjs');
    fs.writeFileSync(
      recorder,
      `import fs from 'node:fs';\nfs.appendFileSync(${JSON.stringify(starts)}, JSON.stringify([...process.argv.slice(1), 'arenas=' + process.env.MALLOC_ARENA_MAX]) + '\\n');\n`,
    );

    proc = startProcess('bash', ['scripts/launch.sh'], {
      SNIP_RUN_AS: 'nobody',
      DATABASE_URL: `sqlite:${path.join(dir, 'database.sqlite3')}`,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      NODE_OPTIONS: `--import=${recorder}`,
    });
    await waitForHealthy(port, proc);
    // The database's directory is found in bash, not by a Node process of its own: the server
    // is the only Node started, and it migrates first.
    expect(
      fs
        .readFileSync(starts, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as string[]),
    ).toEqual([[path.resolve('dist/bundle/server.js'), '--migrate', 'arenas=2']]);

    // bash, setpriv, bash and node all exec in turn: the child's pid is the server's.
    expect(uidOf(proc.child.pid!)).toBe(NOBODY);
    expect(ownerOf(dir)).toBe(NOBODY);
    expect(ownerOf(path.join(dir, 'database.sqlite3'))).toBe(NOBODY);
    expect(ownerOf(path.join(dir, 'backups', 'old.sqlite3'))).toBe(NOBODY);
    expect(ownerOf(path.join(dir, 'notes.txt'))).toBe(0);
    expect(ownerOf(path.join(tmp, 'data'))).toBe(0);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it('when SNIP_RUN_AS names no user, then it stops with exit 1 and says so', () => {
    const result = spawnSync('bash', ['scripts/launch.sh'], {
      env: childEnv({
        SNIP_RUN_AS: 'no-such-user',
        DATABASE_URL: `sqlite:${path.join(tmp, 'database.sqlite3')}`,
      }),
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe('launch: SNIP_RUN_AS=no-such-user is not a user in this image\n');
  });

  it('when DATABASE_URL is empty, then the unprivileged run explains what to set', () => {
    const result = spawnSync('bash', ['scripts/launch.sh'], {
      env: childEnv({ SNIP_RUN_AS: 'nobody', DATABASE_URL: '' }),
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('run-migrations: DATABASE_URL is not set');
    expect(result.stderr).toContain(
      'launch: configuration error in DATABASE_URL; not starting the server',
    );
  });
});
