import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import proxyaddr from 'proxy-addr';

/** A trusted-proxy test as proxy-addr takes it: an address, and its hop from the socket (0). */
type Trust = (address: string, hop: number) => boolean;

/**
 * The address a request comes from, the same wherever it is asked (the redirect fast path has
 * no Express `req.ip`): on Fly.io the client its proxy names in `Fly-Client-IP` (the socket is
 * always the proxy there); elsewhere the socket's, or the address the proxies TRUST_PROXY trusts
 * report in `X-Forwarded-For`, exactly as Express works it out with proxy-addr. A forged header
 * from an untrusted client changes nothing. '' when there is none.
 */
export function createClientAddress(
  trustProxy: boolean | number | string,
  onFly: boolean,
): (req: IncomingMessage) => string {
  const trust = compileTrust(trustProxy);
  return (req) => {
    if (onFly) {
      const header = req.headers['fly-client-ip'];
      const fly = typeof header === 'string' ? header.trim() : '';
      if (net.isIP(fly) !== 0) return fly;
    }
    const socket = req.socket.remoteAddress ?? '';
    if (trust === null) return socket;
    const header = req.headers['x-forwarded-for'];
    return forwardedClient(socket, typeof header === 'string' ? header : undefined, trust);
  };
}

/**
 * The host name a request names, as Express's `req.hostname` works it out: `X-Forwarded-Host`'s
 * first value when TRUST_PROXY trusts the socket's address, else `Host`; without its port
 * (an IPv6 literal keeps its brackets). For the redirect fast path, whose requests have no
 * Express prototype: giving each one Express's prototype to ask it cost about a microsecond a
 * redirect, and made every later read of the request slower.
 */
export function createRequestHostname(
  trustProxy: boolean | number | string,
): (req: IncomingMessage) => string | undefined {
  const trust = compileTrust(trustProxy);
  return (req) => {
    const forwarded = req.headers['x-forwarded-host'];
    let host: string | undefined;
    if (
      typeof forwarded === 'string' &&
      forwarded !== '' &&
      trust !== null &&
      trust(req.socket.remoteAddress ?? '', 0)
    ) {
      const comma = forwarded.indexOf(',');
      host = comma === -1 ? forwarded : forwarded.substring(0, comma).trimEnd();
    } else host = req.headers.host;
    if (!host) return undefined;
    const offset = host[0] === '[' ? host.indexOf(']') + 1 : 0;
    const colon = host.indexOf(':', offset);
    return colon === -1 ? host : host.substring(0, colon);
  };
}

/**
 * proxy-addr's answer for a request — the first address, from the socket leftwards through
 * `X-Forwarded-For`, that `trust` does not trust, or the leftmost one when it trusts every hop —
 * without the arrays and parsed addresses it makes for each request: behind a proxy, they were
 * a quarter of everything a redirect allocated. The header is split as proxy-addr splits it
 * (commas, spaces around them), from its end.
 */
export function forwardedClient(socket: string, header: string | undefined, trust: Trust): string {
  let address = socket;
  if (header === undefined) return address;
  let hop = 0;
  let end = header.length;
  let start = end;
  // One step past the start: an imagined comma there ends the leftmost address.
  for (let i = header.length - 1; i >= -1; i--) {
    const char = i === -1 ? 0x2c : header.charCodeAt(i);
    if (char === 0x20) {
      if (start === end) start = end = i;
    } else if (char === 0x2c) {
      if (start !== end) {
        if (!trust(address, hop)) return address;
        address = header.substring(start, end);
        hop += 1;
      }
      start = end = i;
    } else start = i;
  }
  return address;
}

/** Trusted addresses remembered, up to this many before they are forgotten. */
const TRUST_ANSWERS = 1024;

/**
 * TRUST_PROXY as proxy-addr takes it, as Express compiles its `trust proxy` setting. A list of
 * addresses and ranges is tested once per proxy: the same proxies forward every request, and
 * proxy-addr parses an address again for each test. Only trusted addresses are remembered,
 * proxies', never a visitor's.
 */
function compileTrust(trustProxy: boolean | number | string): Trust | null {
  if (trustProxy === false) return null;
  if (trustProxy === true) return () => true;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  const compiled = proxyaddr.compile(trustProxy.split(',').map((entry) => entry.trim()));
  const trusted = new Set<string>();
  return (address) => {
    if (trusted.has(address)) return true;
    if (!compiled(address, 0)) return false;
    if (trusted.size >= TRUST_ANSWERS) trusted.clear();
    trusted.add(address);
    return true;
  };
}
