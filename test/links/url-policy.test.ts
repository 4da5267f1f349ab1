import { englishOf } from '../../src/i18n/catalog.js';
import { describe, it, expect } from 'vitest';
import {
  checkTargetUrl,
  SHORTENER_HOSTS,
  type UrlPolicyOptions,
  type UrlRejection,
} from '../../src/links/url-policy.js';
import { parseIpv6 } from '../../src/http/ip-address.js';

const api: UrlPolicyOptions = {
  maxLength: 2048,
  ownHosts: ['snip.example'],
  addMissingScheme: false,
};
const form: UrlPolicyOptions = { ...api, addMissingScheme: true };

function expectRejected(input: string, reason: UrlRejection, options: UrlPolicyOptions = api) {
  const result = checkTargetUrl(input, options);
  expect(result).toMatchObject({ ok: false, reason });
  if (!result.ok) {
    const message = englishOf(result.message);
    expect(message.length).toBeGreaterThan(10);
    // The message is shown to people and rendered into pages: never echo the input back.
    if (input.length > 3) expect(message).not.toContain(input);
  }
}

function expectAccepted(input: string, stored: string, options: UrlPolicyOptions = api) {
  expect(checkTargetUrl(input, options)).toEqual({ ok: true, url: stored });
}

describe('checkTargetUrl: empty input and characters refused before parsing', () => {
  it('when the URL is empty, then it is refused as empty', () => {
    expectRejected('', 'empty');
    expectRejected('', 'empty', form);
  });

  it.each([
    ['row 3: tab inside javascript:', 'java\tscript:alert(1)'],
    ['row 4: leading control and space', '\u0001 javascript:alert(1)'],
    ['row 25: raw CR LF', 'https://a.example/\r\nSet-Cookie: x=1'],
    ['row 26: raw NUL', 'https://a.example/\u0000'],
    ['a lone LF in the host', 'https://exa\nmple.com/'],
    ['a leading space', ' https://a.example/'],
    ['a trailing space', 'https://a.example/ '],
    ['a vertical tab', 'https://a.example/\u000b'],
    ['a form feed', 'https://a.example/\u000c'],
    ['DEL', 'https://a.example/\u007f'],
    ['the C1 control NEL', 'https://a.example/\u0085'],
    ['the C1 control CSI', 'https://a.example/\u009b'],
    ['a no-break space', 'https://a.example/\u00a0'],
    ['a line separator', 'https://a.example/\u2028'],
    ['a paragraph separator', 'https://a.example/\u2029'],
    ['an ideographic space', 'https://a.example/\u3000'],
    ['a narrow no-break space', 'https://a.example/\u202f'],
    ['an ogham space mark', 'https://a.example/\u1680'],
    ['an em space in the host', 'https://a\u2003.example/'],
    ['only whitespace', '   '],
    ['ESC (terminal escape)', 'https://a.example/\u001b[31m'],
  ])('when the URL contains %s, then it is refused as control characters', (_, input) => {
    expectRejected(input, 'control_chars');
    expectRejected(input, 'control_chars', form);
  });
});

describe('checkTargetUrl: a plain space in the host', () => {
  it('row 8: when the host has a space, then the parser refuses it as invalid', () => {
    expectRejected('https://exa mple.com/', 'invalid');
    expectRejected('https://exa mple.com/', 'invalid', form);
  });
});

