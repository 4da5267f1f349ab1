import { describe, inject, onTestFinished } from 'vitest';
import { createAbuseRepository } from '../../src/abuse/abuse-store.sqlite.js';
import { createPostgresAbuseRepository } from '../../src/abuse/abuse-store.postgres.js';
import type { AbuseStore } from '../../src/abuse/abuse-store.js';
import { createAdminSessionRepository } from '../../src/admin/admin-session-store.sqlite.js';
import { createPostgresAdminSessionRepository } from '../../src/admin/admin-session-store.postgres.js';
import type { AdminSessionStore } from '../../src/admin/admin-session-store.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { loadMigrations } from '../../src/db/migrations.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { createHealthRepository } from '../../src/health/health-store.sqlite.js';
import { createPostgresHealthRepository } from '../../src/health/health-store.postgres.js';
import type { HealthStore } from '../../src/health/health-store.js';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createPostgresKeyRepository } from '../../src/keys/key-store.postgres.js';
import type { KeyStore } from '../../src/keys/key-store.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { createPostgresLinkRepository } from '../../src/links/link-store.postgres.js';
import type { LinkStore } from '../../src/links/link-store.js';
import { createTagRepository } from '../../src/links/tag-store.sqlite.js';
import { createPostgresTagRepository } from '../../src/links/tag-store.postgres.js';
import type { TagStore } from '../../src/links/tag-store.js';
import { createDomainRepository } from '../../src/domains/domain-store.sqlite.js';
import { createPostgresDomainRepository } from '../../src/domains/domain-store.postgres.js';
import type { DomainStore } from '../../src/domains/domain-store.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import { createPostgresVisitRepository } from '../../src/stats/visit-store.postgres.js';
import type { VisitStore } from '../../src/stats/visit-store.js';
import { createTransferRepository } from '../../src/transfer/transfer-store.sqlite.js';
import { createPostgresTransferRepository } from '../../src/transfer/transfer-store.postgres.js';
import type { TransferStore } from '../../src/transfer/transfer-store.js';
import type { Engine } from './engine-app.js';
import {
  createTestPgDatabase,
  describeWithPostgres,
  type PostgresTestContext,
} from './postgres.js';
import { createTestDatabase } from './test-app.js';

/**
 * Every store contract on one fresh, migrated database of one engine. Tests reach the database
 * only through these interfaces; `close` shuts the connection, for what a store does without one.
 */
export type ContractStores = {
  engine: Engine;
  links: LinkStore;
  tags: TagStore;
  domains: DomainStore;
  visits: VisitStore;
  keys: KeyStore;
  abuse: AbuseStore;
  sessions: AdminSessionStore;
  transfer: TransferStore;
  health: HealthStore;
  close: () => Promise<void>;
  /**
   * Runs this engine's text of a statement past every interface: only to make the database
   * refuse a write (a trigger), so a test can see a change made all or nothing; never to read
   * or write rows.
   */
  execute: (sql: Record<Engine, string>) => Promise<void>;
};

/** Opens the stores on a new database, closed (and on PostgreSQL dropped) when the test ends. */
export type OpenStores = () => Promise<ContractStores>;

async function openSqliteStores(): Promise<ContractStores> {
  const db = createTestDatabase();
  onTestFinished(() => {
    if (db.open) db.close();
  });
  return {
    engine: 'sqlite',
    links: createLinkRepository(db),
    tags: createTagRepository(db),
    domains: createDomainRepository(db),
    visits: createVisitRepository(db),
    keys: createKeyRepository(db),
    abuse: createAbuseRepository(db),
    sessions: createAdminSessionRepository(db),
    transfer: createTransferRepository(db),
    health: createHealthRepository(db),
    close: async () => {
      if (db.open) db.close();
    },
    execute: async (sql) => void db.exec(sql.sqlite),
  };
}

const PG_MIGRATIONS = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));

async function openPostgresStores(): Promise<ContractStores> {
  const { url } = await createTestPgDatabase();
  await applyPostgresMigrations(url, PG_MIGRATIONS);
  const pool = createPostgresPool(url, { max: 4 });
  onTestFinished(async () => {
    if (!pool.ended) await pool.end();
  });
  return {
    engine: 'postgres',
    links: createPostgresLinkRepository(pool),
    tags: createPostgresTagRepository(pool),
    domains: createPostgresDomainRepository(pool),
    visits: createPostgresVisitRepository(pool),
    keys: createPostgresKeyRepository(pool),
    abuse: createPostgresAbuseRepository(pool),
    sessions: createPostgresAdminSessionRepository(pool),
    transfer: createPostgresTransferRepository(pool),
    health: createPostgresHealthRepository(pool),
    close: async () => {
      if (!pool.ended) await pool.end();
    },
    execute: async (sql) => void (await pool.query(sql.postgres)),
  };
}

/**
 * Runs a store's contract tests once per engine the current suite has: SQLite (in memory, with
 * the real migrations) always, so `npm test` checks every contract; PostgreSQL when the suite's
 * global setup provides a cluster (vitest.postgres.config.ts), so the same file checks the other
 * engine in `npm run test:postgres`. The fast suite provides none and never starts PostgreSQL.
 */
export function describeStoreContract(name: string, body: (open: OpenStores) => void): void {
  describe(`${name} (sqlite)`, () => {
    body(openSqliteStores);
  });
  const postgres = inject('postgres') as PostgresTestContext | undefined;
  if (postgres === undefined) return;
  describeWithPostgres(`${name} (postgres)`, () => {
    body(openPostgresStores);
  });
}
