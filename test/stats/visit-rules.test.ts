import type { Request } from 'express';
import { describe, expect, it, vi } from 'vitest';
import { isCountedVisit, referrerHost } from '../../src/stats/visit-rules.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

const OWN_HOST = 'snip.example';
const LONG_PREFIX = 'https://long.example.com/';
/** A Referer of exactly 3000 characters. */
const LONG_REFERER = LONG_PREFIX + 'a'.repeat(3000 - LONG_PREFIX.length);

/** The part of an Express request the rules read; header names lower-case, as Node gives them. */
function request(method: string, headers: Record<string, string | undefined>): Request {
  return { method, headers } as unknown as Request;
}

const isOwnHost = (host: string): boolean => host === OWN_HOST;

describe('isCountedVisit', () => {
  it.each([
    ['Chrome', CHROME],
    ['Firefox', FIREFOX],
    ['Safari', SAFARI],
    ['Safari on an iPhone', SAFARI_IPHONE],
  ])('when %s follows a link with GET, then the visit is counted', (_, agent) => {
    expect(isCountedVisit(request('GET', { 'user-agent': agent }))).toBe(true);
  });

  it.each(['HEAD', 'POST', 'PUT', 'OPTIONS', 'get'])(
    'when a browser sends %s, then it is not counted',
    (method) => {
      expect(isCountedVisit(request(method, { 'user-agent': CHROME }))).toBe(false);
    },
  );

  // isbot 5 lists curl and python-requests as bots, so scripts are not counted either.
  it.each([
    ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
    ['bingbot', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'],
    ['curl (isbot: a bot)', 'curl/8.5.0'],
    ['python-requests (isbot: a bot)', 'python-requests/2.31.0'],
    [
      'facebookexternalhit',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    ],
    ['Slackbot-LinkExpanding', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
    ['an empty user agent', ''],
  ])('when the user agent is %s, then the GET is not counted', (_, agent) => {
    expect(isCountedVisit(request('GET', { 'user-agent': agent }))).toBe(false);
  });

  it('when there is no user agent at all, then the GET is not counted', () => {
    expect(isCountedVisit(request('GET', {}))).toBe(false);
  });

  it.each([
    ['sec-purpose', 'prefetch'],
    ['sec-purpose', 'prefetch;prerender'],
    ['sec-purpose', 'Prefetch'],
    ['purpose', 'prefetch'],
    ['x-moz', 'prefetch'],
  ])('when a browser sends %s: %s, then the prefetch is not counted', (header, value) => {
    expect(isCountedVisit(request('GET', { 'user-agent': CHROME, [header]: value }))).toBe(false);
  });

  it('when a purpose header names something other than prefetch, then the visit is counted', () => {
    expect(isCountedVisit(request('GET', { 'user-agent': CHROME, purpose: 'preview' }))).toBe(true);
  });
});

describe('referrerHost', () => {
  it.each([
    ['no Referer', undefined, ''],
    ['a full https URL in mixed case', 'https://News.Example.com/a?b#c', 'news.example.com'],
    ['an http URL with a port', 'http://blog.example.org:8080/post/1', 'blog.example.org'],
    ['credentials in the URL', 'https://user:secret@forum.example.net/t/9', 'forum.example.net'],
    ['an internationalized host', 'https://bücher.example/', 'xn--bcher-kva.example'],
    ['an app referrer', 'android-app://x', ''],
    ['an ftp URL', 'ftp://files.example.com/a', ''],
    ['text that is not a URL', 'not a url', ''],
    ['an empty Referer', '', ''],
    ['snip itself', `https://${OWN_HOST}/abc+`, ''],
    ['snip itself in capitals', 'https://SNIP.Example/manage/x', ''],
    ['a 3000-character Referer', LONG_REFERER, ''],
  ])('when the request has %s, then the host kept is "%s"', (_, referer, host) => {
    expect(referrerHost(request('GET', { referer }), isOwnHost)).toBe(host);
  });

  it('when the Referer is exactly 2048 characters, then its host is still kept', () => {
    const referer = LONG_PREFIX + 'a'.repeat(2048 - LONG_PREFIX.length);
    expect(referer).toHaveLength(2048);
    expect(referrerHost(request('GET', { referer }), isOwnHost)).toBe('long.example.com');
  });

  it('when the Referer is 2049 characters, then no host is kept', () => {
    const referer = LONG_PREFIX + 'a'.repeat(2049 - LONG_PREFIX.length);
    expect(referer).toHaveLength(2049);
    expect(referrerHost(request('GET', { referer }), isOwnHost)).toBe('');
  });

  it('when the own-host check runs, then it is asked about the lower-case host only', () => {
    const check = vi.fn((_host: string) => false);
    referrerHost(request('GET', { referer: 'https://News.Example.com/private/path?q=1' }), check);
    expect(check).toHaveBeenCalledExactlyOnceWith('news.example.com');
  });
});
