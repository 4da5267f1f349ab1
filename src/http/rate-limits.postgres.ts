import type pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { limiterOver, memoryStore, type Limiter, type RateLimitRule } from './rate-limits.js';

/**
 * A limit whose counters live in PostgreSQL's `rate_limits` table (created by the migrations), so
 * that every snip machine on one database counts against the same allowance: ten machines do not
 * give a client ten times the limit. Each hit is one upsert. When PostgreSQL cannot be reached,
 * the machine's own memory counters take over (rate-limiter-flexible's insurance limiter), so a
 * database outage limits per machine instead of failing every request.
 */
export function createPostgresLimiter(pool: pg.Pool, name: string, rule: RateLimitRule): Limiter {
  const store = new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    keyPrefix: name,
    points: rule.points,
    duration: rule.seconds,
    insuranceLimiter: memoryStore(name, rule),
  });
  return limiterOver(rule, store);
}
