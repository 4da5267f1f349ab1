import { englishOf } from '../../src/i18n/catalog.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAlias, RESERVED_WORDS } from '../../src/links/alias-policy.js';

/*
 * Property tests of the alias policy (PRODUCT §5: 3–64 characters of [A-Za-z0-9_-], not a
 * reserved word in any case). The generators mix allowed characters with look-alikes,
 * path syntax, percent-encoding, invisible and control characters, and reserved words in
 * every case. Fixed seed; PROPERTY_SEED overrides it.
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_129);
/** 10 000, or fewer under mutation testing (PROPERTY_RUNS, vitest.stryker.config.ts). */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
const ALLOWED = /^[A-Za-z0-9_-]{3,64}$/;
const reserved = new Set(RESERVED_WORDS);

const figures: string[] = [];
afterAll(() => console.log(`alias policy properties, seed ${SEED}:\n  ${figures.join('\n  ')}`));

const SAFE = [...'abcxyzABCXYZ0129_-'];
const NASTY = [
  ...'./\\%?#&+:@=;, "\'<>',
  '%2F',
  '%2e',
  'а', // Cyrillic
  'ｄ', // full-width
  'K', // Kelvin sign, lowercases to k
  'ı', // dotless i, uppercases to I
  'ß',
  'é',
  'e\u0301',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\u00ad',
  '\u0000',
  '\t',
  '\n',
  '\u3000',
  '🎉',
  '\ud800',
];

/** A reserved word in any mix of case, sometimes with a nasty character or affix. */
const reservedSpelling = fc
  .tuple(fc.constantFrom(...RESERVED_WORDS), fc.array(fc.boolean(), { maxLength: 40 }))
  .map(([word, upper]) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

const alias = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...SAFE), maxLength: 70 }) },
  {
    weight: 4,
    arbitrary: fc.string({
      unit: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SAFE) }, fc.constantFrom(...NASTY)),
      maxLength: 70,
    }),
  },
  { weight: 2, arbitrary: reservedSpelling },
  {
    weight: 1,
    arbitrary: fc
      .tuple(reservedSpelling, fc.constantFrom(...NASTY, '-', '_', '1'))
      .map(([w, c]) => w + c),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 70 }) },
);

describe('checkAlias properties', () => {
  it(`when ${RUNS} nasty aliases are checked, then none throws, exactly the 3–64 [A-Za-z0-9_-] non-reserved ones are accepted unchanged, and an accepted alias is one path segment as it is`, () => {
    const outcomes = { accepted: 0, refused: 0, reserved: 0 };
    const started = performance.now();
    fc.assert(
      fc.property(alias, (input) => {
        const result = checkAlias(input);
        const shouldAccept =
          input === '' || (ALLOWED.test(input) && !reserved.has(input.toLowerCase()));
        expect(result.ok, JSON.stringify(input)).toBe(shouldAccept);
        if (!result.ok) {
          outcomes.refused += 1;
          if (englishOf(result.message).includes('reserved')) outcomes.reserved += 1;
          expect(englishOf(result.message)).not.toBe('');
          return;
        }
        if (input === '') {
          expect(result.alias).toBeNull();
          return;
        }
        outcomes.accepted += 1;
        expect(result.alias).toBe(input);
        // It is a path segment that needs no encoding and that the WHATWG parser keeps as it is.
        expect(encodeURIComponent(input)).toBe(input);
        expect(new URL(`/${input}`, 'https://snip.example').pathname).toBe(`/${input}`);
        expect(reserved.has(input.toLowerCase())).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    figures.push(
      `any alias: ${RUNS} runs in ${Math.round(performance.now() - started)} ms, ${JSON.stringify(outcomes)}`,
    );
    expect(outcomes.accepted).toBeGreaterThan(RUNS / 10);
    expect(outcomes.reserved).toBeGreaterThan(RUNS / 100);
  });

  it('when a reserved word is spelled in any case, then it is refused as reserved', () => {
    fc.assert(
      fc.property(
        reservedSpelling.filter((w) => ALLOWED.test(w)),
        (word) => {
          const result = checkAlias(word);
          expect(result.ok).toBe(false);
          expect(!result.ok && englishOf(result.message)).toBe(
            `“${word}” is reserved by snip. Choose another alias.`,
          );
        },
      ),
      { seed: SEED, numRuns: Math.ceil(RUNS / 10) },
    );
  });
});
