import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createReplicationMonitor } from '../../src/replication/replication-lag.js';
import { buildTestApp } from '../support/test-app.js';

const TOKEN = 'metrics-token-for-tests-0123456789';
const DB = '/data/db/database.sqlite3';

/** A monitor reading a Litestream page the test sets, on a clock the test moves. */
function replicaBehind() {
  const clock = { now: 5_000_000 };
  let text = '';
  const monitor = createReplicationMonitor({
    metricsUrl: 'http://127.0.0.1:9090/metrics',
    databaseFile: DB,
    now: () => clock.now,
    read: async () => text,
  });
  const serve = (shadow: number, replica: number) =>
    (text = [
      `litestream_shadow_wal_index{db="${DB}"} 0`,
      `litestream_shadow_wal_size{db="${DB}"} ${shadow}`,
      `litestream_replica_wal_index{db="${DB}",name="s3"} 0`,
      `litestream_replica_wal_offset{db="${DB}",name="s3"} ${replica}`,
    ].join('\n'));
  return { monitor, clock, serve };
}

describe('the replication lag in /healthz and /metrics', () => {
  it('when Litestream replicates, then /healthz adds how far the replica is behind and stays 200', async () => {
    const { monitor, clock, serve } = replicaBehind();
    const { app } = buildTestApp({}, { replication: monitor });
    serve(8000, 4000);
    await monitor.poll();
    clock.now += 3200;
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      database: { answers: true, writable: true },
      replication: { lagSeconds: 3.2 },
    });
  });

  it('when Litestream does not answer, then /healthz says the lag is unknown and why', async () => {
    const monitor = createReplicationMonitor({
      metricsUrl: 'http://127.0.0.1:9/metrics',
      databaseFile: DB,
      read: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')),
    });
    await monitor.poll();
    const { app } = buildTestApp({}, { replication: monitor });
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.replication).toEqual({
      lagSeconds: null,
      problem:
        "Litestream's metrics at http://127.0.0.1:9/metrics do not answer (connect ECONNREFUSED 127.0.0.1:9)",
    });
  });

  it('when nothing replicates, then /healthz has no replication field, and /metrics has no lag', async () => {
    const { app } = buildTestApp({ METRICS_TOKEN: TOKEN });
    expect((await request(app).get('/healthz')).body).toEqual({
      status: 'ok',
      database: { answers: true, writable: true },
    });
    const metrics = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).not.toContain('snip_replication_lag_seconds');
  });

  it('when Litestream replicates, then /metrics exports the lag as a gauge, absent while it is unknown', async () => {
    const { monitor, clock, serve } = replicaBehind();
    const { app } = buildTestApp(
      { METRICS_TOKEN: TOKEN, LITESTREAM_REPLICA_URL: 's3://snip-backups/snip' },
      { replication: monitor },
    );
    const scrape = async () =>
      (await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).text;
    expect(await scrape()).toContain('# TYPE snip_replication_lag_seconds gauge');
    expect(await scrape()).not.toMatch(/^snip_replication_lag_seconds\{/m);
    serve(8000, 4000);
    await monitor.poll();
    clock.now += 2000;
    expect(await scrape()).toMatch(
      /^snip_replication_lag_seconds\{replica="s3:\/\/snip-backups\/snip"\} 2$/m,
    );
    serve(8000, 8000);
    await monitor.poll();
    expect(await scrape()).toMatch(/^snip_replication_lag_seconds\{replica=".*"\} 0$/m);
  });
});
