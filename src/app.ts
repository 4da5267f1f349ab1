import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';
import { createReportRoutes } from './abuse/report-routes.js';
import { createAdminAuth } from './admin/admin-auth.js';
import { ADMIN_LINKS_PER_PAGE } from './admin/admin-page-size.js';
import { allowListedOrigins } from './api/api-cors.js';
import { handleApiErrors } from './api/api-problems.js';
import { API_REFERENCE_PATH, createApiReference } from './api/api-reference.js';
import { createApiRoutes, type ApiDeps } from './api/api-routes.js';
import { createDomainApiRoutes } from './api/domain-routes.js';
import {
  answerTlsAsk,
  countUnknownCodes,
  gateHosts,
  redirectUnknown,
} from './domains/domain-routes.js';
import { linkAddressFor, linkDomainKeyOf } from './domains/domain-service.js';
import { createHealthHandler } from './health/health-routes.js';
import { databaseHealth } from './health/database-health.js';
import { replicationHealth } from './health/replication-health.js';
import { handleErrors, handleNotFound } from './http/error-handlers.js';
import { loadOnFirstUse } from './http/load-on-first-use.js';
import { logRequests } from './http/request-logger.js';
import { refuseOversizedHost } from './http/host-header.js';
import { createPrintedHosts } from './http/printed-hosts.js';
import { requireSameOrigin } from './http/same-origin.js';
import { securityHeaders } from './http/security-headers.js';
import { loadStaticAssets } from './http/static-assets.js';
import { serveWebManifest, WEB_MANIFEST_PATH, webManifest } from './http/web-manifest.js';
import { createLinkPages, createRedirectHandler } from './links/link-routes.js';
import { domainKeyOf } from './links/link.js';
import { createRedirectFastPath, type RequestListener } from './links/redirect-fast-path.js';
import { createRedirectResponder } from './links/redirect-response.js';
import { createClientAddress, createRequestHostname } from './http/client-address.js';
import { createVisitFactsOf } from './stats/visit-facts.js';
import { createPasswordGate } from './links/password-gate.js';
import { createManageRoutes } from './manage/manage-routes.js';
import { serveMetrics } from './metrics/metrics-routes.js';
import { countRequests } from './metrics/request-metrics.js';
import { createPrivacyRoutes } from './privacy/privacy-routes.js';
import { createQrRoutes } from './qr/qr-routes.js';
import { pageHelpers, pageHelpersIn } from './page-helpers.js';
import { languagePages } from './http/page-language.js';
import { serveRobotsTxt } from './http/robots.js';
import type { Services } from './services.js';
import { verifyUtf8Form } from './http/utf8-body.js';

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

/** The Express app alone: every route, pages, 404 and error handler. Tests drive it with supertest. */
export function createApp(services: Services): Express {
  return assembleApp(services).app;
}

/**
 * What the server listens with: the redirect fast path in front of the Express app. Active
 * redirects are answered without Express; every other request reaches the app unchanged.
 */
export function createRequestListener(services: Services): RequestListener {
  const { app, redirectFastPath } = assembleApp(services);
  return redirectFastPath(app);
}

/**
 * Builds the app and the fast path on the same services, so they share one link lookup, one
 * visit counter and one responder. Exported for the test that holds the two side by side.
 */
