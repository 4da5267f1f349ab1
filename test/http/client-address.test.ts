import type { IncomingMessage } from 'node:http';
import express from 'express';
import proxyaddr from 'proxy-addr';
import { describe, expect, it } from 'vitest';
import {
  createClientAddress,
  createRequestHostname,
  forwardedClient,
} from '../../src/http/client-address.js';

/** A request as the address functions read it: its socket's address and its headers. */
function request(socket: string | undefined, headers: Record<string, string> = {}) {
  return { socket: { remoteAddress: socket }, headers } as unknown as IncomingMessage;
}

const TRUST_SETTINGS: (boolean | number | string)[] = [
  true,
  0,
  1,
  2,
  'loopback',
  'loopback, 10.0.0.0/8',
  '10.1.2.3, fc00::/7',
  '::ffff:127.0.0.1',
];

/** Headers as clients and proxies send them, tidy and not. */
const HEADERS = [
  undefined,
  '',
  '203.0.113.7',
  '203.0.113.7, 10.1.2.3',
  '203.0.113.7,10.1.2.3,127.0.0.1',
  '  198.51.100.2 ,  10.9.9.9  ',
  'junk, 10.1.2.3',
  '2001:db8::1, fd00::5',
  ',,, 203.0.113.9 ,,',
  '10.1.2.3, 10.1.2.3, 10.1.2.3',
  'not an address at all',
  '::ffff:127.0.0.1, 203.0.113.50',
];

const SOCKETS = ['127.0.0.1', '::1', '10.1.2.3', '203.0.113.1', '::ffff:127.0.0.1', 'fd00::1'];

/** proxy-addr's own answer, as Express computes `req.ip`. */
function expressAnswer(trustProxy: boolean | number | string, req: IncomingMessage): string {
  const trust =
    typeof trustProxy === 'string'
      ? proxyaddr.compile(trustProxy.split(',').map((entry) => entry.trim()))
      : trustProxy === true
        ? () => true
        : (_address: string, hop: number) => hop < (trustProxy as number);
  return proxyaddr(req, trust);
}

describe('createClientAddress', () => {
  it('answers what proxy-addr answers for every trust setting, socket and X-Forwarded-For', () => {
    let compared = 0;
    for (const trustProxy of TRUST_SETTINGS) {
      const clientAddress = createClientAddress(trustProxy, false);
      // Twice: the second time every trusted address is answered from memory.
      for (let round = 0; round < 2; round++) {
        for (const socket of SOCKETS) {
          for (const header of HEADERS) {
            const req = request(socket, header === undefined ? {} : { 'x-forwarded-for': header });
            expect(clientAddress(req), `${trustProxy} ${socket} ${header}`).toBe(
              expressAnswer(trustProxy, req),
            );
            compared += 1;
          }
        }
      }
    }
    expect(compared).toBe(TRUST_SETTINGS.length * 2 * SOCKETS.length * HEADERS.length);
  });

  it('when no proxy is trusted, then a forged X-Forwarded-For changes nothing', () => {
    const clientAddress = createClientAddress(false, false);
    expect(clientAddress(request('203.0.113.1', { 'x-forwarded-for': '10.0.0.1' }))).toBe(
      '203.0.113.1',
    );
    expect(clientAddress(request(undefined))).toBe('');
  });

  it('when the socket is trusted, then an untrusted client before it is the answer, not what it forged', () => {
    const clientAddress = createClientAddress('loopback', false);
    const forged = '198.51.100.66, 203.0.113.7';
    expect(clientAddress(request('127.0.0.1', { 'x-forwarded-for': forged }))).toBe('203.0.113.7');
  });

  it('on Fly.io, Fly-Client-IP names the client; a value that is no address is ignored', () => {
    const clientAddress = createClientAddress(false, true);
    expect(clientAddress(request('172.16.0.2', { 'fly-client-ip': ' 203.0.113.4 ' }))).toBe(
      '203.0.113.4',
    );
    expect(clientAddress(request('172.16.0.2', { 'fly-client-ip': 'nonsense' }))).toBe(
      '172.16.0.2',
    );
  });
});

describe('forwardedClient', () => {
  it('asks about each hop in order, from the socket leftwards, and stops at the first untrusted', () => {
    const asked: [string, number][] = [];
    const trust = (address: string, hop: number) => {
      asked.push([address, hop]);
      return address.startsWith('10.');
    };
    expect(forwardedClient('10.0.0.1', '1.1.1.1, 2.2.2.2, 10.0.0.2', trust)).toBe('2.2.2.2');
    expect(asked).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.2', 1],
      ['2.2.2.2', 2],
    ]);
  });
});

describe('createRequestHostname', () => {
  const HOSTS = [
    undefined,
    '',
    'snip.example',
    'snip.example:8080',
    '[::1]:3000',
    '[2001:db8::1]',
    '127.0.0.1:80',
    '[::]:8080',
    'a:b]c',
  ];
  const FORWARDED_HOSTS = [
    undefined,
    '',
    'public.example',
    'public.example:443',
    'a.example, b.example',
    'a.example:8443 ,b.example',
    'a.example ,b.example',
    '[2001:db8::2]:8443',
  ];

  it("answers what Express's req.hostname answers for every trust setting, socket, Host and X-Forwarded-Host", () => {
    let compared = 0;
    for (const trustProxy of [false, ...TRUST_SETTINGS]) {
      const app = express();
      app.set('trust proxy', trustProxy);
      const hostnameOf = createRequestHostname(trustProxy);
      for (const socket of [...SOCKETS, undefined]) {
        for (const host of HOSTS) {
          for (const forwarded of FORWARDED_HOSTS) {
            const headers: Record<string, string> = {};
            if (host !== undefined) headers.host = host;
            if (forwarded !== undefined) headers['x-forwarded-host'] = forwarded;
            const req = request(socket, headers);
            const asExpress = Object.create(app.request, {
              headers: { value: headers },
              socket: { value: req.socket },
            }) as express.Request;
            expect(hostnameOf(req), `${trustProxy} ${socket} ${host} ${forwarded}`).toBe(
              asExpress.hostname,
            );
            compared += 1;
          }
        }
      }
    }
    expect(compared).toBe(
      (TRUST_SETTINGS.length + 1) * (SOCKETS.length + 1) * HOSTS.length * FORWARDED_HOSTS.length,
    );
  });

  it('when no proxy is trusted, then a forged X-Forwarded-Host changes nothing', () => {
    const hostnameOf = createRequestHostname(false);
    const req = request('203.0.113.1', {
      host: 'snip.example',
      'x-forwarded-host': 'evil.example',
    });
    expect(hostnameOf(req)).toBe('snip.example');
  });
});
