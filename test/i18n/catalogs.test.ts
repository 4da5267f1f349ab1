import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LANGUAGES, SOURCE_LANGUAGE } from '../../src/i18n/languages.js';
import { elementsOf, LOCALES, readCatalog } from './catalog-files.js';

/**
 * The catalogs' discipline: every language has exactly the English catalog's keys, each message
 * with the same placeholders and tags; no key is unused, none used is missing; and no view holds
 * a word of English outside the catalogs.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function filesUnder(dir: string, ending: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((entry) =>
      entry.isFile() && entry.name.endsWith(ending)
        ? [path.join(entry.parentPath, entry.name)]
        : [],
    );
}

/** The names a message takes (arguments, plural and select variables, rich-text tags), sorted. */
function placeholdersOf(message: string, locale: string): string[] {
  const names = new Set<string>();
  for (const element of elementsOf(message, locale)) {
    // 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural, 8 tag (formatjs's TYPE enum).
    if ([1, 2, 3, 4, 5, 6].includes(element.type)) names.add(`{${element.value}}`);
    if (element.type === 8) names.add(`<${element.value}>`);
  }
  return [...names].sort();
}

const english = readCatalog(SOURCE_LANGUAGE);
const keys = Object.keys(english);

describe('the catalogs', () => {
  it('when the catalogs are read, then there is one per language and no file for a language snip does not list', () => {
    const files = fs.readdirSync(LOCALES).filter((name) => name.endsWith('.json'));
    expect(files.sort()).toEqual(LANGUAGES.map((l) => `${l.tag}.json`).sort());
  });

  it.each(LANGUAGES.map((l) => [l.tag]))(
    'when %s is compared with English, then it has every key and no other, in the same (sorted) order, each message non-empty',
    (tag) => {
      const messages = readCatalog(tag);
      expect(Object.keys(messages)).toEqual(keys);
      expect([...keys].sort()).toEqual(keys);
      for (const [key, message] of Object.entries(messages)) {
        expect(typeof message === 'string' && message.trim() !== '', key).toBe(true);
      }
    },
  );

  it.each(LANGUAGES.map((l) => [l.tag]))(
    'when each message of %s is parsed, then it is valid ICU MessageFormat with the placeholders and tags of its English message',
    (tag) => {
      const messages = readCatalog(tag);
      for (const key of keys) {
        expect(placeholdersOf(messages[key]!, tag), key).toEqual(
          placeholdersOf(english[key]!, SOURCE_LANGUAGE),
        );
      }
    },
  );

  const sources = [
    ...filesUnder(path.join(ROOT, 'views'), '.ejs'),
    ...filesUnder(path.join(ROOT, 'src'), '.ts'),
    ...filesUnder(path.join(ROOT, 'public'), '.js'),
  ].map((file) => ({ file: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') }));
  const allSource = sources.map((s) => s.text).join('\n');

  it('when the views and the sources are searched, then every key of the catalog is named in them (written out whole, never built)', () => {
    const unused = keys.filter((key) => !allSource.includes(`'${key}'`));
    expect(unused).toEqual([]);
  });

  it('when the views and the sources name a key, then the English catalog has it', () => {
    const named = /\b(?:t|t\.html|text|say)\(\s*'([A-Za-z0-9_.-]+)'/g;
    const missing = new Set<string>();
    for (const { file, text } of sources) {
      for (const match of text.matchAll(named)) {
        if (!(match[1]! in english)) missing.add(`${file}: ${match[1]}`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
