import type { Request, RequestHandler, Response } from 'express';
import { ROUTE_SEGMENTS } from '../links/alias-policy.js';
import type { LinkService } from '../links/link-service.js';
import { CODE_CHARS } from '../links/link.js';
import { linkDomainKeyOf, type DomainService, type HostScope } from './domain-service.js';

/** `/<code>` or its preview `/<code>+`, as the link pages read the path once decoded. */
const CODE_PATH = new RegExp(`^/(${CODE_CHARS})(\\+?)$`);
// Paths of snip's own routes (case as the router matches them): never a link's code. A word the
// alias policy keeps from new links (`docs`, `help`) can still be an imported link's code.
const ROUTES = new Set(ROUTE_SEGMENTS);

/** What a host that is not snip's is told: nothing about any link, not even snip's own page. */
export function sendForeignHost(res: Response): void {
  res
    .status(404)
    .set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
    .type('text/plain')
    .send('Not found\n');
}

/** The scope `gateHosts` found for this request; `open` when it did not run. */
export function hostScopeOf(res: Response): HostScope {
  return (res.locals.hostScope as HostScope | undefined) ?? { kind: 'open' };
}

/** The code a path names (`/abc`, `/abc+`, `/%61bc`), unless it is the path of a route of snip's. */
function codeOfPath(path: string): { code: string; preview: boolean } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const match = CODE_PATH.exec(decoded);
  if (match === null || ROUTES.has(match[1]!)) return null;
  return { code: match[1]!, preview: match[2] === '+' };
}

const readsOnly = (req: Request) => req.method === 'GET' || req.method === 'HEAD';

/** The APIs' paths: `/api/v1`, Kutt's `/api/v2`, Shlink's `/rest`, YOURLS's endpoint. */
function isApiPath(path: string): boolean {
  return path.startsWith('/api/') || path.startsWith('/rest/') || path === '/yourls-api.php';
}

/**
 * The host check and an added domain's own answers, before every page (ADR 028). A host that is
 * not snip's gets a bare 404. On an added domain: `/` goes to its root redirect; a link that is
 * gone goes to its expired redirect, one not started yet to its not-found redirect. The links a host answers are those of its domain key (ADR
 * 031), kept in `res.locals.linkDomainKey` for the link routes; a code unknown there reaches
 * `redirectUnknown` and the 404 page like any other address.
 */
export function gateHosts(deps: {
  domains: DomainService;
  links: Pick<LinkService, 'findLink' | 'stateOf'>;
}): RequestHandler {
  return async (req, res, next) => {
    const scope = deps.domains.resolve(await deps.domains.current(), req.hostname);
    res.locals.hostScope = scope;
    const linkDomainKey = linkDomainKeyOf(scope);
    res.locals.linkDomainKey = linkDomainKey;
    // The APIs answer scripts, which may call snip by an internal name or address; what they
    // print never comes from the Host (BAD-INPUTS row 56), so no page is served under it.
    if (scope.kind === 'foreign') return isApiPath(req.path) ? next() : sendForeignHost(res);
    if (scope.kind !== 'domain') return next();
    const { redirects } = scope;
    if (req.path === '/' && readsOnly(req) && redirects.rootRedirect !== null) {
      return res.redirect(302, redirects.rootRedirect);
    }
    const named = codeOfPath(req.path);
    if (named === null || linkDomainKey === null) return next();
    if (
      readsOnly(req) &&
      !named.preview &&
      (redirects.expiredRedirect !== null || redirects.notFoundRedirect !== null)
    ) {
      const link = await deps.links.findLink(named.code, linkDomainKey);
      const state = link === null ? 'unknown' : deps.links.stateOf(link).kind;
      // A link before its start is not found for now (ADR 037), as Shlink sends a short URL
      // that is not enabled yet to its invalidShortUrlRedirect; an unknown code goes on to
      // redirectUnknown.
      const to =
        state === 'scheduled'
          ? redirects.notFoundRedirect
          : state === 'unknown' || state === 'active'
            ? null
            : redirects.expiredRedirect;
      if (to !== null) return res.redirect(302, to);
    }
    next();
  };
}

/**
 * Before the not-found redirect and snip's 404 page: a `GET` or `HEAD` of a code (or its
 * preview) that reached them names no link of the domain the host answers — any link would have
 * been answered — and is counted for that domain's key (an alias's under the domain it aliases),
 * whoever asks: a bot's probing too. Other methods are not asked of codes (and reach the 404 for
 * links that exist too), so they are not counted. The redirect fast path hands unknown codes to
 * Express, so they all pass here, those the not-found rate limit refuses included. Only the count
 * is kept: never the code, nor who asked.
 */
export function countUnknownCodes(count: (domainKey: number) => void): RequestHandler {
  return (req, res, next) => {
    if (readsOnly(req)) {
      const domainKey = linkDomainKeyOf(hostScopeOf(res));
      if (domainKey !== null && codeOfPath(req.path) !== null) count(domainKey);
    }
    next();
  };
}

/** Before snip's 404 page: an added domain with a not-found redirect sends the visitor there. */
export const redirectUnknown: RequestHandler = (req, res, next) => {
  const scope = hostScopeOf(res);
  if (scope.kind === 'domain' && readsOnly(req) && scope.redirects.notFoundRedirect !== null) {
    return res.redirect(302, scope.redirects.notFoundRedirect);
  }
  next();
};

/**
 * `GET /_/tls-ask?domain=go.example`: whether a reverse proxy may get a certificate for the name
 * (Caddy's on-demand TLS `ask`). 200 for the default domain and every added one, in any spelling;
 * 404 for any other; 400 without one name. Answered on any host.
 */
export function answerTlsAsk(domains: DomainService): RequestHandler {
  return async (req, res) => {
    const name = req.query.domain;
    res.set('Cache-Control', 'no-store').type('text/plain');
    if (typeof name !== 'string' || name === '') {
      res.status(400).send('Send one name: /_/tls-ask?domain=go.example\n');
      return;
    }
    const known = domains.isOwnHost(await domains.current(), name);
    res.status(known ? 200 : 404).send(known ? 'ok\n' : 'not a domain of this snip\n');
  };
}
