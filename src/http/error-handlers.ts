import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { HttpError } from './http-error.js';
import { isStorageUnavailable } from '../db/storage-unavailable.js';
import { retryIn, type RequestLimit } from './rate-limits.js';
import { noteStorageUnavailable } from './request-notes.js';

/** How long a client should wait before retrying when the database is busy or full. */
const RETRY_AFTER_SECONDS = '5';

/** Messages for the errors Express's body parsers and router raise, keyed by their `type`. */
const PARSER_MESSAGES: Record<string, string> = {
  'entity.too.large': 'The request is too large.',
  'parameters.too.many': 'The form has too many fields.',
  'entity.parse.failed': 'The request body could not be read.',
  'encoding.unsupported': 'The request uses a content encoding snip does not accept.',
  'charset.unsupported': 'The request uses a character set snip does not accept.',
  'request.aborted': 'The request was cut off.',
  'request.size.invalid': 'The request body does not match its declared length.',
};

type Problem = { status: number; message: string; headers: Record<string, string> };

function describe(error: unknown): Problem {
  if (error instanceof HttpError) {
    return { status: error.status, message: error.message, headers: { ...error.headers } };
  }
  if (isStorageUnavailable(error)) {
    return {
      status: 503,
      message: 'snip’s storage is busy or full right now. Please try again in a moment.',
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
    };
  }
  // Errors from body-parser, the router (malformed percent-encoding) and send carry a 4xx status.
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const known = typeof type === 'string' ? PARSER_MESSAGES[type] : undefined;
    return { status, message: known ?? 'The request could not be understood.', headers: {} };
  }
  return { status: 500, message: 'Something went wrong on our side.', headers: {} };
}

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
    const problem = describe(error);
    if (problem.status === 503) noteStorageUnavailable(res, error);
    if (problem.status >= 500) logger.error({ err: error, reqId: req.id }, 'request failed');
    if (res.headersSent) return next(error);
    res.status(problem.status).set(problem.headers);
    // An error raised before the page middleware ran (e.g. a malformed path on the redirect
    // route) still gets the security headers of a page.
    void pageHeaders(req, res, () => renderError(res, problem, req.id, logger));
  };
}

function renderError(res: Response, problem: Problem, requestId: string, logger: Logger): void {
  const locals = { status: problem.status, message: problem.message, requestId };
  res.render('error', locals, (error, html) => {
    if (error) {
      logger.error({ err: error, reqId: requestId }, 'error page failed to render');
      res.type('text/plain').send(problem.message);
      return;
    }
    res.send(html);
  });
}
