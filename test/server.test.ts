import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase } from './support/test-app.js';
import {
  findFreePort,
  startProcess,
  waitForHealthy,
  type RunningProcess,
} from './support/server-process.js';
import { openDatabase } from '../src/db/open-database.sqlite.js';
import { readColumn } from './support/read-database.js';

// The bundle production runs (scripts/launch.sh), not the tsc output the commands use.
const SERVER = path.resolve('dist/bundle/server.js');
let proc: RunningProcess | undefined;
afterEach(() => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  proc = undefined;
});

async function startServer(
  env: Record<string, string> = {},
): Promise<{ port: number; file: string }> {
  const file = path.join(createTempDir(), 'db', 'snip.sqlite3');
  createTestDatabase(file).close();
  const port = await findFreePort();
  proc = startProcess('node', [SERVER], {
    PORT: String(port),
    DATABASE_URL: `sqlite:${file}`,
    ...env,
  });
  await waitForHealthy(port, proc);
  return { port, file };
}

describe('the server process', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'when it receives %s with an idle keep-alive connection open, then it closes it and exits 0',
    async (signal) => {
      const { port } = await startServer();
      const agent = new http.Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) =>
        http
          .get({ port, host: '127.0.0.1', path: '/healthz', agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject),
      );
      const started = Date.now();
      proc!.child.kill(signal);
      const { code } = await proc!.exited;
      const ms = Date.now() - started;
      console.log(`${signal}: exited with ${code} after ${ms} ms`);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(3000);
      expect(proc!.output()).toContain('stopped');
      agent.destroy();
    },
  );

  it('when a request is in flight at SIGTERM, then it is answered before the process exits', async () => {
    const { port } = await startServer();
    // A slow upload keeps the request in flight while the signal arrives.
    const [head, tail] = ['url=https%3A%2F%2F', 'a.example%2F'];
    const answered = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/shorten',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Sec-Fetch-Site': 'same-origin',
            'Content-Length': String(head.length + tail.length),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(head);
      setTimeout(() => {
        proc!.child.kill('SIGTERM');
        setTimeout(() => req.end(tail), 200);
      }, 100);
    });
    expect(await answered).toBe(303);
    expect((await proc!.exited).code).toBe(0);
  });

  it('when SIGTERM arrives right after visits, then every counted visit is flushed before exit', async () => {
    const { port, file } = await startServer();
    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/shorten`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Sec-Fetch-Site': 'same-origin',
      },
      body: 'url=https%3A%2F%2Fexample.com%2F&alias=counted',
      redirect: 'manual',
    });
    expect(created.status).toBe(303);
    const visits = 25;
    for (let i = 0; i < visits; i++) {
      const res = await fetch(`${base}/counted`, {
        redirect: 'manual',
        headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
      });
      expect(res.status).toBe(302);
    }
    // Well inside the one-second flush interval: only the shutdown flush can write these.
    proc!.child.kill('SIGTERM');
    expect((await proc!.exited).code).toBe(0);
    const flushedLine = proc!
      .output()
      .split('\n')
      .find((line) => line.includes('visit counts flushed'));
    console.log(`SIGTERM flush: ${flushedLine ?? '(no log line)'}`);
    const db = openDatabase(file, { readonly: true });
    const row = db.prepare("SELECT visits FROM urls WHERE code = 'counted'").get() as {
      visits: number;
    };
    const daily = db.prepare('SELECT SUM(count) AS n FROM visits_daily').get() as { n: number };
    const browsers = db
      .prepare("SELECT SUM(count) AS n FROM visit_dimensions WHERE dimension = 'browser'")
      .get() as { n: number };
    db.close();
    expect(row.visits).toBe(visits);
    expect(daily.n).toBe(visits);
    expect(browsers.n).toBe(visits);
  });

  it('when SIGTERM arrives after the periodic flush wrote the counts and held the dimensions back, then the shutdown writes the dimensions', async () => {
    const { port, file } = await startServer();
    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/shorten`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Sec-Fetch-Site': 'same-origin',
      },
      body: 'url=https%3A%2F%2Fexample.com%2F&alias=held',
      redirect: 'manual',
    });
    expect(created.status).toBe(303);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/held`, {
        redirect: 'manual',
        headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
      });
      expect(res.status).toBe(302);
    }
    const read = () => {
      const db = openDatabase(file, { readonly: true });
      const visits = (
        db.prepare("SELECT visits FROM urls WHERE code = 'held'").get() as { visits: number }
      ).visits;
      const browsers = (
        db
          .prepare(
            "SELECT COALESCE(SUM(count), 0) AS n FROM visit_dimensions WHERE dimension = 'browser'",
          )
          .get() as { n: number }
      ).n;
      db.close();
      return { visits, browsers };
    };
    // A periodic flush writes the counts within about a second; the dimensions wait 5 s.
    const deadline = Date.now() + 4000;
    while (read().visits < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(read()).toEqual({ visits: 3, browsers: 0 });
    proc!.child.kill('SIGTERM');
    expect((await proc!.exited).code).toBe(0);
    expect(read()).toEqual({ visits: 3, browsers: 3 });
  });

  it('when a link is visited on a running server, then the visit reaches the database file within about a second, without a shutdown', async () => {
    const { port, file } = await startServer();
    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/shorten`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Sec-Fetch-Site': 'same-origin',
      },
      body: 'url=https%3A%2F%2Fexample.com%2F&alias=flushed',
      redirect: 'manual',
    });
    expect(created.status).toBe(303);
    const visited = await fetch(`${base}/flushed`, {
      redirect: 'manual',
      headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
    });
    expect(visited.status).toBe(302);
    const started = Date.now();
    const stored = () =>
      readColumn<number>(file, "SELECT visits FROM urls WHERE code = 'flushed'")[0];
    // The server flushes every second; the margin is for two cores shared with other suites.
    while (stored() !== 1 && Date.now() - started < 4000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ms = Date.now() - started;
    const written = stored() === 1 ? 'written to' : 'still not in';
    console.log(`visit ${written} the database file ${ms} ms after the redirect`);
    expect(stored()).toBe(1);
    expect(proc!.child.exitCode).toBeNull();
  });

  it('when unknown codes are asked for, then their count reaches the database within about a second, and the last ones at SIGTERM', async () => {
    const { port, file } = await startServer();
    const base = `http://127.0.0.1:${port}`;
    const ask = async (code: string) =>
      expect((await fetch(`${base}/${code}`, { redirect: 'manual' })).status).toBe(404);
    await ask('nope1');
    await ask('nope2');
    const stored = () =>
      readColumn<number>(file, 'SELECT COALESCE(SUM(count), 0) FROM not_found_daily')[0];
    const started = Date.now();
    while (stored() !== 2 && Date.now() - started < 4000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stored()).toBe(2);
    await ask('nope3');
    proc!.child.kill('SIGTERM');
    expect((await proc!.exited).code).toBe(0);
    expect(
      readColumn<string>(file, "SELECT domain_key || ' ' || count FROM not_found_daily"),
    ).toEqual(['0 3']);
  });

  it('when the database has pending migrations, then it refuses to start', async () => {
    const file = path.join(createTempDir(), 'empty.sqlite3');
    openDatabase(file).close();
    const port = await findFreePort();
    proc = startProcess('node', [SERVER], { PORT: String(port), DATABASE_URL: `sqlite:${file}` });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toContain('pending migrations');
  });

  it('when GEOIP_DATABASE is not a country database, then it says so in one line and exits 1', async () => {
    const dir = createTempDir();
    const file = path.join(dir, 'snip.sqlite3');
    createTestDatabase(file).close();
    const notMmdb = path.join(dir, 'country.mmdb');
    fs.writeFileSync(notMmdb, 'not a database\n');
    const port = await findFreePort();
    proc = startProcess('node', [SERVER], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      GEOIP_DATABASE: notMmdb,
    });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    const lines = proc.output().trim().split('\n');
    const last = JSON.parse(lines.at(-1)!) as { level: number; msg: string };
    expect(last.level).toBe(60);
    expect(last.msg).toMatch(/^GEOIP_DATABASE: .*is not a MaxMind DB \(\.mmdb\) file/);
    expect(proc.output()).not.toMatch(/\n\s+at /);
  });

  it.each(['postgres://snip:secret@127.0.0.1:1/snip', 'postgresql://127.0.0.1:1/snip'])(
    'when DATABASE_URL is the unreachable PostgreSQL URL %s, then it says so in one line without the password and exits 1',
    async (url) => {
      const port = await findFreePort();
      proc = startProcess('node', [SERVER], { PORT: String(port), DATABASE_URL: url });
      const { code } = await proc.exited;
      expect(code).toBe(1);
      const lines = proc.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as { level: number; msg: string };
      expect(line.level).toBe(60);
      expect(line.msg).toMatch(
        /^cannot reach PostgreSQL at postgres(ql)?:\/\/.*127\.0\.0\.1:1\/snip: /,
      );
      expect(line.msg).not.toContain('secret');
    },
  );

  it('when the configuration is invalid, then it exits 1 naming each bad variable', async () => {
    proc = startProcess('node', [SERVER], { PORT: 'eighty', CODE_LENGTH: '99' });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toContain('PORT must be a number between 1 and 65535, got "eighty"');
    expect(proc.output()).toContain('CODE_LENGTH must be a number between 5 and 16, got "99"');
    expect(proc.output()).not.toMatch(/\n\s+at /);
  });

  it('when it starts, then it logs a clickable local address once it listens, and warns that BASE_URL is unset', async () => {
    const { port } = await startServer();
    // /healthz may answer before the log lines have come through the pipe.
    for (
      let waited = 0;
      !proc!.output().includes('BASE_URL is not set') && waited < 5000;
      waited += 20
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const lines = proc!
      .output()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const listening = lines.find((line) => line.msg?.startsWith('snip is listening'));
    expect(listening).toMatchObject({
      msg: `snip is listening on http://localhost:${port}`,
      url: `http://localhost:${port}`,
    });
    expect(lines.find((line) => line.level === 40)?.msg).toMatch(/^BASE_URL is not set/);
  });

  it('when the port is already taken, then it says so plainly, never claims to listen, and exits 1', async () => {
    const { port, file } = await startServer({ BASE_URL: 'http://snip.example' });
    const first = proc!;
    const second = startProcess('node', [SERVER], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      BASE_URL: 'http://snip.example',
    });
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toContain(`port ${port} is already in use`);
    expect(second.output()).not.toContain('snip is listening');
    expect(second.output()).not.toMatch(/\n\s+at /);
    expect(second.output()).not.toContain('BASE_URL is not set');
    first.child.kill('SIGKILL');
  });

  it('when CREATE_ACCESS is private and nobody could create links, then it refuses to start and says what to set', async () => {
    const file = path.join(createTempDir(), 'db', 'snip.sqlite3');
    createTestDatabase(file).close();
    proc = startProcess('node', [SERVER], {
      DATABASE_URL: `sqlite:${file}`,
      CREATE_ACCESS: 'private',
    });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toContain(
      'CREATE_ACCESS=private, but nobody could create links: set INITIAL_API_KEY',
    );
    expect(proc.output()).not.toContain('snip is listening');
  });

  it('when CREATE_ACCESS is private and INITIAL_API_KEY is set, then the key is stored at start and creates links', async () => {
    const key = 'i'.repeat(40);
    const { port } = await startServer({ CREATE_ACCESS: 'private', INITIAL_API_KEY: key });
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/api/v1/links`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ url: 'https://a.example/' }),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'X-Api-Key': key })).status).toBe(201);
    expect(proc!.output()).toContain('INITIAL_API_KEY stored as an API key');
    expect(proc!.output()).not.toContain(key);
  });

  it('when INITIAL_API_KEY changes between starts, then the key made from the old value stops working', async () => {
    const [old, next] = ['o'.repeat(40), 'n'.repeat(40)];
    const { port, file } = await startServer({ INITIAL_API_KEY: old });
    const list = (key: string) =>
      fetch(`http://127.0.0.1:${port}/api/v1/links`, { headers: { 'X-Api-Key': key } });
    expect((await list(old)).status).toBe(200);
    proc!.child.kill('SIGTERM');
    await proc!.exited;
    proc = startProcess('node', [SERVER], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      INITIAL_API_KEY: next,
    });
    await waitForHealthy(port, proc);
    expect((await list(old)).status).toBe(401);
    expect((await list(next)).status).toBe(200);
    expect(proc.output()).toContain('INITIAL_API_KEY has changed');
    expect(proc.output()).not.toContain(old);
    expect(proc.output()).not.toContain(next);
  });

  it('when it has started, then it has loaded no HTTP client code (undici, http2) that would slow its start', async () => {
    const file = path.join(createTempDir(), 'db', 'snip.sqlite3');
    createTestDatabase(file).close();
    const port = await findFreePort();
    // Importing the server runs it; once it listens, the child reports the modules Node loaded.
    const script = `
      await import(${JSON.stringify(pathToFileURL(SERVER).href)});
      await new Promise((resolve) => setTimeout(resolve, 200));
      const client = process.moduleLoadList.filter((m) => /undici|http2/.test(m));
      console.log('client modules: ' + JSON.stringify(client));
      process.exit(0);`;
    proc = startProcess('node', ['--input-type=module', '-e', script], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      LOG_LEVEL: 'silent',
    });
    expect((await proc.exited).code).toBe(0);
    expect(proc.output()).toContain('client modules: []');
  });
});
