/**
 * The configuration file scripts/launch.sh gives Litestream when LITESTREAM_REPLICA_URL is set
 * (ADR 049). It is made at every start from the settings, written to Litestream's standard input
 * and never stored, so it cannot drift from them; it holds no secret (Litestream reads
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment itself).
 */

/** How often Litestream ships new WAL pages to the replica (its `sync-interval`). */
export const SYNC_INTERVAL_MS = 1000;
/** How often Litestream reads new pages from the WAL into its shadow copy (`monitor-interval`). */
export const MONITOR_INTERVAL_MS = 250;
/**
 * The promise the documentation makes: a write acknowledged this long before the volume is
 * lost is in the replica. One monitor and one sync interval, and room for the upload itself.
 */
export const REPLICATION_INTERVAL_MS = 2000;
/**
 * A full snapshot this often, so that a restore replays at most an hour of WAL segments (one
 * per second of writes) rather than a day's: Litestream's own advice for frequent writers.
 */
const SNAPSHOT_INTERVAL = '1h';

export type LitestreamSettings = {
  /** The SQLite file, an absolute path (Config.databaseFile). */
  databaseFile: string;
  /** LITESTREAM_REPLICA_URL, already checked by the configuration. */
  replicaUrl: string;
  /** Litestream serves its Prometheus metrics on 127.0.0.1 at this port. */
  metricsPort: number;
  /** snip's LOG_LEVEL. */
  logLevel: string;
  /** For an s3:// replica elsewhere than AWS: AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL). */
  endpoint: string | null;
  /** AWS_REGION (or AWS_DEFAULT_REGION); Litestream asks AWS for the bucket's when unset. */
  region: string | null;
};

/**
 * Litestream's level for snip's: one less talkative, because at `info` Litestream writes a line
 * for every segment it ships (one a second while visits are written) where snip writes one per
 * start; its warnings and errors (a replica it cannot reach) always show.
 */
function litestreamLevel(logLevel: string): 'debug' | 'info' | 'warn' | 'error' {
  if (logLevel === 'trace') return 'debug';
  if (logLevel === 'debug') return 'info';
  if (logLevel === 'info' || logLevel === 'warn') return 'warn';
  return 'error';
}

/** A YAML string: JSON's quoted strings are YAML's double-quoted scalars. */
const quoted = (value: string) => JSON.stringify(value);

/**
 * The endpoint and region variables of `fly storage create` (and of AWS's own tools), picked
 * from the environment; a malformed endpoint is refused here rather than by Litestream later.
 */
export function s3Settings(
  env: Record<string, string | undefined>,
): Pick<LitestreamSettings, 'endpoint' | 'region'> {
  const endpoint = (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || '').trim() || null;
  if (endpoint !== null && !/^https?:\/\/[^\s/?#]+\/?$/.test(endpoint)) {
    throw new Error(
      `AWS_ENDPOINT_URL_S3 must be an origin such as https://fly.storage.tigris.dev, got ${quoted(endpoint)}`,
    );
  }
  const region = (env.AWS_REGION || env.AWS_DEFAULT_REGION || '').trim() || null;
  if (region !== null && !/^[A-Za-z0-9-]+$/.test(region)) {
    throw new Error(`AWS_REGION must be a region name such as auto or eu-central-1`);
  }
  return { endpoint, region };
}

/** Litestream 0.3's configuration for one database and one replica. */
export function litestreamConfig(settings: LitestreamSettings): string {
  const s3 = settings.replicaUrl.startsWith('s3://');
  const replica = [
    `      - url: ${quoted(settings.replicaUrl)}`,
    `        sync-interval: ${SYNC_INTERVAL_MS}ms`,
    `        snapshot-interval: ${SNAPSHOT_INTERVAL}`,
    ...(s3 && settings.endpoint !== null ? [`        endpoint: ${quoted(settings.endpoint)}`] : []),
    ...(s3 && settings.region !== null ? [`        region: ${quoted(settings.region)}`] : []),
  ];
  return [
    '# Made by snip at start from LITESTREAM_REPLICA_URL (src/replication/litestream-config.ts).',
    `addr: ${quoted(`127.0.0.1:${settings.metricsPort}`)}`,
    'logging:',
    '  type: json',
    `  level: ${litestreamLevel(settings.logLevel)}`,
    'dbs:',
    `  - path: ${quoted(settings.databaseFile)}`,
    `    monitor-interval: ${MONITOR_INTERVAL_MS}ms`,
    '    replicas:',
    ...replica,
    '',
  ].join('\n');
}
