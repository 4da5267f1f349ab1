import type pg from 'pg';
import { createPostgresAbuseRepository } from '../abuse/abuse-store.postgres.js';
import { createPostgresAdminSessionRepository } from '../admin/admin-session-store.postgres.js';
import { createPostgresHealthRepository } from '../health/health-store.postgres.js';
import { createPostgresKeyRepository } from '../keys/key-store.postgres.js';
import { createPostgresLinkRepository } from '../links/link-store.postgres.js';
import { createPostgresTagRepository } from '../links/tag-store.postgres.js';
import { createPostgresDomainRepository } from '../domains/domain-store.postgres.js';
import {
  createPostgresVisitRepository,
  type PostgresVisitRepositoryOptions,
} from '../stats/visit-store.postgres.js';
import { createPostgresTransferRepository } from '../transfer/transfer-store.postgres.js';
import type { Store } from './store.js';

/**
 * snip on PostgreSQL, where several machines share one database: every query is a promise, a
 * write needs no gate (PostgreSQL's own locks make writers wait for each other, not for the event
 * loop), and what a machine caches expires after `cacheTtlMs`, since other machines change links
 * too. Its rate limits count in the `rate_limits` table (runtime.postgres.ts hands them out).
 */
export function createPostgresStore(
  pool: pg.Pool,
  options: { cacheTtlMs: number; visits?: PostgresVisitRepositoryOptions },
): Store {
  return {
    engine: 'postgres',
    links: createPostgresLinkRepository(pool),
    tags: createPostgresTagRepository(pool),
    domains: createPostgresDomainRepository(pool),
    visits: createPostgresVisitRepository(pool, options.visits),
    keys: createPostgresKeyRepository(pool),
    abuse: createPostgresAbuseRepository(pool),
    adminSessions: createPostgresAdminSessionRepository(pool),
    health: createPostgresHealthRepository(pool),
    transfer: createPostgresTransferRepository(pool),
    write: (write) => write(),
    storageProblem: () => null,
    writeBackup: null,
    cacheTtlMs: options.cacheTtlMs,
  };
}
