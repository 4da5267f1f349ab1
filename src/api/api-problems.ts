import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { classifyError, NOT_UNDERSTOOD, STORAGE_BUSY } from '../http/classify-error.js';
import { noteStorageUnavailable } from '../http/request-notes.js';
import { NOT_UTF8 } from '../http/utf8-body.js';

/**
 * Every error of the API is `application/problem+json` (RFC 9457) with a stable `type` per kind
 * of error: a relative URI that resolves against the API, whose page describes the kind.
 */
export const PROBLEMS = {
  'invalid-request': { status: 400, title: 'The request is not valid' },
  unauthorized: { status: 401, title: 'An API key is needed' },
  forbidden: { status: 403, title: 'This key may not do that' },
  'cross-site': { status: 403, title: 'Creating links without a key from another site is refused' },
  'not-found': { status: 404, title: 'Not found' },
  'alias-taken': { status: 409, title: 'The alias is taken' },
  'request-too-large': { status: 413, title: 'The request is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON' },
  refused: { status: 422, title: 'The link was refused' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'server-error': { status: 500, title: 'Something went wrong on our side' },
  'storage-unavailable': { status: 503, title: 'Storage is busy or full' },
  'domain-conflict': { status: 409, title: 'The domain is taken, or in use' },
  'domain-refused': { status: 422, title: 'The domain was refused' },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_BASE = '/api/v1/problems/';

/** A field the client must fix: a JSON Pointer into its request (RFC 6901) and why. */
export type FieldError = { pointer: string; detail: string };

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
};

export function problem(kind: ProblemKind, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = PROBLEMS[kind];
  return {
    type: `${PROBLEM_TYPE_BASE}${kind}`,
    title,
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(
  res: Response,
  kind: ProblemKind,
  detail: string,
  errors?: FieldError[],
): void {
  const body = problem(kind, detail, errors);
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/** Thrown inside API routes; the API's error handler turns it into a problem document. */
export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    detail: string,
    readonly errors?: FieldError[],
    /** The `WWW-Authenticate` challenge of a 401, when it says more than that a key is needed. */
    readonly challenge?: string,
  ) {
    super(detail);
  }
}

/**
 * What a 401 of the API asks for (RFC 9110 §11.6.1; the Bearer scheme of RFC 6750, which
 * `Authorization: Bearer <key>` uses). X-Api-Key works too; the problem's detail says so.
 */
export const KEY_CHALLENGE = 'Bearer realm="snip"';
export const INVALID_KEY_CHALLENGE = `${KEY_CHALLENGE}, error="invalid_token"`;

/** Body-parser errors (their `type`) as the API's kinds and words. */
const PARSER_PROBLEMS: Record<string, [ProblemKind, string]> = {
  'entity.parse.failed': ['invalid-request', 'The body is not valid JSON.'],
  'entity.too.large': ['request-too-large', 'The body is larger than the API accepts (32 KiB).'],
  'encoding.unsupported': [
    'unsupported-media-type',
    'The body uses a Content-Encoding the API does not accept (identity, gzip, deflate or br).',
  ],
  'charset.unsupported': ['unsupported-media-type', 'The body must be UTF-8 JSON.'],
  'request.aborted': ['invalid-request', 'The request was cut off.'],
  'request.size.invalid': ['invalid-request', 'The body does not match its declared length.'],
  [NOT_UTF8]: ['invalid-request', 'The body is not UTF-8 text.'],
};

/** The API's one error handler: problem documents only, never a page, never a stack trace. */
export function handleApiErrors(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof ApiProblem) {
      if (error.kind === 'unauthorized') {
        res.set('WWW-Authenticate', error.challenge ?? KEY_CHALLENGE);
      }
      return sendProblem(res, error.kind, error.message, error.errors);
    }
    const sorted = classifyError(error);
    if (sorted.kind === 'http') {
      const kind = (Object.keys(PROBLEMS) as ProblemKind[]).find(
        (k) => PROBLEMS[k].status === sorted.status,
      );
      res.set(sorted.headers);
      return sendProblem(res, kind ?? 'invalid-request', sorted.message);
    }
    if (sorted.kind === 'storage-unavailable') {
      noteStorageUnavailable(res, error);
      res.set(sorted.headers);
      return sendProblem(res, 'storage-unavailable', STORAGE_BUSY);
    }
    if (sorted.kind === 'bad-request') {
      const parser = PARSER_PROBLEMS[sorted.parserType ?? ''];
      if (parser) return sendProblem(res, parser[0], parser[1]);
      return sendProblem(res, 'invalid-request', NOT_UNDERSTOOD);
    }
    logger.error({ err: error, reqId: req.id }, 'API request failed');
    sendProblem(res, 'server-error', `The request failed; quote request id ${req.id}.`);
  };
}
