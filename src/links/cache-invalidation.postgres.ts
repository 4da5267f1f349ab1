import type { Socket } from 'node:net';
import pg from 'pg';
import { linkKeyOfPayload, type RedirectCache } from './redirect-cache.js';

/** The channel every snip machine on one PostgreSQL database listens on. */
export const LINK_CHANGED_CHANNEL = 'snip_link_changed';
/**
 * The payload that clears every cache, for bulk changes. No code can be `*` (codes and aliases
 * are letters, digits, `_` and `-`); an empty payload means the same.
 */
export const ALL_LINKS = '*';

/** A pg.Client, a pg.Pool or a pooled client: anything that runs a query. */
export type Queryable = { query(text: string, values?: unknown[]): Promise<unknown> };

/**
 * Tells every listening machine that the link `key` changed: its linkKey (`<domain key>/<code>`,
 * redirect-cache.ts); a bare code is the default domain's. Inside a transaction, PostgreSQL
 * sends it at the commit (and not at all on a rollback), so call it with the change. This works
 * through any connection, a transaction-mode pooler included.
 */
export async function notifyLinkChanged(db: Queryable, key: string): Promise<void> {
  if (key === '' || key === ALL_LINKS) throw new Error(`not a link key: "${key}"`);
  await db.query('SELECT pg_notify($1, $2)', [LINK_CHANGED_CHANNEL, key]);
}

/** Tells every listening machine to clear its whole cache, after a change to many links. */
export async function notifyAllLinksChanged(db: Queryable): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [LINK_CHANGED_CHANNEL, ALL_LINKS]);
}

/** What it logs: a pino logger fits. */
export type InvalidationLogger = {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
};

export type CacheInvalidationOptions = {
  /**
   * A direct connection to PostgreSQL, or a pooler that keeps one server connection per client
   * for as long as that client stays connected. Never a transaction-mode pooler (PgBouncer's
   * `pool_mode = transaction`, and the like): LISTEN holds only on the server connection that ran
   * it, and such a pooler hands that connection to other clients between transactions, so
   * notifications would never arrive. Nor a read replica: NOTIFY does not reach standbys. Where
   * only those exist, run without a listener and rely on the cache's time to live
   * (redirect-cache-ttl.ts).
   */
  connectionString: string;
  cache: RedirectCache;
  logger?: InvalidationLogger;
  /** How often the listening connection is asked `SELECT 1`. */
  heartbeatMs: number;
  /** How long that may take before the connection counts as dead; `heartbeatMs` by default. */
  heartbeatTimeoutMs?: number;
  /** The first wait before reconnecting; each failed attempt doubles it, up to the maximum. */
  reconnectDelayMs: number;
  /** The longest wait between two attempts; 30 × `reconnectDelayMs` by default. */
  maxReconnectDelayMs?: number;
  /** How long to wait for a connection, and for the LISTEN; 10 s by default. */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
};

export type CacheInvalidation = {
  /** Settles when LISTEN first runs; rejects if `stop()` comes first. */
  ready: Promise<void>;
  /** Closes the connection and stops every timer; it never reconnects afterwards. */
  stop(): Promise<void>;
};

export const DEFAULT_APPLICATION_NAME = 'snip cache invalidation';

const noLogger: InvalidationLogger = { info() {}, warn() {} };

/** The socket under a pg.Client (not in its types), to close it when the server does not answer. */
function socketOf(client: pg.Client): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}

/**
 * Closes a client: politely if it answers within `graceMs`, by closing its socket otherwise (a
 * server that hangs would keep `end()` waiting, and the socket open, forever).
 */
async function closeClient(client: pg.Client, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = client.end().catch(() => {});
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([ended, late]);
  clearTimeout(timer);
  socketOf(client)?.destroy();
  await ended;
}

