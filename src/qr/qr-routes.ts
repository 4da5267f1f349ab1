import { Router, type Request } from 'express';
import type QRCodeLibrary from 'qrcode';
import { HttpError } from '../http/http-error.js';
import { retryInText, type RequestLimit } from '../http/rate-limits.js';
import { text } from '../i18n/catalog.js';
import { isLinkCode } from '../links/link.js';
import type { LinkService } from '../links/link-service.js';
import { linkDomainKeyOf, type ShortUrlOf } from '../links/link-routes.js';
import { renderQrPng } from './qr-png.js';
import { createRenderGate, type RenderGate } from './render-gate.js';

/** Medium error correction survives a scuffed print; a 4-module quiet zone is what scanners expect. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
/** Rendered images kept in memory: drawing costs about a millisecond of CPU, a lookup nothing. */
const CACHE_ENTRIES = 256;
const PNG_WIDTH = 512;
/**
 * Two draws at once, eight in line, at most 50 a second for everyone together: about 2.5 % of
 * the event loop at half a millisecond each, and far more new images than people look at.
 */
const GATE = { running: 2, waiting: 8, perSecond: 50 };

type Format = 'svg' | 'png';
type Image = { body: string | Buffer; type: string };

/**
 * A small least-recently-used cache: a Map keeps insertion order, so the first key is the oldest.
 * Keys are the short link and the format, never anything else from the request (a changing query
 * string cannot make snip draw again), and only short links under a host snip knows: any other
 * Host header is drawn for but never kept, so it cannot push the real ones out. A deleted link's
 * image is never served: the route looks the link up before it consults the cache.
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

let qrcode: Promise<typeof QRCodeLibrary> | undefined;

/** The QR code library, loaded with the first image drawn rather than at start (ADR 043). */
function loadQrCode(): Promise<typeof QRCodeLibrary> {
  qrcode ??= import('qrcode').then((loaded) => loaded.default);
  return qrcode;
}

async function render(url: string, format: Format): Promise<Image> {
  const QRCode = await loadQrCode();
  if (format === 'svg') {
    return {
      body: await QRCode.toString(url, { ...QR_OPTIONS, type: 'svg' }),
      type: 'image/svg+xml',
    };
  }
  const symbol = QRCode.create(url, QR_OPTIONS);
  return {
    body: await renderQrPng(symbol.modules, { width: PNG_WIDTH, margin: QR_OPTIONS.margin }),
    type: 'image/png',
  };
}

/**
 * `GET /qr/:code.svg` and `/qr/:code.png`: the QR code of a short link, drawn on the server
 * (no script, no third party). The SVG is shown on the pages and both can be downloaded.
 * With BASE_URL the image is the same for everyone and may be cached publicly for a day;
 * without it, it depends on the Host header, so caches must keep it per host and private.
 * Drawing is what costs: each client may have RATE_LIMIT_QR images drawn, and the gate bounds
 * how many are drawn at once and in a second for everyone together, so redirects keep their pace
 * however QR codes are asked for (ADR 024).
 */
export function createQrRoutes(deps: {
  links: LinkService;
  /** The short URL the image draws: the link's, on its domain (ADR 031). */
  shortUrlOf: ShortUrlOf;
  /** Whether images drawn for this request's host may be kept: BASE_URL, or a host snip printed. */
  knownHost: (req: Request) => boolean;
  originFromRequest: boolean;
  limit: RequestLimit;
  /** Injected in tests; GATE otherwise. */
  gate?: RenderGate;
  /**
   * The domain key of the domain `?domain=` names (any spelling; null: none of snip's, or an
   * alias), for pages that show a link on another domain than their own (the management page).
   */
  domainKeyOfName?: (name: string) => Promise<number | null>;
}): Router {
  const router = Router({ caseSensitive: true });
  const cache = createImageCache(CACHE_ENTRIES);
  const gate = deps.gate ?? createRenderGate(GATE);
  const caching = deps.originFromRequest ? 'private, max-age=86400' : 'public, max-age=86400';

  for (const format of ['svg', 'png'] as const) {
    router.get(`/qr/:code.${format}`, async (req, res, next) => {
      const code = String(req.params.code);
      if (!isLinkCode(code)) return next();
      // The code on the domain `?domain=` names, or else on the one this host serves, as the
      // redirect finds it.
      const named = req.query.domain;
      let domainKey: number | null;
      if (named === undefined) domainKey = linkDomainKeyOf(res);
      else if (typeof named !== 'string' || deps.domainKeyOfName === undefined) return next();
      else domainKey = await deps.domainKeyOfName(named);
      const link = domainKey === null ? null : await deps.links.findLink(code, domainKey);
      if (!link || link.deletedAt !== null) return next();
      const url = deps.shortUrlOf(req, link);
      const key = `${format} ${url}`;
      const keep = deps.knownHost(req);
      let image = keep ? cache.get(key) : undefined;
      if (!image) {
        const verdict = await deps.limit(req, res);
        if (verdict?.limited) {
          throw new HttpError(429, text('qr.tooMany', { when: retryInText(verdict.resetSeconds) }));
        }
        const entered = gate.enter();
        if (entered === null) {
          // Not an error of snip's (nothing to log), just a busy moment: plain words will do.
          res.status(503).set({ 'Retry-After': '1', 'Cache-Control': 'no-store' });
          return res
            .type('text/plain')
            .send('Too many QR codes are being drawn. Try again in a second.');
        }
        const leave = await entered;
        try {
          image = await render(url, format);
        } finally {
          leave();
        }
        if (keep) cache.set(key, image);
      }
      res.set('Cache-Control', caching).type(image.type);
      if (deps.originFromRequest) res.vary('Host');
      if (req.query.download !== undefined) res.attachment(`${code}-qr.${format}`);
      res.send(image.body);
    });
  }

  return router;
}
