import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { requireSqliteFile, type Config } from './config.js';
import { watchDatabaseFile, type DatabaseFileCheck } from './db/database-file.js';
import type { Db } from './db/open-database.sqlite.js';
import { createSqliteStore } from './storage/store.sqlite.js';
import type { Store } from './storage/store.js';
import { createAbuseService } from './abuse/abuse-service.js';
import { createReportRoutes } from './abuse/report-routes.js';
import { createAdminAuth } from './admin/admin-auth.js';
import { sendBackup } from './admin/backup-download.js';
import { ADMIN_LINKS_PER_PAGE, createAdminRoutes } from './admin/admin-routes.js';
import { allowListedOrigins } from './api/api-cors.js';
import { handleApiErrors } from './api/api-problems.js';
import { createApiRoutes, type ApiDeps } from './api/api-routes.js';
import { createKuttRoutes } from './compat/kutt-routes.js';
import { createShlinkRoutes } from './compat/shlink-routes.js';
import { createYourlsRoutes } from './compat/yourls-routes.js';
import { createKeyService } from './keys/key-service.js';
import { createHealthHandler } from './health/health-routes.js';
import { handleErrors, handleNotFound } from './http/error-handlers.js';
import { logRequests } from './http/request-logger.js';
import { refuseOversizedHost } from './http/host-header.js';
import { createPrintedHosts } from './http/printed-hosts.js';
import { createLimiter, createRequestLimits, type LimiterFactory } from './http/rate-limits.js';
import { requireSameOrigin } from './http/same-origin.js';
import { securityHeaders } from './http/security-headers.js';
import { loadStaticAssets } from './http/static-assets.js';
import { createCodeGenerator, type CodeGenerator } from './links/code-generator.js';
import { createLinkPages, createRedirectHandler } from './links/link-routes.js';
import { createLinkService } from './links/link-service.js';
import { createRedirectFastPath, type RequestListener } from './links/redirect-fast-path.js';
import { createRedirectCache, type RedirectCache } from './links/redirect-cache.js';
import { createTtlRedirectCache } from './links/redirect-cache-ttl.js';
import { createRedirectResponder } from './links/redirect-response.js';
import { createManageRoutes } from './manage/manage-routes.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { serveMetrics } from './metrics/metrics-routes.js';
import { countRequests } from './metrics/request-metrics.js';
import { createQrRoutes } from './qr/qr-routes.js';
import type { RenderGate } from './qr/render-gate.js';
import { createVisitCounter, type VisitCounter } from './stats/visit-counter.js';
import { createImportReportStore } from './transfer/import-report-store.js';
import { IMPORT_UPLOAD_TIMEOUT_MS } from './http/server-timeouts.js';
import { pageHelpers } from './page-helpers.js';
import { serveRobotsTxt } from './http/robots.js';

export type AppDeps = {
  config: Config;
  /** The SQLite database, for the embedded default; `store` instead for any engine. */
  db?: Db;
  /** Every query snip makes (src/storage/store.ts); built on `db` when absent. */
  store?: Store;
  /** Where the rate limits count: the storage's shared counters; this machine's memory otherwise. */
  limiter?: LimiterFactory;
  logger: Logger;
  /** Visits are counted in memory; the server flushes them every second and at shutdown. */
  visitCounter?: VisitCounter;
  /** Injected in tests; the real clock otherwise. */
  now?: () => number;
  /** Injected in tests to force collisions; nanoid otherwise. */
  generateCode?: CodeGenerator;
  /** Whether the database file is still the one opened; watched from config.databaseFile otherwise. */
  databaseFile?: DatabaseFileCheck;
  /** Injected in tests; a cache of REDIRECT_CACHE_SIZE links otherwise. */
  redirectCache?: RedirectCache;
  /** Shared with the server, which reports visit flushes to it; the app's own otherwise. */
  metrics?: Metrics;
  /** Injected in tests; how many QR images are drawn at once otherwise (src/qr/qr-routes.ts). */
  qrGate?: RenderGate;
  /** How long an import's upload may take; IMPORT_UPLOAD_TIMEOUT_MS unless a test says less. */
  importUploadTimeoutMs?: number;
};

/**
 * Links whose redirect rows stay in memory. A row is a few hundred bytes, so this is a few MB;
 * it holds a busy site's popular links, while a visit to a rarely used one reads SQLite.
 */
export const REDIRECT_CACHE_SIZE = 10_000;

/** How long a machine that shares its database uses the blocklist it read: one query a second. */
const SHARED_BLOCKLIST_TTL_MS = 1000;

// Both src/app.ts and dist/app.js sit one level below the project root.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** Form bodies are a URL, an alias and a few options: 16 KiB is generous. */
const FORM_BODY_LIMIT = '16kb';
/**
 * The largest form is the admin's bulk action: a full page of selected links and its button.
 * A few more fields to spare; a body of a thousand fields is still refused before it is parsed.
 */
const FORM_FIELD_LIMIT = ADMIN_LINKS_PER_PAGE + 10;

