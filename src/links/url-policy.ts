import { text, type Text } from '../i18n/catalog.js';
import { isValidPunycodeLabel } from './punycode-label.js';
import { parseIpv4, parseIpv6 } from '../http/ip-address.js';

/**
 * What may be shortened (PRODUCT.md §5, BAD-INPUTS.md rows 1–29). Pure: no I/O, no DNS —
 * snip never fetches a target, so every decision is made on the text of the URL alone.
 */

export type UrlPolicyOptions = {
  /** MAX_URL_LENGTH, e.g. 2048. */
  maxLength: number;
  /** snip's own host names, e.g. ['snip.example', 'localhost']; case, ports and a trailing dot are ignored. */
  ownHosts: readonly string[];
  /** Admin blocklist; a listed host also blocks its subdomains. */
  blockedHosts?: readonly string[];
  /** The HTML form passes true ("example.com" becomes "https://example.com/"); the API passes false. */
  addMissingScheme: boolean;
  /** Whether a new link is being made or an existing one pointed elsewhere: only the words differ. */
  purpose?: UrlPurpose;
};

export type UrlPurpose = 'shorten' | 'change';

export type UrlRejection =
  | 'empty'
  | 'too_long'
  | 'control_chars'
  | 'invisible_host'
  | 'long_host'
  | 'invalid'
  | 'scheme'
  | 'no_host'
  | 'credentials'
  | 'own_host'
  | 'shortener'
  | 'private_address'
  | 'blocked_host';

export type UrlCheck =
  { ok: true; url: string } | { ok: false; reason: UrlRejection; message: Text };

/**
 * General-purpose public shorteners (subdomains count too). Shortening one of their links would
 * build a chain that hides the real destination from our preview page. Single-brand short domains
 * that only ever point at their own site (youtu.be, amzn.to, redd.it) are deliberately left out:
 * they hide nothing and people share them all the time.
 */
export const SHORTENER_HOSTS: readonly string[] = Object.freeze([
  'bit.ly',
  'bitly.com',
  'j.mp',
  'bit.do',
  'tinyurl.com',
  'tiny.one',
  'tiny.cc',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'v.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'shorturl.com',
  'rb.gy',
  't.ly',
  'bl.ink',
  's.id',
  'lnkd.in',
  'trib.al',
  'dlvr.it',
  'ift.tt',
  'kutt.it',
  'dub.sh',
  'short.gy',
  'x.co',
  'adf.ly',
  'shorte.st',
  'sh.st',
  'ouo.io',
  'clck.ru',
  'u.to',
  'qr.ae',
  'po.st',
  'soo.gd',
  'surl.li',
  'gg.gg',
  'hubs.ly',
  'spoo.me',
]);

const SHORTENER_SET: ReadonlySet<string> = new Set(SHORTENER_HOSTS);

/**
 * Why a target is refused, in words for the person who typed it (a Text: the pages word it in
 * their language, the APIs in English). The same policy guards shortening and changing a link's
 * destination, so the verb follows what they are doing (`purpose` selects it in the message).
 */
const MESSAGES: Record<Exclude<UrlRejection, 'too_long'>, (purpose: UrlPurpose) => Text> = {
  empty: (purpose) =>
    purpose === 'shorten' ? text('links.url.emptyShorten') : text('links.url.emptyChange'),
  control_chars: () => text('links.url.controlChars'),
  invisible_host: () => text('links.url.invisibleHost'),
  invalid: () => text('links.url.invalid'),
  long_host: () => text('links.url.longHost'),
  scheme: (purpose) => text('links.url.scheme', { purpose }),
  no_host: () => text('links.url.noHost'),
  credentials: (purpose) => text('links.url.credentials', { purpose }),
  own_host: (purpose) => text('links.url.ownHost', { purpose }),
  shortener: (purpose) => text('links.url.shortener', { purpose }),
  private_address: (purpose) => text('links.url.privateAddress', { purpose }),
  blocked_host: () => text('links.url.blockedHost'),
};

const MISSING_SCHEME_MESSAGE: Text = text('links.url.missingScheme');

