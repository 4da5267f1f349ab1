import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Store } from './storage/store.js';
import { createAbuseService, type AbuseService } from './abuse/abuse-service.js';
import { createLimiter, createRequestLimits, type LimiterFactory } from './http/rate-limits.js';
import { createKeyService, type KeyService } from './keys/key-service.js';
import { signatureSecretOf } from './keys/yourls-signature.js';
import { randomBytes } from 'node:crypto';
import { createDomainService, type DomainService } from './domains/domain-service.js';
import { countryLookupFor, type CountryLookup } from './stats/geo-country.js';
import type { VisitLookups } from './stats/visit-facts.js';
import { firstLanguage, traitsOf } from './stats/visit-traits.js';
import { createVisitorKeys } from './stats/visitor-key.js';
import { createCodeGenerator, type CodeGenerator } from './links/code-generator.js';
import { createLinkService, type LinkService } from './links/link-service.js';
import {
  admitOnSecondSight,
  createRedirectCache,
  type RedirectCache,
} from './links/redirect-cache.js';
import { createTtlRedirectCache } from './links/redirect-cache-ttl.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { RenderGate } from './qr/render-gate.js';
import { createVisitCounter, type VisitCounter } from './stats/visit-counter.js';
import { createNotFoundCounter, type NotFoundCounter } from './stats/not-found-counter.js';
import { IMPORT_UPLOAD_TIMEOUT_MS } from './http/server-timeouts.js';
import type { GeoSource } from './stats/geo-source.js';
import type { ReplicationMonitor } from './replication/replication-lag.js';

/**
 * Links whose redirect rows stay in memory. A row is a few hundred bytes, so this is a few MB;
 * it holds a busy site's popular links, while a visit to a rarely used one reads SQLite.
 */
export const REDIRECT_CACHE_SIZE = 10_000;

/**
 * How long a machine that shares its database uses the blocklist and the domains it read: one
 * query a second each.
 */
const SHARED_BLOCKLIST_TTL_MS = 1000;

export type ServiceOptions = {
  config: Config;
  /** Every query snip makes, on either engine (src/storage/open-storage.ts opens it). */
  store: Store;
  logger: Logger;
  /** Where the rate limits count: the storage's shared counters; this machine's memory otherwise. */
  limiter?: LimiterFactory;
  /** Injected in tests; the real clock otherwise. */
  now?: () => number;
  /** Injected in tests to force collisions; nanoid otherwise. */
  generateCode?: CodeGenerator;
  /**
   * A cache of REDIRECT_CACHE_SIZE links unless given: the server hands over the one its storage
   * clears on other machines' news; tests hand over one they can look into.
   */
  redirectCache?: RedirectCache;
  /** Injected in tests that count visits themselves; one on `store.visits` otherwise. */
  visitCounter?: VisitCounter;
  /** Injected in tests that count unknown codes themselves; one on `store.visits` otherwise. */
  notFoundCounter?: NotFoundCounter;
  /** Injected in tests; how many QR images are drawn at once otherwise (src/qr/qr-routes.ts). */
  qrGate?: RenderGate;
  /** How long an import's upload may take; IMPORT_UPLOAD_TIMEOUT_MS unless a test says less. */
  importUploadTimeoutMs?: number;
  /** The country lookup; without it, GEOIP_DATABASE's or the shipped database (geo-country.ts). */
  countryLookup?: CountryLookup;
  /** Where the daily visitor key's bytes come from: injected in tests; crypto.randomBytes otherwise. */
  randomBytes?: (n: number) => Buffer;
  /** Under Litestream, the replica's lag as the server reads it (ADR 050); absent otherwise. */
  replication?: ReplicationMonitor;
};

/** The service graph: what the app, the redirect fast path and the server share. */
export type Services = {
  config: Config;
  store: Store;
  logger: Logger;
  now: () => number;
  links: LinkService;
  abuse: AbuseService;
  keys: KeyService;
  /** The domains snip answers on besides BASE_URL's host, kept in memory. */
  domains: DomainService;
  /** Visits are counted in memory; the server flushes them every second and at shutdown. */
  visitCounter: VisitCounter;
  /** Requests for unknown codes per domain and day, flushed with the visits. */
  notFoundCounter: NotFoundCounter;
  redirectCache: RedirectCache;
  metrics: Metrics;
  limits: ReturnType<typeof createRequestLimits>;
  qrGate: RenderGate | undefined;
  importUploadTimeoutMs: number;
  /** The country database in use, as its licence asks it be named. */
  geoSource: GeoSource;
  /** What the statistics derive from a counted visit, each in memory for that visit only. */
  visitLookups: VisitLookups & {
    /** Forgets the day's visitor key once its UTC day is over; the flush timer calls it. */
    dropStaleKey(): void;
  };
  /** Logs a stored row that no door would have stored; it is shown without its bad values. */
  warnUnstorableLink: (link: { code: string }, fields: string[]) => void;
  /** Under Litestream, the replica's lag for /healthz and /metrics; undefined otherwise. */
  replication: ReplicationMonitor | undefined;
};

