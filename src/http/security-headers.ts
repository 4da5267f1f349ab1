import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Headers for every page: a CSP with no inline script or style and no third-party origin, frame
 * denial, nosniff, no referrer (management URLs carry secrets in their path), and
 * `Cache-Control: no-store`, because what a page says can change at any time (a disabled link
 * enabled again must not stay "gone" in a browser's cache); static files and QR codes set their
 * own caching after this. HSTS only when snip is served over HTTPS, or a local http:// run would
 * be pinned to https.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
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
    strictTransportSecurity: options.https
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    helmetHeaders(req, res, next);
  };
}