// C0 and C1 controls plus every Unicode White_Space character (tab, NBSP, U+2028/2029, U+3000 …)
// except the plain space. WHATWG would silently strip or drop some of them (tab, CR, LF, NUL),
// turning "java\tscript:" into "javascript:", so they are refused before parsing. A plain space
// inside the path or query is percent-encoded by the parser (BAD-INPUTS row 28 expects
// "?q=<img src=x onerror=…>" to be accepted) and makes a host invalid; at either end of the input,
// where the parser would strip it, it is refused. Format characters (U+202E, U+200B) are not
// whitespace; WHATWG percent-encodes them in the path.
const CONTROL_OR_SPACE = /(?! )[\p{Cc}\p{White_Space}]|^ | $/u;

// Characters a reader cannot see: default-ignorable code points (zero-width space and joiners,
// soft hyphen, variation selectors, U+FEFF) and the bidirectional controls (U+202A–U+202E,
// U+2066–U+2069, LRM, RLM, ALM). In a path or query the parser keeps them percent-encoded
// (%E2%80%8B), visible on every page, so only the host refuses them.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

/**
 * "https://user@host:8080/path" → "user@host:8080": what lies between the scheme's slashes and the
 * path. For http(s) the parser skips any run of slashes and backslashes after the colon, none
 * included ("https:host", "https:\\host"), so the authority starts after that run.
 */
function authorityOf(url: string): string {
  const rest = url.slice(url.indexOf(':') + 1).replace(/^[/\\]*/, '');
  const end = rest.search(/[/?#\\]/);
  return end === -1 ? rest : rest.slice(0, end);
}

// RFC 3986 scheme syntax. A dot before the colon means "host:port" ("example.com:8080/x"),
// which the form should prefix rather than treat as a scheme.
const SCHEME_PREFIX = /^([a-z][a-z0-9+.-]*):/i;

export function checkTargetUrl(input: string, options: UrlPolicyOptions): UrlCheck {
  const purpose = options.purpose ?? 'shorten';
  const reject = (reason: Exclude<UrlRejection, 'too_long'>): UrlCheck => ({
    ok: false,
    reason,
    message: MESSAGES[reason](purpose),
  });
  if (input === '') return reject('empty');
  if (CONTROL_OR_SPACE.test(input)) return reject('control_chars');
  if (input.length > options.maxLength) return rejectTooLong(options.maxLength);

  let candidate = input;
  const scheme = SCHEME_PREFIX.exec(input)?.[1];
  if (scheme !== undefined && !scheme.includes('.')) {
    const lower = scheme.toLowerCase();
    // Decided before parsing so that "javascript:" never depends on what the parser makes of the rest.
    if (lower !== 'http' && lower !== 'https') return reject('scheme');
  } else if (/^[/\\]/.test(input) || !options.addMissingScheme) {
    // "//evil.example/x" is scheme-relative; prefixing it would yield "https:////evil.example/x",
    // which WHATWG reads as https://evil.example/x, so it is refused rather than guessed at.
    return { ok: false, reason: 'scheme', message: MISSING_SCHEME_MESSAGE };
  } else {
    candidate = `https://${input}`;
  }

  // The parser silently drops zero-width and other ignorable characters from a host name
  // ("exam\u200Bple.com" becomes "example.com"), so the link would not be the one typed.
  const authority = authorityOf(candidate);
  if (INVISIBLE.test(authority)) return reject('invisible_host');
  // Before the parser converts a long IDN host to punycode: even written with %XX escapes a
  // name DNS can hold takes at most three characters per character.
  if (authority.length - authority.lastIndexOf('@') - 1 > 3 * (MAX_HOST_LENGTH + 1) + 6) {
    return reject('long_host');
  }

  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return reject('invalid');
  }
  // Belt and braces: the prefix check above should make anything else impossible.
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return reject('scheme');

  if (parsed.hostname.length > MAX_HOST_LENGTH + 1) return reject('long_host');
  const host = hostKey(parsed.hostname);
  if (host === '') return reject('no_host');
  // First of all host checks: a name DNS cannot hold is refused before any work is spent on its
  // labels, which keeps every check below bounded (an IDN host grows about fourfold in punycode).
  if (!host.startsWith('[') && !fitsDns(host)) return reject('long_host');
  if (!host.startsWith('[') && !host.split('.').every(isValidPunycodeLabel)) {
    return reject('invalid');
  }

  const ownHosts = new Set(options.ownHosts.map(normaliseConfiguredHost));
  if (ownHosts.has(host)) return reject('own_host');
  if (matchesHostOrParent(host, SHORTENER_SET)) return reject('shortener');
  if (isPrivateHost(host)) return reject('private_address');
  const blocked = normalisedSet(options.blockedHosts ?? NO_HOSTS);
  if (matchesHostOrParent(host, blocked)) return reject('blocked_host');
  // After the host checks so that "https://user@<our-host>/" is reported as a self-link.
  if (parsed.username !== '' || parsed.password !== '') return reject('credentials');

  // Normalisation can lengthen the input (percent-encoding, punycode), so the cap applies again.
  if (parsed.href.length > options.maxLength) return rejectTooLong(options.maxLength);
  return { ok: true, url: parsed.href };
}

function rejectTooLong(maxLength: number): UrlCheck {
  return {
    ok: false,
    reason: 'too_long',
    message: text('links.url.tooLong', { max: maxLength }),
  };
}

/**
 * Comparison key for a parsed host name: the parser has already lowercased it and applied IDNA;
 * leading, trailing and repeated dots are dropped because "snip.example." and "snip.example" reach
 * the same site.
 */
function hostKey(hostname: string): string {
  if (hostname.startsWith('[')) return hostname;
  return hostname
    .split('.')
    .filter((label) => label !== '')
    .join('.');
}

const NO_HOSTS: readonly string[] = Object.freeze([]);
const normalisedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * The blocklist as comparison keys, computed once per list: the caller hands the same array
 * until the list changes, so a long blocklist costs one Set lookup per parent domain, not a parse
 * of every entry per URL.
 */
function normalisedSet(hosts: readonly string[]): ReadonlySet<string> {
  let set = normalisedSets.get(hosts);
  if (!set) {
    set = new Set(hosts.map(normaliseConfiguredHost).filter(Boolean));
    normalisedSets.set(hosts, set);
  }
  return set;
}

/** Accepts "Host.Example.:8080", "https://host.example/", "*.host.example" or "[::1]:3000". */
function normaliseConfiguredHost(entry: string): string {
  const trimmed = entry.trim().replace(/^\*\./, '');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  try {
    return hostKey(new URL(withScheme).hostname);
  } catch {
    // A value the parser refuses (say, a junk Host header used as our own host) cannot match any
    // parsed target host exactly, but a plain lowercase compare keeps the check from throwing.
    return hostKey(trimmed.toLowerCase().replace(/:\d*$/, ''));
  }
}

/** RFC 1035: at most 253 characters (without the root's dot), at most 63 between two dots. */
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

function fitsDns(host: string): boolean {
  if (host.length > MAX_HOST_LENGTH) return false;
  let labelStart = 0;
  for (let i = 0; i <= host.length; i += 1) {
    if (i === host.length || host.charCodeAt(i) === 0x2e) {
      if (i - labelStart > MAX_LABEL_LENGTH) return false;
      labelStart = i + 1;
    }
  }
  return true;
}

/** Whether the host or one of its parent domains is in the set; one pass over the dots. */
function matchesHostOrParent(host: string, hosts: ReadonlySet<string>): boolean {
  if (hosts.has(host)) return true;
  if (host.startsWith('[')) return false;
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
    if (hosts.has(host.slice(dot + 1))) return true;
  }
  return false;
}