describe('checkTargetUrl: schemes', () => {
  it.each([
    ['row 1: javascript:', 'javascript:alert(document.domain)'],
    ['row 2: mixed-case JaVaScRiPt:', 'JaVaScRiPt:alert(1)'],
    ['row 5: data:', 'data:text/html,<script>alert(1)</script>'],
    ['row 6: file:', 'file:///etc/passwd'],
    ['row 7: vbscript:', 'vbscript:msgbox(1)'],
    ['row 7: blob:', 'blob:https://x/1'],
    ['row 7: about:', 'about:blank'],
    ['row 7: mailto:', 'mailto:a@b.c'],
    ['ftp:', 'ftp://files.example/a'],
    ['ws:', 'ws://a.example/socket'],
    ['wss:', 'wss://a.example/socket'],
    ['tel:', 'tel:+15551234567'],
    ['sms:', 'sms:+15551234567'],
    ['intent:', 'intent://scan/#Intent;scheme=zxing;end'],
    ['view-source:', 'view-source:https://a.example/'],
    ['a javascript: URL dressed as a path', 'javascript://a.example/%0aalert(1)'],
    ['an http look-alike scheme', 'https+evil://a.example/'],
    ['a bare host with port and no dot (taken as a scheme)', 'localhost:3000/x'],
  ])('when the URL uses %s, then it is refused as a scheme', (_, input) => {
    expectRejected(input, 'scheme');
    expectRejected(input, 'scheme', form);
  });

  it.each([
    ['row 9: scheme-relative //host', '//evil.example/x'],
    ['scheme-relative with three slashes', '///evil.example/x'],
    ['scheme-relative with backslashes', '\\\\evil.example\\x'],
    ['scheme-relative with mixed slashes', '/\\evil.example/x'],
    ['an absolute path', '/abc'],
  ])('when the URL is %s, then it is refused as a scheme and not prefixed', (_, input) => {
    expectRejected(input, 'scheme');
    expectRejected(input, 'scheme', form);
  });

  it('row 10: when the API sends a URL without a scheme, then it is refused as a scheme', () => {
    expectRejected('evil.example', 'scheme');
    const checked = checkTargetUrl('evil.example', api);
    expect(!checked.ok && englishOf(checked.message)).toContain('https://');
  });

  it('row 10: when the form sends a URL without a scheme, then https:// is added', () => {
    expectAccepted('evil.example', 'https://evil.example/', form);
  });

  it.each([
    ['a host with a port', 'example.com:8080/x', 'https://example.com:8080/x'],
    ['a host with a path and query', 'example.com/a?b=c#d', 'https://example.com/a?b=c#d'],
    ['a www host', 'www.example.com', 'https://www.example.com/'],
    ['an IDN host', 'münchen.de', 'https://xn--mnchen-3ya.de/'],
    ['a colon later in the path', 'example.com/a:b', 'https://example.com/a:b'],
  ])('when the form sends %s without a scheme, then https:// is added', (_, input, stored) => {
    expectAccepted(input, stored, form);
  });

  it('when the API sends a host with a port and no scheme, then it is refused as a scheme', () => {
    expectRejected('example.com:8080/x', 'scheme');
  });

  it('when the form sends a private host without a scheme, then the prefix does not help', () => {
    expectRejected('127.0.0.1/admin', 'private_address', form);
    expectRejected('foo.internal', 'private_address', form);
    expectRejected('snip.example/abc', 'own_host', form);
  });

  it('when the form sends user@host without a scheme, then it is refused for credentials', () => {
    expectRejected('user@example.com', 'credentials', form);
  });

  it.each([
    ['upper-case HTTPS', 'HTTPS://EXAMPLE.COM/Path', 'https://example.com/Path'],
    ['no slashes after the scheme', 'https:example.com', 'https://example.com/'],
    ['one slash after the scheme', 'https:/example.com', 'https://example.com/'],
    ['backslashes after the scheme', 'https:\\\\example.com\\a', 'https://example.com/a'],
    ['four slashes after the scheme', 'https:////example.com/x', 'https://example.com/x'],
  ])('when the URL has %s, then it is stored normalised', (_, input, stored) => {
    expectAccepted(input, stored);
    expectAccepted(input, stored, form);
  });
});

describe('checkTargetUrl: unparseable URLs and missing hosts', () => {
  it.each([
    ['row 8: https:// alone', 'https://'],
    ['a port without a host', 'https://:443/'],
    ['empty brackets', 'http://[]/'],
    ['a non-numeric port', 'https://a.example:abc/'],
    ['a port above 65535', 'https://a.example:65536/'],
    ['an IPv4 with an octet above 255', 'http://1.2.3.256/'],
    ['five IPv4 parts', 'http://1.2.3.4.5/'],
    ['a host ending in a hex number', 'http://foo.0x7f/'],
    ['an IPv6 zone id', 'http://[fe80::1%25eth0]/'],
    ['a malformed IPv6', 'http://[1:2:3:4:5:6:7:8:9]/'],
    ['an unclosed bracket', 'http://[::1/'],
    ['a forbidden host character', 'https://a<b.example/'],
    ['a percent-encoded forbidden host character', 'https://a%3Cb.example/'],
    ['an invalid punycode label', 'https://xn--a/'],
    // Node 20's parser refused these; Node 24's passes them through, so the policy checks itself.
    ['an invalid punycode label under a public suffix', 'https://xn--a.com/'],
    ['a punycode label that decodes to ASCII only', 'https://xn--abc-.com/'],
    ['a punycode label of a character IDNA disallows', 'https://xn--a-ecp.ru/'],
    ['a punycode label that overflows', 'https://www.xn--99999999999999999999.example/'],
    ['a javascript: trick parsed as a port', 'https:javascript:alert(1)'],
  ])('when the URL has %s, then it is refused as invalid', (_, input) => {
    expectRejected(input, 'invalid');
  });

  it.each([
    ['a host that is only a dot', 'https://./'],
    ['a host that is only dots', 'https://../'],
  ])('when the URL has %s, then it is refused for having no host', (_, input) => {
    expectRejected(input, 'no_host');
  });
});

describe('checkTargetUrl: credentials', () => {
  it.each([
    ['user:password@', 'https://user:password@a.example/'],
    ['user@', 'https://user@a.example/'],
    [':password@', 'https://:password@a.example/'],
    ['a look-alike host in the user name', 'https://paypal.com@evil.example/'],
    ['an encoded slash in the user name', 'https://a.example%2F@evil.example/'],
    ['an upper-case host after the user', 'https://user@A.EXAMPLE/'],
  ])('when the URL carries %s, then it is refused for credentials', (_, input) => {
    expectRejected(input, 'credentials');
  });

  it('when the user part is empty, then the URL is accepted without it', () => {
    expectAccepted('https://@a.example/', 'https://a.example/');
    expectAccepted('https://:@a.example/', 'https://a.example/');
  });
});

