import { englishOfSaid } from '../../src/links/link-text.js';
import { describe, expect, it } from 'vitest';
import {
  canonicalRules,
  chooseRuleTarget,
  devicesOf,
  describeConditions,
  headersRead,
  parsedRules,
  readRules,
  ruleInstant,
  rulesFromLines,
  rulesFromText,
  rulesToLines,
  statusWithRules,
  type RedirectRule,
} from '../../src/links/redirect-rules.js';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
const CHROMEBOOK =
  'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

const NOW = Date.UTC(2027, 0, 15, 12);

function visit(url: string, headers: Record<string, string> = {}, now = NOW) {
  return { url, headers, now };
}

function rules(lines: string): RedirectRule[] {
  const reading = rulesFromLines(lines);
  if (!reading.ok) throw new Error(englishOfSaid(reading.problem));
  return reading.rules;
}

describe('devices, as Shlink names them', () => {
  it.each([
    [IPHONE, ['ios', 'mobile']],
    [ANDROID, ['android', 'mobile']],
    [WINDOWS, ['windows', 'desktop']],
    [MAC, ['macos', 'desktop']],
    [LINUX, ['linux', 'desktop']],
    [CHROMEBOOK, ['chromeos', 'desktop']],
    ['curl/8.5.0', []],
    ['', []],
  ])('%s', (agent, devices) => {
    expect(devicesOf(agent)).toEqual(devices);
  });

  it('works a User-Agent out once and answers the same list after', () => {
    expect(devicesOf(IPHONE)).toBe(devicesOf(IPHONE));
  });
});

describe('choosing the target', () => {
  const app = rules(
    [
      'device:ios -> https://apps.example/ios',
      'device:android -> https://apps.example/android',
      'language:de query:ref=news -> https://news.example/de',
      'query:beta -> https://beta.example/',
      'query:empty= -> https://empty.example/',
      'after:2027-02-01 -> https://later.example/',
      'before:2027-01-01T00:00:00Z -> https://earlier.example/',
    ].join('\n'),
  );

  it('sends each visit to the first rule whose conditions all hold, otherwise the link’s own', () => {
    expect(chooseRuleTarget(app, visit('/c', { 'user-agent': IPHONE }))).toBe(
      'https://apps.example/ios',
    );
    expect(chooseRuleTarget(app, visit('/c', { 'user-agent': ANDROID }))).toBe(
      'https://apps.example/android',
    );
    expect(chooseRuleTarget(app, visit('/c', { 'user-agent': WINDOWS }))).toBeNull();
    // Both conditions or nothing; a language with a region matches its primary tag.
    const german = { 'user-agent': WINDOWS, 'accept-language': 'de-AT,de;q=0.9,en;q=0.5' };
    expect(chooseRuleTarget(app, visit('/c?ref=news', german))).toBe('https://news.example/de');
    expect(chooseRuleTarget(app, visit('/c?ref=other', german))).toBeNull();
    expect(chooseRuleTarget(app, visit('/c?ref=news', { 'accept-language': 'en' }))).toBeNull();
    // A language the visitor accepts only with a low quality does not count (Shlink's 0.9).
    const lukewarm = { 'accept-language': 'en, de;q=0.5' };
    expect(chooseRuleTarget(app, visit('/c?ref=news', lukewarm))).toBeNull();
  });

  it('reads query parameters present with any value, present without one, or equal to one', () => {
    expect(chooseRuleTarget(app, visit('/c?beta'))).toBe('https://beta.example/');
    expect(chooseRuleTarget(app, visit('/c?beta=1'))).toBe('https://beta.example/');
    expect(chooseRuleTarget(app, visit('/c?empty'))).toBe('https://empty.example/');
    expect(chooseRuleTarget(app, visit('/c?empty='))).toBe('https://empty.example/');
    expect(chooseRuleTarget(app, visit('/c?empty=x'))).toBeNull();
    expect(chooseRuleTarget(app, visit('/c'))).toBeNull();
  });

  it('holds before and after instants, by the clock it is given', () => {
    expect(chooseRuleTarget(app, visit('/c', {}, Date.UTC(2027, 1, 2)))).toBe(
      'https://later.example/',
    );
    expect(chooseRuleTarget(app, visit('/c', {}, Date.UTC(2026, 11, 31)))).toBe(
      'https://earlier.example/',
    );
    expect(chooseRuleTarget(app, visit('/c', {}, Date.UTC(2027, 1, 1)))).toBeNull();
  });

  it('names the headers the rules read, for Vary, and never answers a status browsers keep', () => {
    expect(headersRead(app)).toBe('User-Agent, Accept-Language');
    expect(headersRead(rules('query:a -> https://a.example/'))).toBe('');
    expect([301, 302, 307, 308].map((s) => statusWithRules(s as 301))).toEqual([
      302, 302, 307, 307,
    ]);
  });
});

