import type { IncomingMessage, RequestListener, ServerOptions, ServerResponse } from 'node:http';

/**
 * How long snip waits for a slow or silent client. Node's defaults (60 s for headers, 300 s for
 * a request, checked every 30 s) let a few hundred connections that trickle their headers
 * (slowloris) or never finish a body sit on the server for minutes. Fly's proxy gives up on an
 * app that sends nothing back after 60 s, so every limit here is well below what it would wait.
 */
export const SERVER_TIMEOUTS = {
  /** The request line and headers must arrive within this; otherwise 408 and the socket closes. */
  headersTimeout: 10_000,
  /**
   * The whole request, body included (a form is at most 16 KiB), for every route but an
   * import's upload (limitRequestTime enforces it; Node's own check is the backstop).
   */
  requestTimeout: 20_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeout: 5_000,
  /** How often the timeouts above are enforced. */
  connectionsCheckingInterval: 1_000,
} as const;

/**
 * How long the upload of an import (`POST /admin/import`, up to 32 MB) may take: 32 MB in ten
 * minutes is about 0.5 Mbit/s. The route stops a slower upload itself and answers a page that
 * says so; the body keeps arriving throughout, so no proxy takes the connection for idle.
 */
export const IMPORT_UPLOAD_TIMEOUT_MS = 10 * 60_000;

/** Requests that may take longer than `requestTimeout` to arrive: an import's file upload. */
export function isSlowUpload(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.url ?? '').split('?', 1)[0] === '/admin/import';
}

/**
 * The options for http.createServer. Node applies one request timeout to every request, so it
 * is set to the slowest allowed upload plus a margin (a backstop), and limitRequestTime cuts
 * every other request at `requestTimeout`.
 */
export function serverOptions(
  timeouts: { headersTimeout: number; requestTimeout: number } = SERVER_TIMEOUTS,
  uploadTimeoutMs: number = IMPORT_UPLOAD_TIMEOUT_MS,
): ServerOptions {
  return {
    ...SERVER_TIMEOUTS,
    ...timeouts,
    requestTimeout: Math.max(timeouts.requestTimeout, uploadTimeoutMs) + 30_000,
  };
}

/**
 * Whether a request announces a body. One without (every redirect) has arrived whole with its
 * headers, which headersTimeout already bounds, so it needs no clock of its own.
 */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Cuts a request whose body has not arrived whole within `requestTimeoutMs` (slowloris and its
 * kin), as Node's own request timeout would: a bare 408 if nothing was answered yet, and the
 * connection closed. An import's upload (isSlowUpload) is left to its route's longer limit.
 */
export function limitRequestTime(
  listener: RequestListener,
  requestTimeoutMs: number = SERVER_TIMEOUTS.requestTimeout,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (hasBody(req) && !isSlowUpload(req)) {
      const timer = setTimeout(() => {
        if (req.complete) return;
        const socket = req.socket;
        if (!res.headersSent && socket.writable) {
          socket.end(
            'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
          );
        }
        socket.destroySoon();
      }, requestTimeoutMs);
      timer.unref();
      // Done once the body has arrived. A response sent before it did (a refusal) does not
      // stop the clock: Node goes on reading the rest of the body.
      req.once('end', () => clearTimeout(timer));
      res.once('close', () => {
        if (req.complete || req.socket.destroyed) clearTimeout(timer);
      });
    }
    listener(req, res);
  };
}