/**
 * Keeps `cache` in step with the changes other machines announce with notifyLinkChanged, over
 * one dedicated pg.Client that runs `LISTEN snip_link_changed`. It must be a direct connection
 * to PostgreSQL, never through a transaction-mode pooler (see `connectionString`).
 *
 * While that connection is down, notifications are lost. So when it errors or ends, or its
 * heartbeat (`SELECT 1` every `heartbeatMs`, which notices a server or network that stopped
 * answering without closing anything) fails, the cache is cleared at once; then it reconnects
 * with a doubling, bounded wait, and clears the cache again once LISTEN runs, for whatever
 * changed during the gap. A lookup already running at that moment may still store a row it
 * read before; the cache's time to live bounds that.
 */
export function startCacheInvalidation(options: CacheInvalidationOptions): CacheInvalidation {
  const {
    connectionString,
    cache,
    logger = noLogger,
    heartbeatMs,
    reconnectDelayMs,
    connectTimeoutMs = 10_000,
    applicationName = DEFAULT_APPLICATION_NAME,
  } = options;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? heartbeatMs;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 30 * reconnectDelayMs;

  let stopped = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;
  let listening = false;
  /** When the connection was lost, for the log line when it is back. */
  let downSince: number | null = null;

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Nobody has to wait for it; a stop before the first LISTEN must not be an unhandled rejection.
  ready.catch(() => {});

  function onNotification(message: pg.Notification): void {
    if (message.channel !== LINK_CHANGED_CHANNEL) return;
    const payload = message.payload ?? '';
    if (payload === '' || payload === ALL_LINKS) cache.clear();
    else cache.invalidate(linkKeyOfPayload(payload));
  }

  function schedule(run: () => void, ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  }

  /** The connection `lost` is gone: clear, drop it, and try again after a wait. */
  function lose(lost: pg.Client, reason: string, error?: unknown): void {
    if (stopped || client !== lost) return;
    client = null;
    clearTimeout(timer);
    cache.clear();
    if (listening || downSince === null) {
      listening = false;
      downSince = Date.now();
      logger.warn(
        { reason, err: error },
        'cache invalidation: not listening, the redirect cache is cleared; reconnecting',
      );
    }
    void closeClient(lost, 0);
    const wait = Math.min(maxReconnectDelayMs, reconnectDelayMs * 2 ** failedAttempts);
    failedAttempts++;
    schedule(() => void connect(), wait);
  }

  function heartbeat(current: pg.Client): void {
    schedule(() => {
      let timeout: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timeout = setTimeout(
          () => reject(new Error(`no answer to the heartbeat within ${heartbeatTimeoutMs} ms`)),
          heartbeatTimeoutMs,
        );
      });
      Promise.race([current.query('SELECT 1'), late]).then(
        () => {
          clearTimeout(timeout);
          if (!stopped && client === current) heartbeat(current);
        },
        (error: unknown) => {
          clearTimeout(timeout);
          lose(current, 'heartbeat failed', error);
        },
      );
    }, heartbeatMs);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const current = new pg.Client({
      connectionString,
      application_name: applicationName,
      connectionTimeoutMillis: connectTimeoutMs,
      // The LISTEN must not hang either; the heartbeat watches only what comes after it.
      query_timeout: connectTimeoutMs,
      keepAlive: true,
    });
    client = current;
    current.on('error', (error) => lose(current, 'connection error', error));
    current.on('end', () => lose(current, 'connection ended'));
    current.on('notification', onNotification);
    try {
      await current.connect();
      await current.query(`LISTEN ${LINK_CHANGED_CHANNEL}`);
    } catch (error) {
      lose(current, 'could not listen', error);
      return;
    }
    if (stopped || client !== current) return;
    // Whatever changed before this LISTEN was not heard: start from an empty cache.
    cache.clear();
    failedAttempts = 0;
    listening = true;
    logger.info(
      downSince === null ? {} : { downMs: Date.now() - downSince },
      'cache invalidation: listening, the redirect cache is cleared',
    );
    downSince = null;
    resolveReady();
    heartbeat(current);
  }

  void connect();

  return {
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      rejectReady(new Error('cache invalidation stopped before it listened'));
      const current = client;
      client = null;
      if (current !== null) await closeClient(current, 1000);
      if (listening) logger.info({}, 'cache invalidation: stopped');
      listening = false;
    },
  };
}
