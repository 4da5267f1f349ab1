import { describe, expect, it } from 'vitest';
import { forwardedLocation } from '../../src/links/query-forwarding.js';

const MAX = 2048;

function forward(target: string, requestUrl: string, max = MAX) {
  return forwardedLocation(target, requestUrl, max);
}

describe('forwardedLocation: the merge rule', () => {
  it('when the target has no query, then the visitor’s query becomes its query', () => {
    expect(forward('https://a.example/page', '/code?a=1&b=2')).toBe(
      'https://a.example/page?a=1&b=2',
    );
  });

  it('when the target has the same parameter, then the target’s comes first and the visitor’s follows', () => {
    expect(forward('https://a.example/?utm_source=mail&x=1', '/code?utm_source=ad&y=2')).toBe(
      'https://a.example/?utm_source=mail&x=1&utm_source=ad&y=2',
    );
  });

  it('when the visitor repeats a parameter, then every value is kept in the order sent', () => {
    expect(forward('https://a.example/', '/code?t=1&t=2&t=1')).toBe(
      'https://a.example/?t=1&t=2&t=1',
    );
  });

  it('when the target has a fragment, then the query goes before it and the fragment stays', () => {
    expect(forward('https://a.example/p?x=1#section-2', '/code?a=1')).toBe(
      'https://a.example/p?x=1&a=1#section-2',
    );
    expect(forward('https://a.example/p#top', '/code?a=1')).toBe('https://a.example/p?a=1#top');
  });

  it('when the target’s query ends in ? or &, then no empty parameter is added', () => {
    expect(forward('https://a.example/p?', '/code?a=1')).toBe('https://a.example/p?a=1');
    expect(forward('https://a.example/p?x=1&', '/code?a=1')).toBe('https://a.example/p?x=1&a=1');
  });

  it('when there is no query string, or an empty one, then the answer is the target itself', () => {
    const target = 'https://a.example/p?x=1#f';
    expect(forward(target, '/code')).toBe(target);
    expect(forward(target, '/code?')).toBe(target);
  });

  it('when the request is in absolute form (as Node passes it on), then its query is forwarded too', () => {
    expect(forward('https://a.example/', 'http://s.example/code?a=1')).toBe(
      'https://a.example/?a=1',
    );
  });

  it('when parameters have no value or no name, then they are forwarded as sent', () => {
    expect(forward('https://a.example/', '/code?flag&=x&a=')).toBe('https://a.example/?flag&=x&a=');
  });
});

describe('forwardedLocation: what the visitor sent', () => {
  it('when values are percent-encoded, then they are forwarded as they are, never encoded twice', () => {
    expect(forward('https://a.example/', '/code?q=a%20b&r=%26%3D%23&s=caf%C3%A9')).toBe(
      'https://a.example/?q=a%20b&r=%26%3D%23&s=caf%C3%A9',
    );
  });

  it('when characters a query cannot hold arrive, then each is escaped and a stray % becomes %25', () => {
    expect(forward('https://a.example/', '/code?q=a b&h=#x&p=100%&l=<b>"')).toBe(
      'https://a.example/?q=a%20b&h=%23x&p=100%25&l=%3Cb%3E%22',
    );
    expect(forward('https://a.example/', '/code?q=%zz&r=%4')).toBe(
      'https://a.example/?q=%25zz&r=%254',
    );
  });

  it('when a byte above ASCII arrives (Node reads the request line as Latin-1), then it is escaped as that byte', () => {
    expect(forward('https://a.example/', '/code?q=\u00e9\u00ff')).toBe(
      'https://a.example/?q=%E9%FF',
    );
    expect(forward('https://a.example/', '/code?q=\u20ac')).toBe('https://a.example/?q=%E2%82%AC');
  });

  it('when the visitor sends a fragment-like ?, / or :, then they stay: a query may hold them', () => {
    expect(forward('https://a.example/', '/code?next=/a/b?c=d:e@f')).toBe(
      'https://a.example/?next=/a/b?c=d:e@f',
    );
  });
});

describe('forwardedLocation: the length limit', () => {
  const target = 'https://a.example/p#f';

  it('when the result is exactly MAX_URL_LENGTH long, then it is sent', () => {
    const query = 'a='.padEnd(40 - target.length - 1, 'x');
    const result = forward(target, `/c?${query}`, 40);
    expect(result).toBe(`https://a.example/p?${query}#f`);
    expect(result).toHaveLength(40);
  });

  it('when the result would be one character longer, then the plain target is sent', () => {
    const query = 'a='.padEnd(40 - target.length, 'x');
    expect(forward(target, `/c?${query}`, 40)).toBe(target);
  });

  it('when escaping makes the result too long, then the plain target is sent', () => {
    // 10 characters sent, 30 once escaped.
    expect(forward(target, `/c?${' '.repeat(10)}`, 40)).toBe(target);
  });
});
