import { describe, expect, it } from 'vitest';
import { classifyError, NOT_UNDERSTOOD } from '../../src/http/classify-error.js';
import { HttpError } from '../../src/http/http-error.js';
import { text } from '../../src/i18n/catalog.js';

describe('classifyError', () => {
  it('when the code raised an HttpError, then its status, message and headers are kept', () => {
    expect(classifyError(new HttpError(429, 'Slow down.', { 'Retry-After': '60' }))).toEqual({
      kind: 'http',
      status: 429,
      message: 'Slow down.',
      said: 'Slow down.',
      headers: { 'Retry-After': '60' },
    });
  });

  it('when an HttpError carries a Text, then its message is the English wording and the page gets the Text', () => {
    const said = text('http.tooManyNotFound', { when: text('time.inMinutes', { count: 2 }) });
    expect(classifyError(new HttpError(429, said))).toEqual({
      kind: 'http',
      status: 429,
      message: 'Too many requests for links that do not exist. Try again in 2 minutes.',
      said,
      headers: {},
    });
  });

  it('when an HttpError is made from a Text, then the error keeps the Text for the page', () => {
    const said = text('admin.link.notFound', { code: 'abc' });
    const error = new HttpError(404, said);
    expect(error.said).toBe(said);
    expect(classifyError(error)).toMatchObject({
      kind: 'http',
      status: 404,
      message: 'There is no link with the code "abc" on this domain.',
    });
  });

  it('when storage is busy or full, then it is a 503 with Retry-After', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(classifyError(busy)).toMatchObject({
      kind: 'storage-unavailable',
      status: 503,
      headers: { 'Retry-After': '5' },
    });
  });

  it('when a body parser refused the request, then it is its 4xx with the parser type', () => {
    const tooLarge = Object.assign(new Error('too large'), {
      status: 413,
      type: 'entity.too.large',
    });
    expect(classifyError(tooLarge)).toEqual({
      kind: 'bad-request',
      status: 413,
      parserType: 'entity.too.large',
      message: 'The request is too large.',
      said: text('http.parser.tooLarge'),
      headers: {},
    });
    expect(classifyError(Object.assign(new Error('x'), { status: 400 }))).toMatchObject({
      kind: 'bad-request',
      parserType: undefined,
      message: NOT_UNDERSTOOD,
    });
  });

  it('when the error is anything else, then it is a 500 without detail', () => {
    for (const error of [new Error('bug'), null, 'text', { status: 502 }]) {
      expect(classifyError(error)).toMatchObject({ kind: 'unexpected', status: 500 });
    }
  });
});
