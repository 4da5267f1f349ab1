import helmet from 'helmet';
import type { Request, RequestHandler } from 'express';

/** A year, as preload lists ask. */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers for every page: a CSP with no inline script or style and no third-party origin, frame
 * denial, nosniff, no referrer (management URLs carry secrets in their path), and
 * `Cache-Control: no-store`, because what a page says can change at any time (a disabled link
 * enabled again must not stay "gone" in a browser's cache); static files and QR codes set their
 * own caching after this. HSTS only when the request came over HTTPS (`https` decides, per
 * request), or a local http:// run would be pinned to https.
 */
export function securityHeaders(options: { https: (req: Request) => boolean }): RequestHandler {
  const helmetHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'"],
        'manifest-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'none'"],
        'object-src': ["'none'"],
      },
    },
    // Set below, per request.
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (options.https(req)) res.setHeader('Strict-Transport-Security', HSTS);
    helmetHeaders(req, res, next);
  };
}
