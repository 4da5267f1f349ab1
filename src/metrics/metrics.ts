import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import {
  STORAGE_UNAVAILABLE_CODES,
  type StorageUnavailableCode,
} from '../db/storage-unavailable.js';
import { RATE_LIMIT_NAMES, type RateLimitName } from '../http/rate-limits.js';
import { LINK_STATES, type LinkStateName } from '../links/link.js';
import { REDIRECT_STATUSES, type RedirectStatus } from '../links/link-options.js';
import type { Awaitable } from '../db/awaitable.js';
import type { RedirectTally } from '../links/redirect-response.js';
import type { VisitCounter } from '../stats/visit-counter.js';

export type Metrics = {
  redirects: RedirectTally;
  /** A request Express answered (not a redirect: the tally has those). */
  requestAnswered(route: string, method: string, status: number, seconds: number): void;
  rateLimited(limit: RateLimitName): void;
  /** A wrong password for a protected link (a form post or HTTP Basic auth). */
  passwordFailed(): void;
  storageUnavailable(code: StorageUnavailableCode): void;
  /** Where snip_links reads its figures at scrape time (the app's link service). */
  countLinksWith(count: () => Awaitable<Record<LinkStateName, number>>): void;
  /**
   * The visit counter the server flushes, reporting each flush here: its size, its failure,
   * and (for the lag) when the counts in memory were last written.
   */
  measureVisitFlushes(counter: VisitCounter): VisitCounter;
  /**
   * Under Litestream: the lag of the replica at `replica` (LITESTREAM_REPLICA_URL) in seconds,
   * or null when it cannot be read (ADR 050).
   */
  measureReplicationLag(replica: string, lagSeconds: () => number | null): void;
  /**
   * Where visits spread over many links go to a visit log first (SQLite, ADR 045): its rows
   * waiting to be folded into the statistics and when the oldest was logged.
   */
  measureVisitLog(backlog: () => { rows: number; oldest: number | null }): void;
  /** Everything in Prometheus's text format. */
  scrape(): Promise<{ contentType: string; text: string }>;
};

export type MetricsOptions = {
  /** METRICS_TOKEN is set. Otherwise nothing is measured, and prom-client is not even loaded. */
  enabled: boolean;
  now?: () => number;
};

/**
 * Seconds, for requests answered by Express: a page takes milliseconds, a creation waits for its
 * fsync, a write under a held lock waits for busy_timeout (2 s).
 */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Visits written by one flush. */
const FLUSH_BATCH_BUCKETS = [1, 10, 100, 1000, 10_000, 100_000];

/** Metrics that measure nothing, for a snip without METRICS_TOKEN. */
const UNMEASURED: Metrics = {
  redirects: { count() {} },
  requestAnswered() {},
  rateLimited() {},
  passwordFailed() {},
  storageUnavailable() {},
  countLinksWith() {},
  measureVisitFlushes: (counter) => counter,
  measureReplicationLag() {},
  measureVisitLog() {},
  scrape: () => Promise.reject(new Error('metrics are off: METRICS_TOKEN is not set')),
};

export function createMetrics(options: MetricsOptions): Metrics {
  if (!options.enabled) return UNMEASURED;
  // Loaded only when wanted: importing prom-client (it loads https, zlib and cluster for
  // features snip does not use) costs about as much of a cold start as half of Express.
  const promClient = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return createPrometheusMetrics(promClient, options.now ?? Date.now);
}

/**
 * snip's metrics, in a registry of their own (never prom-client's global one, so that every app a
 * test builds has its own). The counters of hot paths are plain numbers here and reach
 * prom-client at scrape time; everything else is counted by prom-client directly.
 */
