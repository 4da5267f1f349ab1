// `npm run bench:pages`: what rendering a page costs, in English and in Arabic — the home page and
// a management page (with its statistics section), each through a real `node dist/server.js`
// answering autocannon (10 connections, SECONDS a load, ROUNDS rounds interleaved). With the
// paths of other builds as arguments (a checkout of an older commit, built), each is loaded the
// same way in the same rounds, so their figures compare: `node bench/pages.mjs ../snip-before`.
// Prints, per page and language, the best req/s and the least CPU time per request of the rounds.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { URLSearchParams } from 'node:url';
import autocannon from 'autocannon';
import { serverEntry } from './server-entry.mjs';

const ROUNDS = 4;
const SECONDS = 3;
const CONNECTIONS = 10;
const HERE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const builds = [HERE, ...process.argv.slice(2).map((dir) => path.resolve(dir))];
const canPin = os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
if (canPin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);
/** CPU seconds a process has used, user and system (Linux's /proc). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

async function waitForHealthy(url, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never answered /healthz`);
}

async function startServer(dir, port) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-pages-'));
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(data, 'snip.sqlite3')}`,
    BASE_URL: 'https://snip.example',
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'warn',
  };
  const migrate = spawnSync('node', ['dist/migrate.js', 'up'], { cwd: dir, env });
  if (migrate.status !== 0) throw new Error(`migrations failed in ${dir}: ${migrate.stderr}`);
  const argv = ['node', serverEntry(dir)];
  const child = spawn(canPin ? 'taskset' : argv[0], canPin ? ['-c', '0', ...argv] : argv.slice(1), {
    cwd: dir,
    env,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(url, child);
  const made = await fetch(`${url}/shorten`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams({ url: 'https://example.com/an/article', alias: 'bench-page' }),
    redirect: 'manual',
  });
  const manage = new URL(made.headers.get('location'), url).pathname;
  // A few visits, so that the management page draws its chart and lists.
  for (let i = 0; i < 20; i++) await fetch(`${url}/bench-page`, { redirect: 'manual' });
  return { dir, url, child, data, manage, pid: child.pid };
}

function load(url, requestPath, language) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}${requestPath}`,
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { 'accept-language': language },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const rows = [
  { page: 'home', language: 'en', path: () => '/' },
  { page: 'home', language: 'ar', path: () => '/' },
  { page: 'manage', language: 'en', path: (s) => s.manage },
  { page: 'manage', language: 'ar', path: (s) => s.manage },
];

const servers = [];
try {
  for (const [i, dir] of builds.entries()) servers.push(await startServer(dir, 8900 + i));
  const results = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) {
      for (const server of servers) {
        const before = cpuSeconds(server.pid);
        const result = await load(server.url, row.path(server), row.language);
        const cpu = cpuSeconds(server.pid) - before;
        if (result.non2xx > 0 || result.errors > 0)
          throw new Error(`${row.page} failed on ${server.dir}`);
        const key = `${row.page} ${row.language} ${server.dir}`;
        const list = results.get(key) ?? [];
        list.push({ rps: result.requests.average, cpuUs: (cpu * 1e6) / result.requests.total });
        results.set(key, list);
      }
    }
  }
  console.log(
    `\nPages, ${CONNECTIONS} connections, best of ${ROUNDS} × ${SECONDS} s (${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version})\n`,
  );
  console.log('| page | Accept-Language | build | req/s | CPU µs/request |');
  console.log('| ---- | --------------- | ----- | ----: | -------------: |');
  for (const row of rows) {
    for (const server of servers) {
      const list = results.get(`${row.page} ${row.language} ${server.dir}`);
      const rps = Math.max(...list.map((r) => r.rps));
      const cpu = Math.min(...list.map((r) => r.cpuUs));
      const name = server.dir === HERE ? 'this' : path.basename(server.dir);
      console.log(
        `| ${row.page} | ${row.language} | ${name} | ${Math.round(rps)} | ${cpu.toFixed(0)} |`,
      );
    }
  }
} finally {
  for (const server of servers) {
    server.child.kill('SIGTERM');
    fs.rmSync(server.data, { recursive: true, force: true });
  }
}
