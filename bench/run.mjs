// `npm run bench [-- --quick] [-- --sizes 1000,100000] [-- --baseline ../other-checkout]`: snip's
// redirect against the ceiling of Node.js, and its curve as the table grows, measured in one run.
// bench/README.md explains the method and keeps the last results.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresUnavailable, startPostgresCluster } from '../scripts/postgres-cluster.mjs';
import {
  BENCH_PASSWORD,
  CODE_PREFIX,
  FORWARD_PREFIX,
  PROTECTED_PREFIX,
  RULED_PREFIX,
  DOMAIN_PREFIX,
  BENCH_DOMAIN,
  RULES_PER_LINK,
  TAGGED_PREFIX,
  UNKNOWN_PREFIX,
  benchPasswordHash,
  codeFor,
  seedLinks,
  seedPostgresLinks,
} from './seed-links.mjs';
import {
  CURVE_SIZES,
  DISTRIBUTIONS,
  ZIPF_S,
  curveName,
  curveReport,
  diskFree,
  estimateMinutes,
  fmt,
  markdownTable,
  median,
  parseSizes,
} from './curve.mjs';
import { productionServer, serverEntry } from './server-entry.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    sizes: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const quick = args.quick;
const DURATION = Number(args.duration ?? (quick ? 3 : 10));
const ROUNDS = Number(args.rounds ?? (quick ? 1 : 2));
const CONNECTIONS = Number(args.connections);
const SMALL_TABLE = 1_000;
/** The curve's table sizes: `--sizes`, else 1,000 and 100,000 with `--quick`, else all four. */
const SIZES = args.sizes ? parseSizes(args.sizes) : quick ? [1_000, 100_000] : CURVE_SIZES;
/** Unknown codes for the 404 loads are drawn among this many. */
const UNKNOWN_CODES = 1_000_000;
const WARM_UP = quick ? 1 : 3;
/** Cold starts per table size and command; fewer on the largest files, whose starts are longer. */
const coldStartsFor = (size) => (quick ? 3 : size >= 10_000_000 ? 5 : 7);
/** The visitors the curve's loads draw from (codes.lua's and autocannon-load.mjs's `browsers`). */
const VISITORS_FILE = path.join(BENCH, 'load', 'visitors.txt');
/**
 * The builds whose curves are measured: this checkout, and with `--baseline <path>` another
 * built checkout (its dist/server.js, its scripts/launch.sh, its migrations through its own
 * launch), loaded in the same rounds and printed as "before" beside "after".
 */
const BUILDS = [
  { key: 'after', label: args.baseline ? 'after' : 'this build', root: ROOT },
  ...(args.baseline ? [{ key: 'before', label: 'before', root: path.resolve(args.baseline) }] : []),
];
for (const build of BUILDS) {
  for (const file of ['dist/server.js', 'scripts/launch.sh']) {
    if (!fs.existsSync(path.join(build.root, file))) {
      throw new Error(`${build.root}: no ${file} (is it a built checkout of snip?)`);
    }
  }
}
/** Link creation waits for an fsync per link; a few connections are plenty to keep it busy. */
const CREATE_CONNECTIONS = 10;
const CREATE_BODY = 'url=https%3A%2F%2Fexample.com%2Fa%2Fnew%2Fpage%3Fid%3D42';
/** snip processes sharing one PostgreSQL database, as machines behind a load balancer would. */
const PG_MACHINES = 2;
/** The small table's server again, on its links that forward, each visit with a query string. */
const FORWARD_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, forwarding ?query`;
const FORWARDED_QUERY = 'utm_source=newsletter&utm_medium=email&utm_campaign=bench';
/** The small table's server again, on its links that carry three tags each. */
const TAGGED_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, tagged`;
/** The small table's server again, on one password-protected link, with its unlock cookie. */
const PROTECTED_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, protected (unlocked by cookie)`;
/** The small table's server again, on its links with redirect rules (the last one matching). */
const RULED_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, ${RULES_PER_LINK} rules (last matches)`;
/** The small table's server again, on its links on an added domain, asked for by that host. */
const DOMAIN_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, on a second domain`;
/**
 * The statistics (every dimension and unique visitors, the default) against the redirect as it
 * was before them: a second snip on its own copy of the small table with STATISTICS=basic, which
 * counts visits by day and referrer only. Both are loaded with one browser, with a cycling set of
 * 1,000 User-Agents, and with `DNT: 1`, and each row is compared with the same load on the other.
 */
const BASIC_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, STATISTICS=basic`;
const AGENTS_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, 1,000 User-Agents`;
const DNT_NAME = `snip ${SMALL_TABLE.toLocaleString('en')}, DNT: 1`;
const BASIC_AGENTS_NAME = `${BASIC_NAME}, 1,000 User-Agents`;
const BASIC_DNT_NAME = `${BASIC_NAME}, DNT: 1`;
const PG_NAME = `snip on PostgreSQL, ${PG_MACHINES} processes, ${SMALL_TABLE.toLocaleString('en')} links`;

// The server gets core 0 and the load generator core 1, so they do not compete (where possible).
const CORES = os.availableParallelism();
const canPin = CORES >= 2 && hasCommand('taskset');
const onServerCore = (argv) => (canPin ? ['taskset', '-c', '0', ...argv] : argv);
const onLoadCore = (argv) => (canPin ? ['taskset', '-c', '1', ...argv] : argv);
const haveWrk = hasCommand('wrk');
// The runner itself (which polls during cold starts) stays off the server's core too.
if (canPin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

/**
 * What must not outlive the run, also when it is interrupted (Ctrl+C, SIGTERM): synchronous
 * functions, run newest first. `finally` in main() does the same on a normal end or a failure.
 */
const cleanups = new Set();
function onSignal(signal) {
  log(`${signal}: stopping servers and PostgreSQL, removing temporary files …`);
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch (error) {
      log(String(error));
    }
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers `status`; returns the milliseconds since `since`. */
async function waitFor(url, status, since, child, timeoutMs = 20_000) {
  while (performance.now() - since < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === status) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await sleep(2);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
}

/** Environment of snip as production runs it, on this database and port. */
function snipEnv(databaseFile, port, extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (
      /^(PORT|DATABASE_(DIRECT_)?URL|CACHE_INVALIDATION|REDIRECT_CACHE_TTL|BASE_URL|LOG_LEVEL|RATE_LIMIT.*|CODE_LENGTH|MAX_URL_LENGTH)$/.test(
        key,
      )
    )
      delete env[key];
  }
  return {
    ...env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: `sqlite:${databaseFile}`,
    PORT: String(port),
    ...extra,
  };
}

/**
 * The unlock cookie of the protected link `code`, as a browser gets it: the password posted to
 * `POST /<code>` from snip's own form, answered 303 with `Set-Cookie`. Returns `name=value`, what
 * a browser sends back in its `Cookie` header.
 */
async function unlock(url, code) {
  const res = await fetch(`${url}/${code}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
    },
    body: `password=${encodeURIComponent(BENCH_PASSWORD)}`,
  });
  await res.arrayBuffer();
  const setCookie = res.headers.get('set-cookie');
  if (res.status !== 303 || setCookie === null) {
    throw new Error(`POST /${code} with the password answered ${res.status}, no unlock cookie`);
  }
  // The cookie's name and value; its attributes (Path, Max-Age …) are the browser's to keep.
  return setCookie.split(';', 1)[0];
}

