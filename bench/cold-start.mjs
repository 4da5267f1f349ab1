// Cold start alone: from spawning the process to the first 200 from /healthz, on one SQLite file,
// for the server alone and through scripts/launch.sh (the image's entrypoint). With the paths of
// other built checkouts as arguments, each is started the same way in the same rounds,
// interleaved, for a before-and-after.
//
//   npm run build && node bench/cold-start.mjs --file links.sqlite3 [--starts 9] [../snip-before]
//
// Without --file, a fresh file of --links links (default 1,000,000) is seeded first and deleted
// at the end. The table goes to standard output, progress to standard error.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serverEntry } from './server-entry.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: 'string' },
    links: { type: 'string', default: '1000000' },
    starts: { type: 'string', default: '9' },
  },
});
const STARTS = Number(values.starts);
const checkouts = [ROOT, ...positionals.map((dir) => path.resolve(dir))];
const log = (line) => process.stderr.write(`${line}\n`);

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
// As bench/run.mjs does: the server on core 0, this script on core 1.
const canPin = os.availableParallelism() >= 2 && hasCommand('taskset');
const onServerCore = (argv) => (canPin ? ['taskset', '-c', '0', ...argv] : argv);
if (canPin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Environment of snip as production runs it, on this database and port. */
function snipEnv(databaseFile, port) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(PORT|DATABASE_(DIRECT_)?URL|BASE_URL|LOG_LEVEL|NODE_COMPILE_CACHE|SNIP_.*)$/.test(key))
      delete env[key];
  }
  return {
    ...env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: `sqlite:${databaseFile}`,
    PORT: String(port),
  };
}

/**
 * CPU time (user + system, with its waited-for children's: launch.sh's shells and commands) the
 * process has used so far, in milliseconds: a figure other load on the machine moves far less.
 */
function cpuMsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = fields.slice(11, 15).reduce((sum, n) => sum + Number(n), 0);
    return (ticks * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Milliseconds from spawning `argv` to the first 200 from /healthz, and CPU ms; then stops it. */
async function coldStart(argv, cwd, databaseFile, logFile) {
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
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited (${child.exitCode})`);
      if (performance.now() - started > 20_000) throw new Error(`${argv.join(' ')}: no answer`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200) return { ms: performance.now() - started, cpu: cpuMsOf(child.pid) };
      } catch {
        // not listening yet
      }
      await sleep(2);
    }
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-cold-start-'));
  try {
    let file = values.file ? path.resolve(values.file) : null;
    if (file === null) {
      const { seedLinks } = await import('./seed-links.mjs');
      file = path.join(dir, 'links.sqlite3');
      log(`seeding ${Number(values.links).toLocaleString('en')} links …`);
      seedLinks(file, Number(values.links));
    }
    const logFile = path.join(dir, 'servers.log');
    const rows = checkouts.flatMap((checkout) => [
      { checkout, how: 'server alone', argv: ['node', serverEntry(checkout)], ms: [], cpu: [] },
      { checkout, how: 'launch.sh', argv: ['bash', 'scripts/launch.sh'], ms: [], cpu: [] },
    ]);
    log(`${STARTS} starts of each, interleaved${canPin ? ', server on core 0' : ''} …`);
    // Every other round in reverse order, so neither side always follows the other.
    for (let round = 0; round < STARTS; round++) {
      const order = round % 2 === 0 ? rows : [...rows].reverse();
      for (const row of order) {
        const { ms, cpu } = await coldStart(row.argv, row.checkout, file, logFile);
        row.ms.push(ms);
        row.cpu.push(cpu);
      }
    }
    const size = fs.statSync(file).size / 1024 / 1024;
    console.log(`cold start (spawn → first 200 from /healthz), ${size.toFixed(0)} MB file`);
    console.log(`| checkout | how | median ms | max ms | median CPU ms | starts |`);
    console.log(`|---|---|---:|---:|---:|---:|`);
    for (const row of rows) {
      const name = path.relative(process.cwd(), row.checkout) || '.';
      const max = Math.max(...row.ms);
      console.log(
        `| ${name} | ${row.how} | ${median(row.ms).toFixed(0)} | ${max.toFixed(0)} | ${median(row.cpu).toFixed(0)} | ${row.ms.length} |`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
