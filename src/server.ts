import type { Server } from 'node:http';
import { createRequestListener } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { loadMigrations, pendingMigrations } from './db/migrations.js';
import { openDatabase } from './db/open-database.js';
import { createLogger } from './logger.js';
import { SHUTDOWN_GRACE_MS } from './shutdown.js';
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

  const db = openDatabase(config.databaseFile);
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

  const visitCounter = createVisitCounter({ visits: createVisitRepository(db), now: Date.now });
  const flushVisits = (): number => {
    try {
      return visitCounter.flush();
    } catch (error) {
      // The counts stay in memory and go out with the next flush.
      logger.warn({ err: error, pending: visitCounter.pendingTotal() }, 'visit flush failed');
      return 0;
    }
  };
  const flushTimer = setInterval(flushVisits, VISIT_FLUSH_INTERVAL_MS);
  flushTimer.unref();

  // The redirect fast path answers active links; the Express app behind it answers the rest.
  const server = createServer(createRequestListener({ config, db, logger, visitCounter }));
  let shuttingDown = false;
  server.listen(config.port, () => {
    logger.info({ port: config.port, database: config.databaseFile }, 'snip is listening');
  });
  // Runs before the app: a response sent while stopping tells keep-alive clients to reconnect.
  server.prependListener('request', (_req, res) => {
    if (shuttingDown) res.setHeader('Connection', 'close');
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'server failed');
    process.exit(1);
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    closeServer(server, SHUTDOWN_GRACE_MS).then(() => {
      clearInterval(flushTimer);
      const flushed = flushVisits();
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