describe('checkTargetUrl: length', () => {
  const base = 'https://a.example/';

  it('row 21: when the URL is exactly the cap, then it is accepted byte-exact', () => {
    const input = base + 'a'.repeat(2048 - base.length);
    expect(input).toHaveLength(2048);
    expectAccepted(input, input);
  });

  it('row 22: when the URL is the cap plus one, then it is refused as too long', () => {
    const input = base + 'a'.repeat(2049 - base.length);
    expectRejected(input, 'too_long');
    const result = checkTargetUrl(input, api);
    expect(!result.ok && englishOf(result.message)).toContain('2048');
  });

  it('when the URL is 200 000 characters, then it is refused as too long', () => {
    expectRejected(base + 'a'.repeat(200_000), 'too_long');
  });

  it('when the URL fits but its normalised form does not, then it is refused as too long', () => {
    // Each "é" becomes "%C3%A9": 2 007 characters in, over 2 048 out.
    const input = base + 'a'.repeat(1979) + 'é'.repeat(10);
    expect(input.length).toBeLessThanOrEqual(2048);
    expectRejected(input, 'too_long');
  });

  it('when the form adds https:// and pushes the URL over the cap, then it is refused', () => {
    const input = 'a.example/' + 'a'.repeat(2048 - 'a.example/'.length);
    expect(input).toHaveLength(2048);
    expectRejected(input, 'too_long', form);
  });

  it('when normalisation shortens an over-long URL, then the raw length still counts', () => {
    const input = 'HTTPS://A.EXAMPLE:443/' + 'a'.repeat(2048 - 'https://a.example/'.length);
    expect(input.length).toBeGreaterThan(2048);
    expectRejected(input, 'too_long');
  });

  it('when maxLength is small, then it is the one applied', () => {
    expectAccepted('https://a.example/', 'https://a.example/', { ...api, maxLength: 18 });
    expectRejected('https://a.example/x', 'too_long', { ...api, maxLength: 18 });
  });
});

describe('checkTargetUrl: host names DNS cannot hold', () => {
  const label63 = 'a'.repeat(63);
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters: the longest name DNS allows.
  const longest = `${label63}.${label63}.${label63}.${'b'.repeat(57)}.com`;

  it('when the host has exactly 253 characters and 63-character labels, then it is accepted', () => {
    expect(longest).toHaveLength(253);
    expectAccepted(`https://${longest}/`, `https://${longest}/`);
    expectAccepted(`https://${longest}./`, `https://${longest}./`);
  });

  it.each([
    ['254 characters', `https://x${longest}/`],
    ['a label of 64 characters', `https://${'a'.repeat(64)}.com/`],
    ['1,018 ASCII labels', `https://${'a.'.repeat(1018)}com/`],
    ['1,000 IDN labels (four times longer in punycode)', `https://${'é.'.repeat(1000)}com/`],
    ['a short IDN name whose punycode is too long', `https://${'é'.repeat(60)}.com/`],
    ['a long name behind credentials', `https://user@${'a.'.repeat(200)}com/`],
    ['a long name written with %-escapes', `https://${'%61.'.repeat(300)}com/`],
    ['hundreds of empty labels', `https://a${'.'.repeat(300)}com/`],
  ])('when the host has %s, then it is refused as too long', (_, input) => {
    expectRejected(input, 'long_host', { ...api, maxLength: 8192 });
  });
});

