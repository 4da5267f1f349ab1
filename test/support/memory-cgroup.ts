import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A memory limit as a small machine has one: a cgroup of its own with a hard limit, so that a
 * process that grows past it is killed by the kernel's OOM killer, as on a 256 MB Fly machine.
 * It works with cgroup v2 (`memory.max`) and with the v1 memory controller
 * (`memory.limit_in_bytes`); both need root. A child starts inside it with `enterCommand`.
 */
export type MemoryCgroup = {
  dir: string;
  /** A shell prefix that moves the shell into the cgroup; `exec` the real command after it. */
  enterCommand: string;
  /** The most memory the cgroup has used, in bytes (page cache included, as the kernel counts it). */
  peakBytes(): number | null;
  /** How many times the kernel killed a process of the cgroup for memory. */
  oomKills(): number;
  remove(): void;
};

const ROOT = '/sys/fs/cgroup';

/** Why no memory cgroup can be made here, or null when one can. */
export function memoryCgroupUnavailable(): string | null {
  if (process.platform !== 'linux') return 'memory cgroups need Linux';
  if (process.getuid?.() !== 0) return 'creating a cgroup needs root';
  if (parentCgroup() === null) return 'no writable memory cgroup controller';
  return null;
}

/** Where this process's memory cgroup is, and which version of the interface it speaks. */
function parentCgroup(): { dir: string; version: 1 | 2 } | null {
  const lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = lines
    .map((line) => line.split(':'))
    .find(([, controllers]) => controllers === 'memory');
  if (v1 !== undefined) {
    const dir = path.join(ROOT, 'memory', v1[2] ?? '/');
    if (fs.existsSync(path.join(dir, 'memory.limit_in_bytes'))) return { dir, version: 1 };
  }
  const v2 = lines.map((line) => line.split(':')).find(([id]) => id === '0');
  if (v2 !== undefined) {
    // The memory controller must be delegated to the children of the directory the new cgroup
    // goes in. A v2 cgroup with processes of its own cannot delegate it (the root can), so the
    // root is the second choice.
    for (const dir of [path.join(ROOT, v2[2] ?? '/'), ROOT]) {
      const controllers = path.join(dir, 'cgroup.subtree_control');
      if (fs.existsSync(controllers) && fs.readFileSync(controllers, 'utf8').includes('memory')) {
        return { dir, version: 2 };
      }
    }
  }
  return null;
}

export function createMemoryCgroup(limitBytes: number): MemoryCgroup {
  const parent = parentCgroup();
  if (parent === null) throw new Error('no memory cgroup to create a child in');
  const dir = path.join(parent.dir, `snip-test-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(dir);
  const write = (file: string, value: string) => fs.writeFileSync(path.join(dir, file), value);
  const read = (file: string): string | null => {
    try {
      return fs.readFileSync(path.join(dir, file), 'utf8');
    } catch {
      return null;
    }
  };
  if (parent.version === 1) {
    write('memory.limit_in_bytes', String(limitBytes));
  } else {
    write('memory.max', String(limitBytes));
    // No swap to escape into: the machine this imitates has none.
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) write('memory.swap.max', '0');
  }
  return {
    dir,
    enterCommand: `echo $$ > ${path.join(dir, 'cgroup.procs')}`,
    peakBytes() {
      const text = read(parent.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak');
      return text === null ? null : Number(text.trim());
    },
    oomKills() {
      const text = read(parent.version === 1 ? 'memory.oom_control' : 'memory.events') ?? '';
      return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
    },
    remove() {
      for (let attempt = 0; attempt < 20; attempt += 1) {
        try {
          fs.rmdirSync(dir);
          return;
        } catch {
          // Still busy while the last process leaves it.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        }
      }
    },
  };
}
