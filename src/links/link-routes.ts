import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { LinkService } from './link-service.js';

/** What a code can look like; anything else is not a short link and falls through to 404. */
const CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The form's fields. urlencoded bodies give a string, or an array when a field is repeated;
 * only single strings are accepted. Surrounding spaces (a sloppy paste) are trimmed here; the
 * URL policy refuses any whitespace left inside.
 */
export const ShortenFormSchema = z.object({
  url: z.string().trim(),
  alias: z.string().trim().optional().default(''),
});

export type PublicOrigin = (req: Request) => string;

export type LinkRouteDeps = {
  links: LinkService;
  publicOrigin: PublicOrigin;
  /** Host names under which snip is reachable, for the no-loops rule. */
  ownHosts: (req: Request) => string[];
};

/**
 * `GET /:code` (Express answers `HEAD` with it too): the hot path. It runs before the page middleware, does one
 * indexed lookup and writes the response head directly.
 */
export function createRedirectHandler(links: LinkService): RequestHandler {
  return (req, res, next) => {
    const code = codeParam(req);
    if (code === null) return next();
    const target = links.findTarget(code);
    if (target === null) return next();
    res.writeHead(302, {
      Location: target,
      'Cache-Control': 'private, max-age=0',
      'X-Robots-Tag': 'noindex',
      // Cross-origin targets learn at most snip's origin, never which short link was used.
      'Referrer-Policy': 'strict-origin-when-cross-origin',
      'Content-Length': '0',
    });
    res.end();
  };
}

export function createLinkPages(deps: LinkRouteDeps): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.render('home', { values: { url: '', alias: '' }, errors: {} });
  });

  router.post('/shorten', (req, res) => {
    const parsed = ShortenFormSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).render('home', {
        values: { url: stringOrEmpty(req.body?.url), alias: stringOrEmpty(req.body?.alias) },
        errors: { url: 'Send one URL and at most one alias.' },
      });
      return;
    }
    const result = deps.links.shorten(parsed.data, {
      ownHosts: deps.ownHosts(req),
      addMissingScheme: true,
    });
    if (!result.ok) {
      res.status(result.status).render('home', { values: parsed.data, errors: result.errors });
      return;
    }
    res.redirect(303, `/links/${encodeURIComponent(result.link.code)}`);
  });

  router.get('/links/:code', (req, res, next) => {
    const code = codeParam(req);
    const link = code === null ? null : deps.links.findLink(code);
    if (!link) return next();
    res.render('link-created', {
      link,
      shortUrl: `${deps.publicOrigin(req)}/${link.code}`,
    });
  });

  return router;
}

/** The `:code` route parameter when it has the shape of a code, else null. */
function codeParam(req: Request): string | null {
  const code = req.params.code;
  return typeof code === 'string' && CODE_PATTERN.test(code) ? code : null;
}

function stringOrEmpty(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