export function assembleApp(services: Services): {
  app: Express;
  redirectFastPath: (fallback: RequestListener) => RequestListener;
} {
  const {
    config,
    logger,
    store,
    now,
    links,
    abuse,
    keys,
    domains,
    metrics,
    limits,
    redirectCache,
  } = services;
  const { visits, write } = store;
  const counter = services.visitCounter;
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
  // A link's short URL on its domain (ADR 031), for the pages.
  const shortUrlOf = (req: Request, link: { code: string; domainId: number | null }): string =>
    linkAddressFor(publicOrigin(req), domains.hostOfDomainId(link.domainId), link).shortUrl;
  const ownHosts = (req: Request): string[] =>
    [baseHost ?? '', req.hostname, ...printedHosts.list(), ...domains.hosts()].filter(Boolean);
  const app = express();
  // The fast path meets requests before Express has given them its prototype: they are read as
  // Express reads `hostname` (Host, or X-Forwarded-Host under `trust proxy`).
  const hostnameOf = createRequestHostname(config.trustProxy);
  const isOwnHost = (req: IncomingMessage, host: string): boolean =>
    host === baseHost || host === hostnameOf(req) || domains.hosts().includes(host);
  // The fast path looks a code up on the domain the host names (an alias: the domain it aliases,
  // ADR 031); before the domains were first read, and on a host that answers no links, Express
  // decides (gateHosts).
  const linkDomain = (req: IncomingMessage): number | null => {
    const table = domains.snapshot();
    return table === null ? null : linkDomainKeyOf(domains.resolve(table, hostnameOf(req)));
  };
  const clientAddress = createClientAddress(config.trustProxy, config.onFly);
  const respond = createRedirectResponder({
    visits: counter,
    factsOf: createVisitFactsOf(services.visitLookups, clientAddress, config.statistics === 'full'),
    countryOf: (req) => services.visitLookups.countryOf(clientAddress(req)),
    isOwnHost,
    redirects: metrics.redirects,
    maxUrlLength: config.maxUrlLength,
    now,
  });

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // `/Manage/<token>` must not reach the management page (the routers say the same).
  app.set('case sensitive routing', true);
  app.set('views', path.join(ROOT, 'views'));
  app.set('view engine', 'ejs');
  Object.assign(app.locals, pageHelpers(assets.url), {
    backupDownload: store.writeBackup !== null,
    // STATISTICS: with `basic`, the statistics pages show days only, and say why.
    statisticsKept: config.statistics,
  });
  languagePages(app, {
    defaultLanguage: config.defaultLanguage,
    secureCookies: secure,
    localsFor: pageHelpersIn,
  });

  app.use(logRequests(logger, redactPath));
  // Without METRICS_TOKEN, nothing is measured per request and /metrics is an unknown page.
  if (config.metricsToken !== null) {
    app.use(countRequests(metrics));
    app.get('/metrics', serveMetrics({ metrics, token: config.metricsToken }));
  }
  app.use(refuseOversizedHost);
  const { health } = store;
  const replication = services.replication;
  const healthParts = [databaseHealth(health, store.storageProblem)];
  if (replication !== undefined) healthParts.push(replicationHealth(replication.status));
  app.get('/healthz', createHealthHandler(healthParts, logger));
  // Answered on any host, like /healthz and /metrics; every other address checks the host.
  app.get('/_/tls-ask', answerTlsAsk(domains));
  const pageHeaders = securityHeaders({ https: secure });
  const notFound = handleNotFound(limits.notFound);
  app.use(gateHosts({ domains, links }));
  app.get('/robots.txt', serveRobotsTxt);
  app.get('/:code', createRedirectHandler({ links, respond }));

  app.use(pageHeaders);
  app.use('/static', assets.serve);
  app.get(
    WEB_MANIFEST_PATH,
    serveWebManifest((language) =>
      webManifest({ asset: assets.url, shareTarget: config.createAccess === 'public' }, language),
    ),
  );
  // The API's reference, drawn from its OpenAPI document: public, like the document (ADR 038).
  // Its 2 MB of Swagger UI are read and hashed on its first request, not at start (ADR 043).
  app.use(
    API_REFERENCE_PATH,
    loadOnFirstUse(async () => createApiReference()),
  );
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
    linkDomains: domains,
  };
  const cors = allowListedOrigins(config.corsOrigins);
  app.use(
    '/api/v1/domains',
    cors,
    createDomainApiRoutes({ ...apiDeps, domains }),
    handleApiErrors(logger),
  );
  app.use('/api/v1', cors, createApiRoutes(apiDeps), handleApiErrors(logger));
  // The APIs of Shlink, Kutt and YOURLS, for the clients people already use: each loaded on
  // its first request (ADR 043).
  app.use(['/rest', '/api/v2', '/yourls-api.php'], cors);
  app.use(
    loadOnFirstUse(
      async () => {
        const { createShlinkRoutes } = await import('./compat/shlink-routes.js');
        return createShlinkRoutes({ ...apiDeps, health, version: VERSION, domains }, logger);
      },
      { under: ['/rest'] },
    ),
  );
  app.use(
    '/api/v2',
    loadOnFirstUse(async () => {
      const { createKuttRoutes } = await import('./compat/kutt-routes.js');
      return createKuttRoutes({ ...apiDeps, domains }, logger);
    }),
  );
  app.use(
    loadOnFirstUse(
      async () => {
        const { createYourlsRoutes } = await import('./compat/yourls-routes.js');
        return createYourlsRoutes({ ...apiDeps, version: VERSION }, logger);
      },
      { under: ['/yourls-api.php'] },
    ),
  );
  app.use(
    express.urlencoded({
      extended: false,
      limit: FORM_BODY_LIMIT,
      parameterLimit: FORM_FIELD_LIMIT,
      verify: verifyUtf8Form,
    }),
  );
  app.use(requireSameOrigin(publicOrigin));
  app.use(
    createQrRoutes({
      links,
      // An image only draws the link; it is not a page that prints it under a new host.
      shortUrlOf: (req, link) =>
        linkAddressFor(requestOrigin(req), domains.hostOfDomainId(link.domainId), link).shortUrl,
      knownHost: (req) => config.baseUrl !== null || printedHosts.has(req.hostname),
      originFromRequest: config.baseUrl === null,
      limit: limits.qr,
      gate: services.qrGate,
      domainKeyOfName: async (name) => {
        const found = await domains.domainForLinks(name);
        return found.ok ? domainKeyOf(found.domainId) : null;
      },
    }),
  );
  app.use(createReportRoutes({ links, abuse, limit: limits.report }));
  app.use(createPrivacyRoutes({ config, geoSource: services.geoSource }));
  // No ADMIN_PASSWORD, no admin: /admin stays a 404 like any unknown page. With one, the admin
  // (and import and export with it) is loaded on its first request (ADR 043).
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
    const { writeBackup } = store;
    const loadAdmin = async () => {
      const [{ createAdminRoutes }, { sendBackup }, { createImportReportStore }] =
        await Promise.all([
          import('./admin/admin-routes.js'),
          import('./admin/backup-download.js'),
          import('./transfer/import-report-store.js'),
        ]);
      return createAdminRoutes({
        auth,
        links,
        abuse,
        keys,
        visits,
        now,
        publicOrigin,
        ownHosts,
        domains,
        geoSource: services.geoSource,
        limitSignIn: limits.signIn,
        limitAction: limits.manage,
        sendBackup: writeBackup === null ? null : (res: Response) => sendBackup(writeBackup, res),
        transfer: {
          transfer: store.transfer,
          tags: store.tags,
          domains: { defaultHost: domains.defaultHost, list: () => store.domains.listDomains() },
          reports: createImportReportStore({ transfer: store.transfer, now, write }),
          now,
          maxUrlLength: config.maxUrlLength,
          write,
          uploadTimeoutMs: services.importUploadTimeoutMs,
          // A failed import takes back the links it wrote; a visitor may have cached one.
          linksUndone: () => redirectCache.clear(),
          pendingVisits: counter.pendingFor,
          onUnstorableLink: services.warnUnstorableLink,
          ownHosts,
          blockedHosts: abuse.blockedHostNames,
          blocklist: abuse.blockedHosts,
        },
      });
    };
    app.use('/admin', loadOnFirstUse(loadAdmin));
  }
  app.use(
    createManageRoutes({
      links,
      visits,
      now,
      publicOrigin,
      shortUrlOf,
      ownHosts,
      secureCookies: secure,
      limit: limits.manage,
      geoSource: services.geoSource,
    }),
  );
  app.use(
    createLinkPages({
      links,
      now,
      publicOrigin,
      shortUrlOf,
      ownHosts,
      secureCookies: secure,
      limitCreate: limits.create,
      createAccess: config.createAccess,
      domains,
      passwordGate: createPasswordGate({
        links,
        respond,
        now,
        secureCookies: secure,
        limit: limits.password,
        onFailure: () => metrics.passwordFailed(),
      }),
    }),
  );

  app.use(countUnknownCodes(services.notFoundCounter.count), redirectUnknown, notFound);
  app.use(handleErrors(logger, pageHeaders));
  return {
    app,
    redirectFastPath: createRedirectFastPath({ links, respond, logger, linkDomain }),
  };
}