// Names that only resolve inside a private network or on the machine itself: RFC 6761 (localhost),
// RFC 6762 (local), RFC 8375 (home.arpa), Fly's and GCP's ".internal", and suffixes that routers and
// company networks use but the public DNS does not delegate (corp and home are on ICANN's
// name-collision list).
const PRIVATE_SUFFIXES: ReadonlySet<string> = new Set([
  'localhost',
  'localdomain',
  'internal',
  'local',
  'home.arpa',
  'lan',
  'intranet',
  'corp',
  'home',
  'private',
]);

function isPrivateHost(host: string): boolean {
  if (host.startsWith('[')) {
    const groups = parseIpv6(host.slice(1, -1));
    // The parser already accepted it, so a failure here is a bug in ours: fail closed.
    return groups === null || isPrivateIpv6(groups);
  }
  const ipv4 = parseIpv4(host);
  if (ipv4 !== null) return isPrivateIpv4(ipv4);
  // A single label ("http://intranet/") can only be resolved through a local search domain.
  if (!host.includes('.')) return true;
  return matchesHostOrParent(host, PRIVATE_SUFFIXES);
}

// IANA IPv4 special-purpose registry, plus multicast and the reserved 240/4 (which includes
// 255.255.255.255).
const PRIVATE_IPV4_RANGES: readonly (readonly [base: number, prefixLength: number])[] = (
  [
    ['0.0.0.0', 8], // "this network"
    ['10.0.0.0', 8], // RFC 1918
    ['100.64.0.0', 10], // carrier-grade NAT, RFC 6598
    ['127.0.0.0', 8], // loopback
    ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
    ['172.16.0.0', 12], // RFC 1918
    ['192.0.0.0', 24], // IETF protocol assignments
    ['192.0.2.0', 24], // TEST-NET-1
    ['192.88.99.0', 24], // 6to4 relay anycast
    ['192.168.0.0', 16], // RFC 1918
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24], // TEST-NET-2
    ['203.0.113.0', 24], // TEST-NET-3
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, broadcast
  ] as const
).map(([base, prefixLength]) => [requireIpv4(base), prefixLength] as const);

