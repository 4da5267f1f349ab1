import { HttpError } from './http-error.js';
import { isStorageUnavailable } from '../db/storage-unavailable.js';
import { NOT_UTF8 } from './utf8-body.js';

/** How long a client should wait before retrying when the database is busy or full. */
const RETRY_AFTER_SECONDS = '5';

/** What every door answers a request it could not understand, when it has nothing more exact. */
export const NOT_UNDERSTOOD = 'The request could not be understood.';

/** What the APIs say when storage is busy or full; pages say it in their own words. */
export const STORAGE_BUSY = 'Storage is busy or full; try again in a moment.';

/** Messages for the errors Express's body parsers and router raise, keyed by their `type`. */
const PARSER_MESSAGES: Record<string, string> = {
  'entity.too.large': 'The request is too large.',
  'parameters.too.many': 'The form has too many fields.',
  'entity.parse.failed': 'The request body could not be read.',
  'encoding.unsupported': 'The request uses a content encoding snip does not accept.',
  'charset.unsupported': 'The request uses a character set snip does not accept.',
  'request.aborted': 'The request was cut off.',
  'request.size.invalid': 'The request body does not match its declared length.',
  [NOT_UTF8]: 'The request is not UTF-8 text: send every field as UTF-8.',
};

/**
 * An error that reached an error handler, sorted the one way every door sorts it. Each door
 * answers it in its own shape (a page, problem+json, Shlink's, Kutt's, YOURLS's); `message` is
 * in a page's words.
 */
export type ErrorClass =
  /** An HttpError: a failure the code raised with its status (and headers, e.g. Retry-After). */
  | { kind: 'http'; status: number; message: string; headers: Record<string, string> }
  /** The database is busy, full or unreachable: 503 with Retry-After, and the client may retry. */
  | {
      kind: 'storage-unavailable';
      status: 503;
      message: string;
      headers: Record<string, string>;
    }
  /** A body parser, the router or send refused the request with a 4xx; `parserType` says why. */
  | {
      kind: 'bad-request';
      status: number;
      parserType: string | undefined;
      message: string;
      headers: Record<string, string>;
    }
  /** Anything else: a bug, answered 500 without detail and logged. */
  | { kind: 'unexpected'; status: 500; message: string; headers: Record<string, string> };

export function classifyError(error: unknown): ErrorClass {
  if (error instanceof HttpError) {
    return {
      kind: 'http',
      status: error.status,
      message: error.message,
      headers: { ...error.headers },
    };
  }
  if (isStorageUnavailable(error)) {
    return {
      kind: 'storage-unavailable',
      status: 503,
      message: 'snip’s storage is busy or full right now. Please try again in a moment.',
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
    };
  }
  // Errors from body-parser, the router (malformed percent-encoding) and send carry a 4xx status.
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const parserType = typeof type === 'string' ? type : undefined;
    const known = parserType === undefined ? undefined : PARSER_MESSAGES[parserType];
    return {
      kind: 'bad-request',
      status,
      parserType,
      message: known ?? NOT_UNDERSTOOD,
      headers: {},
    };
  }
  return {
    kind: 'unexpected',
    status: 500,
    message: 'Something went wrong on our side.',
    headers: {},
  };
}
