// First: on an older Node the SQLite driver crashes the process; this stops it with one line.
import '../scripts/check-node.mjs';
import type { Server } from 'node:http';
import { createRequestListener } from './app.js';
import { ConfigError, loadConfig, requireSqliteFile } from './config.js';
import { openStorage } from './storage/open-storage.js';
import { StartupError, VISIT_FLUSH_INTERVAL_MS, type DatabaseRuntime } from './storage/runtime.js';
import { createRedirectCache } from './links/redirect-cache.js';
import { createLogger } from './logger.js';
import { limitRequestTime, serverOptions } from './http/server-timeouts.js';
import { buildServices, REDIRECT_CACHE_SIZE } from './services.js';
import { countryLookupFor } from './stats/geo-country.js';
import { SHUTDOWN_GRACE_MS } from './shutdown.js';
import { createReplicationMonitor } from './replication/replication-lag.js';
import { checkDatabaseVolume } from './storage/database-volume.js';
import { readMounts } from './db/mounts.js';
import { describeUnknownVariable, findUnknownVariables } from './unknown-variables.js';
import { describeLaunchFailure } from './launch-failure.js';

// Not `import … from 'node:http'`: an ES module import of node:http builds its whole namespace,
// which runs the module's lazy getters and loads undici and http2 — a fifth of snip's cold
// start, for nothing. getBuiltinModule hands over the module object as CommonJS code gets it.
const { createServer } = process.getBuiltinModule('node:http');

/**
 * `--migrate`, which only scripts/launch.sh passes: apply pending migrations in this process
 * before the database is opened, as `node dist/migrate.js up` would, so the image starts one
 * Node process instead of two. Without it, the server refuses to start while any are pending.
 */