/** Builds every service once, on one store: the server listens with them, the tests drive them. */
export function buildServices(options: ServiceOptions): Services {
  const { config, store, logger } = options;
  const now = options.now ?? Date.now;
  const { visits, write } = store;
  // A row that no door would have stored (the database edited by hand, an old bug) is still
  // listed and exported, with its bad values shown as missing; the log says which.
  const warnUnstorableLink = (link: { code: string }, fields: string[]) =>
    logger.warn(
      { code: link.code, fields },
      'a stored link has values out of range; shown without them',
    );
  const metrics = createMetrics({ enabled: config.metricsToken !== null, now });
  // Every flush reports its size, failure and time to /metrics.
  const visitCounter =
    options.visitCounter ?? metrics.measureVisitFlushes(createVisitCounter({ visits, now }));
  // Opened at start: a GEOIP_DATABASE that is no country database stops the server here.
  const country = options.countryLookup ?? countryLookupFor(config.geoipDatabase);
  const visitorKeys = createVisitorKeys({ now, randomBytes: options.randomBytes ?? randomBytes });
  const visitLookups = {
    hashOf: visitorKeys.hashOf,
    dropStaleKey: visitorKeys.dropStaleKey,
    countryOf: country.countryOf,
    traitsOf,
    firstLanguage,
  };
  // A cache that outlives no change: on one machine every change invalidates it here; where
  // other machines write too, entries also expire (and the server clears them on their news).
  // There a miss is a round trip to the shared database and every row read is kept; on a
  // database of its own a miss costs microseconds, and a row is kept from its link's second
  // visit, so that links visited once do not push the popular ones out (ADR 044).
  const inner = options.redirectCache ?? createRedirectCache(REDIRECT_CACHE_SIZE);
  const redirectCache = Number.isFinite(store.cacheTtlMs)
    ? createTtlRedirectCache(inner, store.cacheTtlMs, now)
    : admitOnSecondSight(inner, REDIRECT_CACHE_SIZE);
  // The link service asks the abuse service for the blocklist, which needs the link service.
  const blocklist: { names: () => Promise<readonly string[]> } = { names: async () => [] };
  const links = createLinkService({
    links: store.links,
    tags: store.tags,
    generateCode: options.generateCode ?? createCodeGenerator(config.codeLength),
    now,
    maxUrlLength: config.maxUrlLength,
    pendingVisits: visitCounter.pendingFor,
    write,
    redirectCache,
    blockedHosts: () => blocklist.names(),
    onUnstorableLink: warnUnstorableLink,
  });
  const abuse = createAbuseService({
    abuse: store.abuse,
    links,
    write,
    now,
    // Blocklist changes are not announced: where other machines write, read it again each second.
    blocklistTtlMs: Number.isFinite(store.cacheTtlMs) ? SHARED_BLOCKLIST_TTL_MS : Infinity,
  });
  blocklist.names = abuse.blockedHostNames;
  metrics.countLinksWith(() => links.countByState());
  if (visits.logBacklog) metrics.measureVisitLog(() => visits.logBacklog!());
  const { replication } = options;
  if (replication && config.litestream) {
    metrics.measureReplicationLag(
      config.litestream.replicaUrl,
      () => replication.status().lagSeconds,
    );
  }
  const limits = createRequestLimits(
    config.rateLimits,
    config.onFly,
    metrics.rateLimited,
    options.limiter ?? createLimiter,
  );
  const keys = createKeyService({
    keys: store.keys,
    now,
    signatureSecret: signatureSecretOf(config.adminPassword),
  });
  const domains = createDomainService({
    domains: store.domains,
    write,
    now,
    defaultHost: config.baseUrl === null ? null : new URL(config.baseUrl).hostname,
    maxUrlLength: config.maxUrlLength,
    blockedHosts: abuse.blockedHostNames,
    // Domain changes are not announced: where other machines write, read the list each second.
    ttlMs: Number.isFinite(store.cacheTtlMs) ? SHARED_BLOCKLIST_TTL_MS : Infinity,
  });
  return {
    config,
    store,
    logger,
    now,
    links,
    abuse,
    keys,
    domains,
    visitCounter,
    notFoundCounter: options.notFoundCounter ?? createNotFoundCounter({ visits, now, write }),
    redirectCache,
    metrics,
    limits,
    qrGate: options.qrGate,
    importUploadTimeoutMs: options.importUploadTimeoutMs ?? IMPORT_UPLOAD_TIMEOUT_MS,
    geoSource: country.source,
    visitLookups,
    warnUnstorableLink,
    replication,
  };
}
