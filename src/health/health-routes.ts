import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { DatabaseFileCheck } from '../db/database-file.js';
import type { HealthStore } from './health-store.js';
import type { ReplicationStatus } from '../replication/replication-lag.js';

/**
 * `GET /healthz`: 200 while the database answers `SELECT 1` and its file is still the writable
 * file snip opened; 503 otherwise. Never cached. A change of health is logged once, with what is
 * wrong, so the log explains the failing checks. Under Litestream, `replication` says how many
 * seconds the replica is behind (ADR 050); a lagging replica does not make snip unhealthy,
 * since redirects and creations go on, but an alert can watch it.
 */
export function createHealthHandler(
  health: HealthStore,
  fileCheck: DatabaseFileCheck,
  logger: Logger,
  replication?: () => ReplicationStatus,
): RequestHandler {
  let lastProblem: string | null = null;
  return async (_req, res) => {
    const problem = (await health.ping()) ? fileCheck() : 'the database does not answer';
    if (problem !== lastProblem) {
      if (problem === null) logger.info('healthy again: the database answers and can be written');
      else logger.error({ problem }, `unhealthy: ${problem}`);
      lastProblem = problem;
    }
    res
      .status(problem === null ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: problem === null ? 'ok' : 'unavailable',
        ...(replication && { replication: replication() }),
      });
  };
}