describe('checkTargetUrl: snip’s own host', () => {
  it.each([
    ['row 11: the plain host', 'https://snip.example/abc'],
    ['row 12: upper case and a trailing dot', 'https://SNIP.EXAMPLE./abc'],
    ['row 12: the default port', 'https://snip.example:443/abc'],
    ['row 12: a user name', 'https://user@snip.example/abc'],
    ['another port', 'http://snip.example:8080/abc'],
    ['user and password', 'https://u:p@snip.example/abc'],
    ['several trailing dots', 'https://snip.example../abc'],
    ['a leading dot', 'https://.snip.example/abc'],
    ['full-width letters', 'https://ｓｎｉｐ.example/abc'],
    ['percent-encoded letters', 'https://%73nip.example/abc'],
    ['backslash tricks', 'https:\\\\snip.example\\abc'],
    ['the preview path', 'https://snip.example/abc+'],
  ])('when the URL points at our host with %s, then it is refused as our own host', (_, input) => {
    expectRejected(input, 'own_host');
  });

  it.each([
    ['a soft hyphen in our own host', 'https://sn\u00adip.example/abc'],
    ['a zero-width space in our own host', 'https://snip\u200b.example/abc'],
    ['a zero-width space in another host', 'https://exam\u200bple.com/'],
    ['a zero-width joiner', 'https://a\u200db.example/'],
    ['a right-to-left override', 'https://\u202eelpmaxe.com/'],
    ['a left-to-right mark', 'https://example.com\u200e/'],
    ['a byte-order mark', 'https://\ufeffexample.com/'],
    ['a variation selector', 'https://example\ufe0f.com/'],
    ['an invisible character before a port', 'https://example.com\u2060:8080/'],
    // The parser also reads a host after "https:" with no slash, one slash or backslashes.
    ['a soft hyphen after "http:" and one slash', 'http:/\u00ada.com/'],
    ['a zero-width space after "https:" without slashes', 'https:exam\u200bple.com'],
    ['a zero-width space after backslashes', 'https:\\\\exam\u200bple.com\\x'],
    ['a zero-width space with slashes later in the path', 'https:exam\u200bple.com/a//b'],
    ['a zero-width space as the very last character', 'https://example.com\u200b'],
  ])(
    'when the host holds %s, then it is refused as invisible, not silently removed',
    (_, input) => {
      expectRejected(input, 'invisible_host');
    },
  );

  it.each([
    ['a zero-width space', 'https://a.example/x\u200by', 'https://a.example/x%E2%80%8By'],
    [
      'a right-to-left override',
      'https://a.example/\u202etxt.exe',
      'https://a.example/%E2%80%AEtxt.exe',
    ],
    [
      'a left-to-right mark in the query',
      'https://a.example/?q=\u200e1',
      'https://a.example/?q=%E2%80%8E1',
    ],
  ])(
    'when the path or query holds %s, then it is kept, percent-encoded and so visible',
    (_, input, stored) => {
      expectAccepted(input, stored);
    },
  );

  it('when the form sends our host without a scheme, then it is refused as our own host', () => {
    expectRejected('SNIP.example/abc', 'own_host', form);
  });

  it.each([
    ['mixed case, port and trailing dot', 'SNIP.Example.:8443'],
    ['a full origin', 'https://snip.example'],
    ['a full base URL with a path', 'https://snip.example/base/'],
    ['a wildcard prefix', '*.snip.example'],
    ['surrounding spaces', ' snip.example '],
  ])('when ownHosts is written with %s, then it is normalised', (_, ownHost) => {
    expectRejected('https://snip.example/abc', 'own_host', { ...api, ownHosts: [ownHost] });
  });

  it('when ownHosts holds localhost, then a local link is reported as our own host', () => {
    const options = { ...api, ownHosts: ['snip.example', 'localhost:3000'] };
    expectRejected('http://localhost:3000/abc', 'own_host', options);
  });

  it('when ownHosts holds an IP address, then other spellings of it are our own host', () => {
    const options = { ...api, ownHosts: ['[::1]:3000', '127.0.0.1'] };
    expectRejected('http://[0:0:0:0:0:0:0:1]/abc', 'own_host', options);
    expectRejected('http://2130706433/abc', 'own_host', options);
  });

  it('when ownHosts holds an IDN, then its punycode spelling is our own host', () => {
    const options = { ...api, ownHosts: ['münchen.example'] };
    expectRejected('https://xn--mnchen-3ya.example/', 'own_host', options);
  });

  it('when ownHosts holds a host with a port the parser refuses, then that host is still ours', () => {
    expectRejected('https://snip.example/abc', 'own_host', {
      ...api,
      ownHosts: ['SNIP.example:99999'],
    });
  });

  it('when ownHosts holds something unparseable, then checking does not throw', () => {
    const options = { ...api, ownHosts: ['exa mple', '[::1', ''] };
    expectAccepted('https://a.example/', 'https://a.example/', options);
  });

  it.each([
    ['a subdomain', 'https://www.snip.example/', 'https://www.snip.example/'],
    ['a look-alike suffix', 'https://snip.example.evil.com/', 'https://snip.example.evil.com/'],
    ['a look-alike prefix', 'https://evilsnip.example/', 'https://evilsnip.example/'],
    [
      'our host only in the path',
      'https://a.example/snip.example',
      'https://a.example/snip.example',
    ],
    [
      'our host only in the fragment',
      'https://a.example/#@snip.example/',
      'https://a.example/#@snip.example/',
    ],
  ])('when the URL has our host in %s, then it is accepted', (_, input, stored) => {
    expectAccepted(input, stored);
  });
});

