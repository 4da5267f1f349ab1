import type { Request, RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import { text } from '../i18n/catalog.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser says the request comes from a page that is not snip's own (OWASP's Fetch
 * Metadata check, falling back to Origin for browsers that do not send Sec-Fetch-Site):
 * `same-site` counts as another site, since a sibling subdomain may be someone else's. A
 * request with neither header is not from a page (a script, a typed address), so it is not.
 */
export function comesFromAnotherSite(req: Request, ownOrigin: string): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = req.get('origin');
  return origin !== undefined && origin !== ownOrigin;
}

/**
 * Refuses state-changing browser requests that do not come from snip's own pages. Requests with
 * neither header are not from a browser form, so they pass: a cross-site form post always
 * carries at least one of them.
 */
export function requireSameOrigin(ownOrigin: (req: Request) => string): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (!comesFromAnotherSite(req, ownOrigin(req))) return next();
    return next(forbidden());
  };
}

function forbidden(): HttpError {
  return new HttpError(403, text('http.crossSite'));
}
