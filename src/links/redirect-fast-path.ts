import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { logRequestLine, requestIdFor } from '../http/request-logger.js';
import type { LinkService } from './link-service.js';
import { CODE_PATTERN, DEFAULT_DOMAIN_KEY, type RedirectTarget } from './link.js';
import type { RedirectResponder } from './redirect-response.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export type RedirectFastPathDeps = {
  links: Pick<LinkService, 'findActiveRedirect'>;
  respond: RedirectResponder;
  logger: Logger;
  /**
   * The domain key (link.ts) of the links this request's host answers (src/domains/, ADR 031);
   * null when it answers none or cannot say yet: Express answers then. Without it, every host
   * answers the default domain's links.
   */
  linkDomain?: (req: IncomingMessage) => number | null;
};

/**
 * The redirect without Express. Express's per-request work (prototype swaps, the router's layer
 * walk, parameter decoding) costs more than everything a redirect needs, so `GET`/`HEAD /<code>`
 * of an active link is answered here, before the app, exactly as the Express route would answer
 * it: the same lookup, the same visit counting and response (redirect-response.ts), the same
 * request id and log fields (http/request-logger.ts), logged at debug level (ADR 011).
 * Everything else — unknown codes (404 and its
 * rate limit), links that are gone (410), password-protected links, previews, other methods and any path that is not
 * plainly `/<code>` — goes to `fallback`, the Express app, untouched.
 * test/links/redirect-fast-path.test.ts holds the two side by side.
 */
export function createRedirectFastPath(
  deps: RedirectFastPathDeps,
): (fallback: RequestListener) => RequestListener {
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    code: string,
    link: RedirectTarget | null,
    started: bigint,
    fallback: RequestListener,
  ): void {
    // A password-protected link is Express's to answer: it asks for the password first.
    if (link === null || link.passwordHash !== null) return fallback(req, res);
    const reqId = requestIdFor(req.headers);
    deps.respond(req, res, link, undefined, reqId);
    // One line per redirect would cost a fifth of the redirect's time: debug level (ADR 011).
    logRequestLine(
      deps.logger,
      { reqId, method: req.method, path: `/${code}`, status: res.statusCode, started },
      'debug',
    );
  }

  return (fallback) => (req, res) => {
    const started = process.hrtime.bigint();
    const code = redirectCode(req);
    if (code === null) return fallback(req, res);
    const domainKey = deps.linkDomain === undefined ? DEFAULT_DOMAIN_KEY : deps.linkDomain(req);
    if (domainKey === null) return fallback(req, res);
    let found;
    try {
      found = deps.links.findActiveRedirect(code, domainKey);
    } catch {
      // A database error is Express's to answer: the route meets it again and the error
      // handler answers 503 or 500 with a page and a log line, as for any other request.
      return fallback(req, res);
    }
    // SQLite and the cache answer at once, with no promise; PostgreSQL answers later.
    if (!(found instanceof Promise)) return answer(req, res, code, found, started, fallback);
    found.then(
      (link) => answer(req, res, code, link, started, fallback),
      () => fallback(req, res),
    );
  };
}

/** The code of `GET`/`HEAD /<code>` (a query string is ignored, as the route ignores it), or null. */
function redirectCode(req: IncomingMessage): string | null {
  if (req.method !== 'GET' && req.method !== 'HEAD') return null;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const code = url.slice(1, query === -1 ? url.length : query);
  // Only a literal `/<code>`: percent-escapes, trailing slashes and absolute-form targets
  // (`http://host/code`, the only other form Node passes on for GET) are left to Express,
  // which decodes and normalises them its own way.
  return url.startsWith('/') && CODE_PATTERN.test(code) ? code : null;
}
