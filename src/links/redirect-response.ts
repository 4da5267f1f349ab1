import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VisitCounter, VisitFacts } from '../stats/visit-counter.js';
import { isCountedVisit, referrerHost } from '../stats/visit-rules.js';
import type { RedirectStatus } from './link-options.js';
import type { RedirectTarget } from './link.js';
import { forwardedLocation } from './query-forwarding.js';
import { chooseRuleTarget, parsedRules, statusWithRules } from './redirect-rules.js';

/**
 * Redirects, counted where they are answered (the fast path and the Express route share the
 * responder that calls this). A counted redirect is one addition to a number held here, with no
 * label work: prom-client reads the numbers when /metrics is scraped. Written here and
 * implemented by metrics/, which reads links: links never import metrics.
 */
export type RedirectTally = {
  count(method: string | undefined, status: RedirectStatus): void;
};

/** Whether `host` (from a Referer) is snip itself, as this request reached it. */
export type IsOwnHost = (req: IncomingMessage, host: string) => boolean;

/**
 * A redirect that unlocked a password-protected link: `303 See Other` whatever the link's own
 * status (the browser follows with a GET and never replays the password to the target), with the
 * unlock cookie, and it counts as a visit as the GET it stands for would.
 */
export type Unlocked = { status: 303; cookie: string };

/**
 * `requestId`: the request's id, for `X-Request-Id`, when nothing set it on `res` yet (the fast
 * path): a response whose every header goes to `writeHead` at once is written without Node
 * storing and checking each one first, which allocates more than the rest of a redirect.
 */
export type RedirectResponder = (
  req: IncomingMessage,
  res: ServerResponse,
  link: RedirectTarget,
  unlocked?: Unlocked,
  requestId?: string,
) => void;

/**
 * Following an active link, wherever it is answered (the Express route in link-routes.ts or the
 * fast path in redirect-fast-path.ts): count the visit in memory and the redirect for /metrics,
 * and write the redirect, a head without a body. Both take it from here, so they cannot drift
 * apart.
 */
export function createRedirectResponder(deps: {
  visits: Pick<VisitCounter, 'record'>;
  /**
   * What the statistics derive from a counted visit (stats/visit-facts.ts): null for one that
   * asks not to be tracked; undefined (or no factsOf) for one counted by day and referrer only.
   */
  factsOf?: (req: IncomingMessage) => VisitFacts | null | undefined;
  /** The country of a request's client address, for rules with a country condition. */
  countryOf?: (req: IncomingMessage) => string;
  isOwnHost: IsOwnHost;
  redirects: RedirectTally;
  /** MAX_URL_LENGTH: a forwarded query that would make the target longer is not forwarded. */
  maxUrlLength: number;
  /** The time, for rules that hold before or after an instant. */
  now: () => number;
}): RedirectResponder {
  return (req, res, link, unlocked, requestId) => {
    if (isCountedVisit(unlocked === undefined ? req : { method: 'GET', headers: req.headers })) {
      deps.visits.record(
        link.id,
        referrerHost(req, (host) => deps.isOwnHost(req, host)),
        deps.factsOf?.(req),
        link.maxVisits !== null,
      );
    }
    // A link with rules goes where its first matching rule says (redirect-rules.ts), with a
    // status browsers do not keep and `Vary` naming what its rules read.
    let target = link.target;
    let status = link.redirectStatus;
    // Name, value, name, value…: in the order they are sent.
    const headers: string[] = requestId === undefined ? [] : ['X-Request-Id', requestId];
    if (link.rules !== null) {
      const { rules, vary } = parsedRules(link.rules);
      target =
        chooseRuleTarget(rules, {
          url: req.url ?? '',
          headers: req.headers,
          now: deps.now(),
          country: () => deps.countryOf?.(req) ?? 'unknown',
        }) ?? target;
      status = statusWithRules(status);
      if (vary !== '') headers.push('Vary', vary);
    }
    if (unlocked === undefined) deps.redirects.count(req.method, status);
    // Only a link that forwards looks at the query string (query-forwarding.ts).
    const location =
      link.forwardQuery === 1
        ? forwardedLocation(target, req.url ?? '', deps.maxUrlLength)
        : target;
    if (unlocked !== undefined) headers.push('Set-Cookie', unlocked.cookie);
    headers.push(
      'Location',
      location,
      // Every redirect, forwarded or not: `private`, so no shared cache keeps one visitor's
      // parameters (or a link since changed) for another; `max-age=0`, so browsers ask again.
      'Cache-Control',
      'private, max-age=0',
    );
    // Search engines keep short links out of their results, unless the owner let them in.
    if (link.crawlable !== 1) headers.push('X-Robots-Tag', 'noindex');
    // Cross-origin targets learn at most snip's origin, never which short link was used.
    headers.push('Referrer-Policy', 'strict-origin-when-cross-origin', 'Content-Length', '0');
    res.writeHead(unlocked?.status ?? status, headers);
    res.end();
  };
}
