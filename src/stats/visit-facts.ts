import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { VisitFacts } from './visit-counter.js';
import type { VisitorHash } from './visitor-sketch.js';

/**
 * What the statistics look up about a visit, each in memory for the one visit: the visitor's
 * keyed hash under the day's key (visitor-key.ts), the country of the address (geo-country.ts),
 * the User-Agent's browser, OS and device class and the first preferred language
 * (visit-traits.ts). The address and the User-Agent are never kept.
 */
export type VisitLookups = {
  hashOf(address: string, userAgent: string): VisitorHash;
  countryOf(address: string): string;
  traitsOf(userAgent: string): { browser: string; os: string; device: string };
  firstLanguage(acceptLanguage: string | undefined): string;
};

/** Whether a visit asks not to be tracked: `DNT: 1` or `Sec-GPC: 1`. */
export function asksNotToBeTracked(headers: IncomingHttpHeaders): boolean {
  return headers.dnt === '1' || headers['sec-gpc'] === '1';
}

/**
 * A visit's facts for the counter, or null for a visit that asks not to be tracked: nothing
 * is derived from it (not even its country), it only counts. With STATISTICS=basic (`full`
 * false), undefined for the others: the counter keeps their day and referrer only.
 */
export function createVisitFactsOf(
  lookups: VisitLookups,
  clientAddress: (req: IncomingMessage) => string,
  full = true,
): (req: IncomingMessage) => VisitFacts | null | undefined {
  if (!full) return (req) => (asksNotToBeTracked(req.headers) ? null : undefined);
  return (req) => {
    if (asksNotToBeTracked(req.headers)) return null;
    const address = clientAddress(req);
    const agent = req.headers['user-agent'] ?? '';
    const traits = lookups.traitsOf(agent);
    return {
      visitor: lookups.hashOf(address, agent),
      country: lookups.countryOf(address),
      browser: traits.browser,
      os: traits.os,
      device: traits.device,
      language: lookups.firstLanguage(req.headers['accept-language']),
    };
  };
}