/**
 * Management URLs carry a secret; the request log shows only that one was used. Routing is
 * case-sensitive, so `/Manage/<token>` is a 404, but it is redacted all the same.
 */
function redactPath(requestPath: string): string {
  return requestPath.replace(/^\/manage\/[^/]+/i, '/manage/:token');
}

/** The SQLite store of `deps.db`: the app's default. */
function sqliteStoreOf(deps: AppDeps, now: () => number): Store {
  if (deps.db === undefined) throw new Error('createApp needs a store or an SQLite database');
  const file = requireSqliteFile(deps.config);
  return createSqliteStore({
    db: deps.db,
    file,
    fileCheck: deps.databaseFile ?? watchDatabaseFile(file),
    now,
  });
}

/** A download of the backups `writeBackup` writes, for the admin's backup button. */
function sendBackupOf(writeBackup: () => Promise<string | null>) {
  return (res: Response) => sendBackup(writeBackup, res);
}

/** The Express app alone: every route, pages, 404 and error handler. Tests drive it with supertest. */
export function createApp(deps: AppDeps): Express {
  return assembleApp(deps).app;
}

/**
 * What the server listens with: the redirect fast path in front of the Express app. Active
 * redirects are answered without Express; every other request reaches the app unchanged.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const { app, redirectFastPath } = assembleApp(deps);
  return redirectFastPath(app);
}

/**
 * Builds the app and the fast path on the same services, so they share one link lookup, one
 * visit counter and one responder. Exported for the test that holds the two side by side.
 */
