import { Router, type Request } from 'express';
import QRCode from 'qrcode';
import type { LinkService } from '../links/link-service.js';

const CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Medium error correction survives a scuffed print; a 4-module quiet zone is what scanners expect. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
/** Rendered images kept in memory: a PNG costs ~40 ms of CPU to draw, a lookup nothing. */
const CACHE_ENTRIES = 256;

type Format = 'svg' | 'png';
type Image = { body: string | Buffer; type: string };

/**
 * A small least-recently-used cache: a Map keeps insertion order, so the first key is the oldest.
 * Keys are the short link and the format, never anything else from the request (a changing query
 * string cannot make snip draw again). A deleted link's image is never served: the route looks
 * the link up before it consults the cache.
 */
function createImageCache(limit: number) {
  const images = new Map<string, Image>();
  return {
    get(key: string): Image | undefined {
      const image = images.get(key);
      if (image) {
        images.delete(key);
        images.set(key, image);
      }
      return image;
    },
    set(key: string, image: Image): void {
      images.set(key, image);
      if (images.size > limit) images.delete(images.keys().next().value!);
    },
  };
}

async function render(url: string, format: Format): Promise<Image> {
  return format === 'svg'
    ? { body: await QRCode.toString(url, { ...QR_OPTIONS, type: 'svg' }), type: 'image/svg+xml' }
    : {
        body: await QRCode.toBuffer(url, { ...QR_OPTIONS, type: 'png', width: 512 }),
        type: 'image/png',
      };
}

/**
 * `GET /qr/:code.svg` and `/qr/:code.png`: the QR code of a short link, drawn on the server
 * (no script, no third party). The SVG is shown on the pages and both can be downloaded.
 * With BASE_URL the image is the same for everyone and may be cached publicly for a day;
 * without it, it depends on the Host header, so caches must keep it per host and private.
 */
export function createQrRoutes(deps: {
  links: LinkService;
  publicOrigin: (req: Request) => string;
  originFromRequest: boolean;
}): Router {
  const router = Router({ caseSensitive: true });
  const cache = createImageCache(CACHE_ENTRIES);
  const caching = deps.originFromRequest ? 'private, max-age=86400' : 'public, max-age=86400';

  for (const format of ['svg', 'png'] as const) {
    router.get(`/qr/:code.${format}`, async (req, res, next) => {
      const code = String(req.params.code);
      if (!CODE_PATTERN.test(code)) return next();
      const link = await deps.links.findLink(code);
      if (!link || link.deletedAt !== null) return next();
      const url = `${deps.publicOrigin(req)}/${link.code}`;
      const key = `${format} ${url}`;
      let image = cache.get(key);
      if (!image) {
        image = await render(url, format);
        cache.set(key, image);
      }
      res.set('Cache-Control', caching).type(image.type);
      if (deps.originFromRequest) res.vary('Host');
      if (req.query.download !== undefined) res.attachment(`${code}-qr.${format}`);
      res.send(image.body);
    });
  }

  return router;
}
