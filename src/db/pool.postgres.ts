import pg from 'pg';

const INT8_OID = 20;

/**
 * snip's numbers (ids, epoch-millisecond times, counts) are BIGINT in PostgreSQL and stay far
 * below 2^53, so they come back as JavaScript numbers, as SQLite's INTEGER does; pg's default is
 * a string, to be safe with numbers snip never stores.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export type PostgresPoolOptions = {
  /** Connections this machine may hold at once. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
};

/** A pool of connections for queries: the pooled URL is fine (no LISTEN, no session locks). */
export function createPostgresPool(url: string, options: PostgresPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'snip',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // An idle connection that breaks (a restart, a failover) must not crash the process: the pool
  // drops it and opens another for the next query.
  pool.on('error', () => {});
  // Nor one that breaks while taken out for a transaction: the statement in flight rejects with
  // the error, and that is where it is handled; unheard, the 'error' event would end the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}
