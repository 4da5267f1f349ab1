import { englishOf, type Text } from '../i18n/catalog.js';

/**
 * The one error type for failures that map to a known HTTP status. Its `message` is English (what
 * the APIs answer and the logs say); `said` is what the error page words in the reader's
 * language: the Text it was raised with, or the message itself when it was raised with a string.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly said: Text | string;
  constructor(
    readonly status: number,
    message: string | Text,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof message === 'string' ? message : englishOf(message));
    this.said = message;
  }
}