export function assembleApp(deps: AppDeps): {
  app: Express;
  redirectFastPath: (fallback: RequestListener) => RequestListener;
} {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  // A row that no door would have stored (the database edited by hand, an old bug) is still
  // listed and exported, with its bad values shown as missing; the log says which.
  const warnUnstorableLink = (link: { code: string }, fields: string[]) =>
    logger.warn(
      { code: link.code, fields },
      'a stored link has values out of range; shown without them',
    );
  const store = deps.store ?? sqliteStoreOf(deps, now);
  const { visits, write } = store;
  const counter = deps.visitCounter ?? createVisitCounter({ visits, now });
  // A cache that outlives no change: on one machine every change invalidates it here; where
  // other machines write too, entries also expire (and the server clears them on their news).
  const inner = deps.redirectCache ?? createRedirectCache(REDIRECT_CACHE_SIZE);
  const redirectCache = Number.isFinite(store.cacheTtlMs)
    ? createTtlRedirectCache(inner, store.cacheTtlMs, now)
    : inner;
  // The link service asks the abuse service for the blocklist, which needs the link service.
  const blocklist: { names: () => Promise<readonly string[]> } = { names: async () => [] };
  const links = createLinkService({
    links: store.links,
    generateCode: deps.generateCode ?? createCodeGenerator(config.codeLength),
    now,
    maxUrlLength: config.maxUrlLength,
    pendingVisits: counter.pendingFor,
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
  const assets = loadStaticAssets(path.join(ROOT, 'public'));
  const baseHost = config.baseUrl ? new URL(config.baseUrl).hostname : null;
  // Served over HTTPS: BASE_URL says so, or the request came over it — which, behind a proxy,
  // Express knows from X-Forwarded-Proto only when TRUST_PROXY trusts that proxy. Then cookies
  // are Secure and pages send HSTS.
  const httpsBaseUrl = config.baseUrl?.startsWith('https:') ?? false;
  const secure = (req: Request): boolean => httpsBaseUrl || req.secure;
  // Without BASE_URL, the request's protocol and Host decide; X-Forwarded-Proto and
  // X-Forwarded-Host count only from the proxies TRUST_PROXY names.
  const requestOrigin = (req: Request): string =>
    config.baseUrl ?? `${req.protocol}://${req.host ?? 'localhost'}`;
  // Every host a short link was printed under is one a new link must not point back to.
  const printedHosts = createPrintedHosts();
  const publicOrigin = (req: Request): string => {
    if (config.baseUrl === null) printedHosts.remember(req.hostname);
    return requestOrigin(req);
  };
  const ownHosts = (req: Request): string[] =>
    [baseHost ?? '', req.hostname, ...printedHosts.list()].filter(Boolean);
  const metrics = deps.metrics ?? createMetrics({ enabled: config.metricsToken !== null, now });
  metrics.countLinksWith(() => links.countByState());
  const limits = createRequestLimits(
    config.rateLimits,
    config.onFly,
    metrics.rateLimited,
    deps.limiter ?? createLimiter,
  );
  const keys = createKeyService({ keys: store.keys, now });

  const app = express();
  // The fast path meets requests before Express has given them its prototype; with it, they read
  // `hostname` through Express's own getter (Host, or X-Forwarded-Host under `trust proxy`).
  const hostnameOf = (req: IncomingMessage): string | undefined => {
    if (Object.getPrototypeOf(req) !== app.request) Object.setPrototypeOf(req, app.request);
    return (req as Request).hostname;
  };
  const isOwnHost = (req: IncomingMessage, host: string): boolean =>
    host === baseHost || host === hostnameOf(req);
  const respond = createRedirectResponder({
    visits: counter,
    isOwnHost,
    redirects: metrics.redirects,
  });

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // `/Manage/<token>` must not reach the management page (the routers say the same).
  app.set('case sensitive routing', true);
  app.set('views', path.join(ROOT, 'views'));
  app.set('view engine', 'ejs');
  Object.assign(app.locals, pageHelpers(assets.url), {
    backupDownload: store.writeBackup !== null,
  });

  app.use(logRequests(logger, redactPath));
  // Without METRICS_TOKEN, nothing is measured per request and /metrics is an unknown page.
  if (config.metricsToken !== null) {
    app.use(countRequests(metrics));
    app.get('/metrics', serveMetrics({ metrics, token: config.metricsToken }));
  }
  app.use(refuseOversizedHost);
  const { health } = store;
  app.get('/healthz', createHealthHandler(health, store.storageProblem, logger));
  app.get('/robots.txt', serveRobotsTxt);
  app.get('/:code', createRedirectHandler({ links, respond }));

  const pageHeaders = securityHeaders({ https: secure });
  app.use(pageHeaders);
  app.use('/static', assets.serve);
  // The API comes before the form parser and the same-origin check: it reads JSON, and its
  // callers authenticate with keys, not cookies; creation without a key checks the site itself.
  const apiDeps: ApiDeps = {
    links,
    visits,
    keys,
    now,
    publicOrigin,
    ownHosts,
    createAccess: config.createAccess,
    limitKey: limits.apiKey,
    limitAnonymousCreate: limits.create,
  };
  const cors = allowListedOrigins(config.corsOrigins);
  app.use('/api/v1', cors, createApiRoutes(apiDeps), handleApiErrors(logger));
  // The APIs of Shlink, Kutt and YOURLS, for the clients people already use.
  app.use(['/rest', '/api/v2', '/yourls-api.php'], cors);
  app.use(createShlinkRoutes({ ...apiDeps, health, version: VERSION }, logger));
  app.use('/api/v2', createKuttRoutes(apiDeps, logger));
  app.use(createYourlsRoutes(apiDeps, logger));
  app.use(
    express.urlencoded({
      extended: false,
      limit: FORM_BODY_LIMIT,
      parameterLimit: FORM_FIELD_LIMIT,
    }),
  );
  app.use(requireSameOrigin(publicOrigin));
  app.use(
    createQrRoutes({
      links,
      // An image only draws the link; it is not a page that prints it under a new host.
      publicOrigin: requestOrigin,
      knownHost: (req) => config.baseUrl !== null || printedHosts.has(req.hostname),
      originFromRequest: config.baseUrl === null,
      limit: limits.qr,
      gate: deps.qrGate,
    }),
  );
  app.use(createReportRoutes({ links, abuse, limit: limits.report }));
  // No ADMIN_PASSWORD, no admin: /admin stays a 404 like any unknown page.
  if (config.adminPassword !== null) {
    const auth = createAdminAuth({
      password: config.adminPassword,
      idleMs: config.adminSessionIdleMs,
      maxMs: config.adminSessionMaxMs,
      sessions: store.adminSessions,
      write,
      now,
      secureCookies: secure,
    });
    app.use(
      '/admin',
      createAdminRoutes({
        auth,
        links,
        abuse,
        keys,
        visits,
        now,
        publicOrigin,
        ownHosts,
        limitSignIn: limits.signIn,
        limitAction: limits.manage,
        sendBackup: store.writeBackup === null ? null : sendBackupOf(store.writeBackup),
        transfer: {
          transfer: store.transfer,
          reports: createImportReportStore({ transfer: store.transfer, now, write }),
          now,
          maxUrlLength: config.maxUrlLength,
          write,
          uploadTimeoutMs: deps.importUploadTimeoutMs ?? IMPORT_UPLOAD_TIMEOUT_MS,
          // A failed import takes back the links it wrote; a visitor may have cached one.
          linksUndone: () => redirectCache.clear(),
          pendingVisits: counter.pendingFor,
          onUnstorableLink: warnUnstorableLink,
          ownHosts,
          blockedHosts: abuse.blockedHostNames,
          blocklist: abuse.blockedHosts,
        },
      }),
    );
  }
  app.use(
    createManageRoutes({
      links,
      visits,
      now,
      publicOrigin,
      ownHosts,
      secureCookies: secure,
      limit: limits.manage,
    }),
  );
  app.use(
    createLinkPages({
      links,
      now,
      publicOrigin,
      ownHosts,
      secureCookies: secure,
      limitCreate: limits.create,
      createAccess: config.createAccess,
    }),
  );

  app.use(handleNotFound(limits.notFound));
  app.use(handleErrors(logger, pageHeaders));
  return { app, redirectFastPath: createRedirectFastPath({ links, respond, logger }) };
}
