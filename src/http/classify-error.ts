import { HttpError } from './http-error.js';
import { isStorageUnavailable } from '../db/storage-unavailable.js';
import { englishOf, text, type Text } from '../i18n/catalog.js';
import { NOT_UTF8 } from './utf8-body.js';

/** How long a client should wait before retrying when the database is busy or full. */
const RETRY_AFTER_SECONDS = '5';

/** What every door answers a request it could not understand, when it has nothing more exact. */
export const NOT_UNDERSTOOD = 'The request could not be understood.';

/** What the APIs say when storage is busy or full; pages say it in their own words. */
export const STORAGE_BUSY = 'Storage is busy or full; try again in a moment.';

/** NOT_UNDERSTOOD as a page words it. */
const NOT_UNDERSTOOD_TEXT = text('http.notUnderstood');

/** Messages for the errors Express's body parsers and router raise, keyed by their `type`. */
const PARSER_MESSAGES: Record<string, Text> = {
  'entity.too.large': text('http.parser.tooLarge'),
  'parameters.too.many': text('http.parser.tooManyFields'),
  'entity.parse.failed': text('http.parser.unreadable'),
  'encoding.unsupported': text('http.parser.encoding'),
  'charset.unsupported': text('http.parser.charset'),
  'request.aborted': text('http.parser.aborted'),
  'request.size.invalid': text('http.parser.length'),
  [NOT_UTF8]: text('http.parser.notUtf8'),
};

/**
 * An error that reached an error handler, sorted the one way every door sorts it. Each door
 * answers it in its own shape (a page, problem+json, Shlink's, Kutt's, YOURLS's); `message` is
 * in a page's words, in English, and `said` is the same for a page to word in its reader's
 * language (a Text, or a string raised as it is).
 */
export type ErrorClass =
  /** An HttpError: a failure the code raised with its status (and headers, e.g. Retry-After). */
  | {
      kind: 'http';
      status: number;
      message: string;
      said: Text | string;
      headers: Record<string, string>;
    }
  /** The database is busy, full or unreachable: 503 with Retry-After, and the client may retry. */
  | {
      kind: 'storage-unavailable';
      status: 503;
      message: string;
      said: Text;
      headers: Record<string, string>;
    }
  /** A body parser, the router or send refused the request with a 4xx; `parserType` says why. */
  | {
      kind: 'bad-request';
      status: number;
      parserType: string | undefined;
      message: string;
      said: Text;
      headers: Record<string, string>;
    }
  /** Anything else: a bug, answered 500 without detail and logged. */
  | {
      kind: 'unexpected';
      status: 500;
      message: string;
      said: Text;
      headers: Record<string, string>;
    };

export function classifyError(error: unknown): ErrorClass {
  if (error instanceof HttpError) {
    return {
      kind: 'http',
      status: error.status,
      message: error.message,
      said: error.said,
      headers: { ...error.headers },
    };
  }
  if (isStorageUnavailable(error)) {
    const said = text('http.storageBusy');
    return {
      kind: 'storage-unavailable',
      status: 503,
      message: englishOf(said),
      said,
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
    };
  }
  // Errors from body-parser, the router (malformed percent-encoding) and send carry a 4xx status.
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const parserType = typeof type === 'string' ? type : undefined;
    const said =
      parserType !== undefined && Object.hasOwn(PARSER_MESSAGES, parserType)
        ? PARSER_MESSAGES[parserType]!
        : NOT_UNDERSTOOD_TEXT;
    return {
      kind: 'bad-request',
      status,
      parserType,
      message: englishOf(said),
      said,
      headers: {},
    };
  }
  const said = text('http.unexpected');
  return { kind: 'unexpected', status: 500, message: englishOf(said), said, headers: {} };
}