const MIGRATE_FIRST = process.argv.slice(2).includes('--migrate');

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`snip: ${error.message}\n`);
      if (MIGRATE_FIRST) process.stderr.write(`${describeLaunchFailure(error)}\n`);
      process.exit(1);
    }
    throw error;
  }
  // On Fly, an SQLite file off a volume is lost at the next deploy: refused before a migration
  // creates it there (ADR 046).
  const volume = checkDatabaseVolume(config, readMounts());
  if (volume.kind === 'refuse') {
    process.stderr.write(`snip: ${volume.message}\n`);
    process.exit(1);
  }
  if (MIGRATE_FIRST) {
    // The same lines as `migrate up` (a snapshot of an existing SQLite file first; on PostgreSQL
    // the advisory lock, waited for as long as MIGRATION_LOCK_TIMEOUT), and on failure its
    // message and launch.sh's, exit 1, and nothing listens.
    try {
      const storage = await openStorage(config);
      await storage
        .migrations(config.migrationsDir)
        .up((line) => process.stdout.write(`${line}\n`), {
          lockTimeoutMs: config.migrationLockTimeoutMs,
        });
    } catch (error) {
      process.stderr.write(
        `migrate: ${error instanceof Error ? error.message : String(error)}\n` +
          `${describeLaunchFailure(error)}\n`,
      );
      process.exit(1);
    }
  }
  const logger = createLogger({
    level: config.logLevel,
    pretty: Boolean(process.stdout.isTTY) && process.env.NODE_ENV !== 'production',
  });
  // A misspelled variable would be ignored without a word, and its default used.
  for (const unknown of findUnknownVariables(process.env)) {
    logger.warn({ variable: unknown.name }, describeUnknownVariable(unknown));
  }
  if (volume.kind === 'warn') logger.warn(volume.message);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(1);
  });
  const stop = (message: string): never => {
    logger.fatal(message);
    logger.flush();
    process.exit(1);
  };

  // One cache of redirect rows; on PostgreSQL, other machines' changes clear it too.
  const redirectCache = createRedirectCache(REDIRECT_CACHE_SIZE);
  let database: DatabaseRuntime;
  try {
    database = await (await openStorage(config)).openRuntime(config, { logger, redirectCache });
  } catch (error) {
    if (error instanceof StartupError) return stop(error.message);
    throw error;
  }
  const { store } = database;
  // The one service graph: the app, the flush timer and the shutdown all use it.
  let countryLookup;
  try {
    countryLookup = countryLookupFor(config.geoipDatabase);
  } catch (error) {
    await database.close();
    return stop(`GEOIP_DATABASE: ${(error as Error).message}`);
  }
  // Under Litestream (scripts/launch.sh runs it with LITESTREAM_REPLICA_URL), the replica's lag
  // comes from Litestream's metrics, read once a second (ADR 050).
  const replication =
    config.litestream === null
      ? undefined
      : createReplicationMonitor({
          metricsUrl: `http://127.0.0.1:${config.litestream.metricsPort}/metrics`,
          databaseFile: requireSqliteFile(config),
        });
  const services = buildServices({
    config,
    store,
    limiter: database.limiter,
    logger,
    redirectCache,
    countryLookup,
    replication,
  });
  const { keys, visitCounter, notFoundCounter } = services;
  // A key INITIAL_API_KEY made lives only as long as the variable keeps its value. The log names
  // keys, never a key's value.
  const initial = await keys.syncInitialKey(config.initialApiKey);
  if (initial.revoked.length > 0) {
    logger.warn(
      { revoked: initial.revoked },
      config.initialApiKey === null
        ? 'INITIAL_API_KEY is no longer set: the API key it stored is revoked'
        : 'INITIAL_API_KEY has changed: the API key its earlier value stored is revoked',
    );
  }
  if (initial.initial === 'stored') {
    logger.info('INITIAL_API_KEY stored as an API key (only its SHA-256)');
  } else if (initial.initial === 'revoked') {
    logger.warn(
      'INITIAL_API_KEY is a key that was revoked, and it stays revoked: set a new value to have a working key',
    );
  }
  if (
    config.createAccess === 'private' &&
    config.adminPassword === null &&
    !(await keys.hasUsableKey())
  ) {
    await database.close();
    stop(
      'CREATE_ACCESS=private, but nobody could create links: set INITIAL_API_KEY (32 or more characters), set ADMIN_PASSWORD, or create a key with `npm run keys -- create NAME` (in the image: `node dist/keys.js create NAME`)',
    );
  }

  const stopFlushing = database.startFlushing(visitCounter);
  // Requests for unknown codes per domain and day, written beside the visits every second.
  // The counts stay in memory until a flush succeeds; one line per kind of failure, not per second.
  let notFoundFailure: string | null = null;
  const flushNotFound = () =>
    notFoundCounter.flush().then(
      (written) => {
        notFoundFailure = null;
        return written;
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== notFoundFailure) {
          logger.warn(
            { err: error, pending: notFoundCounter.pendingTotal() },
            'not-found count flush failed',
          );
        }
        notFoundFailure = message;
        return 0;
      },
    );
  const notFoundFlushes = setInterval(() => void flushNotFound(), VISIT_FLUSH_INTERVAL_MS);
  notFoundFlushes.unref();
  // The day's visitor key is forgotten within a second of its UTC day's end, visits or not.
  const forgetKeys = setInterval(services.visitLookups.dropStaleKey, 1000);
  forgetKeys.unref();
  let replicationReads: NodeJS.Timeout | undefined;
  if (replication) {
    let reading = false;
    const readReplication = () => {
      if (reading) return;
      reading = true;
      void replication.poll().finally(() => (reading = false));
    };
    readReplication();
    replicationReads = setInterval(readReplication, 1000);
    replicationReads.unref();
  }

  // The redirect fast path answers active links; the Express app behind it answers the rest.
  // Every request must arrive within 20 s, but an import's upload may take minutes.
  const server = createServer(serverOptions(), limitRequestTime(createRequestListener(services)));
  let shuttingDown = false;
  // Runs before the app: a response sent while stopping tells keep-alive clients to reconnect.
  server.prependListener('request', (_req, res) => {
    if (shuttingDown) res.setHeader('Connection', 'close');
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      // A person's mistake, not a crash: say what to do, without a stack trace.
      const problem = error.code === 'EADDRINUSE' ? 'is already in use' : 'needs more privileges';
      stop(
        `port ${config.port} ${problem}: stop the program using it, or set PORT to another port`,
      );
    }
    logger.fatal({ err: error }, 'server failed');
    logger.flush();
    process.exit(1);
  });
  server.listen(config.port, () => {
    const url = `http://localhost:${config.port}`;
    logger.info(
      { url, database: database.location, engine: store.engine },
      `snip is listening on ${url}`,
    );
    if (config.litestream !== null) {
      logger.info(
        { replica: config.litestream.replicaUrl },
        'Litestream replicates the database; /healthz and /metrics report the lag',
      );
    }
    if (config.baseUrl === null) {
      logger.warn(
        'BASE_URL is not set: short links are built from each request’s Host header. Set BASE_URL to your public origin (e.g. https://snip.example) in production; behind your own reverse proxy, set TRUST_PROXY too.',
      );
    }
  });

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await closeServer(server, SHUTDOWN_GRACE_MS);
    stopFlushing();
    clearInterval(notFoundFlushes);
    clearInterval(forgetKeys);
    clearInterval(replicationReads);
    const flushed = await database.finalFlush(visitCounter);
    logger.info({ visits: flushed }, 'visit counts flushed');
    await notFoundCounter.idle();
    await flushNotFound();
    await database.close();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}

/**
 * Stops accepting connections and lets in-flight requests finish. Keep-alive sockets are closed
 * as soon as they are idle (checked every 100 ms, since a socket whose request started before
 * the signal only becomes idle after its response); whatever is left after `graceMs` is cut.
 */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

await main();
