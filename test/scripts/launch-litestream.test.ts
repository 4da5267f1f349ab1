import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnv } from '../support/server-process.js';
import { createTempDir } from '../support/test-app.js';

// scripts/launch.sh with LITESTREAM_REPLICA_URL, where it must stop before any server starts.
// Restoring and replicating for real: test/faults/litestream.fault.test.ts and the container test.

let dir: string;
beforeEach(() => {
  dir = createTempDir();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function launch(env: Record<string, string>) {
  const result = spawnSync('bash', ['scripts/launch.sh'], {
    env: childEnv({ LOG_LEVEL: 'warn', PORT: '1', ...env }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('launch.sh with LITESTREAM_REPLICA_URL', () => {
  it('when the replica URL is wrong, then it exits 1 with the setting’s message before anything is restored or served', () => {
    const file = path.join(dir, 'db', 'snip.sqlite3');
    const { code, stderr } = launch({
      DATABASE_URL: `sqlite:${file}`,
      LITESTREAM_REPLICA_URL: 's3://my-bucket/snip?endpoint=fly.storage.tigris.dev',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('snip: Invalid configuration:');
    expect(stderr).toContain(
      'LITESTREAM_REPLICA_URL must be an s3://bucket/path or file:///absolute/path URL without a query',
    );
    expect(stderr).toContain('launch: the Litestream settings are wrong; not starting the server');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('when the database is missing but its WAL is not, then it refuses to restore under it', () => {
    const file = path.join(dir, 'db', 'snip.sqlite3');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(`${file}-wal`, 'a WAL without its database');
    const { code, stderr } = launch({
      DATABASE_URL: `sqlite:${file}`,
      LITESTREAM_REPLICA_URL: `file://${path.join(dir, 'replica')}`,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `launch: ${file} is missing but its -wal or -shm file is there; move them away before restoring; not starting the server`,
    );
    expect(fs.readFileSync(`${file}-wal`, 'utf8')).toBe('a WAL without its database');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('when the replica cannot be read, then it stops instead of starting on an empty database', () => {
    const file = path.join(dir, 'db', 'snip.sqlite3');
    // A file where the replica's folder should be: Litestream cannot list its generations.
    const replica = path.join(dir, 'replica');
    fs.writeFileSync(replica, '');
    const { code, stdout, stderr } = launch({
      DATABASE_URL: `sqlite:${file}`,
      LITESTREAM_REPLICA_URL: `file://${replica}`,
    });
    expect(code).toBe(1);
    expect(stdout).toContain(`litestream: ${file} is missing; restoring it from file://${replica}`);
    expect(stdout + stderr).toContain('cannot fetch generations');
    expect(stderr).toContain(
      `launch: cannot restore ${file} from file://${replica}; not starting the server`,
    );
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('scripts/replica.sh', () => {
  function replica(args: string[], env: Record<string, string>) {
    const result = spawnSync('bash', ['scripts/replica.sh', ...args], {
      env: childEnv({ LOG_LEVEL: 'warn', ...env }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('when nothing is replicated, then it says so and exits 1', () => {
    const { code, stderr } = replica(['generations'], {});
    expect(code).toBe(1);
    expect(stderr).toBe('replica: LITESTREAM_REPLICA_URL is not set: there is no replica\n');
  });

  it.each([
    [[], 'usage: scripts/replica.sh restore FILE | generations | snapshots'],
    [['restore'], 'usage: scripts/replica.sh restore FILE | generations | snapshots'],
    [['delete'], 'usage: scripts/replica.sh restore FILE | generations | snapshots'],
  ])('when asked %o, then it shows its usage and exits 1', (args, message) => {
    const { code, stderr } = replica(args, {
      DATABASE_URL: `sqlite:${path.join(dir, 'db', 'snip.sqlite3')}`,
      LITESTREAM_REPLICA_URL: `file://${path.join(dir, 'replica')}`,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(message);
  });

  it('when the restore would overwrite a file or the live database, then it refuses and touches nothing', () => {
    const file = path.join(dir, 'db', 'snip.sqlite3');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'live');
    const existing = path.join(dir, 'kept.sqlite3');
    fs.writeFileSync(existing, 'kept');
    const env = {
      DATABASE_URL: `sqlite:${file}`,
      LITESTREAM_REPLICA_URL: `file://${path.join(dir, 'replica')}`,
    };
    const over = replica(['restore', existing], env);
    expect(over.code).toBe(1);
    expect(over.stderr).toBe(`replica: ${existing} exists: name a new file\n`);
    expect(fs.readFileSync(existing, 'utf8')).toBe('kept');
    fs.rmSync(file);
    const live = replica(['restore', file], env);
    expect(live.code).toBe(1);
    expect(live.stderr).toBe(`replica: ${file} is the live database: name another file\n`);
    expect(fs.existsSync(file)).toBe(false);
  });
});
