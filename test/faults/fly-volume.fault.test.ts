import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, startProcess } from '../support/server-process.js';
import { mountSmallDisk, type SmallDisk } from '../support/small-disk.js';
import { STACK_TRACE } from './http-outcome.js';
import {
  killLeftovers,
  launchSnip,
  MOUNTS_SKIPPED,
  requireMounts,
  serving,
  SERVER,
} from './snip-process.js';

/**
 * ADR 046: on Fly (FLY_APP_NAME set) an SQLite database on the machine's own disk is lost at the
 * next deploy, so snip refuses to start there, naming fly.toml's [mounts], unless
 * ALLOW_EPHEMERAL_DATABASE=true; on a volume it starts. A real mount (a tmpfs) stands in for the
 * volume, and the test checks with findmnt, not with snip's own code, where its folders are.
 */

if (MOUNTS_SKIPPED) console.warn(`Fly volume guard skipped: ${MOUNTS_SKIPPED}`);

const FLY = { FLY_APP_NAME: 'snip-volume-test' };

let disk: SmallDisk | undefined;
let dir: string | undefined;
afterEach(async () => {
  await killLeftovers();
  disk?.unmount();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  disk = dir = undefined;
});

/** The mount point `target` is on, as util-linux's findmnt sees it. */
function mountPointOf(target: string): string {
  return execFileSync('findmnt', ['-n', '-o', 'TARGET', '-T', target], { encoding: 'utf8' }).trim();
}

/** A fresh folder on the root filesystem: what a Fly machine without a volume writes to. */
function folderOnRootFilesystem(): string {
  for (const base of [os.tmpdir(), '/var/tmp', path.resolve('.')]) {
    if (fs.existsSync(base) && mountPointOf(base) === '/') {
      return fs.mkdtempSync(path.join(base, 'snip-no-volume-'));
    }
  }
  throw new Error(
    'no writable folder on the root filesystem to stand for a machine without a volume',
  );
}

describe.skipIf(MOUNTS_SKIPPED !== null)('snip on Fly, with and without a volume', () => {
  it('when the database is on the machine’s own disk, then the server and launch.sh refuse to start, naming [mounts], and create no database', async () => {
    requireMounts();
    dir = folderOnRootFilesystem();
    const file = path.join(dir, 'data', 'db', 'database.sqlite3');
    expect(mountPointOf(dir)).toBe('/');

    const port = await findFreePort();
    const server = startProcess('node', [SERVER], {
      ...FLY,
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
    });
    const launched = launchSnip(file, port, FLY);
    const lines: string[] = [];
    for (const proc of [server, launched]) {
      // A start that should have been refused is killed after a while, and the test fails.
      const stop = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
      const { code } = await proc.exited;
      clearTimeout(stop);
      expect(code, proc.output()).toBe(1);
      const output = proc.output();
      expect(output).not.toMatch(STACK_TRACE);
      const refusal = output.split('\n').find((line) => line.startsWith('snip: on Fly.io'));
      expect(refusal, output).toBeDefined();
      expect(refusal).toContain('[mounts]');
      expect(refusal).toContain('fly.toml');
      expect(refusal).toContain('ALLOW_EPHEMERAL_DATABASE=true');
      lines.push(refusal!);
    }
    expect(fs.existsSync(file), 'a database created on the ephemeral disk').toBe(false);
    console.log(`Fly without a volume: the server and launch.sh exit 1 with "${lines[0]}"`);
  });

  it('when ALLOW_EPHEMERAL_DATABASE=true, then it starts on the machine’s own disk and warns that the links will be lost', async () => {
    requireMounts();
    dir = folderOnRootFilesystem();
    const file = path.join(dir, 'data', 'db', 'database.sqlite3');
    const port = await findFreePort();
    const snip = await serving(
      launchSnip(file, port, { ...FLY, ALLOW_EPHEMERAL_DATABASE: 'true' }),
      port,
      file,
    );
    const warning = snip
      .logLines()
      .find((line) => line.level === 40 && line.msg.includes('ALLOW_EPHEMERAL_DATABASE=true'));
    expect(warning?.msg).toContain('every link is lost at the next deploy or restart');
    snip.proc.child.kill('SIGTERM');
    expect((await snip.proc.exited).code).toBe(0);
  });

  it('when a volume is mounted at the database’s folder, then it starts without a word about it', async () => {
    requireMounts();
    disk = mountSmallDisk(8192);
    expect(mountPointOf(disk.dir)).toBe(disk.dir);
    const file = path.join(disk.dir, 'db', 'database.sqlite3');
    const port = await findFreePort();
    const snip = await serving(launchSnip(file, port, FLY), port, file);
    expect(fs.existsSync(file)).toBe(true);
    expect(snip.logLines().filter((line) => line.msg.includes('volume'))).toEqual([]);
    snip.proc.child.kill('SIGTERM');
    expect((await snip.proc.exited).code).toBe(0);
  });
});
