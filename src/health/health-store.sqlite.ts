import type { Db } from '../db/open-database.sqlite.js';
import { PING } from './health-sql.js';
import type { HealthStore } from './health-store.js';

export type HealthRepository = ReturnType<typeof createHealthRepository>;

export function createHealthRepository(db: Db) {
  const ping = db.prepare<[], { ok: number }>(PING.sqlite);
  return {
    /** True when the database answers a trivial query. */
    ping(): boolean {
      try {
        return ping.get()?.ok === 1;
      } catch {
        return false;
      }
    },
  };
}

createHealthRepository satisfies (db: Db) => HealthStore;
