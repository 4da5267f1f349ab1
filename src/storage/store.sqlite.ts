import { createAbuseRepository } from '../abuse/abuse-store.sqlite.js';
import { createAdminSessionRepository } from '../admin/admin-session-store.sqlite.js';
import { createHealthRepository } from '../health/health-store.sqlite.js';
import { createKeyRepository } from '../keys/key-store.sqlite.js';
import { createLinkRepository } from '../links/link-store.sqlite.js';
import { createTagRepository } from '../links/tag-store.sqlite.js';
import { createDomainRepository } from '../domains/domain-store.sqlite.js';
import { createVisitRepository } from '../stats/visit-store.sqlite.js';
import type { VisitLog } from '../stats/visit-log.sqlite.js';
import { createTransferRepository } from '../transfer/transfer-store.sqlite.js';
import { writeSnapshot } from '../db/snapshot.sqlite.js';
import { checkDiskSpace, type DatabaseFileCheck } from '../db/database-file.js';
import type { Db } from '../db/open-database.sqlite.js';
import type { Store } from './store.js';
import { createWriteGate } from '../db/write-gate.js';

/**
 * snip on one SQLite file, its embedded default: synchronous repositories of prepared statements
 * behind the store interface. One machine sees every change, so what it caches never goes stale
 * (and its rate limits live in memory: runtime.sqlite.ts).
 */
export function createSqliteStore(deps: {
  db: Db;
  /** The file behind `db` (`:memory:` for none), for backups. */
  file: string;
  fileCheck: DatabaseFileCheck;
  now: () => number;
}): Store & { visitLog: VisitLog } {
  const { db } = deps;
  const visits = createVisitRepository(db, undefined, deps.now);
  return {
    engine: 'sqlite',
    links: createLinkRepository(db),
    tags: createTagRepository(db),
    domains: createDomainRepository(db),
    visits,
    // The visit log's folds are the runtime's to schedule (runtime.sqlite.ts).
    visitLog: visits.log,
    keys: createKeyRepository(db),
    abuse: createAbuseRepository(db),
    adminSessions: createAdminSessionRepository(db),
    health: createHealthRepository(db),
    transfer: createTransferRepository(db),
    write: createWriteGate({ db, fileCheck: deps.fileCheck, now: deps.now }),
    // The write gate refuses writes on the file check alone; a full disk is SQLite's to refuse.
    storageProblem: () => deps.fileCheck() ?? checkDiskSpace(deps.file),
    // A download is kept among the newest five in backups/, beside the snapshots of migrations.
    writeBackup: async () =>
      deps.file === ':memory:' ? null : writeSnapshot(db, deps.file, { label: 'download' }),
    cacheTtlMs: Number.POSITIVE_INFINITY,
  };
}
