import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import proxyaddr from 'proxy-addr';

/**
 * The address a request comes from, the same wherever it is asked (the redirect fast path has
 * no Express `req.ip`): on Fly.io the client its proxy names in `Fly-Client-IP` (the socket is
 * always the proxy there); elsewhere the socket's, or the address the proxies TRUST_PROXY trusts
 * report in `X-Forwarded-For`, as Express works it out (proxy-addr is what Express uses). A
 * forged header from an untrusted client changes nothing. '' when there is none.
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
    if (trust === null) return req.socket.remoteAddress ?? '';
    try {
      return proxyaddr(req, trust);
    } catch {
      return req.socket.remoteAddress ?? '';
    }
  };
}

/** TRUST_PROXY as proxy-addr takes it, as Express compiles its `trust proxy` setting. */
function compileTrust(
  trustProxy: boolean | number | string,
): ((address: string, hop: number) => boolean) | null {
  if (trustProxy === false) return null;
  if (trustProxy === true) return () => true;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  return proxyaddr.compile(trustProxy.split(',').map((entry) => entry.trim()));
}
