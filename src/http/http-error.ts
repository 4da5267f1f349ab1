import { englishOf, type Text } from '../i18n/catalog.js';

/**
 * The one error type for failures that map to a known HTTP status. Its message may be a Text:
 * the error page words it in the reader's language (`said`), and `message` is its English, for
 * the APIs and the logs.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  /** What the error page says: the message as it was given, a Text or a string. */
  readonly said: Text | string;
  constructor(
    readonly status: number,
    message: Text | string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof message === 'string' ? message : englishOf(message));
    this.said = message;
  }
}
