import { domainToASCII } from 'node:url';
import { isValidPunycodeLabel } from '../links/punycode-label.js';

/**
 * The one spelling of a host name snip stores and compares (ADR 028): lower case, without a
 * trailing dot, without a port, and in ASCII (a Unicode name in its punycode form, as
 * `domainToASCII` of node:url gives it). `Go.Example.:8080`, `go.example` and `GO.EXAMPLE.` are
 * one host; `bücher.example` is `xn--bcher-kva.example`.
 */

/** RFC 1035: at most 253 characters (without the root's dot), at most 63 between two dots. */
export const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/** A port at the end of a Host header (`:8080`, or a bare `:`), never of an IPv6 literal. */
const PORT = /:\d{0,5}$/;
/** What only a URL, a path or an address can hold: a scheme, a path, a query, user info, escapes. */
const NOT_A_NAME = /[/\\?#@%\s]|:/u;
/** Characters a reader cannot see, which IDNA would silently drop. */
const INVISIBLE = /[\p{Cc}\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;
/** An LDH label: letters, digits and hyphens, neither first nor last a hyphen. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** A last label that WHATWG's URL parser reads as a number makes the name an IPv4 address. */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;

/**
 * The comparison key of any host a request or a setting names: the canonical form's steps,
 * without refusing anything. A request for `[::1]` or `127.0.0.1` gets a key too (itself), which
 * simply matches no configured domain.
 */
export function hostKey(input: string): string {
  let host = input.trim().toLowerCase();
  if (!host.startsWith('[')) host = host.replace(PORT, '');
  else host = host.replace(/^(\[[^\]]*\]):\d{0,5}$/, '$1');
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('[')) return host;
  return domainToASCII(host) || host;
}

/**
 * A host name in its canonical form, or null when the value is not a host name: empty, an IP
 * address, a URL (a scheme, a path, a query, user info), a label that is empty, longer than 63
 * characters, has characters other than letters, digits and hyphens (an underscore, say) or a
 * hyphen at either end, an `xn--` label that is not real punycode, or a name over 253
 * characters. A port and one trailing dot are dropped, as a Host header carries them.
 */
export function canonicalHost(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const trimmed = input.trim();
  if (trimmed === '' || trimmed.length > MAX_HOST_LENGTH + 7 || INVISIBLE.test(trimmed)) {
    return null;
  }
  const withoutPort = trimmed.replace(PORT, '');
  if (NOT_A_NAME.test(withoutPort) || withoutPort.startsWith('[')) return null;
  const host = hostKey(trimmed);
  if (host === '' || host.length > MAX_HOST_LENGTH) return null;
  const labels = host.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_LENGTH) return null;
    if (!LABEL.test(label) || !isValidPunycodeLabel(label)) return null;
  }
  if (NUMERIC_LABEL.test(labels.at(-1)!)) return null;
  return host;
}

/** Names only the machine itself reaches snip by; they always reach the default domain. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(key: string): boolean {
  return LOOPBACK.has(key);
}
