/**
 * Query forwarding: where a link that forwards sends a visit that came with a query string.
 * The rule (docs/links.md):
 *
 * - The visitor's query string is added after the target's own, joined by `&`: the target's
 *   parameters stay as they are and come first, the visitor's follow in the order they were
 *   sent, repeated names included. Nothing is replaced, sorted or removed, and snip adds no
 *   parameter of its own.
 * - The target's fragment stays the target's, after the query.
 * - The visitor's text is kept as sent (its `%XX` escapes included), except the characters a
 *   query cannot hold, which are percent-encoded (a space becomes `%20`, a stray `%` `%25`).
 * - A result longer than MAX_URL_LENGTH is not sent: the visit goes to the plain target.
 * - An empty query string (`/code?`) forwards nothing.
 */

/**
 * What may stand in a URL's query as it is: RFC 3986's unreserved and sub-delimiter
 * characters, `:`, `@`, `/`, `?`, and `%` before two hex digits. Anything else is escaped.
 */
const NOT_QUERY_TEXT = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})/g;

/**
 * A character of a request line as Node reads it (one byte each, Latin-1) escaped as that byte;
 * anything wider (only possible from a caller other than Node's parser) as its UTF-8 bytes.
 */
function escape(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x100) return `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return encodeURIComponent(char);
}

/**
 * The target with the query string of `requestUrl` (a request's path and query, as
 * `req.url`) added, or the plain target when there is none to add or the result would be
 * longer than `maxLength`.
 */
export function forwardedLocation(target: string, requestUrl: string, maxLength: number): string {
  const start = requestUrl.indexOf('?');
  if (start === -1 || start === requestUrl.length - 1) return target;
  const query = requestUrl.slice(start + 1).replace(NOT_QUERY_TEXT, escape);
  const hash = target.indexOf('#');
  const base = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? '' : target.slice(hash);
  const joint = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  const location = `${base}${joint}${query}${fragment}`;
  return location.length > maxLength ? target : location;
}
