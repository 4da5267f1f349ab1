import { describe, expect, it } from 'vitest';
import { createReplicationMonitor, readPositions } from '../../src/replication/replication-lag.js';

const DB = '/data/db/database.sqlite3';
const URL = 'http://127.0.0.1:9090/metrics';

/** Litestream 0.3.13's page, as it serves it (other metrics and another database included). */
function page(
  shadow: [index: number, size: number],
  replica: [index: number, offset: number] | null,
  db = DB,
): string {
  const label = `db="${db}"`;
  return [
    '# HELP go_goroutines Number of goroutines that currently exist.',
    '# TYPE go_goroutines gauge',
    'go_goroutines 23',
    `litestream_db_size{${label}} 1.6384e+06`,
    `litestream_shadow_wal_index{${label}} ${shadow[0]}`,
    `litestream_shadow_wal_size{${label}} ${shadow[1]}`,
    'litestream_shadow_wal_index{db="/elsewhere.db"} 99',
    'litestream_shadow_wal_size{db="/elsewhere.db"} 99',
    ...(replica
      ? [
          `litestream_replica_wal_index{${label},name="s3"} ${replica[0]}`,
          `litestream_replica_wal_offset{${label},name="s3"} ${replica[1]}`,
        ]
      : []),
    'litestream_replica_wal_offset{db="/elsewhere.db",name="s3"} 0',
    `litestream_sync_count{${label}} 5`,
    '',
  ].join('\n');
}

/** A monitor on a clock the test moves, reading whatever page the test sets. */
function monitorOn() {
  let time = 1_000_000;
  let text: string | Error = page([0, 32], [0, 32]);
  const monitor = createReplicationMonitor({
    metricsUrl: URL,
    databaseFile: DB,
    now: () => time,
    read: async () => {
      if (text instanceof Error) throw text;
      return text;
    },
  });
  return {
    monitor,
    at: (ms: number) => (time = 1_000_000 + ms),
    serve: (next: string | Error) => (text = next),
  };
}

describe("Litestream's positions", () => {
  it('reads the shadow WAL and each replica of this database only, values in exponent form too', () => {
    const text = page([3, 1.6512e6], [2, 4152]).replace('1651200', '1.6512e+06');
    expect(readPositions(text, DB)).toEqual({
      shadow: { index: 3, offset: 1_651_200 },
      replicas: new Map([['s3', { index: 2, offset: 4152 }]]),
    });
  });

  it('unescapes label values as Prometheus writes them', () => {
    const file = '/data/a "quoted" \\ name.sqlite3';
    const escaped = file.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    expect(readPositions(page([1, 100], null, escaped), file)?.shadow).toEqual({
      index: 1,
      offset: 100,
    });
  });

  it('knows nothing of a database Litestream does not report', () => {
    expect(readPositions(page([1, 100], [1, 100]), '/other.sqlite3')).toBeNull();
    expect(readPositions('', DB)).toBeNull();
  });
});

describe('the replication lag', () => {
  it('when the replica holds everything Litestream read from the WAL, then the lag is 0', async () => {
    const { monitor } = monitorOn();
    await monitor.poll();
    expect(monitor.status()).toEqual({ lagSeconds: 0 });
  });

  it('when writes keep coming, then the lag is the age of the oldest position the replica lacks', async () => {
    const { monitor, at, serve } = monitorOn();
    serve(page([0, 8000], [0, 4000]));
    at(0);
    await monitor.poll();
    at(1000);
    serve(page([0, 12_000], [0, 4000]));
    await monitor.poll();
    at(1500);
    expect(monitor.status()).toEqual({ lagSeconds: 1.5 });
    // The replica reaches what was seen first; what was seen at 1 s still waits.
    at(2000);
    serve(page([0, 16_000], [0, 8000]));
    await monitor.poll();
    expect(monitor.status()).toEqual({ lagSeconds: 1 });
    at(3000);
    serve(page([0, 16_000], [0, 16_000]));
    await monitor.poll();
    expect(monitor.status()).toEqual({ lagSeconds: 0 });
  });

  it('when the replica never answers, then the lag grows for as long as it is behind', async () => {
    const { monitor, at, serve } = monitorOn();
    serve(page([0, 8000], null));
    for (let second = 0; second <= 60; second++) {
      at(second * 1000);
      await monitor.poll();
    }
    expect(monitor.status()).toEqual({ lagSeconds: 60 });
  });

  it('when Litestream starts a new shadow WAL file, then the old one counted in its size does not leave a lag behind', async () => {
    const { monitor, at, serve } = monitorOn();
    // After a checkpoint: index 1 begins, while file 0 (4000 bytes) is still kept and counted.
    serve(page([1, 4000 + 32], [1, 32]));
    at(0);
    await monitor.poll();
    expect(monitor.status().lagSeconds).toBe(0);
    at(1000);
    await monitor.poll();
    at(1200);
    expect(monitor.status().lagSeconds).toBe(1.2);
    // Litestream removes file 0 once the replica is past it: caught up.
    serve(page([1, 32], [1, 32]));
    at(2000);
    await monitor.poll();
    expect(monitor.status()).toEqual({ lagSeconds: 0 });
  });

  it('when Litestream does not answer, then the lag is unknown and the status says why', async () => {
    const { monitor, serve } = monitorOn();
    expect(monitor.status()).toEqual({
      lagSeconds: null,
      problem: 'Litestream has not been read yet',
    });
    serve(new Error('connect ECONNREFUSED 127.0.0.1:9090'));
    await monitor.poll();
    expect(monitor.status()).toEqual({
      lagSeconds: null,
      problem: `Litestream's metrics at ${URL} do not answer (connect ECONNREFUSED 127.0.0.1:9090)`,
    });
    serve(page([1, 100], [1, 100], '/another.sqlite3'));
    await monitor.poll();
    expect(monitor.status().problem).toBe(
      `Litestream's metrics at ${URL} say nothing of ${DB} yet`,
    );
  });

  it('when no reading succeeded for more than 5 s, then the last one is not reported as now', async () => {
    const { monitor, at } = monitorOn();
    await monitor.poll();
    at(5000);
    expect(monitor.status()).toEqual({ lagSeconds: 0 });
    at(6000);
    expect(monitor.status()).toEqual({
      lagSeconds: null,
      problem: "Litestream's metrics have not been read for 6 s",
    });
  });
});
