import type { ServerOptions } from 'node:http';

/**
 * How long snip waits for a slow or silent client. Node's defaults (60 s for headers, 300 s for
 * a request, checked every 30 s) let a few hundred connections that trickle their headers
 * (slowloris) or never finish a body sit on the server for minutes. Fly's proxy gives up on an
 * app after 60 s, so every limit here is well below what it would wait.
 */
export const SERVER_TIMEOUTS = {
  /** The request line and headers must arrive within this; otherwise 408 and the socket closes. */
  headersTimeout: 10_000,
  /** The whole request, body included (a form is at most 16 KiB). */
  requestTimeout: 20_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeout: 5_000,
  /** How often the timeouts above are enforced. */
  connectionsCheckingInterval: 1_000,
} as const satisfies ServerOptions;
