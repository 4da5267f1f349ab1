import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATION_FILES, MIGRATION_VERSIONS } from '../support/migration-files.js';

// Runs the real scripts/launch.sh with the built dist/ (test/support/global-setup.ts builds it).
const STARTUP_DEADLINE_MS = 10_000;

// Vitest copies Vite's BASE_URL=/ into process.env; snip's config would reject it as its own
// BASE_URL, so the server gets the environment without it.
const inheritedEnv = { ...process.env };
delete inheritedEnv.BASE_URL;

let tmp: string;
let children: ChildProcess[];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-'));
  children = [];
});

afterEach(() => {
  // A failed assertion must not leave a server running after the test.
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A port nobody listens on right now: the OS picks it, we release it. */
async function findFreePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

type Launched = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function launch(env: Record<string, string>): Launched {
  const child = spawn('bash', ['scripts/launch.sh'], {
    env: { ...inheritedEnv, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

/** Polls /healthz until it answers 200; fails early if the process dies. */
async function waitUntilHealthy(port: number, launched: Launched): Promise<void> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (launched.child.exitCode !== null) {
      throw new Error(`launch.sh exited with ${launched.child.exitCode}:\n${launched.output()}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.status === 200) {
        expect(await response.json()).toEqual({
          status: 'ok',
          database: { answers: true, writable: true },
        });
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no 200 from /healthz within ${STARTUP_DEADLINE_MS} ms:\n${launched.output()}`);
}

async function startStopServer(env: Record<string, string>, port: number): Promise<string> {
  const launched = launch(env);
  await waitUntilHealthy(port, launched);
  launched.child.kill('SIGTERM');
  expect(await launched.exited).toBe(0);
  return launched.output();
}

function readDatabase<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('scripts/launch.sh', () => {
  it('when a migration is broken, then it exits non-zero and never starts the server', async () => {
    const port = await findFreePort();
    const migrations = path.join(tmp, 'migrations');
    fs.cpSync('migrations', migrations, { recursive: true });
    fs.writeFileSync(
      path.join(migrations, '20261201000000_bad.sql'),
      '-- migrate:up\nCREAT TABLE t (x);\n-- migrate:down\n',
    );

    // spawnSync returns only once launch.sh has ended, so a started server would hit the timeout.
    const result = spawnSync('bash', ['scripts/launch.sh'], {
      env: {
        ...inheritedEnv,
        DATABASE_URL: `sqlite:${path.join(tmp, 'db', 'database.sqlite3')}`,
        MIGRATIONS_DIR: migrations,
        PORT: String(port),
      },
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.error).toBeUndefined();
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'migrate: 20261201000000_bad.sql failed: near "CREAT": syntax error\n' +
        'launch: migration 20261201000000_bad.sql failed: the database refused its SQL; not starting the server\n',
    );
    expect(await canConnect(port)).toBe(false);
  });

  it('when a migration is pending, then the one Node process it starts applies it, after a snapshot, before /healthz answers', async () => {
    const file = path.join(tmp, 'db', 'database.sqlite3');
    const port = await findFreePort();
    // Every Node process started below writes its arguments here first.
    const starts = path.join(tmp, 'node-starts.log');
    const recorder = path.join(tmp, 'record-start.mjs');
    fs.writeFileSync(
      recorder,
      `import fs from 'node:fs';\nfs.appendFileSync(${JSON.stringify(starts)}, JSON.stringify(process.argv.slice(1)) + '\\n');\n`,
    );
    const env = { DATABASE_URL: `sqlite:${file}`, PORT: String(port) };
    await startStopServer(env, port);
    const migrations = path.join(tmp, 'migrations');
    fs.cpSync('migrations', migrations, { recursive: true });
    fs.writeFileSync(
      path.join(migrations, '20991231000000_add_launch_note.sql'),
      '-- migrate:up\nCREATE TABLE launch_note (x TEXT);\n-- migrate:down\nDROP TABLE launch_note;\n',
    );

    const launched = launch({
      ...env,
      MIGRATIONS_DIR: migrations,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import=${recorder}`,
    });
    await waitUntilHealthy(port, launched);
    launched.child.kill('SIGTERM');
    expect(await launched.exited).toBe(0);

    const lines = launched.output().split('\n');
    const applied = lines.indexOf('applied 20991231000000_add_launch_note.sql');
    const listening = lines.findIndex((line) => line.includes('snip is listening'));
    expect(applied).toBeGreaterThan(0);
    expect(listening).toBeGreaterThan(applied);
    expect(lines[applied - 1]).toMatch(
      /^snapshot .*\/backups\/database-\d{8}T\d{6}Z-before-20991231000000\.sqlite3$/,
    );
    expect(lines[0]).toBe(`run-migrations: database ${file}`);
    readDatabase(file, (db) => {
      expect(
        db.prepare("SELECT name FROM sqlite_master WHERE name = 'launch_note'").pluck().get(),
      ).toBe('launch_note');
    });
    // One Node process, the bundle, told to migrate first: no second start for the migrations.
    const started = fs.readFileSync(starts, 'utf8').trim().split('\n');
    expect(started.map((line) => JSON.parse(line) as string[])).toEqual([
      [path.resolve('dist/bundle/server.js'), '--migrate'],
    ]);
  });

  it('when the server alone finds a migration pending, then it refuses to start', () => {
    const file = path.join(tmp, 'pending.sqlite3');
    const migrations = path.join(tmp, 'migrations');
    fs.cpSync('migrations', migrations, { recursive: true });
    // Without --migrate (not through launch.sh), the bundle migrates nothing.
    const result = spawnSync(process.execPath, ['dist/bundle/server.js'], {
      env: { ...inheritedEnv, DATABASE_URL: `sqlite:${file}`, MIGRATIONS_DIR: migrations },
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('database has pending migrations');
    expect(result.stdout).not.toMatch(/^applied /m);
  });

  it('when given a command (a Fly release_command), then it runs that command instead of the server, and exits with it', async () => {
    const port = await findFreePort();
    const file = path.join(tmp, 'db', 'released.sqlite3');
    const result = spawnSync('bash', ['scripts/launch.sh', 'node', 'dist/migrate.js', 'up'], {
      env: { ...inheritedEnv, DATABASE_URL: `sqlite:${file}`, PORT: String(port) },
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    // migrate.js alone: no run-migrations.sh line before it, no server after it.
    expect(result.stdout).not.toContain('run-migrations:');
    expect(result.stdout).toMatch(/^applied \d{14}_\w+\.sql$/m);
    expect(fs.existsSync(file)).toBe(true);
    expect(await canConnect(port)).toBe(false);
  });

  it('when DATABASE_URL is missing, then it stops before the server with exit 1', () => {
    const result = spawnSync('bash', ['scripts/launch.sh'], {
      env: { ...inheritedEnv, DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 15_000,
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('run-migrations: DATABASE_URL is not set');
    expect(result.stderr).toContain(
      'launch: configuration error in DATABASE_URL; not starting the server',
    );
  });

  it('when migrations succeed, then the server answers /healthz, stops on SIGTERM and keeps data across restarts', async () => {
    expect(fs.existsSync('dist/server.js'), 'dist/server.js is built from src/server.ts').toBe(
      true,
    );
    const file = path.join(tmp, 'data', 'db', 'database.sqlite3');
    const port = await findFreePort();
    const env = { DATABASE_URL: `sqlite:${file}`, PORT: String(port) };

    const first = await startStopServer(env, port);
    readDatabase(file, (db) =>
      db
        .prepare('INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?)')
        .run('keep123', 'https://example.com/kept', 1_764_000_000_000, 1_764_000_000_000),
    );
    const second = await startStopServer(env, port);

    for (const filename of MIGRATION_FILES) expect(first).toContain(`applied ${filename}\n`);
    expect(second).toContain(`nothing to migrate (${MIGRATION_FILES.length} applied)`);
    readDatabase(file, (db) => {
      expect(
        db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
      ).toEqual(MIGRATION_VERSIONS);
      expect(db.prepare('SELECT target FROM urls WHERE code = ?').pluck().get('keep123')).toBe(
        'https://example.com/kept',
      );
    });
  });
});