function createPrometheusMetrics(
  { collectDefaultMetrics, Counter, Gauge, Histogram, Registry }: typeof PromClient,
  now: () => number,
): Metrics {
  const registry = new Registry();
  // The standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes …), unprefixed,
  // so the usual Node.js dashboards and alerts work as they are.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // Redirects as [GET, HEAD] counts per status, in REDIRECT_STATUSES' order: the only counts
  // kept outside prom-client (bench/redirect-metrics.mjs measures why).
  const redirectCounts = REDIRECT_STATUSES.map((): [number, number] => [0, 0]);
  const redirects: RedirectTally = {
    count(method, status) {
      const slots = redirectCounts[REDIRECT_STATUSES.indexOf(status)];
      if (slots) slots[method === 'HEAD' ? 1 : 0] += 1;
    },
  };
  /** At each scrape, adds what the tally counted since the last one to a prom-client counter. */
  function catchUp(add: (status: RedirectStatus, method: 'GET' | 'HEAD', by: number) => void) {
    const added = REDIRECT_STATUSES.map((): [number, number] => [0, 0]);
    return () => {
      REDIRECT_STATUSES.forEach((status, s) => {
        for (const m of [0, 1] as const) {
          const by = redirectCounts[s]![m] - added[s]![m];
          if (by > 0) add(status, m === 0 ? 'GET' : 'HEAD', by);
          added[s]![m] += by;
        }
      });
    };
  }

  const requests = new Counter({
    name: 'snip_http_requests_total',
    help: 'HTTP requests answered, by route (the Express route pattern; redirect; not_found; a mount such as /static; other), method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
    collect: () => redirectRequests(),
  });
  const redirectRequests = catchUp((status, method, by) =>
    requests.inc({ route: 'redirect', method, status }, by),
  );
  const durations = new Histogram({
    name: 'snip_http_request_duration_seconds',
    help: 'Time to answer a request, by route; redirects are not timed (they take microseconds, and timing them would cost the redirect path).',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });

  const redirectsTotal = new Counter({
    name: 'snip_redirects_total',
    help: 'Redirects answered (links followed, whether the visit counts or not), by status.',
    labelNames: ['status'] as const,
    registers,
    collect: () => redirectsByStatus(),
  });
  const redirectsByStatus = catchUp((status, _method, by) => redirectsTotal.inc({ status }, by));
  for (const status of REDIRECT_STATUSES) redirectsTotal.inc({ status }, 0);

  let countLinks: (() => Awaitable<Record<LinkStateName, number>>) | null = null;
  new Gauge({
    name: 'snip_links',
    help: 'Links by state, counted when scraped; absent when the database could not be read.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      if (countLinks === null) return;
      let counts;
      try {
        counts = await countLinks();
      } catch {
        // The rest of the scrape (storage errors, flush lag) matters most when this fails.
        return;
      }
      for (const state of LINK_STATES) this.set({ state }, counts[state]);
    },
  });

  let pendingVisits = () => 0;
  let lastFlushed = now();
  new Gauge({
    name: 'snip_visit_flush_lag_seconds',
    help: 'Seconds since the last successful visit flush while visits wait in memory; 0 when none wait.',
    registers,
    collect() {
      this.set(pendingVisits() > 0 ? Math.max(0, now() - lastFlushed) / 1000 : 0);
    },
  });
  const flushBatch = new Histogram({
    name: 'snip_visit_flush_batch_size',
    help: 'Visits written by one flush (flushes with nothing to write are not observed).',
    buckets: FLUSH_BATCH_BUCKETS,
    registers,
  });
  const flushFailures = new Counter({
    name: 'snip_visit_flush_failures_total',
    help: 'Visit flushes that failed (database busy or full); their counts stay in memory for the next one.',
    registers,
  });

  const rateLimited = new Counter({
    name: 'snip_rate_limited_total',
    help: 'Requests refused with 429 by a rate limit: create, notFound, manage, api, signIn, report, qr or password.',
    labelNames: ['limit'] as const,
    registers,
  });
  for (const limit of RATE_LIMIT_NAMES) rateLimited.inc({ limit }, 0);

  const passwordFailures = new Counter({
    name: 'snip_password_failures_total',
    help: 'Wrong passwords given for password-protected links (form posts and HTTP Basic auth).',
    registers,
  });

  const storageUnavailable = new Counter({
    name: 'snip_storage_unavailable_total',
    help: 'Requests answered 503 because storage was unavailable, by SQLite primary code (SQLITE_BUSY: a lock held past busy_timeout, SQLITE_FULL: disk full …) or DATABASE_FILE (the write gate refused: the file is gone, replaced or read-only).',
    labelNames: ['code'] as const,
    registers,
  });
  for (const code of STORAGE_UNAVAILABLE_CODES) storageUnavailable.inc({ code }, 0);

  return {
    redirects,
    requestAnswered(route: string, method: string, status: number, seconds: number): void {
      requests.inc({ route, method, status });
      durations.observe({ route }, seconds);
    },
    rateLimited(limit: RateLimitName): void {
      rateLimited.inc({ limit });
    },
    passwordFailed(): void {
      passwordFailures.inc();
    },
    storageUnavailable(code: StorageUnavailableCode): void {
      storageUnavailable.inc({ code });
    },
    countLinksWith(count: () => Awaitable<Record<LinkStateName, number>>): void {
      countLinks = count;
    },
    measureVisitFlushes(counter: VisitCounter): VisitCounter {
      pendingVisits = () => counter.pendingTotal();
      lastFlushed = now();
      return {
        ...counter,
        // Every argument goes on as it came: a dropped one (`logged`, then `maxVisits`) once
        // changed what a flush did only where metrics are on.
        flush(...args) {
          const failed = (error: unknown): never => {
            flushFailures.inc();
            throw error;
          };
          const done = (visits: number): number => {
            lastFlushed = now();
            if (visits > 0) flushBatch.observe(visits);
            return visits;
          };
          let visits;
          try {
            visits = counter.flush(...args);
          } catch (error) {
            return failed(error);
          }
          return visits instanceof Promise ? visits.then(done, failed) : done(visits);
        },
      };
    },
    measureReplicationLag(replica: string, lagSeconds: () => number | null): void {
      new Gauge({
        name: 'snip_replication_lag_seconds',
        help: "Seconds Litestream's replica is behind the database (0 when it holds every write Litestream has read from the WAL), by replica URL; absent when Litestream's metrics could not be read. Only while LITESTREAM_REPLICA_URL is set.",
        labelNames: ['replica'] as const,
        registers,
        collect() {
          this.reset();
          const lag = lagSeconds();
          if (lag !== null) this.set({ replica }, lag);
        },
      });
    },
    measureVisitLog(backlog: () => { rows: number; oldest: number | null }): void {
      // Absent when the log cannot be read (the database file gone, say).
      const read = () => {
        try {
          return backlog();
        } catch {
          return null;
        }
      };
      new Gauge({
        name: 'snip_visit_log_rows',
        help: 'Rows of the visit log (a link and its visits of one flush each) waiting to be folded into the statistics; absent when it cannot be read. SQLite only.',
        registers,
        collect() {
          this.reset();
          const reading = read();
          if (reading !== null) this.set(reading.rows);
        },
      });
      new Gauge({
        name: 'snip_visit_log_oldest_seconds',
        help: 'Seconds since the oldest row waiting in the visit log was logged; 0 when none wait. SQLite only.',
        registers,
        collect() {
          this.reset();
          const reading = read();
          if (reading === null) return;
          this.set(reading.oldest === null ? 0 : Math.max(0, now() - reading.oldest) / 1000);
        },
      });
    },
    async scrape() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
