import { randomUUID } from 'node:crypto';
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
 * One JSON line per request with its id, method, path (never the query string, and never a
 * management token), status and duration. The id is echoed in `X-Request-Id` and printed on
 * error pages, so a user's report can be matched with the log.
 */
export function logRequests(logger: Logger, redactPath: (path: string) => string): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('fly-request-id') ?? req.get('x-request-id');
    req.id = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          reqId: req.id,
          method: req.method,
          path: redactPath(req.path),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    });
    next();
  };
}
