import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SHUTDOWN_GRACE_MS } from '../../src/shutdown.js';
import { buildTestApp } from '../support/test-app.js';
import {
  durationMs,
  instructionsOf,
  parseDockerfile,
  readProjectFile,
  readToml,
  stageEnv,
  type FlyToml,
} from './deploy-files.js';

const text = readProjectFile('fly.postgres.toml');
const fly = readToml('fly.postgres.toml') as FlyToml;
const sqliteFly = readToml('fly.toml') as FlyToml;
const runtime = parseDockerfile(readProjectFile('Dockerfile')).at(-1)!;
const imageEnv = stageEnv(runtime);
const env = fly.env ?? {};
const service = fly.http_service ?? {};

describe('fly.postgres.toml', () => {
  it('names an app and a region, builds the Dockerfile, and says how to deploy it', () => {
    expect(fly.app).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(fly.primary_region).toMatch(/^[a-z]{3}$/);
    expect(fly.build?.dockerfile).toBe('Dockerfile');
    // The comments at the top are the operator's first steps: this file is not the default one.
    expect(text).toContain('fly deploy -c fly.postgres.toml');
    expect(text).toMatch(/fly scale count \d+ --region [a-z]{3},[a-z]{3}\b/);
  });

  it('mounts no volume: every machine keeps everything in PostgreSQL', () => {
    expect(fly.mounts).toBeUndefined();
    expect(text).not.toMatch(/^\s*\[\[?mounts\]\]?/m);
  });

  it('keeps the database URLs out of [env]: they carry the password, so they are secrets', () => {
    expect(Object.keys(env)).not.toContain('DATABASE_URL');
    expect(Object.keys(env)).not.toContain('DATABASE_DIRECT_URL');
    expect(Object.values(env).join('\n')).not.toMatch(/postgres(ql)?:\/\//);
    for (const name of ['ADMIN_PASSWORD', 'METRICS_TOKEN', 'INITIAL_API_KEY']) {
      expect(Object.keys(env)).not.toContain(name);
    }
    // Without the secret, the image's own default (an SQLite file) would apply: the comment warns.
    expect(imageEnv.DATABASE_URL).toMatch(/^sqlite:/);
    expect(text).toContain('fly secrets list');
  });

  it('migrates once per deploy in release_command, which the entrypoint runs instead of the server', () => {
    // Release machines reach PostgreSQL (never a volume): the migrations run there, once, and a
    // failed migration stops the deploy before any machine gets the new image.
    expect(fly.deploy?.release_command).toBe('node dist/migrate.js up');
    // Fly runs release_command as arguments to the image's ENTRYPOINT: launch.sh must run a
    // command it is given, not start a server (which would never exit).
    expect(
      instructionsOf(runtime, 'ENTRYPOINT').map((i) => JSON.parse(i.args) as string[]),
    ).toEqual([['/app/scripts/launch.sh']]);
    const launch = readProjectFile('scripts/launch.sh');
    const main = /^main\(\) \{\n([\s\S]*?)\n\}/m.exec(launch)?.[1] ?? '';
    expect(main.split('\n').map((line) => line.trim())).toEqual([
      'drop_privileges "$@"',
      'if (($# > 0)) && [[ "$1" != -* ]]; then',
      'exec "$@"',
      'fi',
      'migrate_and_serve "$@"',
    ]);
  });

  it('sends traffic to the port the app listens on, in this file and in the image', () => {
    const port = loadConfig({
      PORT: env.PORT,
      DATABASE_URL: 'postgres://snip:secret@db.internal:5432/snip',
    }).port;
    expect(service.internal_port).toBe(port);
    expect(String(port)).toBe(imageEnv.PORT);
    expect(instructionsOf(runtime, 'EXPOSE').map((i) => i.args)).toEqual([String(port)]);
  });

  it('keeps two machines running in the primary region and starts the others on demand', () => {
    expect(service).toMatchObject({
      force_https: true,
      auto_stop_machines: 'stop',
      auto_start_machines: true,
      min_machines_running: 2,
    });
  });

  it('checks /healthz, as fly.toml does, and the route answers 200', async () => {
    expect(service.checks).toEqual(sqliteFly.http_service?.checks);
    expect(service.checks).toHaveLength(1);
    const check = service.checks![0]!;
    expect(check.path).toBe('/healthz');
    expect(check.method?.toUpperCase()).toBe('GET');
    expect(durationMs(check.grace_period)).toBeGreaterThanOrEqual(10_000);
    expect(durationMs(check.timeout)).toBeLessThan(durationMs(check.interval));

    const { app, db } = buildTestApp();
    try {
      const res = await request(app).get(check.path!);
      expect(res.status).toBe(200);
    } finally {
      db.close();
    }
  });

  it('stops like fly.toml: SIGTERM, and longer than the server’s shutdown grace before SIGKILL', () => {
    expect(fly.kill_signal).toBe('SIGTERM');
    expect(fly.kill_signal).toBe(sqliteFly.kill_signal);
    expect(instructionsOf(runtime, 'STOPSIGNAL').map((i) => i.args)).toEqual([fly.kill_signal]);
    expect(durationMs(fly.kill_timeout)).toBeGreaterThan(SHUTDOWN_GRACE_MS);
    expect(fly.vm).toEqual(sqliteFly.vm);
  });
});
