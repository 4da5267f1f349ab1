import { spawn, spawnSync } from 'node:child_process';
import type pg from 'pg';
import { expect, it } from 'vitest';
import {
  MIGRATION_APPLICATION_NAME,
  MIGRATION_LOCK_KEY,
} from '../../src/db/migrations.postgres.js';
import { MIGRATION_FILES, MIGRATION_VERSIONS } from '../support/migration-files.js';
import { createTestPgDatabase, describeWithPostgres, withClient } from '../support/postgres.js';
import { pgSchemaOf } from '../support/postgres-schema.js';
import {
  childEnv,
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from '../support/server-process.js';

// The migrate command as operators and scripts/launch.sh run it: the built dist/migrate.js
// (test/support/global-setup.ts builds it) in real processes, against the run's cluster.

function runMigrate(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['dist/migrate.js', ...args], {
    env: childEnv(env),
    encoding: 'utf8',
    timeout: 30_000,
  });
}

function runScript(script: string, env: Record<string, string>) {
  return spawnSync('bash', [script], { env: childEnv(env), encoding: 'utf8', timeout: 30_000 });
}

async function ledger(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ version: string }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return rows.map((row) => row.version);
  });
}

/** How many connections of snip's migration runner the database has. */
async function migrationConnections(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ count: string }>(
    'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
    [MIGRATION_APPLICATION_NAME],
  );
  return Number(rows[0]!.count);
}

/**
 * `npm run migrate -- up` in a process that loads dist/migrate.js, says `ready`, and runs the
 * command (its exported runMigrate, what the CLI runs) only when a line arrives on its standard
 * input. Node takes longer to start than the migrations take to run, so processes merely spawned
 * together would mostly take turns by chance; these start their work within a millisecond.
 */
const MIGRATE_ON_SIGNAL = `
  const { pathToFileURL } = await import('node:url');
  const { runMigrate } = await import(pathToFileURL('dist/migrate.js').href);
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  process.exitCode = await runMigrate(['up'], process.env, {
    out: (line) => process.stdout.write(line + '\\n'),
    err: (line) => process.stderr.write(line + '\\n'),
  });
`;

function startMigrateOnSignal(env: Record<string, string>): RunningProcess & { go: () => void } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', MIGRATE_ON_SIGNAL], {
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk.toString()));
  child.stderr.on('data', (chunk) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited, go: () => child.stdin.end('go\n') };
}

async function allExited(procs: RunningProcess[]) {
  return Promise.all(procs.map(async (p) => ({ ...(await p.exited), output: p.output() })));
}

/** Every `applied FILE` line the processes printed, in one sorted list. */
function appliedLines(outputs: string[]): string[] {
  return outputs
    .flatMap((output) => [...output.matchAll(/^applied (\S+)$/gm)].map((m) => m[1]!))
    .sort();
}

describeWithPostgres('npm run migrate on PostgreSQL', () => {
  it('when asked for status before and after up, then it prints the same lines as on SQLite', async () => {
    const { url } = await createTestPgDatabase();

    const before = runMigrate(['status'], { DATABASE_URL: url });
    const up = runMigrate(['up'], { DATABASE_URL: url });
    const after = runMigrate(['status'], { DATABASE_URL: url });
    const again = runMigrate(['up'], { DATABASE_URL: url });

    const count = MIGRATION_FILES.length;
    expect(before.stdout).toBe(
      [...MIGRATION_FILES.map((f) => `[ ] ${f}`), `0 applied, ${count} pending`, ''].join('\n'),
    );
    expect(up.stderr).toBe('');
    expect(up.stdout).toBe(MIGRATION_FILES.map((f) => `applied ${f}\n`).join(''));
    expect(after.stdout).toBe(
      [...MIGRATION_FILES.map((f) => `[x] ${f}`), `${count} applied, 0 pending`, ''].join('\n'),
    );
    expect(again.stdout).toBe(`nothing to migrate (${count} applied)\n`);
    expect([before.status, up.status, after.status, again.status]).toEqual([0, 0, 0, 0]);
  });

  it('when five processes start at once on an empty database, then all exit 0 and each migration is applied exactly once', async () => {
    const { url } = await createTestPgDatabase();
    const procs = Array.from({ length: 5 }, () => startMigrateOnSignal({ DATABASE_URL: url }));
    const deadline = Date.now() + 20_000;
    while (procs.some((p) => !p.output().startsWith('ready\n')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const started = Date.now();

    for (const proc of procs) proc.go();
    const results = await allExited(procs);

    console.log(`five migrate processes at once: all done in ${Date.now() - started} ms`);
    expect(results.map((r) => [r.code, r.output.includes('failed')])).toEqual(
      Array.from({ length: 5 }, () => [0, false]),
    );
    expect(appliedLines(results.map((r) => r.output))).toEqual(MIGRATION_FILES);
    expect(await ledger(url)).toEqual(MIGRATION_VERSIONS);
  });

  it('when five processes wait for the lock another session holds, then once it is released each migration is applied exactly once', async () => {
    const { url } = await createTestPgDatabase();
    await withClient(url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const procs = Array.from({ length: 5 }, () =>
        startProcess(process.execPath, ['dist/migrate.js', 'up'], { DATABASE_URL: url }),
      );
      // All five have connected and found the lock taken before any of them may go on.
      const deadline = Date.now() + 20_000;
      while (
        procs.some((p) => !p.output().includes('waiting for the migration lock')) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await migrationConnections(holder)).toBe(5);
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);

      const results = await allExited(procs);

      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
      expect(appliedLines(results.map((r) => r.output))).toEqual(MIGRATION_FILES);
      expect(results.filter((r) => r.output.includes('nothing to migrate'))).toHaveLength(4);
    });
    expect(await ledger(url)).toEqual(MIGRATION_VERSIONS);
  });

  it('when another session holds the lock past MIGRATION_LOCK_TIMEOUT, then up exits 1 with one line naming it and applies nothing', async () => {
    const { url } = await createTestPgDatabase();
    await withClient(url, async (holder) => {
      await holder.query("SET application_name = 'a stuck deploy'");
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
        .pid;

      const result = runMigrate(['up'], { DATABASE_URL: url, MIGRATION_LOCK_TIMEOUT: '1s' });

      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(
        new RegExp(`^waiting for the migration lock: it is held by PostgreSQL session ${pid} \\(`),
      );
      expect(result.stderr).toMatch(
        new RegExp(
          `^migrate: could not take the migration lock within 1 s: it is held by PostgreSQL session ${pid} \\(application "a stuck deploy", .*\\); nothing was migrated\\n$`,
        ),
      );
    });
    expect(await withClient(url, pgSchemaOf)).toEqual([]);
  });

  it('when asked to roll back, then it refuses with exit 1 and the schema stays as it was', async () => {
    const { url } = await createTestPgDatabase();
    runMigrate(['up'], { DATABASE_URL: url });

    const result = runMigrate(['rollback', '--yes'], { DATABASE_URL: url });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^migrate: rollback is not supported on PostgreSQL yet; .*\n$/);
    expect(await ledger(url)).toEqual(MIGRATION_VERSIONS);
  });
});

