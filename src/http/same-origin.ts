import type { Request, RequestHandler } from 'express';
import { HttpError } from './http-error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing browser requests that do not come from snip's own pages
 * (OWASP's Fetch Metadata check, falling back to Origin for browsers that do not send
 * Sec-Fetch-Site). Requests with neither header are not from a browser form, so they pass:
 * a cross-site form post always carries at least one of them.
 */
export function requireSameOrigin(ownOrigin: (req: Request) => string): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.get('sec-fetch-site');
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return next();
      return next(forbidden());
    }
    const origin = req.get('origin');
    if (origin === undefined || origin === ownOrigin(req)) return next();
    return next(forbidden());
  };
}

function forbidden(): HttpError {
  return new HttpError(403, 'This form can only be sent from snip’s own pages.');
}
