import type { Request, RequestHandler } from 'express';
import type { Metrics } from './metrics.js';

/**
 * Counts and times every request Express answers, by route, method and status, and the 503s
 * that storage caused (the error handlers note them). Redirects are counted by the responder
 * they share with the fast path, so they are skipped here.
 */
export function countRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const matched = noteMatchedRoute(req);
    res.on('finish', () => {
      const named = res.locals.routeName;
      if (named === 'redirect') return;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requestAnswered(
        named ?? matched() ?? routeOf(req),
        req.method,
        res.statusCode,
        seconds,
      );
      const storage = res.locals.storageUnavailable;
      if (storage !== undefined) metrics.storageUnavailable(storage);
    });
    next();
  };
}

/**
 * The name of the last route the router matched, taken when it matched. By the time the
 * response finishes, a router that passed an error on (a 404 of its own, a 409) has already
 * given its mount back: `req.route` still says `/links/:code`, but `req.baseUrl` no longer says
 * `/admin`. The router assigns `req.route` as it matches, so a setter sees both together.
 */
function noteMatchedRoute(req: Request): () => string | undefined {
  let route: unknown;
  let name: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      name = routeOf(req);
    },
  });
  return () => name;
}

/**
 * A bounded name for what answered: the pattern of the Express route that handled the request
 * under its mount (`/manage/:token`, `/api/v1/links/:code`), never the path itself, which holds
 * codes and tokens; else the mount a middleware answered under (`/static`, `/api/v1` for an
 * API request refused before its route), else `other` (a refusal before any route).
 */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (path === undefined) return req.baseUrl || 'other';
  if (Array.isArray(path)) {
    // One route for several literal paths (Shlink's health): the one this request matched.
    return req.baseUrl + (path.includes(req.path) ? req.path : path.join('|'));
  }
  return req.baseUrl + String(path);
}