describe('the forms’ lines, the API’s JSON and the stored text', () => {
  it('reads lines into rules and writes them back the same', () => {
    const lines = [
      'device:ios language:de-AT -> https://apps.example/ios',
      'query:utm%20source=a%26b query:x= query:y -> https://q.example/',
      'before:2027-01-01T00:00:00.000Z after:2026-06-01T00:00:00.000Z -> https://d.example/',
    ].join('\n');
    const read = rules(`\n  ${lines.replaceAll('->', '→')}\n\n`);
    expect(read[1]!.conditions).toEqual([
      { type: 'query', name: 'utm source', value: 'a&b' },
      { type: 'query', name: 'x', value: '' },
      { type: 'query', name: 'y' },
    ]);
    expect(rulesToLines(read)).toBe(lines);
  });

  it('stores one canonical text, reads it back, and parses each text once', () => {
    const text = canonicalRules(
      rules('LANGUAGE:DE-at -> https://x.example/'.replace('LANGUAGE', 'language')),
    )!;
    expect(text).toBe(
      '[{"url":"https://x.example/","conditions":[{"type":"language","value":"de-AT"}]}]',
    );
    expect(rulesFromText(text)).toEqual({ ok: true, rules: JSON.parse(text) });
    expect(parsedRules(text)).toBe(parsedRules(text));
    expect(canonicalRules([])).toBeNull();
    expect(rulesFromText(null)).toEqual({ ok: true, rules: [] });
    expect(parsedRules('not json')).toEqual({ rules: [], vary: '' });
    expect(parsedRules(text).vary).toBe('Accept-Language');
  });

  it('turns a date into midnight UTC and keeps instants with their zone', () => {
    expect(ruleInstant('2027-01-01')).toBe('2027-01-01T00:00:00.000Z');
    expect(ruleInstant('2027-01-01T10:00:00+02:00')).toBe('2027-01-01T08:00:00.000Z');
    for (const bad of [
      '2027-01-01T10:00:00',
      '01/02/2027',
      '2027-13-01',
      'tomorrow',
      '1999-12-31',
    ]) {
      expect(ruleInstant(bad), bad).toBeNull();
    }
  });

  it.each([
    [
      'eleven rules',
      Array.from({ length: 11 }, () => ({
        url: 'https://a.example/',
        conditions: [{ type: 'query', name: 'a' }],
      })),
      'at most 10',
    ],
    [
      'a rule with no condition',
      [{ url: 'https://a.example/', conditions: [] }],
      'needs at least one condition',
    ],
    [
      'an unknown condition type',
      [{ url: 'https://a.example/', conditions: [{ type: 'ip-address', value: '1.2.3.4' }] }],
      'is not a condition snip knows',
    ],
    [
      'an unknown device',
      [{ url: 'https://a.example/', conditions: [{ type: 'device', value: 'tv' }] }],
      'must be one of',
    ],
    [
      'a date in the wrong format',
      [{ url: 'https://a.example/', conditions: [{ type: 'before', value: '01/02/2027' }] }],
      'must be a date-time',
    ],
    [
      'a language that is not a tag',
      [{ url: 'https://a.example/', conditions: [{ type: 'language', value: 'German' }] }],
      'language tag',
    ],
    [
      'a query without a name',
      [{ url: 'https://a.example/', conditions: [{ type: 'query', name: '' }] }],
      'must name a query parameter',
    ],
    ['a rule without a URL', [{ conditions: [{ type: 'query', name: 'a' }] }], 'must be a URL'],
    [
      'an unknown field',
      [{ url: 'https://a.example/', conditions: [{ type: 'query', name: 'a' }], priority: 1 }],
      'Redirect rule 1',
    ],
    ['not a list', { url: 'https://a.example/' }, 'must be a list of rules'],
  ])('refuses %s, saying which rule', (_what, input, message) => {
    const reading = readRules(input);
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(englishOfSaid(reading.problem)).toContain(message);
  });

  it('reads a country condition as an upper-case ISO code, and refuses one that is not two letters', () => {
    expect(
      readRules([{ url: 'https://a.example/', conditions: [{ type: 'country', value: 'de' }] }]),
    ).toEqual({
      ok: true,
      rules: [{ url: 'https://a.example/', conditions: [{ type: 'country', value: 'DE' }] }],
    });
    for (const value of ['DEU', 'D', '12', '']) {
      const reading = readRules([
        { url: 'https://a.example/', conditions: [{ type: 'country', value }] },
      ]);
      expect(reading).toEqual({
        ok: false,
        problem:
          'Redirect rule 1, condition 1 (value): must be a two-letter country code such as DE',
      });
    }
    const lines = rulesFromLines('country:jp -> https://a.example/jp');
    expect(lines.ok && rulesToLines(lines.rules)).toBe('country:JP -> https://a.example/jp');
  });

  it('a country condition holds for the visitor’s country, looked up only when a rule asks', () => {
    const countryRules = rules(
      'device:ios -> https://ios.example/\ncountry:DE -> https://de.example/',
    );
    let lookups = 0;
    const from = (country: string, agent = WINDOWS) => ({
      ...visit('/c', { 'user-agent': agent }),
      country: () => {
        lookups += 1;
        return country;
      },
    });
    expect(chooseRuleTarget(countryRules, from('DE'))).toBe('https://de.example/');
    expect(chooseRuleTarget(countryRules, from('AT'))).toBeNull();
    expect(chooseRuleTarget(countryRules, from('unknown'))).toBeNull();
    expect(lookups).toBe(3);
    expect(chooseRuleTarget(countryRules, from('DE', IPHONE))).toBe('https://ios.example/');
    expect(lookups).toBe(3);
    // Without a lookup (a visit no address is known for), no country condition holds.
    expect(chooseRuleTarget(countryRules, visit('/c', { 'user-agent': WINDOWS }))).toBeNull();
    expect(describeConditions([{ type: 'country', value: 'DE' }])).toBe('from Germany');
  });

  it.each([
    ['a line without an arrow', 'device:ios https://a.example/', 'Line 1'],
    ['a condition without a type', 'ios -> https://a.example/', '“ios” is not a condition'],
    ['a bad escape', 'query:a=%E0%A4%A -> https://a.example/', 'is not a condition'],
    ['an arrow with nothing before it', ' -> https://a.example/', 'Line 1'],
  ])('refuses %s in the forms’ text, naming the line', (_what, text, message) => {
    const reading = rulesFromLines(text);
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(englishOfSaid(reading.problem)).toContain(message);
  });
});
