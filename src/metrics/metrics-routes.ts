import type { RequestHandler } from 'express';
import { hashSecret, secretMatches } from '../http/secret-hash.js';
import type { Metrics } from './metrics.js';

/** `Bearer <token>`: the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +(\S+) *$/i;

/**
 * `GET /metrics` in Prometheus's text format, for a scraper that sends
 * `Authorization: Bearer <METRICS_TOKEN>`. The token is compared in constant time (as hashes);
 * without it the answer is 401 with `WWW-Authenticate: Bearer`. Never cached, never rate-limited
 * (a scraper calls every few seconds from one address), and logged at debug when it succeeds.
 */
export function serveMetrics(deps: { metrics: Metrics; token: string }): RequestHandler {
  const tokenHash = hashSecret(deps.token);
  return async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (presented === undefined || !secretMatches(presented, tokenHash)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="snip metrics"')
        .type('text/plain')
        .send('The metrics need Authorization: Bearer <METRICS_TOKEN>.\n');
      return;
    }
    const { contentType, text } = await deps.metrics.scrape();
    res.locals.logLevel = 'debug';
    res.set('Content-Type', contentType).send(text);
  };
}
