import type { Db } from '../db/open-database.sqlite.js';
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

/** Domains on SQLite: statements prepared once. */
export function createDomainRepository(db: Db) {
  const list = db.prepare<[], Domain>(LIST_DOMAINS.sqlite);
  const insert = db.prepare<[NewDomain & { now: number }], Domain>(INSERT_DOMAIN.sqlite);
  const update = db.prepare<[DomainRedirects & { host: string; now: number }], Domain>(
    UPDATE_DOMAIN_REDIRECTS.sqlite,
  );
  const remove = db.prepare<[{ host: string }]>(DELETE_DOMAIN.sqlite);
  const count = db.prepare<[{ host: string }], { n: number }>(COUNT_LINKS_TARGETING.sqlite);
  const countOn = db.prepare<[{ host: string }], { n: number }>(COUNT_LINKS_ON.sqlite);

  // In a transaction of its own: `.get()` alone would not report a commit that failed (a full
  // disk), and the RETURNING row would claim a domain that was never written.
  const insertRow = db.transaction((domain: NewDomain, now: number) =>
    insert.get({ ...domain, now }),
  );

  const updateRow = db.transaction((host: string, redirects: DomainRedirects, now: number) =>
    update.get({ ...redirects, host, now }),
  );

  return {
    listDomains(): Domain[] {
      return list.all();
    },
    insertDomain(domain: NewDomain, now: number): InsertDomainResult {
      const row = insertRow(domain, now);
      return row === undefined ? { ok: false, reason: 'host_taken' } : { ok: true, domain: row };
    },
    updateRedirects(host: string, redirects: DomainRedirects, now: number): Domain | null {
      return updateRow(host, redirects, now) ?? null;
    },
    deleteDomain(host: string): boolean {
      return remove.run({ host }).changes > 0;
    },
    countLinksOn(host: string): number {
      return countOn.get({ host })?.n ?? 0;
    },
    countLinksTargeting(host: string): number {
      return count.get({ host })?.n ?? 0;
    },
  };
}

createDomainRepository satisfies (db: Db) => DomainStore;
