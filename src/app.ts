import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/open-database.js';
import { createHealthRepository } from './health/health-repository.js';
import { createHealthHandler } from './health/health-routes.js';
import { handleErrors, handleNotFound } from './http/error-handlers.js';
import { logRequests } from './http/request-logger.js';
import { requireSameOrigin } from './http/same-origin.js';
import { securityHeaders } from './http/security-headers.js';
import { loadStaticAssets } from './http/static-assets.js';
import { createCodeGenerator, type CodeGenerator } from './links/code-generator.js';
import { createLinkRepository } from './links/link-repository.js';
import { createLinkPages, createRedirectHandler } from './links/link-routes.js';
import { createLinkService } from './links/link-service.js';

export type AppDeps = {
  config: Config;
  db: Db;
  logger: Logger;
  /** Injected in tests; the real clock otherwise. */
  now?: () => number;
  /** Injected in tests to force collisions; nanoid otherwise. */
  generateCode?: CodeGenerator;
};

// Both src/app.ts and dist/app.js sit one level below the project root.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Form bodies are a URL, an alias and a few options: 16 KiB is generous. */
const FORM_BODY_LIMIT = '16kb';
const FORM_FIELD_LIMIT = 50;

export function createApp(deps: AppDeps): Express {
  const { config, db, logger } = deps;
  const links = createLinkService({
    links: createLinkRepository(db),
    generateCode: deps.generateCode ?? createCodeGenerator(config.codeLength),
    now: deps.now ?? Date.now,
    maxUrlLength: config.maxUrlLength,
  });
  const assets = loadStaticAssets(path.join(ROOT, 'public'));
  const publicOrigin = (req: Request): string =>
    config.baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const ownHosts = (req: Request): string[] =>
    [config.baseUrl ? new URL(config.baseUrl).hostname : '', req.hostname].filter(Boolean);

  const app = express();
  app.disable('x-powered-by');
  app.set('views', path.join(ROOT, 'views'));
  app.set('view engine', 'ejs');
  app.locals.asset = assets.url;

  app.use(logRequests(logger, (requestPath) => requestPath));
  app.get('/healthz', createHealthHandler(createHealthRepository(db)));
  app.get('/:code', createRedirectHandler(links));

  const pageHeaders = securityHeaders({ https: config.baseUrl?.startsWith('https:') ?? false });
  app.use(pageHeaders);
  app.use('/static', assets.serve);
  app.use(
    express.urlencoded({
      extended: false,
      limit: FORM_BODY_LIMIT,
      parameterLimit: FORM_FIELD_LIMIT,
    }),
  );
  app.use(requireSameOrigin(publicOrigin));
  app.use(createLinkPages({ links, publicOrigin, ownHosts }));

  app.use(handleNotFound());
  app.use(handleErrors(logger, pageHeaders));
  return app;
}
