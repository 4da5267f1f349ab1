import type { DatabaseFileCheck } from '../db/database-file.js';
import type { HealthPart } from './health-routes.js';
import type { HealthStore } from './health-store.js';

/**
 * The `database` field of /healthz: `answers` (a query comes back: redirects and pages can be
 * served) and `writable` (links can be created and visits counted), with `problem` saying in one
 * word why not: `gone`, `replaced`, `read-only`, `disk-full`, or `no-answer`. A database that
 * answers but cannot be written is `degraded`, not unavailable: the redirects go on (ADR 046).
 */
export function databaseHealth(health: HealthStore, writeProblem: DatabaseFileCheck): HealthPart {
  return {
    name: 'database',
    healthy: 'the database answers and can be written',
    async check() {
      if (!(await health.ping())) {
        return {
          status: 'unavailable',
          problem: 'the database does not answer',
          field: { answers: false, writable: false, problem: 'no-answer' },
        };
      }
      const problem = writeProblem();
      return problem === null
        ? { status: 'ok', problem: null, field: { answers: true, writable: true } }
        : {
            status: 'degraded',
            problem: problem.message,
            field: { answers: true, writable: false, problem: problem.reason },
          };
    },
  };
}
