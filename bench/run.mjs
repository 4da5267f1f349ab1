// `npm run bench [-- --quick]`: snip's redirect against the ceiling of Node.js, measured in one run.
// bench/README.md explains the method and keeps the last results.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CODE_PREFIX, UNKNOWN_PREFIX, seedLinks } from './seed-links.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'large-table': { type: 'string' },
  },
});
const quick = args.quick;
const DURATION = Number(args.duration ?? (quick ? 3 : 10));
const ROUNDS = Number(args.rounds ?? (quick ? 1 : 2));
const CONNECTIONS = Number(args.connections);
const SMALL_TABLE = 1_000;
const LARGE_TABLE = Number(args['large-table'] ?? (quick ? 100_000 : 1_000_000));
const WARM_UP = quick ? 1 : 3;
const COLD_STARTS = quick ? 3 : 7;
/** Link creation waits for an fsync per link; a few connections are plenty to keep it busy. */
const CREATE_CONNECTIONS = 10;
const CREATE_BODY = 'url=https%3A%2F%2Fexample.com%2Fa%2Fnew%2Fpage%3Fid%3D42';

// The server gets core 0 and the load generator core 1, so they do not compete (where possible).
const CORES = os.availableParallelism();
const canPin = CORES >= 2 && hasCommand('taskset');
const onServerCore = (argv) => (canPin ? ['taskset', '-c', '0', ...argv] : argv);
const onLoadCore = (argv) => (canPin ? ['taskset', '-c', '1', ...argv] : argv);
const haveWrk = hasCommand('wrk');
// The runner itself (which polls during cold starts) stays off the server's core too.
if (canPin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

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
      /^(PORT|DATABASE_URL|BASE_URL|LOG_LEVEL|RATE_LIMIT.*|CODE_LENGTH|MAX_URL_LENGTH)$/.test(key)
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

/** Starts a server process on the server core; its output goes to a file, as a log shipper would take it. */
async function startServer({ name, argv, env, readyPath, readyStatus, logFile }) {
  const out = fs.openSync(logFile, 'a');
  const [command, ...rest] = onServerCore(argv);
  const child = spawn(command, rest, { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${env.PORT}`;
  await waitFor(`${url}${readyPath}`, readyStatus, performance.now(), child);
  return { name, child, url, logFile };
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

/**
 * One load with wrk or autocannon. `prefix`/`count` say which codes are asked for; `expected` is
 * the only status that counts as a right answer. Latencies in milliseconds.
 */
function load(
  tool,
  { url, expected, prefix = CODE_PREFIX, count = 1, post, bot, connections, seconds },
) {
  const c = connections ?? CONNECTIONS;
  const d = seconds ?? DURATION;
  if (tool === 'wrk') {
    const argv = ['wrk', '-t1', `-c${c}`, `-d${d}s`, '-s', path.join(BENCH, 'load', 'codes.lua')];
    argv.push(post ? `${url}/shorten` : `${url}/`, '--', String(expected), prefix, String(count));
    if (post) argv.push('post', post);
    if (bot) argv.push('bot');
    const line = run(argv)
      .split('\n')
      .find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error('wrk printed no result');
    const r = JSON.parse(line.slice('WRK_RESULT '.length));
    return {
      rps: r.requests / (r.durationUs / 1e6),
      p50: r.p50 / 1000,
      p99: r.p99 / 1000,
      errors: r.errors,
      unexpected: r.unexpected,
    };
  }
  const options = {
    url: post ? `${url}/shorten` : `${url}/`,
    connections: c,
    duration: d,
    expected,
    prefix,
    count,
    post,
  };
  const out = run([
    'node',
    path.join(BENCH, 'load', 'autocannon-load.mjs'),
    JSON.stringify(options),
  ]);
  return JSON.parse(out.trim().split('\n').at(-1));
}

const TOOLS = haveWrk ? ['wrk', 'autocannon'] : ['autocannon'];

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–'),
  ms: (n) => (Number.isFinite(n) ? n.toFixed(2) : '–'),
  mb: (n) => (Number.isFinite(n) ? n.toFixed(0) : '–'),
  pct: (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : '–'),
};

function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** Launch (migrations with nothing to do, then the server) → first 200 from /healthz, in ms. */
async function coldStart(argv, databaseFile, logFile) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const started = performance.now();
  const [command, ...rest] = onServerCore(argv);
  const child = spawn(command, rest, {
    cwd: ROOT,
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
  const servers = [];
  const loadBefore = os.loadavg();
  try {
    log(`snip bench: ${DURATION} s per load, ${ROUNDS} round(s), ${CONNECTIONS} connections`);
    log(canPin ? 'server on core 0, load generator on core 1 (taskset)' : 'not pinned to cores');
    if (!haveWrk) log('wrk not found (apt-get install wrk): autocannon only');

    const small = path.join(dir, 'links-small.sqlite3');
    const large = path.join(dir, 'links-large.sqlite3');
    const ops = path.join(dir, 'links-ops.sqlite3');
    log(`seeding ${fmt.int(SMALL_TABLE)} and ${fmt.int(LARGE_TABLE)} links …`);
    seedLinks(small, SMALL_TABLE);
    seedLinks(ops, SMALL_TABLE);
    const seedMs = seedLinks(large, LARGE_TABLE);
    log(`  ${fmt.int(LARGE_TABLE)} links in ${(seedMs / 1000).toFixed(1)} s`);

    // Cold start first, while nothing else runs on the server core.
    log('cold start …');
    const launches = [];
    const bare = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const logFile = path.join(dir, 'cold-start.log');
      launches.push(await coldStart(['bash', 'scripts/launch.sh'], large, logFile));
      bare.push(await coldStart(['node', 'dist/server.js'], large, logFile));
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
      argv: ['node', 'dist/server.js'],
      env: snipEnv(small, await freePort()),
      readyPath: '/healthz',
      readyStatus: 200,
      logFile: path.join(dir, 'snip-small.log'),
    });
    const snipLarge = await startServer({
      name: `snip ${fmt.int(LARGE_TABLE)}`,
      argv: ['node', 'dist/server.js'],
      env: snipEnv(large, await freePort()),
      readyPath: '/healthz',
      readyStatus: 200,
      logFile: path.join(dir, 'snip-large.log'),
    });
    servers.push(nodeHttp, express, snipSmall, snipLarge);
    const targets = [
      { server: nodeHttp, count: SMALL_TABLE },
      { server: express, count: SMALL_TABLE },
      { server: snipSmall, count: SMALL_TABLE },
      { server: snipLarge, count: LARGE_TABLE },
    ];

    log('warming up …');
    for (const t of targets) {
      load(TOOLS[0], { url: t.server.url, expected: 302, count: t.count, seconds: WARM_UP });
    }

    const rows = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Interleaved, and every other round in reverse, so a drift of the machine hits all alike.
      const order = round % 2 ? targets : [...targets].reverse();
      for (const tool of TOOLS) {
        for (const t of order) {
          log(`round ${round}: ${t.server.name} with ${tool} …`);
          const cpuBefore = cpuTimeOf(t.server);
          const r = load(tool, { url: t.server.url, expected: 302, count: t.count });
          const cpuPerRequest = (cpuTimeOf(t.server) - cpuBefore) / (r.rps * DURATION);
          rows.push({
            target: t.server.name,
            tool,
            round,
            ...r,
            cpuPerRequest,
            ...memoryOf(t.server),
          });
        }
      }
    }
    // A diagnostic, not a result: the same load with a crawler's User-Agent, which snip does not
    // count, splits the large table's cost between the lookup and the visit counting.
    const diagnostics = [];
    if (haveWrk) {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const t of [snipSmall, snipLarge]) {
          log(`round ${round}: ${t.name}, visits not counted …`);
          const count = t === snipSmall ? SMALL_TABLE : LARGE_TABLE;
          diagnostics.push({
            target: t.name,
            round,
            ...load('wrk', { url: t.url, expected: 302, count, bot: true }),
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
      argv: ['node', 'dist/server.js'],
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
            count: LARGE_TABLE,
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
    const largeMemory = memoryOf(snipLarge);
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
        const own = of(t.server.name);
        const cpu = median(own.map((r) => r.cpuPerRequest));
        summary.push([
          t.server.name,
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
      const flat =
        median(of(snipLarge.name).map((r) => r.rps)) / median(of(snipSmall.name).map((r) => r.rps));
      const flatCpu =
        median(of(snipSmall.name).map((r) => r.cpuPerRequest)) /
        median(of(snipLarge.name).map((r) => r.cpuPerRequest));
      summary.push([
        `${snipLarge.name} ÷ ${snipSmall.name}`,
        tool,
        '',
        fmt.pct(flat),
        '',
        '',
        '',
        '',
        fmt.pct(flatCpu),
      ]);
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
          `; ${snipLarge.name} ÷ ${snipSmall.name}: ${fmt.pct(median2(snipLarge.name) / median2(snipSmall.name))}.`,
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
        [...notFoundRows, ...createRows],
      ),
    );
    print();
    print(
      `Cold start (launch with nothing to migrate → first 200 from /healthz, ${fmt.int(LARGE_TABLE)} links, ` +
        `${COLD_STARTS} starts): scripts/launch.sh median ${fmt.int(median(launches))} ms ` +
        `(max ${fmt.int(Math.max(...launches))}); node dist/server.js alone median ${fmt.int(median(bare))} ms ` +
        `(max ${fmt.int(Math.max(...bare))}).`,
    );
    print(
      `RSS of snip with ${fmt.int(LARGE_TABLE)} links after its loads: ${fmt.mb(largeMemory.rss)} MB ` +
        `(peak ${fmt.mb(largeMemory.peak)} MB).`,
    );
    const logged = fs.readFileSync(snipSmall.logFile, 'utf8').split('\n').length - 1;
    print(`Request log of snip ${fmt.int(SMALL_TABLE)}: ${fmt.int(logged)} lines.`);
  } finally {
    for (const server of servers) await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
