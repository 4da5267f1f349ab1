import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Text } from '../i18n/catalog.js';
import { classifyError } from './classify-error.js';
import { HttpError } from './http-error.js';
import { retryIn, type RequestLimit } from './rate-limits.js';
import { noteStorageUnavailable } from './request-notes.js';

type Problem = { status: number; message: string; headers: Record<string, string> };

/**
 * The one 404 page. Every unknown address counts against the client's not-found limit, so
 * guessing codes (or management tokens) stops at RATE_LIMIT_NOT_FOUND; links that exist never
 * reach this handler and are never limited.
 */
export function handleNotFound(limit: RequestLimit): RequestHandler {
  return async (req, res, next) => {
    // Whichever route passed the request on, it is a 404 (or its 429) to the request metrics.
    res.locals.routeName = 'not_found';
    const verdict = await limit(req, res);
    if (verdict?.limited) {
      next(
        new HttpError(
          429,
          `Too many requests for links that do not exist. Try again ${retryIn(verdict.resetSeconds)}.`,
        ),
      );
      return;
    }
    res.status(404).render('not-found');
  };
}

/**
 * The one error handler: 4xx for the client's mistakes, 503 with Retry-After when storage is
 * unavailable, a generic 500 otherwise. It never shows a stack trace; 5xx are logged with the
 * request id that the page prints.
 */
export function handleErrors(logger: Logger, pageHeaders: RequestHandler): ErrorRequestHandler {
  return (error, req, res, next) => {
    const problem: Problem = classifyError(error);
    if (problem.status === 503) noteStorageUnavailable(res, error);
    if (problem.status >= 500) logger.error({ err: error, reqId: req.id }, 'request failed');
    if (res.headersSent) return next(error);
    res.status(problem.status).set(problem.headers);
    // An error raised before the page middleware ran (e.g. a malformed path on the redirect
    // route) still gets the security headers of a page.
    // An HttpError's own message, which may be a Text to word in the page's language.
    const said = error instanceof HttpError ? error.said : problem.message;
    void pageHeaders(req, res, () => renderError(res, problem, said, req.id, logger));
  };
}

function renderError(
  res: Response,
  problem: Problem,
  said: Text | string,
  requestId: string,
  logger: Logger,
): void {
  const locals = { status: problem.status, message: said, requestId };
  res.render('error', locals, (error, html) => {
    if (error) {
      logger.error({ err: error, reqId: requestId }, 'error page failed to render');
      res.type('text/plain').send(problem.message);
      return;
    }
    res.send(html);
  });
}
