import { describe, expect, it } from 'vitest';
import { decodePunycode, isValidPunycodeLabel } from '../../src/links/punycode-label.js';

describe('decodePunycode', () => {
  it.each([
    ['bcher-kva', 'bücher'],
    ['mnchen-3ya', 'münchen'],
    ['55qx5d', '公司'],
    ['pple-43d', 'аpple'],
    ['ls8h', '💩'],
    // RFC 3492 §7.1 (A): Arabic (Egyptian).
    ['egbpdaj6bu4bxfgehfvwxn', 'ليهمابتكلموشعربي؟'],
  ])('when given %s, then it decodes to %s', (input, expected) => {
    expect(decodePunycode(input)).toBe(expected);
  });

  it.each([['zz'], ['99999999999999999999'], ['a_b'], ['ü-abc']])(
    'when given the malformed payload %s, then it answers null',
    (input) => {
      expect(decodePunycode(input)).toBeNull();
    },
  );
});

describe('isValidPunycodeLabel', () => {
  it.each([['example'], ['xn--bcher-kva'], ['xn--55qx5d'], ['xn--ls8h']])(
    'when the label is %s, then it is valid',
    (label) => {
      expect(isValidPunycodeLabel(label)).toBe(true);
    },
  );

  it.each([
    ['xn--a', 'decodes to a lone control character'],
    ['xn--', 'has no payload'],
    ['xn--abc-', 'decodes to ASCII only'],
    ['xn--a-ecp', 'decodes to a character IDNA maps away'],
    ['xn--zz', 'does not decode'],
  ])('when the label is %s (it %s), then it is invalid', (label) => {
    expect(isValidPunycodeLabel(label)).toBe(false);
  });
});
