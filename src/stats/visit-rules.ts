import type { IncomingMessage } from 'node:http';
import { isbot } from 'isbot';
import { REMEMBERED_AGENT_LENGTH, REMEMBERED_AGENTS, rememberedBy } from './remembered.js';

/**
 * Whether a request to a short link counts as a visit: a GET from something that is not a known
 * bot and not a speculative prefetch (browsers send `Sec-Purpose: prefetch`, older ones
 * `Purpose: prefetch` or `X-Moz: prefetch`). HEAD requests are link checkers, not people.
 */
export function isCountedVisit(req: Pick<IncomingMessage, 'method' | 'headers'>): boolean {
  if (req.method !== 'GET') return false;
  const purpose = req.headers['sec-purpose'] ?? req.headers['purpose'] ?? req.headers['x-moz'];
  if (typeof purpose === 'string' && purpose.toLowerCase().includes('prefetch')) return false;
  const agent = req.headers['user-agent'];
  // No user agent at all is a script, not a person's browser.
  return typeof agent === 'string' && agent !== '' && !isBotAgent(agent);
}

/**
 * isbot runs one large regular expression per call, a noticeable part of a redirect's time;
 * visitors' browsers send few distinct agents, so each answer is remembered.
 */
function isBotAgent(agent: string): boolean {
  return agent.length <= REMEMBERED_AGENT_LENGTH ? rememberedBot(agent) : isbot(agent);
}
const rememberedBot = rememberedBy(REMEMBERED_AGENTS, isbot);

/**
 * The host of the page the visitor came from, lower-case; '' when there is none, it is not
 * http(s), or it is snip itself. Only the host is kept: paths and queries of the referring page
 * may be private.
 */
export function referrerHost(
  req: Pick<IncomingMessage, 'headers'>,
  isOwnHost: (host: string) => boolean,
): string {
  const referer = req.headers.referer;
  if (typeof referer !== 'string' || referer.length > 2048) return '';
  try {
    const url = new URL(referer);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
    const host = url.hostname.toLowerCase();
    return isOwnHost(host) ? '' : host;
  } catch {
    return '';
  }
}
