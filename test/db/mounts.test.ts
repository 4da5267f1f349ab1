import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  mountOf,
  parseMountInfo,
  readMounts,
  resolveExisting,
  volumeOf,
} from '../../src/db/mounts.js';
import { createTempDir } from '../support/test-app.js';

// /proc/self/mountinfo as a Fly Machine shows it: the image's root filesystem on /dev/vda, the
// kernel's own filesystems, and (when fly.toml has [mounts]) the volume on a device of its own.
const FLY_WITHOUT_VOLUME = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=110568k,nr_inodes=27642,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw
`;
const FLY_WITH_VOLUME = `${FLY_WITHOUT_VOLUME}48 27 254:32 / /data rw,relatime shared:2 - ext4 /dev/vdc rw,discard
`;

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('parseMountInfo', () => {
  it('when given mountinfo lines, then it reads the mount point, device, type and source, optional fields or not', () => {
    const mounts = parseMountInfo(FLY_WITH_VOLUME);
    expect(mounts).toHaveLength(8);
    expect(mounts.at(-1)).toEqual({
      device: '254:32',
      mountPoint: '/data',
      fsType: 'ext4',
      source: '/dev/vdc',
    });
    expect(mounts.find((m) => m.mountPoint === '/')).toMatchObject({ device: '254:0' });
  });

  it('when a mount point has a space or a backslash, then the kernel escapes are undone', () => {
    const [mount] = parseMountInfo(
      '60 27 0:50 / /srv/my\\040data\\134x rw - tmpfs tmpfs rw\nnot a mountinfo line\n',
    );
    expect(mount?.mountPoint).toBe('/srv/my data\\x');
  });
});

describe('volumeOf', () => {
  it('when nothing is mounted at the database folder or above it, then it is on no volume', () => {
    const mounts = parseMountInfo(FLY_WITHOUT_VOLUME);
    expect(volumeOf('/data/db', mounts)).toBeNull();
    expect(mountOf('/data/db', mounts)?.mountPoint).toBe('/');
  });

  it('when a volume is mounted at the folder or a folder above it, then that is its volume', () => {
    const mounts = parseMountInfo(FLY_WITH_VOLUME);
    expect(volumeOf('/data/db', mounts)?.source).toBe('/dev/vdc');
    expect(volumeOf('/data', mounts)?.source).toBe('/dev/vdc');
  });

  it('when only a folder of a similar name is mounted (/data2 for /data), then it is no volume', () => {
    const mounts = parseMountInfo(FLY_WITH_VOLUME.replace(' /data ', ' /data2 '));
    expect(volumeOf('/data/db', mounts)).toBeNull();
  });

  it('when the folder is a bind mount of the root filesystem, then it is no volume: it goes with the machine', () => {
    const mounts = parseMountInfo(
      `${FLY_WITHOUT_VOLUME}49 27 254:0 /srv/db /data rw,relatime - ext4 /dev/vda rw\n`,
    );
    expect(mountOf('/data/db', mounts)?.mountPoint).toBe('/data');
    expect(volumeOf('/data/db', mounts)).toBeNull();
  });

  it('when two mounts cover the folder, then the deeper one counts', () => {
    const mounts = parseMountInfo(`${FLY_WITH_VOLUME}50 48 0:60 / /data/db rw - tmpfs tmpfs rw\n`);
    expect(volumeOf('/data/db/x', mounts)?.fsType).toBe('tmpfs');
    expect(volumeOf('/data/other', mounts)?.fsType).toBe('ext4');
  });
});

describe('resolveExisting', () => {
  it('when the folder does not exist yet, then the part that exists is resolved and the rest kept', () => {
    dir = createTempDir();
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    expect(resolveExisting(path.join(dir, 'link', 'db', 'deeper'))).toBe(
      path.join(fs.realpathSync(dir), 'real', 'db', 'deeper'),
    );
  });
});

describe('readMounts', () => {
  it('when there is no mountinfo file, then it answers null', () => {
    expect(readMounts('/nonexistent/mountinfo')).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')(
    "when on Linux, then it reads this process's mounts, the root among them",
    () => {
      expect(readMounts()?.some((mount) => mount.mountPoint === '/')).toBe(true);
    },
  );
});
