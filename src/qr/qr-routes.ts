import { Router, type Request } from 'express';
import QRCode from 'qrcode';
import type { LinkService } from '../links/link-service.js';

const CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A short link's QR code changes only if BASE_URL does; a day of caching is safe. */
const CACHE = 'public, max-age=86400';
/** Medium error correction survives a scuffed print; a 4-module quiet zone is what scanners expect. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/**
 * `GET /qr/:code.svg` and `/qr/:code.png`: the QR code of a short link, drawn on the server
 * (no script, no third party). The SVG is shown on the pages and both can be downloaded.
 */
export function createQrRoutes(deps: {
  links: LinkService;
  publicOrigin: (req: Request) => string;
}): Router {
  const router = Router();

  function shortUrlFor(req: Request): string | null {
    const code = String(req.params.code);
    if (!CODE_PATTERN.test(code)) return null;
    const link = deps.links.findLink(code);
    if (!link || link.deletedAt !== null) return null;
    return `${deps.publicOrigin(req)}/${link.code}`;
  }

  router.get('/qr/:code.svg', async (req, res, next) => {
    const url = shortUrlFor(req);
    if (url === null) return next();
    const svg = await QRCode.toString(url, { ...QR_OPTIONS, type: 'svg' });
    res.set('Cache-Control', CACHE).type('image/svg+xml');
    if (req.query.download !== undefined) res.attachment(`${String(req.params.code)}-qr.svg`);
    res.send(svg);
  });

  router.get('/qr/:code.png', async (req, res, next) => {
    const url = shortUrlFor(req);
    if (url === null) return next();
    const png = await QRCode.toBuffer(url, { ...QR_OPTIONS, type: 'png', width: 512 });
    res.set('Cache-Control', CACHE).type('image/png');
    if (req.query.download !== undefined) res.attachment(`${String(req.params.code)}-qr.png`);
    res.send(png);
  });

  return router;
}
