import type { RequestHandler } from 'express';

/**
 * Crawlers may follow short links (a redirect says `X-Robots-Tag: noindex` unless its link is
 * crawlable, docs/links.md: a Disallow would hide that answer from them), but management pages
 * carry secrets in their path, previews only repeat a link's destination, and the admin is
 * private. `*` and `$` are understood by the major crawlers (RFC 9309 leaves them to them).
 */
const ROBOTS_TXT = [
  'User-agent: *',
  'Disallow: /manage/',
  'Disallow: /admin',
  'Disallow: /*+$',
  '',
].join('\n');

export const serveRobotsTxt: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'public, max-age=86400').type('text/plain').send(ROBOTS_TXT);
};
