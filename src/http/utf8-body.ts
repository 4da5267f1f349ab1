import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/**
 * Bodies and query strings must be UTF-8 text. A parser decodes bytes that are not UTF-8 to
 * U+FFFD without a word, so a title, a tag or a password would be stored other than it was
 * typed; these checks refuse such a request with a 400 before any door reads it.
 */

/** The `type` of the error these checks raise; classify-error.ts and the API word it. */
export const NOT_UTF8 = 'body.not.utf8';

/** The error body-parser passes on (it keeps its status, 400) when a `verify` throws it. */
export function notUtf8(): Error {
  return Object.assign(new Error('The request is not UTF-8 text.'), {
    status: 400,
    type: NOT_UTF8,
  });
}

function isHexDigit(byte: number | undefined): boolean {
  return (
    byte !== undefined &&
    ((byte >= 0x30 && byte <= 0x39) ||
      (byte >= 0x41 && byte <= 0x46) ||
      (byte >= 0x61 && byte <= 0x66))
  );
}

/**
 * Whether form-encoded bytes (`a=1&b=caf%C3%A9`, a body or a query string) are UTF-8 both as
 * they are and once their `%XX` escapes are decoded. A `%` that starts no escape is a plain `%`,
 * as the parsers read it.
 */
export function isUtf8FormEncoded(bytes: Uint8Array): boolean {
  if (!isUtf8(bytes)) return false;
  if (!bytes.includes(0x25)) return true;
  const decoded = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x25 && isHexDigit(bytes[i + 1]) && isHexDigit(bytes[i + 2])) {
      decoded[length++] = Number.parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16);
      i += 2;
    } else {
      decoded[length++] = byte;
    }
  }
  return isUtf8(decoded.subarray(0, length));
}

/** body-parser's `verify` for JSON: the body's bytes are UTF-8. */
export function verifyUtf8Json(_req: IncomingMessage, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw notUtf8();
}

/** body-parser's `verify` for forms: the body's bytes, and its escapes, are UTF-8. */
export function verifyUtf8Form(_req: IncomingMessage, _res: unknown, body: Buffer): void {
  if (!isUtf8FormEncoded(body)) throw notUtf8();
}

/** Whether a request's query string (Node keeps its bytes as latin1 in `url`) is UTF-8. */
export function hasUtf8Query(url: string): boolean {
  const start = url.indexOf('?');
  return start === -1 || isUtf8FormEncoded(Buffer.from(url.slice(start + 1), 'latin1'));
}
