import type { RequestHandler } from 'express';
import { presentedKey } from './api-routes.js';

/**
 * CORS for the APIs (`/api/v1` and the compatible ones), for the origins CORS_ORIGINS lists
 * and no other: a page there (shlink-web-client, say) may call them with a key. Answers carry
 * CORS headers only when the request presents a key in a header, so no page, listed or not, can
 * read what a keyless request does; keyless creation from another site is refused anyway
 * (admitCreation, ADR 020). Preflights cannot carry the key, so a listed origin's preflight is
 * answered in full; any other origin's gets a 204 without CORS headers, which browsers refuse.
 */
export function allowListedOrigins(origins: readonly string[]): RequestHandler {
  const listed = new Set(origins);
  return (req, res, next) => {
    // The answer depends on Origin: a shared cache must not hand one origin's answer to another.
    res.vary('Origin');
    const origin = req.get('origin');
    const allowed = origin !== undefined && listed.has(origin);
    if (req.method === 'OPTIONS') {
      if (allowed) {
        res.set({
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Api-Key, Accept',
          'Access-Control-Max-Age': '86400',
        });
      }
      res.status(204).end();
      return;
    }
    const key = presentedKey(req);
    if (allowed && key !== null && key !== '') {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Expose-Headers':
          'Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy',
      });
    }
    next();
  };
}
