import { describe, expect, it } from 'vitest';
import { REMEMBERED_AGENTS } from '../../src/stats/remembered.js';
import {
  BROWSER_KEYS,
  DEVICE_KEYS,
  firstLanguage,
  LANGUAGE_HEADER_LENGTH,
  OS_KEYS,
  PARSED_AGENT_LENGTH,
  traitsOf,
  traitsParseCount,
} from '../../src/stats/visit-traits.js';

// Real User-Agent strings, as the browsers named send them.
const AGENTS = {
  'iPhone Safari': [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    'safari',
    'ios',
    'mobile',
  ],
  'iPhone Chrome': [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    'chrome',
    'ios',
    'mobile',
  ],
  'iPad Safari': [
    'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
    'safari',
    'ios',
    'tablet',
  ],
  'Android Chrome phone': [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    'chrome',
    'android',
    'mobile',
  ],
  'Android Chrome tablet': [
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'chrome',
    'android',
    'tablet',
  ],
  'Samsung Internet': [
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36',
    'samsung',
    'android',
    'mobile',
  ],
  'Firefox for Android': [
    'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    'firefox',
    'android',
    'mobile',
  ],
  'Windows Edge': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    'edge',
    'windows',
    'desktop',
  ],
  'Windows Chrome': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'chrome',
    'windows',
    'desktop',
  ],
  'Windows Firefox': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'firefox',
    'windows',
    'desktop',
  ],
  'Windows Opera': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    'opera',
    'windows',
    'desktop',
  ],
  'Internet Explorer 11': [
    'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
    'ie',
    'windows',
    'desktop',
  ],
  'macOS Safari': [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    'safari',
    'macos',
    'desktop',
  ],
  'macOS Chrome': [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'chrome',
    'macos',
    'desktop',
  ],
  'Linux Firefox': [
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'firefox',
    'linux',
    'desktop',
  ],
  'Ubuntu Firefox': [
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'firefox',
    'linux',
    'desktop',
  ],
  ChromeOS: [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'chrome',
    'chromeos',
    'desktop',
  ],
  'HarmonyOS phone': [
    'Mozilla/5.0 (Phone; OpenHarmony 4.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile',
    'chrome',
    'harmonyos',
    'mobile',
  ],
  // Odd ones.
  'Facebook in-app browser on iPhone': [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.36.103;FBBV/123;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBID/phone;FBLC/de_DE;FBOP/5]',
    'safari',
    'ios',
    'mobile',
  ],
  'Samsung smart TV (no device class)': [
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
    'samsung',
    'other',
    'unknown',
  ],
  'Windows Phone Edge': [
    'Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063',
    'edge',
    'other',
    'mobile',
  ],
  'NAVER Whale (a browser without a key of its own)': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Whale/3.28.266.14 Safari/537.36',
    'other',
    'windows',
    'desktop',
  ],
  'Yandex Browser': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 YaBrowser/24.1.0.0 Safari/537.36',
    'yandex',
    'windows',
    'desktop',
  ],
  'an app naming only itself': ['SomeApp/2.1', 'unknown', 'unknown', 'unknown'],
  curl: ['curl/8.5.0', 'unknown', 'unknown', 'unknown'],
  empty: ['', 'unknown', 'unknown', 'unknown'],
  blanks: ['   \t ', 'unknown', 'unknown', 'unknown'],
  punctuation: ['!!!???', 'unknown', 'unknown', 'unknown'],
} as const;

