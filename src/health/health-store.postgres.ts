import type pg from 'pg';
import { PING } from './health-sql.js';
import type { HealthStore } from './health-store.js';

/** The PostgreSQL twin of health-store.sqlite.ts. */
export function createPostgresHealthRepository(pool: pg.Pool) {
  return {
    /** True when the database answers a trivial query; false on any error, never a rejection. */
    async ping(): Promise<boolean> {
      try {
        const { rows } = await pool.query<{ ok: number }>(PING.postgres);
        return rows[0]?.ok === 1;
      } catch {
        return false;
      }
    },
  };
}

createPostgresHealthRepository satisfies (pool: pg.Pool) => HealthStore;
