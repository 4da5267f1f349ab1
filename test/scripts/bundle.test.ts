import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childEnv,
  findFreePort,
  waitForHealthy,
  type RunningProcess,
} from '../support/server-process.js';

// The server's bundle (dist/bundle/server.js, what launch.sh, the image and `npm start` run),
// started from another directory: every file it reads beside its code — views, catalogs, static
// files, migrations, Swagger UI and the country database in node_modules, the chunks it loads on
// first use — is found from where the compiled module would be, not from the working directory.
const BUNDLE = path.resolve('dist/bundle/server.js');
let tmp: string;
let proc: RunningProcess;
let origin: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-bundle-'));
  // launch.sh makes the database's directory before the server starts.
  fs.mkdirSync(path.join(tmp, 'db'));
  const port = await findFreePort();
  origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BUNDLE, '--migrate'], {
    cwd: tmp,
    env: childEnv({
      DATABASE_URL: `sqlite:${path.join(tmp, 'db', 'database.sqlite3')}`,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ADMIN_PASSWORD: 'correct horse battery staple admin',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  proc = { child, output: () => output, exited };
  await waitForHealthy(port, proc);
}, 30_000);

afterAll(async () => {
  if (proc.child.exitCode === null) {
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function get(pathname: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${origin}${pathname}`, { headers, redirect: 'manual' });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text: await res.text(),
  };
}

describe('the server bundle', () => {
  it('when started elsewhere with --migrate, then it applied every migration', () => {
    expect(proc.output()).toMatch(/^applied \d{14}_create_urls\.sql$/m);
  });

  it('when the home page is asked for, then it renders the view with its catalog and its stylesheet', async () => {
    const home = await get('/');
    expect(home.status).toBe(200);
    expect(home.text).toMatch(/<html lang="en"/);
    const css = /href="(\/static\/[^"]+\.css)"/.exec(home.text)?.[1];
    expect(css).toBeDefined();
    const sheet = await get(css!);
    expect(sheet.status).toBe(200);
    expect(sheet.type).toMatch(/^text\/css/);
  });

  it('when a page is asked for in French, then the French catalog is read', async () => {
    const home = await get('/', { 'Accept-Language': 'fr' });
    expect(home.status).toBe(200);
    expect(home.text).toMatch(/<html lang="fr"/);
  });

  it('when the privacy page is asked for, then it names the country database shipped in node_modules', async () => {
    const privacy = await get('/privacy');
    expect(privacy.status).toBe(200);
    expect(privacy.text).toContain('ip-location-db');
  });

  it('when the API reference is asked for, then Swagger UI is found in node_modules', async () => {
    const page = await get('/api/docs');
    expect(page.status).toBe(200);
    const bundle = /src="(\/api\/docs\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(bundle).toBeDefined();
    const script = await get(bundle!);
    expect(script.status).toBe(200);
    expect(script.text.length).toBeGreaterThan(100_000);
  });

  it('when the doors loaded on first use are asked for, then their chunks load and answer', async () => {
    expect((await get('/admin/sign-in')).status).toBe(200);
    expect((await get('/rest/health')).status).toBe(200);
    expect((await get('/api/v2/health')).status).toBe(200);
    expect((await get('/yourls-api.php?action=version&format=json')).status).toBe(200);
  });
});
