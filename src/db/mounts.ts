import fs from 'node:fs';
import path from 'node:path';

/**
 * Which filesystem a path is on, read from /proc/self/mountinfo (Linux). A Fly volume is a
 * block device of its own (ext4 on /dev/vdX) mounted at the `destination` of fly.toml's
 * `[mounts]`; without one, the database directory is on the machine's root filesystem, which a
 * deploy or a move to another host replaces with a fresh copy of the image.
 */

/** One line of mountinfo: where a filesystem is mounted, and which device it is. */
export type Mount = { mountPoint: string; device: string; fsType: string; source: string };

/** `\040` → space, as the kernel escapes spaces, tabs, newlines and backslashes in mountinfo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/**
 * The mounts of a mountinfo text, in order (later lines are mounted over earlier ones). Each line:
 * `id parent major:minor root mount-point options [optional fields] - fstype source super-options`.
 */
export function parseMountInfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const separator = fields.indexOf('-');
    if (fields.length < 6 || separator < 6) continue;
    mounts.push({
      device: fields[2]!,
      mountPoint: unescape(fields[4]!),
      fsType: fields[separator + 1] ?? '',
      source: unescape(fields[separator + 2] ?? ''),
    });
  }
  return mounts;
}

/** Whether `dir` is `mountPoint` or inside it, component by component (`/data2` is not in `/data`). */
function isWithin(dir: string, mountPoint: string): boolean {
  if (mountPoint === '/') return true;
  return dir === mountPoint || dir.startsWith(`${mountPoint}/`);
}

/** The mount `dir` (absolute, symbolic links resolved) is on: the last one that covers it. */
export function mountOf(dir: string, mounts: readonly Mount[]): Mount | null {
  let found: Mount | null = null;
  for (const mount of mounts) {
    if (!isWithin(dir, mount.mountPoint)) continue;
    // The deeper mount point wins; of two at the same place, the later one is on top.
    if (found === null || mount.mountPoint.length >= found.mountPoint.length) found = mount;
  }
  return found;
}

/**
 * The volume `dir` is on: the mount that covers it when that is mounted below `/` and is another
 * device than the root filesystem (a bind mount of a folder of the root filesystem is no
 * volume: it goes with the machine). Null when `dir` is on the root filesystem.
 */
export function volumeOf(dir: string, mounts: readonly Mount[]): Mount | null {
  const mount = mountOf(dir, mounts);
  if (mount === null || mount.mountPoint === '/') return null;
  const root = mountOf('/', mounts);
  return root !== null && root.device === mount.device ? null : mount;
}

/**
 * `dir` made absolute with its symbolic links resolved, as far as it exists: the database's
 * directory may not exist yet on the first start (launch.sh creates it).
 */
export function resolveExisting(dir: string): string {
  const absolute = path.resolve(dir);
  let existing = absolute;
  const missing: string[] = [];
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    missing.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(fs.realpathSync(existing), ...missing);
}

/** This process's mounts, or null where there is no /proc/self/mountinfo (not Linux). */
export function readMounts(mountInfoFile = '/proc/self/mountinfo'): Mount[] | null {
  try {
    return parseMountInfo(fs.readFileSync(mountInfoFile, 'utf8'));
  } catch {
    return null;
  }
}
