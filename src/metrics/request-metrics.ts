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
    res.on('finish', () => {
      const named = res.locals.routeName;
      if (named === 'redirect') return;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requestAnswered(named ?? routeOf(req), req.method, res.statusCode, seconds);
      const storage = res.locals.storageUnavailable;
      if (storage !== undefined) metrics.storageUnavailable(storage);
    });
    next();
  };
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
