import { createAbuseRepository } from '../abuse/abuse-store.sqlite.js';
import { createAdminSessionRepository } from '../admin/admin-session-store.sqlite.js';
import { createHealthRepository } from '../health/health-store.sqlite.js';
import { createLimiter } from '../http/rate-limits.js';
import { createKeyRepository } from '../keys/key-store.sqlite.js';
import { createLinkRepository } from '../links/link-store.sqlite.js';
import { createVisitRepository } from '../stats/visit-store.sqlite.js';
import { createTransferRepository } from '../transfer/transfer-store.sqlite.js';
import { sendBackup } from './backup-download.js';
import type { DatabaseFileCheck } from './database-file.js';
import type { Db } from './open-database.js';
import type { Store } from './store.js';
import { createWriteGate } from './write-gate.js';

/**
 * snip on one SQLite file, its embedded default: synchronous repositories of prepared statements
 * behind the store interface. One machine sees every change, so what it caches never goes stale
 * and its rate limits live in memory.
 */
export function createSqliteStore(deps: {
  db: Db;
  /** The file behind `db` (`:memory:` for none), for backups. */
  file: string;
  fileCheck: DatabaseFileCheck;
  now: () => number;
}): Store {
  const { db } = deps;
  return {
    engine: 'sqlite',
    links: createLinkRepository(db),
    visits: createVisitRepository(db),
    keys: createKeyRepository(db),
    abuse: createAbuseRepository(db),
    adminSessions: createAdminSessionRepository(db),
    health: createHealthRepository(db),
    transfer: createTransferRepository(db),
    write: createWriteGate({ db, fileCheck: deps.fileCheck, now: deps.now }),
    storageProblem: deps.fileCheck,
    limiter: createLimiter,
    sendBackup: (res) => sendBackup(db, deps.file, res),
    cacheTtlMs: Number.POSITIVE_INFINITY,
  };
}