describeWithPostgres('a PostgreSQL database a newer snip has migrated', () => {
  const FUTURE = '20991231000000';
  const NEWER = `the database was migrated by a newer snip: the newest migration applied to it is ${FUTURE}, the newest this build knows is ${MIGRATION_VERSIONS.at(-1)}`;

  it('when launch.sh, the server alone, migrate up or keys start on it, then each refuses, naming both versions, and nothing is applied', async () => {
    const { url } = await createTestPgDatabase();
    expect(runMigrate(['up'], { DATABASE_URL: url }).status).toBe(0);
    await withClient(url, (client) =>
      client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [FUTURE]),
    );
    const port = await findFreePort();

    const launched = runScript('scripts/launch.sh', { DATABASE_URL: url, PORT: String(port) });
    const server = spawnSync(process.execPath, ['dist/bundle/server.js'], {
      env: childEnv({ DATABASE_URL: url, PORT: String(port) }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    const up = runMigrate(['up'], { DATABASE_URL: url });
    const keys = spawnSync(process.execPath, ['dist/keys.js', 'list'], {
      env: childEnv({ DATABASE_URL: url }),
      encoding: 'utf8',
      timeout: 30_000,
    });

    expect(launched.status).toBe(1);
    expect(launched.stderr).toContain(`migrate: ${NEWER} (`);
    expect(launched.stderr.trim().split('\n').at(-1)).toBe(
      'launch: the database was migrated by a newer snip than this one; not starting the server',
    );
    expect(server.status).toBe(1);
    expect((JSON.parse(server.stdout.trim().split('\n').at(-1)!) as { msg: string }).msg).toContain(
      NEWER,
    );
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(new RegExp(`^migrate: ${NEWER} \\(`));
    expect(keys.status).toBe(1);
    expect(keys.stderr).toMatch(new RegExp(`^keys: ${NEWER} \\(`));
    expect(await ledger(url)).toEqual([...MIGRATION_VERSIONS, FUTURE]);
  });
});

describeWithPostgres('scripts/ on PostgreSQL', () => {
  it('when run-migrations.sh gets a postgres URL with a password, then it prints the URL without it and applies every migration', async () => {
    const { url } = await createTestPgDatabase();
    // The test cluster trusts local connections, so the password is never checked.
    const withPassword = url.replace('snip_test@', 'snip_test:s3cret@');

    const result = runScript('scripts/run-migrations.sh', { DATABASE_URL: withPassword });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        `run-migrations: database ${url.replace('snip_test@', 'snip_test:***@')}`,
        ...MIGRATION_FILES.map((f) => `applied ${f}`),
        '',
      ].join('\n'),
    );
    expect(await ledger(url)).toEqual(MIGRATION_VERSIONS);
  });

  it('when launch.sh gets a postgres URL, then the migrations run and then the server starts on PostgreSQL', async () => {
    const { url } = await createTestPgDatabase();
    const port = await findFreePort();

    const proc = startProcess('bash', ['scripts/launch.sh'], {
      DATABASE_URL: url,
      PORT: String(port),
    });
    try {
      await waitForHealthy(port, proc, 30_000);
      expect(proc.output()).toContain(MIGRATION_FILES.map((f) => `applied ${f}\n`).join(''));
      expect(await ledger(url)).toEqual(MIGRATION_VERSIONS);
      const created = await fetch(`http://127.0.0.1:${port}/shorten`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Sec-Fetch-Site': 'same-origin',
        },
        body: 'url=https%3A%2F%2Fa.example%2F&alias=launched',
        redirect: 'manual',
      });
      expect(created.status).toBe(303);
      const hit = await fetch(`http://127.0.0.1:${port}/launched`, { redirect: 'manual' });
      expect(hit.headers.get('location')).toBe('https://a.example/');
    } finally {
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
    }
  });
});
