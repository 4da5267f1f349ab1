import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * No view holds a word a person reads outside the catalogs: the text between tags and the
 * attributes people read (aria-label, title, placeholder, alt, data-label) hold EJS output only. What may
 * stay: the brand, and words that are the same in every language (listed below).
 */

const VIEWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');
/** Not words of English: names and notations every language writes the same way. */
const SAME_IN_EVERY_LANGUAGE = new Set(['snip']);

/** The words of a view that are not EJS output, with the line each is on. */
export function literalWords(template: string): string[] {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const source = template
    .replace(/<%[\s\S]*?%>/g, blank)
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, blank);
  const found: string[] = [];
  const report = (text: string, at: number) => {
    const line = source.slice(0, at).split('\n').length;
    for (const word of text.replace(/&[a-z]+;|&#\d+;/gi, ' ').match(/\p{L}{2,}/gu) ?? []) {
      if (!SAME_IN_EVERY_LANGUAGE.has(word)) found.push(`${line}: ${word}`);
    }
  };
  // Text between tags.
  for (const match of source.matchAll(/>([^<]+)</g)) report(match[1]!, match.index);
  // Attributes people read.
  for (const match of source.matchAll(
    /\b(?:aria-label|title|placeholder|alt|data-label)="([^"]*)"/g,
  ))
    report(match[1]!, match.index);
  return found;
}

const views = fs
  .readdirSync(VIEWS, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ejs'))
  .map((entry) => path.relative(VIEWS, path.join(entry.parentPath, entry.name)))
  .sort();

describe('the views', () => {
  it.each(views.map((view) => [view]))(
    'when %s is read, then every word a person reads comes from the catalog',
    (view) => {
      expect(literalWords(fs.readFileSync(path.join(VIEWS, view), 'utf8'))).toEqual([]);
    },
  );
});