describe('traitsOf', () => {
  for (const [name, [agent, browser, os, device]] of Object.entries(AGENTS)) {
    it(`when the agent is ${name}, then it is ${browser} on ${os}, ${device}`, () => {
      expect(traitsOf(agent)).toEqual({ browser, os, device });
    });
  }

  it('when any agent is parsed, then every key belongs to its closed set', () => {
    for (const [agent] of Object.values(AGENTS)) {
      const traits = traitsOf(agent);
      expect(BROWSER_KEYS).toContain(traits.browser);
      expect(OS_KEYS).toContain(traits.os);
      expect(DEVICE_KEYS).toContain(traits.device);
    }
  });

  it('when an agent is 8 KB long, then its start is read without throwing, and remembered under it', () => {
    const agent = `${AGENTS['Windows Chrome'][0]} ${'x'.repeat(8192)}`;
    const sameStart = `${agent.slice(0, PARSED_AGENT_LENGTH)}${'y'.repeat(8192)}`;
    const before = traitsParseCount();
    expect(traitsOf(agent)).toEqual({ browser: 'chrome', os: 'windows', device: 'desktop' });
    expect(traitsOf(agent)).toEqual({ browser: 'chrome', os: 'windows', device: 'desktop' });
    expect(traitsOf(sameStart)).toBe(traitsOf(agent));
    expect(traitsParseCount()).toBe(before + 1);
  });

  it('when an agent names its browser only after the first characters read, then that part is not read', () => {
    const agent = `Mozilla/5.0 (Windows NT 10.0; Win64; x64) ${'x'.repeat(PARSED_AGENT_LENGTH)} Firefox/133.0`;
    expect(traitsOf(agent).browser).not.toBe('firefox');
  });

  it('when agents are odd bytes, then the answer is a set of keys and nothing throws', () => {
    const odd = [
      '\u0000\u0001\u0002',
      '\uffff'.repeat(3000),
      '(((((((((((((((((((((',
      'Mozilla/5.0 ('.repeat(700),
      '💩 Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)',
    ];
    for (const agent of odd) {
      const traits = traitsOf(agent);
      expect(BROWSER_KEYS).toContain(traits.browser);
      expect(OS_KEYS).toContain(traits.os);
      expect(DEVICE_KEYS).toContain(traits.device);
    }
  });

  it('when the same agent comes back, then it is parsed once and the same frozen answer is shared', () => {
    const agent = `${AGENTS['macOS Safari'][0]} cache-probe/1`;
    const before = traitsParseCount();
    const first = traitsOf(agent);
    for (let i = 0; i < 100; i++) expect(traitsOf(agent)).toBe(first);
    expect(traitsParseCount()).toBe(before + 1);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it(`when more than ${REMEMBERED_AGENTS} agents are seen, then answers stay right and a forgotten agent is parsed again`, () => {
    const agent = (n: number) => `${AGENTS['Linux Firefox'][0]} probe/${n}`;
    expect(agent(0).length).toBeLessThanOrEqual(PARSED_AGENT_LENGTH);
    traitsOf(agent(0));
    const before = traitsParseCount();
    for (let n = 1; n <= REMEMBERED_AGENTS + 10; n++) {
      expect(traitsOf(agent(n)).browser).toBe('firefox');
    }
    expect(traitsParseCount()).toBe(before + REMEMBERED_AGENTS + 10);
    // The memo was emptied when it filled up: agent 0 is parsed again, the latest ones are not.
    traitsOf(agent(0));
    traitsOf(agent(REMEMBERED_AGENTS + 10));
    expect(traitsParseCount()).toBe(before + REMEMBERED_AGENTS + 11);
  });
});

describe('firstLanguage', () => {
  const cases: [string | undefined, string][] = [
    ['de-AT;q=0.8, fr', 'fr'],
    ['de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7', 'de'],
    ['en-US', 'en'],
    ['FR-ca', 'fr'],
    ['zh-Hant-TW, en;q=0.5', 'zh'],
    ['es-419', 'es'],
    // Equal weights keep the header's order.
    ['pt;q=0.5, it;q=0.5', 'pt'],
    ['it, pt', 'it'],
    // The wildcard and weight 0 are ignored.
    ['*', 'unknown'],
    ['*, nl;q=0.1', 'nl'],
    ['ja;q=0, ko;q=0.2', 'ko'],
    ['en;q=0.000', 'unknown'],
    ['sv;q=1.000', 'sv'],
    ['  ,  , da ,', 'da'],
    ['en;q=0.3,\tde;q=0.31', 'de'],
    // Absent or empty.
    [undefined, 'unknown'],
    ['', 'unknown'],
    // Malformed entries are skipped; a header of nothing but them names no language.
    ['en;q=2, fi;q=0.4', 'fi'],
    ['en;q=abc', 'unknown'],
    ['en;q=0.5000', 'unknown'],
    ['en;q=-1', 'unknown'],
    ['en;level=1', 'unknown'],
    ['en;q=0.5;q=0.6', 'unknown'],
    ['en_US', 'unknown'],
    ['english-language-please', 'unknown'],
    ['tlh, en;q=0.5', 'tlh'],
    ['abcd, en;q=0.5', 'en'],
    ['x-klingon, i-navajo', 'unknown'],
    ['d e', 'unknown'],
    ['<script>', 'unknown'],
    ['ελληνικά', 'unknown'],
    ['de;q=', 'unknown'],
    [';q=1', 'unknown'],
    [',,,,', 'unknown'],
  ];
  for (const [header, language] of cases) {
    it(`when Accept-Language is ${JSON.stringify(header)}, then the language is ${language}`, () => {
      expect(firstLanguage(header)).toBe(language);
    });
  }

  it('when the header is longer than the limit, then it is not read', () => {
    const long = `fr, ${'en;q=0.1, '.repeat(LANGUAGE_HEADER_LENGTH)}`;
    expect(firstLanguage(long)).toBe('unknown');
    const justFits = `fr,${' '.repeat(LANGUAGE_HEADER_LENGTH - 3)}`;
    expect(firstLanguage(justFits)).toBe('fr');
  });
});