function requireIpv4(text: string): number {
  const value = parseIpv4(text);
  if (value === null) throw new Error(`Not an IPv4 address: ${text}`);
  return value;
}

function isPrivateIpv4(address: number): boolean {
  return PRIVATE_IPV4_RANGES.some(([base, prefixLength]) => {
    // Division instead of bit shifts: JavaScript shifts are signed 32-bit.
    const size = 2 ** (32 - prefixLength);
    return Math.floor(address / size) === Math.floor(base / size);
  });
}

/** True when the first `prefix.length` bits of the address equal those of the prefix. */
function inIpv6Prefix(groups: readonly number[], prefix: Ipv6Prefix): boolean {
  for (let bit = 0; bit < prefix.length; bit += 16) {
    const width = Math.min(16, prefix.length - bit);
    const mask = (0xffff << (16 - width)) & 0xffff;
    const index = bit / 16;
    // Groups left out of a prefix are zero, as in "fe80::".
    if (((groups[index] ?? 0) & mask) !== ((prefix.groups[index] ?? 0) & mask)) return false;
  }
  return true;
}

function embeddedIpv4(groups: readonly number[], firstGroup: number): number {
  return (groups[firstGroup] ?? 0) * 0x10000 + (groups[firstGroup + 1] ?? 0);
}

type Ipv6Prefix = { groups: readonly number[]; length: number };

// Prefixes that carry an IPv4 address which a dual-stack, NAT64 or 6to4 network delivers to that
// IPv4 host, so the verdict is the embedded address's. `at` is the group where it starts.
const IPV4_EMBEDDING_PREFIXES: readonly (Ipv6Prefix & { at: number })[] = [
  { groups: [0, 0, 0, 0, 0, 0xffff], length: 96, at: 6 }, // IPv4-mapped ::ffff:a.b.c.d
  { groups: [0, 0, 0, 0, 0xffff, 0], length: 96, at: 6 }, // IPv4-translated ::ffff:0:a.b.c.d, RFC 6145
  { groups: [0x64, 0xff9b], length: 96, at: 6 }, // NAT64 64:ff9b::a.b.c.d, RFC 6052
  { groups: [0x2002], length: 16, at: 1 }, // 6to4 2002:aabb:ccdd::, RFC 3056
];

const PRIVATE_IPV6_PREFIXES: readonly Ipv6Prefix[] = [
  { groups: [], length: 96 }, // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  { groups: [0x64, 0xff9b, 1], length: 48 }, // local-use NAT64, RFC 8215
  { groups: [0x100], length: 64 }, // discard-only
  // Teredo tunnels reach an IPv4 client hidden (inverted) in the address: nothing a link needs.
  { groups: [0x2001, 0], length: 32 }, // Teredo 2001::/32, RFC 4380
  { groups: [0x2001, 0xdb8], length: 32 }, // documentation
  { groups: [0x3fff], length: 20 }, // documentation, RFC 9637
  { groups: [0xfc00], length: 7 }, // unique local (Fly's private network is fdaa::/16)
  { groups: [0xfe80], length: 10 }, // link-local
  { groups: [0xfec0], length: 10 }, // deprecated site-local
  { groups: [0xff00], length: 8 }, // multicast
];

function isPrivateIpv6(groups: readonly number[]): boolean {
  for (const { at, ...prefix } of IPV4_EMBEDDING_PREFIXES) {
    if (inIpv6Prefix(groups, prefix)) return isPrivateIpv4(embeddedIpv4(groups, at));
  }
  return PRIVATE_IPV6_PREFIXES.some((prefix) => inIpv6Prefix(groups, prefix));
}
