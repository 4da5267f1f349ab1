import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open-database.sqlite.js';
import { NEWEST_MIGRATION } from './support/migration-files.js';
import { readColumn } from './support/read-database.js';
import {
  childEnv,
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from './support/server-process.js';
import { createTempDir, createTestDatabase } from './support/test-app.js';

// What a newcomer meets at start, in real processes: the bundle production runs, launch.sh, and
// the built commands (test/support/global-setup.ts builds them).
const SERVER = path.resolve('dist/bundle/server.js');
/** A migration no build has yet: what a newer snip would have applied. */
const FUTURE = '20991231000000';

let dir: string;
let file: string;
let proc: RunningProcess | undefined;
beforeEach(() => {
  dir = createTempDir();
  file = path.join(dir, 'db', 'snip.sqlite3');
  createTestDatabase(file).close();
});
afterEach(() => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  proc = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: string[], env: Record<string, string>) {
  return spawnSync(command, args, {
    env: childEnv({ DATABASE_URL: `sqlite:${file}`, ...env }),
    encoding: 'utf8',
    timeout: 20_000,
    // A server that should have refused but listens is stopped for good, and the test fails.
    killSignal: 'SIGKILL',
  });
}

/** The database as a newer snip leaves it: one more migration applied than this build knows. */
function migrateByNewerSnip(): void {
  const db = openDatabase(file);
  db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(FUTURE);
  db.close();
}

const NEWER =
  `the database was migrated by a newer snip: the newest migration applied to it is ${FUTURE}, ` +
  `the newest this build knows is ${NEWEST_MIGRATION.version}`;

describe('a variable that looks like snip’s but is not', () => {
  it('when the server starts with ADMIN_PASWORD, then it warns once, naming ADMIN_PASSWORD, and says nothing of the rest of the environment', async () => {
    const port = await findFreePort();
    proc = startProcess('node', [SERVER], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      ADMIN_PASWORD: 'correct horse battery staple',
      FLY_REGION: 'ams',
      AWS_REGION: 'auto',
      AWS_ENDPOINT_URL_S3: 'https://fly.storage.tigris.dev',
      LITESTREAM_ACCESS_KEY_ID: 'x',
      NODE_OPTIONS: '',
      PRIMARY_REGION: 'ams',
    });
    await waitForHealthy(port, proc);
    const warnings = proc
      .output()
      .split('\n')
      .filter((line) => line.includes('unknown variable'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; variable: string });
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        variable: 'ADMIN_PASWORD',
        msg: 'unknown variable ADMIN_PASWORD — did you mean ADMIN_PASSWORD?',
      }),
    ]);
  });

  it.each([
    ['keys', ['dist/keys.js', 'list']],
    ['migrate', ['dist/migrate.js', 'status']],
    ['backup', ['dist/backup.js']],
  ])(
    'when the %s command runs with DATABSE_URL beside DATABASE_URL, then it warns on stderr and does its work',
    (_, args) => {
      const result = run(process.execPath, args, { DATABSE_URL: 'sqlite:elsewhere.sqlite3' });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr.split('\n')[0]).toBe(
        'warning: unknown variable DATABSE_URL — did you mean DATABASE_URL?',
      );
      expect(result.stderr).not.toContain('unknown variable PATH');
    },
  );
});

describe('a database a newer snip has migrated', () => {
  it('when the server starts on it, then it refuses, naming both versions, and exits 1', async () => {
    migrateByNewerSnip();
    const result = run(process.execPath, [SERVER], { PORT: String(await findFreePort()) });
    expect(result.status).toBe(1);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { msg: string };
    expect(last.msg).toContain(NEWER);
  });

  it('when launch.sh starts it, then nothing is migrated, and the launch says the database is newer than this build', async () => {
    migrateByNewerSnip();
    const migrations = path.join(dir, 'migrations');
    fs.cpSync('migrations', migrations, { recursive: true });
    // A migration this build has and the database lacks: it must not be applied on a newer schema.
    fs.writeFileSync(
      path.join(migrations, '20991230000000_add_note.sql'),
      '-- migrate:up\nCREATE TABLE note (x TEXT);\n-- migrate:down\nDROP TABLE note;\n',
    );
    const result = run('bash', ['scripts/launch.sh'], {
      PORT: String(await findFreePort()),
      MIGRATIONS_DIR: migrations,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^migrate: the database was migrated by a newer snip: .* is ${FUTURE}, the newest this build knows is 20991230000000 `,
        ),
      ) as string,
      'launch: the database was migrated by a newer snip than this one; not starting the server',
    ]);
    expect(readColumn(file, "SELECT name FROM sqlite_master WHERE name = 'note'")).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'db', 'backups'))).toBe(false);
  });

  it.each([
    ['migrate up', ['dist/migrate.js', 'up'], 'migrate'],
    ['keys list', ['dist/keys.js', 'list'], 'keys'],
  ])('when %s runs on it, then it refuses with one line naming both versions', (_, args, name) => {
    migrateByNewerSnip();
    const result = run(process.execPath, args, {});
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${name}: ${NEWER} \\(`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('what a failed launch says', () => {
  it('when a variable is wrong, then it says configuration error and names it', () => {
    const result = run('bash', ['scripts/launch.sh'], { PORT: 'eighty' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT must be a number between 1 and 65535, got "eighty"');
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'launch: configuration error in PORT; not starting the server',
    );
  });

  it('when DATABASE_URL names a file that is not a database, then it says so, not that migrations failed', async () => {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a database, just notes\n'.repeat(200));
    const result = run('bash', ['scripts/launch.sh'], {
      PORT: String(await findFreePort()),
      DATABASE_URL: `sqlite:${path.join(dir, 'notes.txt')}`,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'launch: the database file is not an SQLite database, or is damaged (SQLITE_NOTADB); not starting the server',
    );
  });
});
