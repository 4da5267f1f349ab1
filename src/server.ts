import type { Server } from 'node:http';
import { createRequestListener } from './app.js';
import { ConfigError, loadConfig, SERVER_NEEDS_SQLITE } from './config.js';
import { loadMigrations, pendingMigrations } from './db/migrations.js';
import { watchDatabaseFile } from './db/database-file.js';
import { writeWithoutWaiting } from './db/write-gate.js';
import { openDatabase } from './db/open-database.js';
import { createKeyRepository } from './keys/key-repository.js';
import { createKeyService } from './keys/key-service.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics/metrics.js';
import { SERVER_TIMEOUTS } from './http/server-timeouts.js';
import { SHUTDOWN_GRACE_MS } from './shutdown.js';
import { createSlicedFlush } from './stats/sliced-flush.js';
import { createVisitCounter } from './stats/visit-counter.js';
import { createVisitRepository } from './stats/visit-repository.js';

// Not `import … from 'node:http'`: an ES module import of node:http builds its whole namespace,
// which runs the module's lazy getters and loads undici and http2 — a fifth of snip's cold
// start, for nothing. getBuiltinModule hands over the module object as CommonJS code gets it.
const { createServer } = process.getBuiltinModule('node:http');

/** PRODUCT §4: visit counts reach the database at least once a second. */
const VISIT_FLUSH_INTERVAL_MS = 1000;

function main(): void {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`snip: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Migrations already run on PostgreSQL (src/db/postgres-migrations.ts); the server's queries
  // do not yet, so it stops here rather than open an SQLite file nobody asked for.
  if (config.databaseFile === null) {
    process.stderr.write(`snip: ${SERVER_NEEDS_SQLITE}\n`);
    process.exit(1);
  }
  const sqliteFile = config.databaseFile;
  const logger = createLogger({
    level: config.logLevel,
    pretty: Boolean(process.stdout.isTTY) && process.env.NODE_ENV !== 'production',
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(1);
  });

  const db = openDatabase(sqliteFile);
  // Migrations run before the server (scripts/launch.sh); never serve a schema they have not reached.
  const pending = pendingMigrations(db, loadMigrations(config.migrationsDir));
  if (pending.length > 0) {
    logger.fatal(
      { pending: pending.map((m) => m.version) },
      'database has pending migrations; run `npm run migrate` (scripts/launch.sh does this at start)',
    );
    db.close();
    process.exit(1);
  }

  const keys = createKeyService({ keys: createKeyRepository(db), now: Date.now });
  if (config.initialApiKey !== null && keys.storeInitialKey(config.initialApiKey) === 'stored') {
    logger.info('INITIAL_API_KEY stored as an API key (only its SHA-256)');
  }
  if (config.createAccess === 'private' && config.adminPassword === null && !keys.hasUsableKey()) {
    logger.fatal(
      'CREATE_ACCESS=private, but nobody could create links: set INITIAL_API_KEY (32 or more characters), set ADMIN_PASSWORD, or create a key with `npm run keys -- create NAME` (in the image: `node dist/keys.js create NAME`)',
    );
    logger.flush();
    db.close();
    process.exit(1);
  }

  const metrics = createMetrics({ enabled: config.metricsToken !== null });
  // Every flush below reports its size, failure and time to /metrics.
  const visitCounter = metrics.measureVisitFlushes(
    createVisitCounter({ visits: createVisitRepository(db), now: Date.now }),
  );
  const databaseFile = watchDatabaseFile(sqliteFile);
  let postponedFor: string | null = null;
  // The flush every second never waits for a lock another process holds (it would stop every
  // redirect); the last one, at shutdown, may wait busy_timeout rather than lose the counts.
  const flushVisits = (options: { wait: boolean; maxLinks?: number }): number | null => {
    const problem = databaseFile();
    if (problem !== null) {
      // Counts written to a deleted or replaced file would be lost: keep them in memory.
      if (problem !== postponedFor) {
        logger.warn({ problem, pending: visitCounter.pendingTotal() }, 'visit flushes postponed');
      }
      postponedFor = problem;
      return null;
    }
    postponedFor = null;
    try {
      return options.wait
        ? visitCounter.flush()
        : writeWithoutWaiting(db, () => visitCounter.flush(options.maxLinks));
    } catch (error) {
      // The counts stay in memory and go out with the next flush.
      logger.warn({ err: error, pending: visitCounter.pendingTotal() }, 'visit flush failed');
      return null;
    }
  };
  const flushInSlices = createSlicedFlush({
    flushSlice: (maxLinks) => flushVisits({ wait: false, maxLinks }) !== null,
    pendingLinks: () => visitCounter.pendingLinks(),
  });
  const flushTimer = setInterval(flushInSlices, VISIT_FLUSH_INTERVAL_MS);
  flushTimer.unref();

  // The redirect fast path answers active links; the Express app behind it answers the rest.
  const server = createServer(
    SERVER_TIMEOUTS,
    createRequestListener({ config, db, logger, visitCounter, databaseFile, metrics }),
  );
  let shuttingDown = false;
  // Runs before the app: a response sent while stopping tells keep-alive clients to reconnect.
  server.prependListener('request', (_req, res) => {
    if (shuttingDown) res.setHeader('Connection', 'close');
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      // A person's mistake, not a crash: say what to do, without a stack trace.
      const problem = error.code === 'EADDRINUSE' ? 'is already in use' : 'needs more privileges';
      logger.fatal(
        `port ${config.port} ${problem}: stop the program using it, or set PORT to another port`,
      );
    } else {
      logger.fatal({ err: error }, 'server failed');
    }
    logger.flush();
    process.exit(1);
  });
  server.listen(config.port, () => {
    const url = `http://localhost:${config.port}`;
    logger.info({ url, database: sqliteFile }, `snip is listening on ${url}`);
    if (config.baseUrl === null) {
      logger.warn(
        'BASE_URL is not set: short links are built from each request’s Host header. Set BASE_URL to your public origin (e.g. https://snip.example) in production; behind your own reverse proxy, set TRUST_PROXY too.',
      );
    }
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    closeServer(server, SHUTDOWN_GRACE_MS).then(() => {
      clearInterval(flushTimer);
      const flushed = flushVisits({ wait: true }) ?? 0;
      logger.info({ visits: flushed }, 'visit counts flushed');
      db.close();
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
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

main();
