import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/** An incoming id (Fly's, or a proxy's) is reused when it looks like one; anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/**
 * The request's id: Fly's `Fly-Request-Id` or a proxy's `X-Request-Id` when it looks like an id,
 * a new UUID otherwise. The Express middleware below and the redirect fast path
 * (links/redirect-fast-path.ts) both take it from here.
 */
export function requestIdFor(headers: IncomingHttpHeaders): string {
  const incoming = headers['fly-request-id'] ?? headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export type RequestLine = {
  reqId: string;
  method: string | undefined;
  /** Already redacted, and never with the query string. */
  path: string;
  status: number;
  /** `process.hrtime.bigint()` when the request arrived. */
  started: bigint;
};

/**
 * Writes the one line a request gets; both the Express middleware and the fast path call it.
 * The fast path writes its redirects at `debug` (ADR 011), so by default they are skipped here
 * before any work is done.
 */
export function logRequestLine(
  logger: Logger,
  line: RequestLine,
  level: 'info' | 'debug' = 'info',
): void {
  if (!logger.isLevelEnabled(level)) return;
  const ms = Number(process.hrtime.bigint() - line.started) / 1e6;
  logger[level](
    {
      reqId: line.reqId,
      method: line.method,
      path: line.path,
      status: line.status,
      ms: Math.round(ms * 10) / 10,
    },
    'request',
  );
}

/**
 * The path a request asked for, without its query string, which may carry a secret (YOURLS's
 * `signature`, Shlink's `apiKey`). Not `req.path`: inside a router mounted under a prefix
 * (`/api/v1`, `/admin`), that is only the part after the prefix.
 */
function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  if (path.startsWith('/')) return path;
  // An absolute-form target (`GET http://host/manage/<token>`) is routed by its path alone, so
  // it is logged, and redacted, by its path alone.
  return URL.canParse(path) ? new URL(path).pathname : path;
}

/**
 * One JSON line per request with its id, method, path (never the query string, and never a
 * management token), status and duration, at info unless the handler noted `debug`. The id is echoed in `X-Request-Id` and printed on
 * error pages, so a user's report can be matched with the log.
 */
export function logRequests(logger: Logger, redactPath: (path: string) => string): RequestHandler {
  return (req, res, next) => {
    req.id = requestIdFor(req.headers);
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logRequestLine(
        logger,
        {
          reqId: req.id,
          method: req.method,
          path: redactPath(pathOf(req.originalUrl)),
          status: res.statusCode,
          started,
        },
        // A handler may ask for debug when a line per request would be noise (a metrics scrape).
        res.locals.logLevel ?? 'info',
      );
    });
    next();
  };
}
