// A throw-away PostgreSQL cluster: `initdb` into a fresh temporary directory, `pg_ctl` to start
// it on 127.0.0.1 at a free port, and everything removed at the end. PostgreSQL refuses to run as
// root, so a root process runs both as the unprivileged `postgres` user that Debian's package
// creates (`runuser -u postgres --`).
//
// Plain ESM with JSDoc types, so that both the TypeScript tests (test/support/postgres.ts, through
// the hand-written postgres-cluster.d.mts) and the benchmark (bench/run.mjs, run by Node as it is)
// can use it.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The superuser of the cluster; localhost connections are trusted, so it has no password. */
export const CLUSTER_SUPERUSER = 'snip_test';

const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres'];
/** Runs the cluster when this process is root (Debian's server package creates this user). */
const UNPRIVILEGED_USER = 'postgres';

/**
 * @typedef {object} PostgresCluster
 * @property {string} url A superuser URL of the cluster's `postgres` database.
 * @property {number} port
 * @property {string} dir The temporary directory: the data directory, the log, the unix socket.
 * @property {string} dataDir The data directory (with postmaster.pid, whose first line is the server's pid).
 * @property {() => void} stop Stops the server and deletes the directory; a second call does nothing.
 */

/**
 * @typedef {object} Runner
 * @property {(command: string, args: string[]) => string} run
 * @property {string | null} owner
 */

/** @param {string} dir */
function hasBinaries(dir) {
  return REQUIRED_BINARIES.every((name) => fs.existsSync(path.join(dir, name)));
}

/** @param {string} dir */
function versionOf(dir) {
  return Number(/postgresql\/(\d+)\/bin/.exec(dir)?.[1] ?? 0);
}

/** @returns {Promise<number>} a port nobody listens on at the moment of asking */
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {net.AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return address.port;
}

/**
 * The directory with initdb, pg_ctl and postgres, or null: Debian's /usr/lib/postgresql/<n>/bin
 * (the newest version), then what `pg_config --bindir` says, then initdb's directory on PATH.
 * @returns {string | null}
 */
export function findPostgresBinDir() {
  /** @type {string[]} */
  const candidates = [];
  const debianRoot = '/usr/lib/postgresql';
  if (fs.existsSync(debianRoot)) {
    const versions = fs
      .readdirSync(debianRoot)
      .map((version) => path.join(debianRoot, version, 'bin'))
      .sort((a, b) => versionOf(b) - versionOf(a));
    candidates.push(...versions);
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0) candidates.push(path.dirname(onPath.stdout.trim()));
  return candidates.find((dir) => dir !== '' && hasBinaries(dir)) ?? null;
}

/**
 * Why a cluster cannot be started on this machine, or null when it can.
 * @returns {string | null}
 */
export function postgresUnavailable() {
  if (findPostgresBinDir() === null) {
    return 'no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; install them with `apt-get install postgresql`';
  }
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', UNPRIVILEGED_USER]).status !== 0) {
    return `this process runs as root, and PostgreSQL needs an unprivileged "${UNPRIVILEGED_USER}" user to run as`;
  }
  return null;
}

/**
 * Runs the server's tools as `postgres` when this process is root, as itself otherwise.
 * @returns {Runner}
 */
function runnerFor() {
  const asRoot = process.getuid?.() === 0;
  return {
    owner: asRoot ? UNPRIVILEGED_USER : null,
    run: (command, args) => {
      const [file, argv] = asRoot
        ? ['runuser', ['-u', UNPRIVILEGED_USER, '--', command, ...args]]
        : [command, args];
      try {
        return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        const { stderr, stdout } = /** @type {{ stderr?: string; stdout?: string }} */ (error);
        throw new Error(`${path.basename(command)} failed: ${stderr || stdout || String(error)}`, {
          cause: error,
        });
      }
    },
  };
}

/**
 * Starts a new cluster; `stop()` shuts it down and deletes its directory.
 * @returns {Promise<PostgresCluster>}
 */
export async function startPostgresCluster() {
  const bin = findPostgresBinDir();
  if (bin === null) throw new Error(postgresUnavailable() ?? 'no PostgreSQL binaries');
  const { run, owner } = runnerFor();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-postgres-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  let started = false;
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    if (owner !== null) execFileSync('chown', [`${owner}:`, dir]);
    run(path.join(bin, 'initdb'), [
      '--pgdata',
      data,
      '--username',
      CLUSTER_SUPERUSER,
      '--auth',
      'trust',
      '--encoding',
      'UTF8',
      '--locale',
      'C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ]);
    // Settings for a throw-away cluster: nothing here has to survive a crash of the machine.
    const settings = [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'max_connections = 100',
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
    ];
    // Another program may take the free port between the question and the start: try again.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      fs.appendFileSync(
        path.join(data, 'postgresql.conf'),
        `\n${[...settings, `port = ${port}`].join('\n')}\n`,
      );
      try {
        run(pgCtl, ['--pgdata', data, '--log', log, '--wait', '--timeout', '60', 'start']);
      } catch (error) {
        if (attempt < 3) continue;
        const serverLog = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
        throw new Error(`${/** @type {Error} */ (error).message}\n${serverLog}`, { cause: error });
      }
      started = true;
      return {
        url: `postgres://${CLUSTER_SUPERUSER}@127.0.0.1:${port}/postgres`,
        port,
        dir,
        dataDir: data,
        stop: () => {
          if (!fs.existsSync(dir)) return;
          try {
            // Immediate: a throw-away cluster has nothing to write back before it goes.
            run(pgCtl, ['--pgdata', data, '--mode', 'immediate', '--wait', 'stop']);
          } finally {
            removeDir();
          }
        },
      };
    }
  } finally {
    if (!started) removeDir();
  }
}
