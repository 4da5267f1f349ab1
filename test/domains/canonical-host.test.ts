import { describe, expect, it } from 'vitest';
import { canonicalHost, hostKey, MAX_HOST_LENGTH } from '../../src/domains/canonical-host.js';

describe('canonicalHost', () => {
  it.each([
    ['go.example', 'go.example'],
    ['GO.Example', 'go.example'],
    ['go.example.', 'go.example'],
    ['go.example:8080', 'go.example'],
    ['Go.Example.:443', 'go.example'],
    ['  go.example  ', 'go.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example.', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['localhost', 'localhost'],
    ['a-b.c1.example', 'a-b.c1.example'],
  ])('%j is %j', (input, expected) => {
    expect(canonicalHost(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    '127.0.0.1',
    '1.2.3.4:80',
    '0x7f.1',
    '[::1]',
    '[::1]:8080',
    'a_b.example',
    'a..b.example',
    '.go.example',
    'go.example..',
    '-a.example',
    'a-.example',
    'https://go.example',
    'go.example/path',
    'go.example?q',
    'user@go.example',
    'go%2eexample',
    'go example',
    'ex\u200bample.com',
    'xn--zz.example',
    `${'a'.repeat(64)}.example`,
    `${'a.'.repeat(127)}ab`,
    'go.example:99999999',
  ])('refuses %j', (input) => {
    expect(canonicalHost(input)).toBeNull();
  });

  it('takes names up to 253 characters', () => {
    const longest = `${'a'.repeat(61)}.`.repeat(4) + 'a'.repeat(MAX_HOST_LENGTH - 62 * 4);
    expect(longest).toHaveLength(MAX_HOST_LENGTH);
    expect(canonicalHost(longest)).toBe(longest);
    expect(canonicalHost(`a${longest}`)).toBeNull();
  });

  it('refuses what is not a string', () => {
    expect(canonicalHost(undefined)).toBeNull();
    expect(canonicalHost(42)).toBeNull();
  });
});

describe('hostKey', () => {
  it('gives every spelling of a host one key, and refuses nothing', () => {
    expect(hostKey('GO.EXAMPLE.:8080')).toBe('go.example');
    expect(hostKey('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(hostKey('[::1]:3000')).toBe('[::1]');
    expect(hostKey('127.0.0.1:3000')).toBe('127.0.0.1');
  });
});
