import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runLitestreamConfig } from '../../src/litestream.js';
import {
  litestreamConfig,
  MONITOR_INTERVAL_MS,
  REPLICATION_INTERVAL_MS,
  s3Settings,
  SYNC_INTERVAL_MS,
} from '../../src/replication/litestream-config.js';

type LitestreamYaml = {
  addr: string;
  logging: { type: string; level: string };
  dbs: {
    path: string;
    'monitor-interval': string;
    replicas: Record<string, string>[];
  }[];
};

/** Runs the command as launch.sh does, and answers what it printed and its exit code. */
function run(env: Record<string, string>, cwd = '/srv/snip') {
  const out: string[] = [];
  const err: string[] = [];
  const code = runLitestreamConfig(
    env,
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    cwd,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe("Litestream's configuration", () => {
  it('when the replica is a Tigris bucket, then Litestream gets the database, the bucket, its endpoint and region, and a sync interval of 1 s', () => {
    const { code, out } = run({
      DATABASE_URL: 'sqlite:/data/db/database.sqlite3',
      LITESTREAM_REPLICA_URL: 's3://snip-backups/snip',
      AWS_ENDPOINT_URL_S3: 'https://fly.storage.tigris.dev',
      AWS_REGION: 'auto',
      AWS_ACCESS_KEY_ID: 'tid_key',
      AWS_SECRET_ACCESS_KEY: 'tsec_secret',
    });
    expect(code).toBe(0);
    const config = parse(out) as LitestreamYaml;
    expect(config).toEqual({
      addr: '127.0.0.1:9090',
      logging: { type: 'json', level: 'warn' },
      dbs: [
        {
          path: '/data/db/database.sqlite3',
          'monitor-interval': '250ms',
          replicas: [
            {
              url: 's3://snip-backups/snip',
              'sync-interval': '1000ms',
              'snapshot-interval': '1h',
              endpoint: 'https://fly.storage.tigris.dev',
              region: 'auto',
            },
          ],
        },
      ],
    });
    // Litestream reads the keys from the environment: they are never written down.
    expect(out).not.toContain('tid_key');
    expect(out).not.toContain('tsec_secret');
  });

  it('when the replica is a folder, then no S3 setting is written and a relative database path is made absolute', () => {
    const { code, out } = run({
      DATABASE_URL: 'sqlite:data/db/database.sqlite3',
      LITESTREAM_REPLICA_URL: 'file:///var/backups/snip',
      LITESTREAM_METRICS_PORT: '19999',
      AWS_ENDPOINT_URL_S3: 'https://fly.storage.tigris.dev',
      LOG_LEVEL: 'debug',
    });
    expect(code).toBe(0);
    const config = parse(out) as LitestreamYaml;
    expect(config.addr).toBe('127.0.0.1:19999');
    expect(config.logging.level).toBe('info');
    expect(config.dbs[0]!.path).toBe('/srv/snip/data/db/database.sqlite3');
    expect(config.dbs[0]!.replicas).toEqual([
      { url: 'file:///var/backups/snip', 'sync-interval': '1000ms', 'snapshot-interval': '1h' },
    ]);
  });

  it('when a path has characters YAML treats specially, then they are quoted and read back as they are', () => {
    const file = '/data/db/#1: "snip" \\ it\'s.sqlite3';
    const yaml = litestreamConfig({
      databaseFile: file,
      replicaUrl: 's3://bucket/db',
      metricsPort: 9090,
      logLevel: 'info',
      endpoint: null,
      region: null,
    });
    expect((parse(yaml) as LitestreamYaml).dbs[0]!.path).toBe(file);
  });

  it('promises replication within one monitor and one sync interval, with room for the upload', () => {
    expect(SYNC_INTERVAL_MS).toBeLessThanOrEqual(1000);
    expect(REPLICATION_INTERVAL_MS).toBeGreaterThan(SYNC_INTERVAL_MS + MONITOR_INTERVAL_MS);
  });

  it.each([
    [{}, 'LITESTREAM_REPLICA_URL is not set'],
    [{ LITESTREAM_REPLICA_URL: 'ftp://host/db' }, 'LITESTREAM_REPLICA_URL must be'],
    [
      { LITESTREAM_REPLICA_URL: 's3://bucket/db', DATABASE_URL: 'postgres://db/snip' },
      'DATABASE_URL names a PostgreSQL database',
    ],
    [
      { LITESTREAM_REPLICA_URL: 's3://bucket/db', AWS_ENDPOINT_URL_S3: 'fly.storage.tigris.dev' },
      'AWS_ENDPOINT_URL_S3 must be an origin such as https://fly.storage.tigris.dev',
    ],
  ])('when the settings are %o, then it exits 1 and says what is wrong', (env, message) => {
    const { code, out, err } = run(env as Record<string, string>);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^snip: /);
    expect(err).toContain(message);
  });

  it('takes the endpoint from AWS_ENDPOINT_URL when no S3-specific one is set, and the region from AWS_DEFAULT_REGION', () => {
    expect(
      s3Settings({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_DEFAULT_REGION: 'us-east-1' }),
    ).toEqual({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1' });
    expect(s3Settings({})).toEqual({ endpoint: null, region: null });
  });
});