describe('checkTargetUrl: other URL shorteners', () => {
  it.each([
    ['row 13: bit.ly', 'https://bit.ly/abc'],
    ['tinyurl.com', 'https://tinyurl.com/abc'],
    ['t.co', 'https://t.co/abc'],
    ['goo.gl', 'https://goo.gl/abc'],
    ['a subdomain of a shortener', 'https://www.bit.ly/abc'],
    ['a deep subdomain of a shortener', 'https://a.b.rebrand.ly/abc'],
    ['upper case and a trailing dot', 'https://BIT.LY./abc'],
    ['a port', 'http://is.gd:80/abc'],
    ['a full-width spelling', 'https://ｂｉｔ.ｌｙ/abc'],
  ])('when the URL points at %s, then it is refused as a shortener', (_, input) => {
    expectRejected(input, 'shortener');
  });

  it('when the URL is any listed shortener, then it is refused as a shortener', () => {
    for (const host of SHORTENER_HOSTS) expectRejected(`https://${host}/x`, 'shortener');
  });

  it('when the list is inspected, then every entry is a lowercase host with a dot', () => {
    expect(SHORTENER_HOSTS.length).toBeGreaterThanOrEqual(20);
    for (const host of SHORTENER_HOSTS) expect(host).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    expect(SHORTENER_HOSTS).toEqual(expect.arrayContaining(['bit.ly', 'tinyurl.com', 't.co']));
  });

  it.each([
    ['a name that merely ends like a shortener', 'https://notbit.ly/', 'https://notbit.ly/'],
    ['a shortener name as a subdomain', 'https://bit.ly.a.example/', 'https://bit.ly.a.example/'],
    [
      'a shortener in the query',
      'https://a.example/?u=https://bit.ly/x',
      'https://a.example/?u=https://bit.ly/x',
    ],
    ['a first-party short domain', 'https://youtu.be/dQw4w9WgXcQ', 'https://youtu.be/dQw4w9WgXcQ'],
  ])('when the URL has %s, then it is accepted', (_, input, stored) => {
    expectAccepted(input, stored);
  });
});

