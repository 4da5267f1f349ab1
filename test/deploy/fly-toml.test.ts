import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseDatabaseUrl } from '../../src/db/database-url.js';
import { SHUTDOWN_GRACE_MS } from '../../src/shutdown.js';
import { buildTestApp } from '../support/test-app.js';
import {
  durationMs,
  instructionsOf,
  parseDockerfile,
  readProjectFile,
  readToml,
  readYaml,
  stageEnv,
  type FlyToml,
} from './deploy-files.js';

const fly = readToml('fly.toml') as FlyToml;
const runtime = parseDockerfile(readProjectFile('Dockerfile')).at(-1)!;
const imageEnv = stageEnv(runtime);
const env = fly.env ?? {};
const service = fly.http_service ?? {};

describe('fly.toml', () => {
  it('names an app and a region, and builds the Dockerfile', () => {
    // Fly app names: lowercase letters, digits and hyphens; regions are three-letter codes.
    expect(fly.app).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(fly.primary_region).toMatch(/^[a-z]{3}$/);
    expect(fly.build?.dockerfile).toBe('Dockerfile');
    expect(readProjectFile(fly.build!.dockerfile!)).toBe(readProjectFile('Dockerfile'));
  });

  it('mounts one volume, app_data, on the directory that holds the database', () => {
    // A single table, not an array of mounts: one machine, one volume, one SQLite writer.
    expect(Array.isArray(fly.mounts)).toBe(false);
    const mounts = fly.mounts as { source?: string; destination?: string };
    expect(mounts.source).toBe('app_data');
    expect(mounts.destination).toBe('/data');
    const databaseFile = parseDatabaseUrl(env.DATABASE_URL ?? '');
    expect(databaseFile).toBe('/data/db/database.sqlite3');
    expect(path.relative(mounts.destination!, databaseFile)).not.toMatch(/^\.\./);
    expect(env.DATABASE_URL).toBe(imageEnv.DATABASE_URL);
  });

  it('sends traffic to the port the app listens on, in fly.toml and in the image', () => {
    const port = loadConfig({ PORT: env.PORT, DATABASE_URL: env.DATABASE_URL }).port;
    expect(service.internal_port).toBe(port);
    expect(String(port)).toBe(imageEnv.PORT);
    expect(instructionsOf(runtime, 'EXPOSE').map((i) => i.args)).toEqual([String(port)]);
  });

  it('serves HTTPS only and stops idle machines, starting them on the next request', () => {
    expect(service).toMatchObject({
      force_https: true,
      auto_stop_machines: 'stop',
      auto_start_machines: true,
      min_machines_running: 0,
    });
  });

  it('checks a route that exists and answers 200, after a grace period that covers migrations', async () => {
    expect(service.checks).toHaveLength(1);
    const check = service.checks![0]!;
    expect(check.method?.toUpperCase()).toBe('GET');
    expect(durationMs(check.grace_period)).toBeGreaterThanOrEqual(10_000);
    expect(durationMs(check.timeout)).toBeLessThan(durationMs(check.interval));

    const { app, db } = buildTestApp();
    try {
      const res = await request(app).get(check.path ?? '');
      expect(res.status).toBe(200);
    } finally {
      db.close();
    }
  });

  it('has no release_command: release machines have no volume, so the image’s entrypoint migrates', () => {
    expect(fly.deploy?.release_command).toBeUndefined();
    // The entrypoint is launch.sh, which migrates before it starts the server
    // (test/scripts/launch.test.ts runs it).
    expect(
      instructionsOf(runtime, 'ENTRYPOINT').map((i) => JSON.parse(i.args) as string[]),
    ).toEqual([['/app/scripts/launch.sh']]);
  });

  it('stops with SIGTERM and waits longer than the server’s shutdown grace before SIGKILL', () => {
    expect(fly.kill_signal).toBe('SIGTERM');
    expect(instructionsOf(runtime, 'STOPSIGNAL').map((i) => i.args)).toEqual([fly.kill_signal]);
    expect(durationMs(fly.kill_timeout)).toBeGreaterThan(SHUTDOWN_GRACE_MS);
    const compose = readYaml('compose.yaml') as {
      services: { snip: { stop_grace_period?: string } };
    };
    expect(durationMs(compose.services.snip.stop_grace_period)).toBeGreaterThan(SHUTDOWN_GRACE_MS);
  });
});
