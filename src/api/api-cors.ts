import type { RequestHandler } from 'express';

/**
 * The APIs authenticate with a key in a header, never a cookie, so any web page may call them
 * (shlink-web-client, for one, runs in the browser on another origin): CORS allows every origin
 * and answers preflights itself.
 */
export const allowCrossOrigin: RequestHandler = (req, res, next) => {
  res.set({
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers':
      'Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy',
  });
  if (req.method !== 'OPTIONS') return next();
  res
    .set({
      'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Api-Key, Accept',
      'Access-Control-Max-Age': '86400',
    })
    .status(204)
    .end();
};
