import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import { SOURCE_LANGUAGE, type LanguageTag } from './languages.js';

/**
 * The catalogs: `locales/<tag>.json`, one per language, each a flat object of message keys to
 * ICU MessageFormat strings (`{name}`, `{count, plural, one {# link} other {# links}}`, rich-text
 * tags `<link>…</link>` for the few messages that hold a link). `en.json` is the source: every
 * other catalog has exactly its keys (test/i18n/catalogs.test.ts).
 *
 * How to use (a page, through the `t` every view gets; a door, for a Text from a service):
 *
 *   const t = translator('de');
 *   t('notFound.title');                               // "Nicht gefunden"
 *   t('time.inMinutes', { count: 3 });                 // German plural rules and digits
 *   t.html('password.lede', { code, c: (s) => `<code>${s}</code>` }); // values escaped
 *   const said = text('password.tooMany', { when: retryInText(90) }); // from a service
 *   t.say(said);                                       // on a page
 *   englishOf(said);                                   // in an API's answer
 */

// Both src/i18n/ and dist/i18n/ sit two levels below the project root.
const LOCALES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'locales');

export type Values = Readonly<Record<string, string | number>>;
/** A Text's values: a nested Text ("in 5 minutes") is worded in the same language first. */
export type TextValues = Readonly<Record<string, string | number | Text>>;
export type HtmlValues = Readonly<Record<string, string | number | ((chunks: string) => string)>>;

/** A sentence a service says, to be worded in the reader's language: a catalog key and its values. */
export type Text = Readonly<{ key: string; values?: TextValues }>;

export function text(key: string, values?: TextValues): Text {
  return values === undefined ? { key } : { key, values };
}

export type Translate = ((key: string, values?: Values) => string) & {
  /** A message with rich-text tags as HTML: its values escaped, each tag a function's markup. */
  html(key: string, values?: HtmlValues): string;
  /** A service's Text, worded. */
  say(text: Text): string;
  readonly language: LanguageTag;
};

function readCatalog(tag: string): Record<string, string> {
  const file = path.join(LOCALES, `${tag}.json`);
  if (!fs.existsSync(file)) return {};
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
}

const catalogs = new Map<LanguageTag, Readonly<Record<string, string>>>();

/** A language's catalog, read once, on its first use: most starts need English alone (ADR 043). */
function catalogOf(tag: LanguageTag): Readonly<Record<string, string>> {
  let catalog = catalogs.get(tag);
  if (catalog === undefined) {
    catalog = readCatalog(tag);
    catalogs.set(tag, catalog);
  }
  return catalog;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const translators = new Map<LanguageTag, Translate>();

/**
 * A message's parts when it holds only text, `{name}` arguments and rich-text tags: it is
 * written out by joining them, without a formatter. Messages with plurals, selects or number,
 * date and time arguments keep their IntlMessageFormat.
 */
type Part = string | { arg: string } | { tag: string; children: Part[] };
type AstElement = { type: number; value?: string; style?: unknown; children?: AstElement[] };

/**
 * The parts of a message, or null when it needs IntlMessageFormat (formatjs's TYPE: 0 literal,
 * 1 argument, 2 number — written as an argument when it has no style —, 8 tag).
 */
function simpleParts(elements: AstElement[]): Part[] | null {
  const parts: Part[] = [];
  for (const element of elements) {
    if (element.type === 0) parts.push(element.value!);
    else if (element.type === 1 || (element.type === 2 && !element.style))
      parts.push({ arg: element.value! });
    else if (element.type === 8) {
      const children = simpleParts(element.children ?? []);
      if (children === null) return null;
      parts.push({ tag: element.value!, children });
    } else return null;
  }
  return parts;
}

type Compiled = string | Part[] | IntlMessageFormat;
type FormatValues = Readonly<Record<string, unknown>>;

/** Results of formatted messages kept per language: the same few values come back on every page. */
const MAX_REMEMBERED = 2000;

/**
 * The translate function of a language, made once per language. A key its catalog lacks is
 * worded from English, and a key no catalog has is shown as itself (the catalog test keeps both
 * from happening). A message without `{` or `<` is its own text; one with arguments and tags
 * only is joined from its parts; IntlMessageFormat words the rest (plurals, selects, numbers),
 * and what it wrote for the same values is remembered.
 */
export function translator(language: LanguageTag): Translate {
  const made = translators.get(language);
  if (made) return made;
  const catalog = catalogOf(language);
  const source = catalogOf(SOURCE_LANGUAGE);
  const numbers = new Intl.NumberFormat(language);
  const compiled = new Map<string, Compiled>();
  const remembered = new Map<string, string>();
  const compiledOf = (key: string): Compiled => {
    let format = compiled.get(key);
    if (format === undefined) {
      const own = catalog[key];
      const message = own ?? source[key] ?? key;
      if (/[{<]/.test(message)) {
        const intl = new IntlMessageFormat(message, own === undefined ? SOURCE_LANGUAGE : language);
        format = simpleParts(intl.getAst() as AstElement[]) ?? intl;
      } else format = message;
      compiled.set(key, format);
    }
    return format;
  };
  /** Joins a message's parts; `html` escapes string values and calls each tag's function. */
  const join = (parts: Part[], values: FormatValues, html: boolean): string => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else if ('arg' in part) {
        const value = values[part.arg];
        if (typeof value === 'number') out += numbers.format(value);
        else if (typeof value === 'string') out += html ? escapeHtml(value) : value;
        else throw new Error(`The message's value "${part.arg}" was not given`);
      } else {
        const wrap = values[part.tag];
        if (typeof wrap !== 'function')
          throw new Error(`The message's tag "${part.tag}" was not given`);
        out += (wrap as (chunks: string) => string)(join(part.children, values, html));
      }
    }
    return out;
  };
  /** IntlMessageFormat's wording of plain values, remembered (a few thousand per language). */
  const intlFormat = (key: string, intl: IntlMessageFormat, values: Values | undefined): string => {
    const id = values === undefined ? key : `${key}\u0000${JSON.stringify(values)}`;
    let said = remembered.get(id);
    if (said === undefined) {
      said = String(intl.format(values as Record<string, string | number>));
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(id, said);
    }
    return said;
  };
  const t = ((key: string, values?: Values): string => {
    const format = compiledOf(key);
    if (typeof format === 'string') return format;
    if (Array.isArray(format)) return join(format, values ?? {}, false);
    return intlFormat(key, format, values);
  }) as Translate;
  t.html = (key, values = {}) => {
    const format = compiledOf(key);
    if (typeof format === 'string') return format;
    if (Array.isArray(format)) return join(format, values, true);
    const safe: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      safe[name] =
        typeof value === 'function'
          ? (chunks: unknown[]) => value(chunks.join(''))
          : typeof value === 'string'
            ? escapeHtml(value)
            : value;
    }
    const parts = format.format(safe);
    return Array.isArray(parts) ? parts.join('') : String(parts);
  };
  t.say = (said) => {
    if (said.values === undefined) return t(said.key);
    const values: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(said.values))
      values[name] = typeof value === 'object' ? t.say(value) : value;
    return t(said.key, values);
  };
  Object.defineProperty(t, 'language', { value: language });
  translators.set(language, t);
  return t;
}

/** A service's Text in English: what the APIs and the logs say. */
export function englishOf(said: Text): string {
  return translator(SOURCE_LANGUAGE).say(said);
}
