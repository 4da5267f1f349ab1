import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import type { Domain, DomainRedirects, NewDomain } from './domain.js';
import {
  COUNT_LINKS_ON,
  COUNT_LINKS_TARGETING,
  DELETE_DOMAIN,
  INSERT_DOMAIN,
  LIST_DOMAINS,
  UPDATE_DOMAIN_REDIRECTS,
} from './domain-sql.js';
import type { DomainStore, InsertDomainResult } from './domain-store.js';

/**
 * The PostgreSQL twin of domain-store.sqlite.ts. Other machines learn of a change by reading the
 * list again after a short time (DomainService's `ttlMs`), not through a notification.
 */
export function createPostgresDomainRepository(pool: pg.Pool) {
  return {
    async listDomains(): Promise<Domain[]> {
      const { rows } = await pool.query<Domain>(LIST_DOMAINS.postgres);
      return rows;
    },
    async insertDomain(domain: NewDomain, now: number): Promise<InsertDomainResult> {
      const { rows } = await pool.query<Domain>(postgresQuery(INSERT_DOMAIN, { ...domain, now }));
      const row = rows[0];
      return row === undefined ? { ok: false, reason: 'host_taken' } : { ok: true, domain: row };
    },
    async updateRedirects(
      host: string,
      redirects: DomainRedirects,
      now: number,
    ): Promise<Domain | null> {
      const { rows } = await pool.query<Domain>(
        postgresQuery(UPDATE_DOMAIN_REDIRECTS, { ...redirects, host, now }),
      );
      return rows[0] ?? null;
    },
    async deleteDomain(host: string): Promise<boolean> {
      const { rowCount } = await pool.query(postgresQuery(DELETE_DOMAIN, { host }));
      return (rowCount ?? 0) > 0;
    },
    async countLinksOn(host: string): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(postgresQuery(COUNT_LINKS_ON, { host }));
      return Number(rows[0]?.n ?? 0);
    },
    async countLinksTargeting(host: string): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(
        postgresQuery(COUNT_LINKS_TARGETING, { host }),
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}

createPostgresDomainRepository satisfies (pool: pg.Pool) => DomainStore;