/** Starts a server process on the server core; its output goes to a file, as a log shipper would take it. */
async function startServer({
  name,
  argv,
  env,
  readyPath,
  readyStatus,
  logFile,
  cwd = ROOT,
  databaseFile,
}) {
  const out = fs.openSync(logFile, 'a');
  const [command, ...rest] = onServerCore(argv);
  const child = spawn(command, rest, { cwd, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const kill = () => child.kill('SIGKILL');
  cleanups.add(kill);
  child.once('exit', () => cleanups.delete(kill));
  const url = `http://127.0.0.1:${env.PORT}`;
  try {
    await waitFor(`${url}${readyPath}`, readyStatus, performance.now(), child);
  } catch (error) {
    kill();
    // The server's last words, which the temporary directory would otherwise take with it.
    const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
    throw new Error(`${name}: ${error.message}\n${tail}`, { cause: error });
  }
  const server = { name, child, url, logFile, databaseFile };
  running.add(server);
  child.once('exit', () => running.delete(server));
  return server;
}

/** Every server started and not exited: quietServers() waits for them before each load. */
const running = new Set();

/**
 * Rows waiting in the visit log of a server's SQLite file (ADR 045), read through a read-only
 * connection of its own; 0 for a server without a file or a build without the log.
 */
function visitLogRows(server) {
  if (server.databaseFile === undefined || server.child.exitCode !== null) return 0;
  let db;
  try {
    db = new Database(server.databaseFile, { readonly: true, fileMustExist: true });
    return db.prepare('SELECT COUNT(*) FROM visit_log').pluck().get();
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/**
 * Waits until no running server uses more than 2% of a core and no visit log holds rows (at
 * most 90 s), and returns the seconds waited. Visits a snip has counted are folded into its
 * statistics once its load is over (a visit log's fold, ADR 045), which may start up to
 * FOLD_AFTER_MS (30 s) later: all servers share one core, so that work must end before the next
 * load starts, or it would be measured as the next target's.
 */
async function quietServers() {
  const started = performance.now();
  for (;;) {
    const servers = [...running];
    const before = servers.map((server) => cpuTimeOf(server));
    await sleep(500);
    const used = servers.map((server, i) => cpuTimeOf(server) - before[i]);
    // What each did meanwhile: the work its loads left (the curve reports it per request).
    servers.forEach((server, i) => {
      if (Number.isFinite(used[i])) server.between = (server.between ?? 0) + used[i];
    });
    const busy = servers.some(
      (server, i) =>
        (used[i] > 10_000 && server.child.exitCode === null) || visitLogRows(server) > 0,
    );
    if (!busy || performance.now() - started > 90_000) return (performance.now() - started) / 1000;
  }
}

async function stopServer(server) {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
}

/** Resident memory of a process, and its peak, in MB. */
function memoryOf(server) {
  try {
    const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/**
 * CPU time (user + system) the process has used, in microseconds. Divided by the requests of a
 * load, it says how much work one answer costs, a figure that other load on the machine moves
 * far less than requests per second.
 */
function cpuTimeOf(server) {
  try {
    const fields = fs
      .readFileSync(`/proc/${server.child.pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function run(argv) {
  const [command, ...rest] = onLoadCore(argv);
  const result = spawnSync(command, rest, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** run(), without blocking: for loads that run side by side. */
function runAsync(argv, env = process.env) {
  const [command, ...rest] = onLoadCore(argv);
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    cleanups.add(kill);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => {
      cleanups.delete(kill);
      if (status === 0) resolve(stdout);
      else reject(new Error(`${argv.join(' ')} failed (${status}):\n${stderr}`));
    });
  });
}

/** wrk's command line for one load (see load()). */
function wrkArgv({
  url,
  expected,
  prefix = CODE_PREFIX,
  count = 1,
  post,
  bot,
  query,
  cookie,
  host,
  agents,
  dnt,
  zipf,
  browsers,
  connections,
  seconds,
}) {
  const argv = ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`];
  if (host) argv.push('-H', `Host: ${host}`);
  argv.push('-s', path.join(BENCH, 'load', 'codes.lua'));
  argv.push(post ? `${url}/shorten` : `${url}/`, '--', String(expected), prefix, String(count));
  if (post) argv.push('post', post);
  if (bot) argv.push('bot');
  if (query) argv.push('query', query);
  if (cookie) argv.push('cookie', cookie);
  if (agents) argv.push('agents');
  if (dnt) argv.push('dnt');
  if (zipf) argv.push('zipf', String(zipf));
  if (browsers) argv.push('browsers', VISITORS_FILE);
  return argv;
}

/** codes.lua's result line; `drained`: the load ran with SNIP_WRK_STOP_AFTER (see loadTogether). */
function parseWrk(stdout, drained = false) {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (!line) throw new Error('wrk printed no result');
  const r = JSON.parse(line.slice('WRK_RESULT '.length));
  return {
    requests: r.requests,
    rps: r.requests / ((drained ? r.activeUs : r.durationUs) / 1e6),
    p50: r.p50 / 1000,
    p99: r.p99 / 1000,
    errors: r.errors,
    unexpected: r.unexpected,
    redirects: r.redirects,
    inflight: r.inflight,
  };
}

/**
 * One load with wrk or autocannon. `prefix`/`count` say which codes are asked for; `expected` is
 * the only status that counts as a right answer. Latencies in milliseconds.
 */
function load(tool, options) {
  const c = options.connections ?? CONNECTIONS;
  const d = options.seconds ?? DURATION;
  if (tool === 'wrk') return parseWrk(run(wrkArgv({ ...options, connections: c, seconds: d })));
  const { url, expected, prefix = CODE_PREFIX, count = 1, post, query, cookie, host } = options;
  const { agents, dnt, zipf, browsers } = options;
  const autocannonOptions = {
    url: post ? `${url}/shorten` : `${url}/`,
    connections: c,
    duration: d,
    expected,
    prefix,
    count,
    post,
    query,
    cookie,
    host,
    agents,
    dnt,
    zipf,
    browsers: browsers ? VISITORS_FILE : undefined,
  };
  const out = run([
    'node',
    path.join(BENCH, 'load', 'autocannon-load.mjs'),
    JSON.stringify(autocannonOptions),
  ]);
  return JSON.parse(out.trim().split('\n').at(-1));
}

/**
 * One wrk per server, all at once, each with its share of the connections, the same options
 * otherwise; the rates are summed, the worst latencies kept. With `drained`, no request starts
 * after the load's seconds and each wrk waits (up to a second more) for the answers to the
 * requests it started, so that every request a server counted as a visit is among the 302s wrk
 * counted: wrk's own end drops the requests in flight (codes.lua).
 */
async function loadTogether(urls, options, { drained = false } = {}) {
  const connections = Math.max(1, Math.round((options.connections ?? CONNECTIONS) / urls.length));
  const seconds = options.seconds ?? DURATION;
  const env = drained ? { ...process.env, SNIP_WRK_STOP_AFTER: String(seconds) } : process.env;
  const results = await Promise.all(
    urls.map(async (url) => {
      const argv = wrkArgv({ ...options, url, connections, seconds: seconds + (drained ? 1 : 0) });
      return parseWrk(await runAsync(argv, env), drained);
    }),
  );
  const sum = (field) => results.reduce((n, r) => n + r[field], 0);
  return {
    requests: sum('requests'),
    rps: sum('rps'),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    errors: sum('errors'),
    unexpected: sum('unexpected'),
    redirects: sum('redirects'),
    inflight: sum('inflight'),
  };
}

// ---- PostgreSQL ----

/** Why the PostgreSQL part cannot run here, or null. */
function postgresSkipReason() {
  if (!haveWrk) return 'wrk not found (the PostgreSQL part runs wrk only)';
  return postgresUnavailable();
}

/** The server's pid: the first line of postmaster.pid. */
function postmasterPid(cluster) {
  return Number(
    fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
}

/** Fields of /proc/<pid>/stat after the command name (field 3 is index 0), or null. */
function statFields(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return null;
  }
}

function childrenOf(pid) {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => Number(statFields(child)?.[1]) === pid);
}

/**
 * Moves PostgreSQL to the servers' core: the runner started it from the load generator's core,
 * and its processes would compete with wrk there. New backends inherit the postmaster's core.
 */
function pinPostgres(cluster) {
  if (!canPin) return;
  const pid = postmasterPid(cluster);
  for (const each of [pid, ...childrenOf(pid)]) {
    spawnSync('taskset', ['-a', '-p', '-c', '0', String(each)], { stdio: 'ignore' });
  }
}

/**
 * CPU time of all of PostgreSQL's processes in microseconds: the postmaster, its live children,
 * and the children it has reaped (cutime, cstime), so a backend that ended is not lost.
 */
function postgresCpuTime(cluster) {
  const pid = postmasterPid(cluster);
  const own = statFields(pid);
  if (own === null) return NaN;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const child of childrenOf(pid)) {
    const fields = statFields(child);
    if (fields !== null) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** Visits stored for the seeded links: per link (urls.visits) and per day (visits_daily). */
async function storedVisits(url, count) {
  const codes = Array.from({ length: count }, (_, i) => codeFor(CODE_PREFIX, i));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT (SELECT COALESCE(SUM(visits), 0) FROM urls WHERE code = ANY ($1)) AS visits,
              (SELECT COALESCE(SUM(d.count), 0) FROM visits_daily d
                 JOIN urls u ON u.id = d.url_id WHERE u.code = ANY ($1)) AS daily,
              (SELECT COUNT(*) FROM urls WHERE code = ANY ($1)) AS links`,
      [codes],
    );
    return {
      visits: Number(rows[0].visits),
      daily: Number(rows[0].daily),
      links: Number(rows[0].links),
    };
  } finally {
    await client.end();
  }
}

/**
 * A throw-away cluster on the servers' core, migrated by snip's own command, seeded with
 * SMALL_TABLE links, and PG_MACHINES snip processes on it. Everything it starts is pushed to
 * `servers` or given to `setCluster` at once, so that main() stops it whatever happens next.
 */
async function startPostgresPart(dir, servers, setCluster) {
  log('PostgreSQL: starting a throw-away cluster …');
  const cluster = await startPostgresCluster();
  setCluster(cluster);
  pinPostgres(cluster);
  const migrateEnv = snipEnv(null, 0, { DATABASE_URL: cluster.url });
  delete migrateEnv.PORT;
  const migrate = spawnSync('node', ['dist/migrate.js', 'up'], {
    cwd: ROOT,
    env: migrateEnv,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) {
    throw new Error(`node dist/migrate.js up failed (${migrate.status}):\n${migrate.stderr}`);
  }
  const seedMs = await seedPostgresLinks(cluster.url, SMALL_TABLE);
  log(`  port ${cluster.port}; ${fmt.int(SMALL_TABLE)} links seeded in ${fmt.int(seedMs)} ms`);
  const machines = [];
  for (let i = 0; i < PG_MACHINES; i++) {
    const letter = String.fromCharCode(65 + i);
    const machine = await startServer({
      name: `snip on PostgreSQL ${letter}`,
      argv: productionServer(ROOT),
      env: snipEnv(null, await freePort(), {
        DATABASE_URL: cluster.url,
        LOG_LEVEL: 'warn',
        RATE_LIMITS: 'off',
      }),
      readyPath: '/healthz',
      readyStatus: 200,
      logFile: path.join(dir, `snip-postgres-${letter}.log`),
    });
    servers.push(machine);
    machines.push(machine);
  }
  return { cluster, machines, urls: machines.map((m) => m.url) };
}

const TOOLS = haveWrk ? ['wrk', 'autocannon'] : ['autocannon'];
/**
 * The SQLite loads beside the curve's, for the estimate: node:http, express, snip 1,000, its
 * five link kinds and the six statistics loads (main() lists them).
 */
const OTHER_TARGETS = 13;

/** Launch (migrations with nothing to do, then the server) → first 200 from /healthz, in ms. */
async function coldStart(argv, databaseFile, logFile, cwd = ROOT) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const started = performance.now();
  const [command, ...rest] = onServerCore(argv);
  const child = spawn(command, rest, {
    cwd,
    env: snipEnv(databaseFile, port),
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const ms = await waitFor(`http://127.0.0.1:${port}/healthz`, 200, started, child);
  await stopServer({ child });
  return ms;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-bench-'));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  cleanups.add(removeDir);
  const servers = [];
  let cluster = null;
  const setCluster = (started) => {
    cluster = started;
    cleanups.add(started.stop);
  };
  const loadBefore = os.loadavg();
  try {
    log(`snip bench: ${DURATION} s per load, ${ROUNDS} round(s), ${CONNECTIONS} connections`);
    log(canPin ? 'server on core 0, load generator on core 1 (taskset)' : 'not pinned to cores');
    if (!haveWrk) log('wrk not found (apt-get install wrk): autocannon only');
    const postgresSkipped = postgresSkipReason();
    if (postgresSkipped !== null) log(`PostgreSQL part skipped: ${postgresSkipped}`);
    log(
      `curve: ${SIZES.map((n) => fmt.int(n)).join(', ')} links, uniform and Zipf ${ZIPF_S}` +
        (BUILDS.length > 1 ? `; before: ${BUILDS[1].root}` : ''),
    );
    const minutes = estimateMinutes({
      sizes: SIZES,
      builds: BUILDS,
      rounds: ROUNDS,
      duration: DURATION,
      warmUp: WARM_UP,
      tools: TOOLS,
      otherTargets: OTHER_TARGETS,
      postgres: postgresSkipped === null,
      coldStartsFor,
    });
    log(`estimated duration: about ${Math.ceil(minutes)} minutes`);

    const small = path.join(dir, 'links-small.sqlite3');
    const ops = path.join(dir, 'links-ops.sqlite3');
    log(`seeding the ${fmt.int(SMALL_TABLE)}-link files …`);
    seedLinks(small, SMALL_TABLE, {
      forwarding: SMALL_TABLE,
      tagged: SMALL_TABLE,
      protected: SMALL_TABLE,
      passwordHash: await benchPasswordHash(),
      ruled: SMALL_TABLE,
      onDomain: SMALL_TABLE,
    });
    seedLinks(ops, SMALL_TABLE);
    const basic = path.join(dir, 'links-basic.sqlite3');
    seedLinks(basic, SMALL_TABLE);

    // The curve's files: one per table size and build, migrated by that build's own launch
    // (scripts/launch.sh, stopped once /healthz answers), then filled by bench/seed-curve.mjs.
    const sizes = [];
    const skipped = [];
    /** seeding[build.key][size]: { ms, bytes, file } */
    const seeding = Object.fromEntries(BUILDS.map((b) => [b.key, {}]));
    let bytesPerLink = 400; // until a file says better
    for (const size of SIZES) {
      const free = diskFree(dir);
      // Each build's file, and room for the index builds' sorting (about half a file).
      const needed = bytesPerLink * size * (BUILDS.length + 0.6);
      if (needed > free) {
        const line =
          `${fmt.int(size)}-link rows skipped: ${fmt.gb(free)} GB free in ${dir}, about ` +
          `${fmt.gb(needed)} GB needed for ${BUILDS.length} file(s) of ${fmt.int(size)} links`;
        log(line);
        skipped.push(line);
        continue;
      }
      for (const build of BUILDS) {
        const file = path.join(dir, `curve-${build.key}-${size}.sqlite3`);
        log(`seeding ${fmt.int(size)} links for ${build.label} …`);
        const started = performance.now();
        await stopServer(
          await startServer({
            name: `${build.label}: migrating ${fmt.int(size)}`,
            argv: ['bash', path.join(build.root, 'scripts', 'launch.sh')],
            env: snipEnv(file, await freePort()),
            readyPath: '/healthz',
            readyStatus: 200,
            logFile: path.join(dir, `migrate-${build.key}-${size}.log`),
            cwd: build.root,
          }),
        );
        const { bytes } = JSON.parse(
          await runAsync(['node', path.join(BENCH, 'seed-curve.mjs'), file, String(size)]),
        );
        const ms = performance.now() - started;
        seeding[build.key][size] = { ms, bytes, file };
        bytesPerLink = Math.max(bytesPerLink * 0.5, bytes / size);
        log(`  ${fmt.int(size)} links in ${(ms / 1000).toFixed(1)} s, ${fmt.size(bytes)}`);
      }
      sizes.push(size);
    }

    // Cold start first, while nothing else runs on the server core: each table size, each build
    // in turn, start after start.
    log('cold start …');
    /** coldStarts[build.key][size]: { launch: ms[], bare: ms[] } */
    const coldStarts = Object.fromEntries(BUILDS.map((b) => [b.key, {}]));
    const coldLog = path.join(dir, 'cold-start.log');
    for (const size of sizes) {
      for (const build of BUILDS) coldStarts[build.key][size] = { launch: [], bare: [] };
      for (let i = 0; i < coldStartsFor(size); i++) {
        for (const build of BUILDS) {
          const { file } = seeding[build.key][size];
          const times = coldStarts[build.key][size];
          const launchSh = path.join(build.root, 'scripts', 'launch.sh');
          const server = serverEntry(build.root);
          times.launch.push(await coldStart(['bash', launchSh], file, coldLog, build.root));
          times.bare.push(await coldStart(['node', server], file, coldLog, build.root));
        }
      }
    }

    log('starting servers …');
    const nodeHttp = await startServer({
      name: 'node:http',
      argv: ['node', path.join(BENCH, 'servers', 'node-http-302.mjs')],
      env: { ...process.env, PORT: String(await freePort()) },
      readyPath: '/ready',
      readyStatus: 302,
      logFile: path.join(dir, 'node-http.log'),
    });
    const express = await startServer({
      name: 'express',
      argv: ['node', path.join(BENCH, 'servers', 'express-302.mjs')],
      env: { ...process.env, PORT: String(await freePort()) },
      readyPath: '/ready',
      readyStatus: 302,
      logFile: path.join(dir, 'express.log'),
    });
    const snipSmall = await startServer({
      name: `snip ${fmt.int(SMALL_TABLE)}`,
      argv: productionServer(ROOT),
      env: snipEnv(small, await freePort()),
      readyPath: '/healthz',
      readyStatus: 200,
      logFile: path.join(dir, 'snip-small.log'),
    });
    const snipBasic = await startServer({
      name: BASIC_NAME,
      argv: productionServer(ROOT),
      env: snipEnv(basic, await freePort(), { STATISTICS: 'basic' }),
      readyPath: '/healthz',
      readyStatus: 200,
      logFile: path.join(dir, 'snip-basic.log'),
    });
    servers.push(nodeHttp, express, snipSmall, snipBasic);
    // The curve's servers: one per table size and build, each on its own file, behind a proxy
    // on the loopback (TRUST_PROXY) so that each visit's X-Forwarded-For address gives it a
    // country, as a deployment behind a reverse proxy sees it.
    /** curveServers[build.key][size] */
    const curveServers = Object.fromEntries(BUILDS.map((b) => [b.key, {}]));
    for (const size of sizes) {
      for (const build of BUILDS) {
        const server = await startServer({
          name: curveName(build, size),
          argv: productionServer(build.root),
          env: snipEnv(seeding[build.key][size].file, await freePort(), {
            TRUST_PROXY: 'loopback',
          }),
          readyPath: '/healthz',
          readyStatus: 200,
          logFile: path.join(dir, `snip-curve-${build.key}-${size}.log`),
          cwd: build.root,
          databaseFile: seeding[build.key][size].file,
        });
        servers.push(server);
        curveServers[build.key][size] = server;
      }
    }
    const unlockCookie = await unlock(snipSmall.url, codeFor(PROTECTED_PREFIX, 0));
    const targets = [
      { server: nodeHttp, count: SMALL_TABLE },
      { server: express, count: SMALL_TABLE },
      { server: snipSmall, count: SMALL_TABLE },
      // The curve: every table size and build, under uniform and Zipf popularity, each request
      // a browser drawn from visitors.txt.
      ...sizes.flatMap((size) =>
        DISTRIBUTIONS.flatMap((distribution) =>
          BUILDS.map((build) => ({
            server: curveServers[build.key][size],
            name: curveName(build, size, distribution),
            count: size,
            browsers: true,
            zipf: distribution.zipf,
            curve: { build: build.key, size, distribution: distribution.key },
          })),
        ),
      ),
      // The statistics: the redirect as before them, and the default with many visitors and DNT.
      { server: snipBasic, count: SMALL_TABLE },
      { server: snipSmall, name: AGENTS_NAME, count: SMALL_TABLE, agents: true },
      { server: snipBasic, name: BASIC_AGENTS_NAME, count: SMALL_TABLE, agents: true },
      { server: snipSmall, name: DNT_NAME, count: SMALL_TABLE, dnt: true },
      { server: snipBasic, name: BASIC_DNT_NAME, count: SMALL_TABLE, dnt: true },
      // The small table's forwarding links, each visit with a query string to add.
      {
        server: snipSmall,
        name: FORWARD_NAME,
        count: SMALL_TABLE,
        prefix: FORWARD_PREFIX,
        query: FORWARDED_QUERY,
      },
      // The small table's tagged links, loaded as its plain ones are.
      { server: snipSmall, name: TAGGED_NAME, count: SMALL_TABLE, prefix: TAGGED_PREFIX },
      // The small table's links with rules: every visit tries all of them, the last one wins.
      { server: snipSmall, name: RULED_NAME, count: SMALL_TABLE, prefix: RULED_PREFIX },
      // The small table's links on its added domain, every request naming that host.
      {
        server: snipSmall,
        name: DOMAIN_NAME,
        count: SMALL_TABLE,
        prefix: DOMAIN_PREFIX,
        host: BENCH_DOMAIN,
      },
      // One protected link of the small table, every request with its unlock cookie.
      {
        server: snipSmall,
        name: PROTECTED_NAME,
        count: 1,
        prefix: PROTECTED_PREFIX,
        cookie: unlockCookie,
      },
    ];
    // PostgreSQL: PG_MACHINES snips on one database, loaded together (wrk only), in the same
    // interleaved rounds. Every 302 they answer is a visit; `sent` adds them up for the check.
    let postgres = null;
    const sent = { redirects: 0, inflight: 0, errors: 0 };
    if (postgresSkipped === null) {
      postgres = await startPostgresPart(dir, servers, setCluster);
      targets.push({ server: { name: PG_NAME }, count: SMALL_TABLE, postgres });
    }
    /** A load of the PostgreSQL pair; its visits are counted in `sent`. */
    const loadPostgres = async (seconds) => {
      const r = await loadTogether(
        postgres.urls,
        { expected: 302, count: SMALL_TABLE, seconds },
        { drained: true },
      );
      sent.redirects += r.redirects;
      sent.inflight += r.inflight;
      sent.errors += r.errors;
      return r;
    };
    const cpuOfTarget = (t) =>
      t.postgres ? t.postgres.machines.reduce((n, m) => n + cpuTimeOf(m), 0) : cpuTimeOf(t.server);
    const memoryOfTarget = (t) => {
      if (!t.postgres) return memoryOf(t.server);
      const each = t.postgres.machines.map(memoryOf);
      return {
        rss: Math.max(...each.map((m) => m.rss)),
        peak: Math.max(...each.map((m) => m.peak)),
      };
    };

    /** What load() needs for target t: its codes, and the headers its requests carry. */
    const loadOptionsOf = (t) => ({
      url: t.server.url,
      expected: 302,
      count: t.count,
      prefix: t.prefix,
      query: t.query,
      cookie: t.cookie,
      host: t.host,
      agents: t.agents,
      dnt: t.dnt,
      zipf: t.zipf,
      browsers: t.browsers,
    });

    log('warming up …');
    for (const t of targets) {
      if (t.postgres) await loadPostgres(WARM_UP);
      else load(TOOLS[0], { ...loadOptionsOf(t), seconds: WARM_UP });
    }

    const rows = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Interleaved, and every other round in reverse, so a drift of the machine hits all alike.
      const order = round % 2 ? targets : [...targets].reverse();
      for (const tool of TOOLS) {
        for (const t of order) {
          if (t.postgres && tool !== 'wrk') continue;
          const waited = await quietServers();
          if (waited > 2) log(`  (waited ${waited.toFixed(0)} s for the servers to go quiet)`);
          log(`round ${round}: ${t.name ?? t.server.name} with ${tool} …`);
          const cpuBefore = cpuOfTarget(t);
          const postgresCpuBefore = t.postgres ? postgresCpuTime(t.postgres.cluster) : NaN;
          // The other servers share the core: what they did during this load is this load's
          // loss (work an earlier load left, such as statistics held back until due).
          const others = [...running].filter(
            (server) => server !== t.server && !t.postgres?.machines.includes(server),
          );
          const othersBefore = others.map((server) => cpuTimeOf(server));
          const r = t.postgres ? await loadPostgres(DURATION) : load(tool, loadOptionsOf(t));
          const requests = r.requests ?? r.rps * DURATION;
          const cpuPerRequest = (cpuOfTarget(t) - cpuBefore) / requests;
          const othersMs = others.map((server, i) => (cpuTimeOf(server) - othersBefore[i]) / 1000);
          const othersTotal = othersMs.reduce((sum, ms) => sum + ms, 0);
          if (othersTotal > 100) {
            const which = others
              .map((server, i) => `${server.name} ${othersMs[i].toFixed(0)} ms`)
              .filter((_, i) => othersMs[i] >= 10);
            log(
              `  (the other servers used ${othersTotal.toFixed(0)} ms of CPU: ${which.join(', ')})`,
            );
          }
          rows.push({
            target: t.name ?? t.server.name,
            curve: t.curve,
            tool,
            round,
            ...r,
            cpuPerRequest,
            postgresCpuPerRequest: t.postgres
              ? (postgresCpuTime(t.postgres.cluster) - postgresCpuBefore) / requests
              : NaN,
            ...memoryOfTarget(t),
          });
        }
      }
    }
    // A diagnostic, not a result: the same uniform load with a crawler's User-Agent, which snip
    // does not count, splits each table size's cost between the lookup and the visit counting.
    const diagnostics = [];
    if (haveWrk) {
      const diagnosed = [
        { server: snipSmall, count: SMALL_TABLE },
        ...sizes.map((size) => ({ server: curveServers.after[size], count: size })),
      ];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const { server, count } of diagnosed) {
          log(`round ${round}: ${server.name}, visits not counted …`);
          diagnostics.push({
            target: server.name,
            round,
            ...load('wrk', { url: server.url, expected: 302, count, bot: true }),
          });
        }
      }
    }
    for (const row of rows) {
      const ceiling = rows.find(
        (r) => r.target === 'node:http' && r.tool === row.tool && r.round === row.round,
      );
      row.ofCeiling = row.rps / ceiling.rps;
    }

    // 404s and link creation on a third snip with rate limits off: with them on, a single
    // client is limited to a few hundred 404s a minute and 60 creations an hour.
    const snipOps = await startServer({
      name: 'snip, rate limits off',
      argv: productionServer(ROOT),
      env: snipEnv(ops, await freePort(), { RATE_LIMITS: 'off' }),
      readyPath: '/healthz',
      readyStatus: 200,
      logFile: path.join(dir, 'snip-ops.log'),
    });
    servers.push(snipOps);
    const notFound = [];
    const creations = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const tool of TOOLS) {
        log(`round ${round}: 404 with ${tool} …`);
        notFound.push({
          tool,
          round,
          ...load(tool, {
            url: snipOps.url,
            expected: 404,
            prefix: UNKNOWN_PREFIX,
            count: UNKNOWN_CODES,
          }),
        });
        log(`round ${round}: link creation with ${tool} …`);
        creations.push({
          tool,
          round,
          ...load(tool, {
            url: snipOps.url,
            expected: 303,
            post: CREATE_BODY,
            connections: CREATE_CONNECTIONS,
          }),
        });
      }
    }
    const curveMemory = Object.fromEntries(
      BUILDS.map((b) => [
        b.key,
        Object.fromEntries(sizes.map((size) => [size, memoryOf(curveServers[b.key][size])])),
      ]),
    );

    // Link creation on the PostgreSQL pair, both at once (wrk only: two autocannons would need
    // a core each), then both stopped as a platform stops machines — SIGTERM, after which each
    // flushes the visits it still holds — and their visits compared with wrk's 302s.
    const postgresCreations = [];
    let visitCheck = null;
    if (postgres !== null) {
      for (let round = 1; round <= ROUNDS; round++) {
        log(`round ${round}: link creation on PostgreSQL, ${PG_MACHINES} processes …`);
        const cpuBefore = postgres.machines.reduce((n, m) => n + cpuTimeOf(m), 0);
        const postgresCpuBefore = postgresCpuTime(postgres.cluster);
        const r = await loadTogether(postgres.urls, {
          expected: 303,
          post: CREATE_BODY,
          connections: CREATE_CONNECTIONS,
        });
        postgresCreations.push({
          tool: 'wrk',
          round,
          ...r,
          cpuPerRequest:
            (postgres.machines.reduce((n, m) => n + cpuTimeOf(m), 0) - cpuBefore) / r.requests,
          postgresCpuPerRequest:
            (postgresCpuTime(postgres.cluster) - postgresCpuBefore) / r.requests,
        });
      }
      log('PostgreSQL: SIGTERM to both processes, then the stored visits …');
      const postgresMemory = memoryOfTarget({ postgres });
      const exits = [];
      for (const machine of postgres.machines) {
        await stopServer(machine);
        exits.push(machine.child.exitCode ?? machine.child.signalCode);
      }
      const stored = await storedVisits(postgres.cluster.url, SMALL_TABLE);
      visitCheck = {
        ...stored,
        sent: sent.redirects,
        inflight: sent.inflight,
        errors: sent.errors,
      };
      visitCheck.exits = exits;
      visitCheck.exact =
        stored.links === SMALL_TABLE &&
        stored.visits === sent.redirects &&
        stored.daily === sent.redirects &&
        sent.inflight === 0;
      visitCheck.memory = postgresMemory;
    }
    const loadAfter = os.loadavg();

    // ---- report (stdout) ----
    const print = (text = '') => process.stdout.write(`${text}\n`);
    print(`## snip bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    print();
    print(
      `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${CORES} cores, Node ${process.version}, ` +
        `${canPin ? 'server pinned to core 0 and load generator to core 1' : 'no core pinning'}; ` +
        `${CONNECTIONS} connections, ${DURATION} s per load, ${ROUNDS} round(s) interleaved; ` +
        `load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after.`,
    );
    print();
    print(
      markdownTable(
        [
          'target',
          'tool',
          'run',
          'req/s',
          'p50 ms',
          'p99 ms',
          'errors',
          'non-3xx',
          'RSS MB',
          'peak RSS MB',
          '% of node:http',
          'CPU µs/req',
        ],
        rows.map((r) => [
          r.target,
          r.tool,
          r.round,
          fmt.int(r.rps),
          fmt.ms(r.p50),
          fmt.ms(r.p99),
          r.errors,
          r.unexpected,
          fmt.mb(r.rss),
          fmt.mb(r.peak),
          fmt.pct(r.ofCeiling),
          fmt.int(r.cpuPerRequest),
        ]),
      ),
    );
    print();
    const summary = [];
    for (const tool of TOOLS) {
      const of = (target) => rows.filter((r) => r.target === target && r.tool === tool);
      const ceilingCpu = median(of('node:http').map((r) => r.cpuPerRequest));
      for (const t of targets) {
        if (t.postgres && tool !== 'wrk') continue;
        if (t.curve) continue; // in the curve's own table below
        const own = of(t.name ?? t.server.name);
        const cpu = median(own.map((r) => r.cpuPerRequest));
        summary.push([
          t.name ?? t.server.name,
          tool,
          fmt.int(median(own.map((r) => r.rps))),
          fmt.pct(median(own.map((r) => r.ofCeiling))),
          fmt.ms(Math.max(...own.map((r) => r.p99))),
          own.reduce((n, r) => n + r.errors, 0),
          own.reduce((n, r) => n + r.unexpected, 0),
          fmt.int(cpu),
          fmt.pct(ceilingCpu / cpu),
        ]);
      }
      // What the statistics cost a redirect: each row with every dimension on against the
      // redirect that counts by day and referrer only, loaded in the same rounds.
      for (const [name, basicName] of [
        [snipSmall.name, BASIC_NAME],
        [AGENTS_NAME, BASIC_AGENTS_NAME],
        [DNT_NAME, BASIC_DNT_NAME],
      ]) {
        const rps = median(of(name).map((r) => r.rps)) / median(of(basicName).map((r) => r.rps));
        const cpu =
          median(of(basicName).map((r) => r.cpuPerRequest)) /
          median(of(name).map((r) => r.cpuPerRequest));
        summary.push([
          `${name} ÷ the same load on STATISTICS=basic`,
          tool,
          '',
          fmt.pct(rps),
          '',
          '',
          '',
          '',
          fmt.pct(cpu),
        ]);
      }
    }
    print(
      'Medians over the runs (worst p99, summed errors). The last column compares CPU time per ' +
        'request, node:http ÷ target: the same ratio as throughput on a quiet machine, and far ' +
        'less moved by other load.',
    );
    print();
    print(
      markdownTable(
        [
          'target',
          'tool',
          'req/s',
          '% of node:http',
          'worst p99 ms',
          'errors',
          'non-3xx',
          'CPU µs/req',
          'CPU: node:http ÷ target',
        ],
        summary,
      ),
    );
    print();
    if (diagnostics.length > 0) {
      const median2 = (target) =>
        median(diagnostics.filter((r) => r.target === target).map((r) => r.rps));
      print(
        'Diagnostic (wrk, a crawler User-Agent, so no visit is counted): ' +
          diagnostics
            .map(
              (r) => `${r.target} run ${r.round}: ${fmt.int(r.rps)} req/s, p99 ${fmt.ms(r.p99)} ms`,
            )
            .join('; ') +
          sizes
            .slice(1)
            .map((size) => {
              const [first, other] = [sizes[0], size].map((n) => curveServers.after[n].name);
              return `; ${other} ÷ ${first}: ${fmt.pct(median2(other) / median2(first))}`;
            })
            .join('') +
          '.',
      );
      print();
    }
    const notFoundRows = notFound.map((r) => [
      '404 (unknown codes)',
      r.tool,
      r.round,
      fmt.int(r.rps),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      r.errors,
      r.unexpected,
    ]);
    const createRows = creations.map((r) => [
      `link creation (form, ${CREATE_CONNECTIONS} conns)`,
      r.tool,
      r.round,
      fmt.int(r.rps),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      r.errors,
      r.unexpected,
    ]);
    const perMachine = Math.round(CREATE_CONNECTIONS / PG_MACHINES);
    const postgresCreateRows = postgresCreations.map((r) => [
      `link creation on PostgreSQL, ${PG_MACHINES} processes (form, ${PG_MACHINES}×${perMachine} conns)`,
      r.tool,
      r.round,
      fmt.int(r.rps),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      r.errors,
      r.unexpected,
    ]);
    print(
      markdownTable(
        [
          'other answers (rate limits off)',
          'tool',
          'run',
          'per s',
          'p50 ms',
          'p99 ms',
          'errors',
          'unexpected',
        ],
        [...notFoundRows, ...createRows, ...postgresCreateRows],
      ),
    );
    print();
    // The curve, its cold starts, and the targets (bench/curve.mjs).
    curveReport({
      print,
      rows,
      builds: BUILDS,
      sizes,
      skipped,
      seeding,
      coldStarts,
      memory: curveMemory,
      tools: TOOLS,
      connections: CONNECTIONS,
      otherLoads: [...diagnostics, ...notFound, ...creations, ...postgresCreations],
    });
    // The work each curve server did between loads (folding its visit log into the statistics):
    // the CPU time of the loads does not include it.
    const between = [];
    for (const build of BUILDS) {
      for (const size of sizes) {
        const server = curveServers[build.key][size];
        const requests = rows
          .filter((r) => r.curve?.build === build.key && r.curve?.size === size)
          .reduce((n, r) => n + (r.requests ?? r.rps * DURATION), 0);
        if (server === undefined || requests === 0) continue;
        const label = BUILDS.length > 1 ? `${build.label}, ` : '';
        between.push(
          `${label}${fmt.int(size)} links: ${fmt.int((server.between ?? 0) / requests)} µs per request`,
        );
      }
    }
    if (between.length > 0) {
      print(
        `CPU time the curve's servers used between their loads (the work a load leaves, such as ` +
          `folding a visit log into the statistics), per request of their loads: ${between.join('; ')}.`,
      );
      print();
    }
    const logged = fs.readFileSync(snipSmall.logFile, 'utf8').split('\n').length - 1;
    print(`Request log of snip ${fmt.int(SMALL_TABLE)}: ${fmt.int(logged)} lines.`);
    print();
    if (postgres === null) {
      print(`PostgreSQL part skipped: ${postgresSkipped}.`);
    } else {
      const redirectRows = rows.filter((r) => r.target === PG_NAME);
      print(
        `${PG_NAME}: \`scripts/launch.sh\` ×${PG_MACHINES} on one throw-away PostgreSQL ` +
          `(${canPin ? 'both and PostgreSQL on core 0, the two wrks on core 1' : 'not pinned'}), ` +
          `NODE_ENV=production, LOG_LEVEL=warn, RATE_LIMITS=off; ` +
          `${PG_MACHINES} wrks at once, ${Math.round(CONNECTIONS / PG_MACHINES)} connections each, ` +
          `rates summed, worst p99 of the two; RSS is the larger process's ` +
          `(after its loads: ${fmt.mb(visitCheck.memory.rss)} MB, peak ${fmt.mb(visitCheck.memory.peak)} MB).`,
      );
      print(
        `PostgreSQL's own CPU time (all its processes): ` +
          `${fmt.int(median(redirectRows.map((r) => r.postgresCpuPerRequest)))} µs per redirect, ` +
          `${fmt.int(median(postgresCreations.map((r) => r.postgresCpuPerRequest)))} µs per creation; ` +
          `the snip processes: ${fmt.int(median(postgresCreations.map((r) => r.cpuPerRequest)))} µs per creation.`,
      );
      const v = visitCheck;
      const exitNote = `exit ${v.exits.join(' and ')} after SIGTERM`;
      if (v.exact) {
        print(
          `visit totals exact: ${fmt.int(v.sent)} sent, ${fmt.int(v.visits)} stored ` +
            `(302s that wrk counted, every PostgreSQL load including the warm-up, against ` +
            `SUM(urls.visits) over the ${fmt.int(SMALL_TABLE)} seeded links; ` +
            `SUM(visits_daily.count): ${fmt.int(v.daily)}; ${exitNote}).`,
        );
      } else {
        const diff = (n) => `${n - v.sent >= 0 ? '+' : ''}${fmt.int(n - v.sent)}`;
        print(
          `VISIT TOTALS NOT EXACT: ${fmt.int(v.sent)} sent, ${fmt.int(v.visits)} stored in ` +
            `urls.visits (${diff(v.visits)}), ${fmt.int(v.daily)} in visits_daily (${diff(v.daily)}); ` +
            `${fmt.int(v.links)} seeded links found, ${fmt.int(v.inflight)} requests unanswered, ` +
            `${fmt.int(v.errors)} socket errors; ${exitNote}.`,
        );
      }
    }
    if (visitCheck !== null && !visitCheck.exact) {
      throw new Error(
        `visit totals not exact: ${visitCheck.sent} 302s sent, ${visitCheck.visits} stored in ` +
          `urls.visits (difference ${visitCheck.visits - visitCheck.sent}), ${visitCheck.daily} ` +
          `in visits_daily (difference ${visitCheck.daily - visitCheck.sent})`,
      );
    }
  } finally {
    for (const server of servers) await stopServer(server);
    if (cluster !== null) {
      cluster.stop();
      cleanups.delete(cluster.stop);
    }
    removeDir();
    cleanups.delete(removeDir);
  }
}

await main();
