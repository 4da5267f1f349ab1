import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A real, tiny filesystem (tmpfs) that a test can fill up and free again: the way a full volume
 * behaves, which `PRAGMA max_page_count` does not imitate (it fails inside a statement, while a
 * full disk can fail the commit itself). Mounting needs root, which CI has.
 */
export type SmallDisk = {
  dir: string;
  /** Writes a filler file until the disk refuses another byte. */
  fill(): void;
  /** Deletes the filler: space is back. */
  free(): void;
  unmount(): void;
};

const FILLER = '.filler';

export function mountSmallDisk(sizeKb = 2048): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0777`, 'tmpfs', dir]);
  return {
    dir,
    fill() {
      const fd = fs.openSync(path.join(dir, FILLER), 'a');
      const block = Buffer.alloc(4096);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(path.join(dir, FILLER), { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Why this machine cannot mount one, or null when it can. */
export function smallDiskUnavailable(): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  return null;
}