describe('checkTargetUrl: private and special IPv4 addresses', () => {
  it.each([
    ['row 14: 127.0.0.1', 'http://127.0.0.1/'],
    ['row 14: decimal 2130706433', 'http://2130706433/'],
    ['row 14: hex and short 0x7f.1', 'http://0x7f.1/'],
    ['row 14: short 127.1', 'http://127.1/'],
    ['octal 0177.0.0.1', 'http://0177.0.0.1/'],
    ['hex 0x7f000001', 'http://0x7f000001/'],
    ['hex per octet', 'http://0x7f.0x0.0x0.0x1/'],
    ['a trailing dot', 'http://127.0.0.1./'],
    ['percent-encoded digits', 'http://%31%32%37.0.0.1/'],
    ['full-width digits', 'http://１２７.０.０.１/'],
    ['ideographic full stops', 'http://127。0。0。1/'],
    ['a port', 'http://127.0.0.1:8080/'],
    ['the top of loopback', 'http://127.255.255.255/'],
    ['row 15: 10.0.0.1', 'http://10.0.0.1/'],
    ['row 15: 192.168.1.1', 'http://192.168.1.1/'],
    ['row 16: cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['metadata in decimal', 'http://2852039166/'],
    ['0', 'http://0/'],
    ['0.0.0.0', 'http://0.0.0.0/'],
    ['the broadcast address', 'http://255.255.255.255/'],
    ['multicast', 'http://224.0.0.1/'],
    ['https and credentials', 'https://u:p@10.1.2.3/'],
  ])('when the URL uses %s, then it is refused as a private address', (_, input) => {
    expectRejected(input, 'private_address');
  });

  it('when the message is read, then it is meant for a person', () => {
    const result = checkTargetUrl('http://127.0.0.1/', api);
    expect(!result.ok && englishOf(result.message)).toBe(
      "Links to private or local network addresses can't be shortened.",
    );
  });

  // Each range: the last address before it, its first and last address, the first one after it.
  it.each([
    ['0.0.0.0/8', null, '0.0.0.0', '0.255.255.255', '1.0.0.0'],
    ['10.0.0.0/8', '9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0'],
    ['100.64.0.0/10', '100.63.255.255', '100.64.0.0', '100.127.255.255', '100.128.0.0'],
    ['127.0.0.0/8', '126.255.255.255', '127.0.0.0', '127.255.255.255', '128.0.0.0'],
    ['169.254.0.0/16', '169.253.255.255', '169.254.0.0', '169.254.255.255', '169.255.0.0'],
    ['172.16.0.0/12', '172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0'],
    ['192.0.0.0/24', '191.255.255.255', '192.0.0.0', '192.0.0.255', '192.0.1.0'],
    ['192.0.2.0/24', '192.0.1.255', '192.0.2.0', '192.0.2.255', '192.0.3.0'],
    ['192.88.99.0/24', '192.88.98.255', '192.88.99.0', '192.88.99.255', '192.88.100.0'],
    ['192.168.0.0/16', '192.167.255.255', '192.168.0.0', '192.168.255.255', '192.169.0.0'],
    ['198.18.0.0/15', '198.17.255.255', '198.18.0.0', '198.19.255.255', '198.20.0.0'],
    ['198.51.100.0/24', '198.51.99.255', '198.51.100.0', '198.51.100.255', '198.51.101.0'],
    ['203.0.113.0/24', '203.0.112.255', '203.0.113.0', '203.0.113.255', '203.0.114.0'],
    ['224.0.0.0/4 and 240.0.0.0/4', '223.255.255.255', '224.0.0.0', '255.255.255.255', null],
  ])(
    'when the address is at the edge of %s, then only the inside is refused',
    (_, before, first, last, after) => {
      for (const inside of [first, last]) expectRejected(`http://${inside}/`, 'private_address');
      for (const outside of [before, after]) {
        if (outside !== null) expectAccepted(`http://${outside}/`, `http://${outside}/`);
      }
    },
  );

  it.each([
    ['8.8.8.8', 'http://8.8.8.8/', 'http://8.8.8.8/'],
    ['a public address in hex', 'http://0x08080808/', 'http://8.8.8.8/'],
    ['a public address with a port', 'https://1.1.1.1:8443/dns', 'https://1.1.1.1:8443/dns'],
  ])('when the URL uses the public address %s, then it is accepted', (_, input, stored) => {
    expectAccepted(input, stored);
  });
});

describe('checkTargetUrl: private and special IPv6 addresses', () => {
  it.each([
    ['row 15: loopback ::1', 'http://[::1]/'],
    ['loopback written out', 'http://[0:0:0:0:0:0:0:1]/'],
    ['loopback with leading zeros', 'http://[0000::0001]/'],
    ['the unspecified address', 'http://[::]/'],
    ['row 15: IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped loopback in hex', 'http://[::ffff:7f00:1]/'],
    ['IPv4-mapped loopback written out', 'http://[0:0:0:0:0:ffff:127.0.0.1]/'],
    ['IPv4-mapped metadata address', 'http://[::ffff:169.254.169.254]/'],
    ['IPv4-mapped 10/8', 'http://[::ffff:a00:1]/'],
    ['IPv4-translated loopback', 'http://[::ffff:0:127.0.0.1]/'],
    ['IPv4-translated loopback in hex', 'http://[::ffff:0:7f00:1]/'],
    ['IPv4-translated metadata address', 'http://[::ffff:0:a9fe:a9fe]/'],
    ['Teredo', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    ['Teredo, compressed', 'http://[2001::1]/'],
    ['IPv4-compatible loopback', 'http://[::127.0.0.1]/'],
    ['IPv4-compatible public address', 'http://[::8.8.8.8]/'],
    ['NAT64 of loopback', 'http://[64:ff9b::127.0.0.1]/'],
    ['NAT64 of 192.168/16 in hex', 'http://[64:ff9b::c0a8:101]/'],
    ['local-use NAT64', 'http://[64:ff9b:1::808:808]/'],
    ['6to4 of loopback', 'http://[2002:7f00:1::]/'],
    ['row 17: Fly private network fdaa::3', 'http://[fdaa::3]/'],
    ['unique local fc00::', 'http://[fc00::1]/'],
    ['the top of unique local', 'http://[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/'],
    ['link-local fe80::', 'http://[fe80::1]/'],
    ['the top of link-local', 'http://[febf:ffff::1]/'],
    ['site-local fec0::', 'http://[fec0::1]/'],
    ['multicast ff02::1', 'http://[ff02::1]/'],
    ['documentation 2001:db8::', 'http://[2001:db8::1]/'],
    ['documentation 3fff::', 'http://[3fff::1]/'],
    ['discard-only 100::', 'http://[100::1]/'],
    ['upper-case hex', 'http://[FE80::1]/'],
    ['a port', 'http://[::1]:8080/'],
  ])('when the URL uses %s, then it is refused as a private address', (_, input) => {
    expectRejected(input, 'private_address');
  });

  it.each([
    ['Google DNS', 'http://[2001:4860:4860::8888]/', 'http://[2001:4860:4860::8888]/'],
    ['full form, compressed', 'http://[2606:4700:0:0:0:0:0:1111]/', 'http://[2606:4700::1111]/'],
    ['IPv4-mapped public address', 'http://[::ffff:8.8.8.8]/', 'http://[::ffff:808:808]/'],
    ['NAT64 of a public address', 'http://[64:ff9b::8.8.8.8]/', 'http://[64:ff9b::808:808]/'],
    ['6to4 of a public address', 'http://[2002:808:808::1]/', 'http://[2002:808:808::1]/'],
    ['just below unique local', 'http://[fbff::1]/', 'http://[fbff::1]/'],
    ['just outside discard-only', 'http://[100:0:0:1::]/', 'http://[100:0:0:1::]/'],
    ['just outside documentation', 'http://[2001:db9::1]/', 'http://[2001:db9::1]/'],
    ['just outside Teredo', 'http://[2001:1::1]/', 'http://[2001:1::1]/'],
    ['IPv4-translated public address', 'http://[::ffff:0:808:808]/', 'http://[::ffff:0:808:808]/'],
  ])('when the URL uses the public IPv6 %s, then it is accepted', (_, input, stored) => {
    expectAccepted(input, stored);
  });
});

describe('checkTargetUrl: private host names', () => {
  it.each([
    ['localhost', 'http://localhost/'],
    ['localhost with a port', 'http://localhost:3000/'],
    ['LOCALHOST with a trailing dot', 'http://LOCALHOST./'],
    ['a subdomain of localhost', 'http://app.localhost/'],
    ['localhost in circled letters', 'http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/'],
    ['row 17: Fly API', 'http://_api.internal:4280/v1/apps'],
    ['row 17: any .internal', 'http://foo.internal/'],
    ['GCP metadata', 'http://metadata.google.internal/computeMetadata/v1/'],
    ['mDNS .local', 'http://printer.local/'],
    ['.localdomain', 'http://localhost.localdomain/'],
    ['.home.arpa', 'http://router.home.arpa/'],
    ['.lan', 'http://nas.lan/'],
    ['.intranet', 'http://wiki.intranet/'],
    ['.corp', 'http://jira.corp/'],
    ['a single label', 'http://intranet/'],
    ['a single label with a trailing dot', 'http://intranet./'],
    ['a single label with a port', 'https://router:8443/'],
  ])('when the URL uses %s, then it is refused as a private address', (_, input) => {
    expectRejected(input, 'private_address');
  });

  it.each([
    ['row 18: a public name that resolves to 127.0.0.1', 'http://7f000001.nip.io/'],
    ['a public name that starts with a private address', 'http://10.0.0.1.nip.io/'],
    ['a public name containing "localhost"', 'https://localhost.example.com/'],
    ['a public name containing "internal"', 'https://internal.example.com/'],
    ['a public name ending in "local" without a dot', 'https://notlocal.example/'],
  ])('when the URL uses %s, then it is accepted (judged by name, never resolved)', (_, input) => {
    expectAccepted(input, input);
  });
});

describe('checkTargetUrl: blocklist', () => {
  const blocked: UrlPolicyOptions = {
    ...api,
    blockedHosts: ['evil.example', 'Malware.Test.', 'phish.example:8080', '*.wild.example'],
  };

  it.each([
    ['a listed host', 'https://evil.example/'],
    ['a subdomain of a listed host', 'https://www.evil.example/x'],
    ['a deep subdomain', 'https://a.b.c.evil.example/'],
    ['upper case and a trailing dot', 'https://EVIL.EXAMPLE./'],
    ['a port', 'https://evil.example:8443/'],
    ['an entry written with case and a trailing dot', 'https://malware.test/'],
    ['an entry written with a port, visited on another', 'http://phish.example/'],
    ['an entry written with a wildcard', 'https://x.wild.example/'],
    ['the wildcard entry’s own name', 'https://wild.example/'],
  ])('when the URL uses %s, then it is refused as blocked', (_, input) => {
    expectRejected(input, 'blocked_host', blocked);
  });

  it.each([
    ['a name that merely ends like a listed host', 'https://notevil.example/'],
    ['a listed host as a subdomain elsewhere', 'https://evil.example.com/'],
    ['a listed host only in the path', 'https://a.example/evil.example'],
  ])('when the URL has %s, then it is accepted', (_, input) => {
    expectAccepted(input, input, blocked);
  });

  it('when the blocklist holds an empty entry, then it blocks nothing', () => {
    expectAccepted('https://evil.example/', 'https://evil.example/', {
      ...api,
      blockedHosts: [''],
    });
  });

  it('when no blocklist is given, then the same host is accepted', () => {
    expectAccepted('https://evil.example/', 'https://evil.example/');
    expectAccepted('https://evil.example/', 'https://evil.example/', { ...api, blockedHosts: [] });
  });

  it('when the blocklist holds an IDN, then its punycode spelling is blocked', () => {
    expectRejected('https://xn--pple-43d.com/', 'blocked_host', {
      ...api,
      blockedHosts: ['аpple.com'],
    });
  });

  it('when the blocklist holds an IP address, then other spellings of it are blocked', () => {
    expectRejected('http://0x08080808/', 'blocked_host', { ...api, blockedHosts: ['8.8.8.8'] });
  });
});

describe('checkTargetUrl: accepted URLs are stored normalised', () => {
  it.each([
    ['row 19: a Cyrillic look-alike host', 'https://аpple.com/', 'https://xn--pple-43d.com/'],
    ['row 20: a full-width host', 'https://ａｐｐｌｅ.com/', 'https://apple.com/'],
    [
      'row 24: encoded CR LF',
      'https://a.example/%0d%0aSet-Cookie:%20x=1',
      'https://a.example/%0d%0aSet-Cookie:%20x=1',
    ],
    [
      'row 27: markup in the path',
      'https://a.example/"><script>alert(1)</script>',
      'https://a.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E',
    ],
    [
      'row 28: markup in the query (spaces encoded)',
      'https://a.example/?q=<img%20src=x%20onerror=alert(1)>',
      'https://a.example/?q=%3Cimg%20src=x%20onerror=alert(1)%3E',
    ],
    [
      'row 28: markup in the query (no spaces)',
      'https://a.example/?q=<img/src=x/onerror=alert(1)>',
      'https://a.example/?q=%3Cimg/src=x/onerror=alert(1)%3E',
    ],
    [
      'row 29: an RTL override',
      'https://a.example/\u202Etxt.exe',
      'https://a.example/%E2%80%AEtxt.exe',
    ],
    [
      'a zero-width space in the path',
      'https://a.example/a\u200bb',
      'https://a.example/a%E2%80%8Bb',
    ],
    ['a byte-order mark in the path', 'https://a.example/\ufeff', 'https://a.example/%EF%BB%BF'],
    ['quotes in the fragment', 'https://a.example/#"x"', 'https://a.example/#%22x%22'],
    ['a single quote in the query', "https://a.example/?q='x'", 'https://a.example/?q=%27x%27'],
    ['an upper-case host', 'https://A.EXAMPLE/Path', 'https://a.example/Path'],
    ['the default https port', 'https://a.example:443/', 'https://a.example/'],
    ['the default http port', 'http://a.example:80/', 'http://a.example/'],
    ['no path', 'https://a.example', 'https://a.example/'],
    ['dot segments', 'https://a.example/a/../b/./c', 'https://a.example/b/c'],
    ['encoded host letters', 'https://ex%41mple.com/', 'https://example.com/'],
    ['a trailing dot on the host', 'https://example.com./', 'https://example.com./'],
    ['an IDN host', 'https://münchen.de/straße', 'https://xn--mnchen-3ya.de/stra%C3%9Fe'],
    ['emoji in the path', 'https://a.example/🎉', 'https://a.example/%F0%9F%8E%89'],
  ])('when the URL has %s, then it is accepted and stored normalised', (_, input, stored) => {
    expectAccepted(input, stored);
  });

  it.each([
    [
      'row 28: markup with raw spaces in the query',
      'https://a.example/?q=<img src=x onerror=alert(1)>',
      'https://a.example/?q=%3Cimg%20src=x%20onerror=alert(1)%3E',
    ],
    ['a space in the path', 'https://a.example/a b', 'https://a.example/a%20b'],
    ['a space in the fragment', 'https://a.example/#a b', 'https://a.example/#a%20b'],
  ])(
    'when the URL has %s, then the plain space is accepted and percent-encoded',
    (_, input, stored) => {
      expectAccepted(input, stored);
    },
  );

  it.each([
    ['a query', 'https://example.com/search?q=snip&lang=en'],
    ['a fragment', 'https://example.com/docs#section-2'],
    ['port 8443', 'https://example.com:8443/admin'],
    ['http', 'http://example.com/'],
    ['an IDN already in punycode', 'https://xn--mnchen-3ya.de/'],
    ['a long path with encoded characters', 'https://example.com/a%20b/%C3%A9?x=%2F#y'],
    ['a subdomain', 'https://docs.example.co.uk/guide/intro.html'],
    ['an underscore in a label', 'https://my_host.example.com/'],
    ['an empty query and fragment', 'https://example.com/?#'],
    ['brackets in the query', 'https://example.com/?a[]=1&a[]=2'],
    ['a URL in the query', 'https://example.com/?next=https://bit.ly/x'],
  ])('when a public URL has %s, then it is accepted unchanged', (_, input) => {
    expectAccepted(input, input);
    expectAccepted(input, input, form);
  });
});

describe('parseIpv6 (also used to key rate limits by /64)', () => {
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['1::2:3:4:5:6:7', [1, 0, 2, 3, 4, 5, 6, 7]],
    ['FFFF:0:0:0:0:0:0:abcd', [0xffff, 0, 0, 0, 0, 0, 0, 0xabcd]],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]],
    ['64:ff9b::192.168.1.1', [0x64, 0xff9b, 0, 0, 0, 0, 0xc0a8, 0x101]],
    ['1:2:3:4:5:6:10.0.0.1', [1, 2, 3, 4, 5, 6, 0xa00, 1]],
  ])('when the address is %s, then its eight groups are read', (text, groups) => {
    expect(parseIpv6(text)).toEqual(groups);
  });

  it.each([
    ['nine groups', '1:2:3:4:5:6:7:8:9'],
    ['seven groups without "::"', '1:2:3:4:5:6:7'],
    ['"::" standing for no group', '1:2:3:4::5:6:7:8'],
    ['two "::"', '1::2::3'],
    ['a group of five digits', '12345::'],
    ['a letter beyond f', 'g::1'],
    ['an IPv4 tail of three parts', '::ffff:1.2.3'],
    ['an IPv4 tail with an octet above 255', '::ffff:1.2.3.256'],
    ['an IPv4 part before the last group', '::1.2.3.4:5'],
    ['an empty group', '1:2:3:4:5:6:7:'],
    ['nothing', ''],
  ])('when the address has %s, then it is not read', (_, text) => {
    expect(parseIpv6(text)).toBeNull();
  });
});
