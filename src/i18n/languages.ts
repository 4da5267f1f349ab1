/**
 * The languages snip's pages are written in. Adding one is a catalog file and a line here:
 * `locales/<tag>.json` with every key of `locales/en.json` translated, and its entry below (its
 * BCP 47 tag, its name in itself, its writing direction). The catalog test checks the file.
 */
export const LANGUAGES = [
  { tag: 'en', name: 'English', dir: 'ltr' },
  { tag: 'de', name: 'Deutsch', dir: 'ltr' },
  { tag: 'fr', name: 'Français', dir: 'ltr' },
  { tag: 'es', name: 'Español', dir: 'ltr' },
  { tag: 'pt-BR', name: 'Português (Brasil)', dir: 'ltr' },
  { tag: 'ja', name: '日本語', dir: 'ltr' },
  { tag: 'zh-Hans', name: '简体中文', dir: 'ltr' },
  { tag: 'ar', name: 'العربية', dir: 'rtl' },
] as const satisfies readonly Language[];

export type Language = Readonly<{ tag: string; name: string; dir: 'ltr' | 'rtl' }>;

export type LanguageTag = (typeof LANGUAGES)[number]['tag'];

/** The language of the catalog every other one translates, and of the API's answers. */
export const SOURCE_LANGUAGE: LanguageTag = 'en';

const BY_LOWER_TAG = new Map<string, LanguageTag>(
  LANGUAGES.map((l) => [l.tag.toLowerCase(), l.tag]),
);
/**
 * A language asked for by its primary subtag (`pt`, `zh`) or by a region or script snip has no
 * catalog for (`pt-PT`, `zh-CN`, `es-MX`): the one snip has with that primary subtag.
 */
const BY_PRIMARY = new Map<string, LanguageTag>(
  LANGUAGES.map((l) => [l.tag.split('-')[0]!.toLowerCase(), l.tag]),
);

/** A tag's shape (BCP 47, loosely): letters and digits in subtags of 1–8, at most 35 characters. */
const TAG_SHAPE = /^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$/i;

/**
 * The supported language a BCP 47 tag names, exactly (case aside) or by its primary subtag;
 * undefined for a malformed tag or a language snip does not have.
 */
export function supportedLanguage(tag: string): LanguageTag | undefined {
  if (tag.length > 35 || !TAG_SHAPE.test(tag)) return undefined;
  const lower = tag.toLowerCase();
  return BY_LOWER_TAG.get(lower) ?? BY_PRIMARY.get(lower.split('-')[0]!);
}

/** The writing direction of a supported language. */
export function directionOf(tag: LanguageTag): 'ltr' | 'rtl' {
  return LANGUAGES.find((l) => l.tag === tag)!.dir;
}

/** Accept-Language headers longer than this are not read (browsers send well under 200 bytes). */
const MAX_ACCEPT_LANGUAGE = 1024;
/** Ranges read from one header, at most. */
const MAX_RANGES = 32;

/**
 * The supported language an `Accept-Language` header prefers (RFC 9110 §12.5.4): its ranges by
 * quality, highest first (ties in the header's order); `q=0` refuses a range; `*` takes none in
 * particular. undefined when it names none snip has, or is missing or malformed — a malformed
 * range is skipped, never an error.
 */
export function preferredLanguage(header: string | undefined): LanguageTag | undefined {
  if (header === undefined || header.length > MAX_ACCEPT_LANGUAGE) return undefined;
  const ranges: { tag: LanguageTag; q: number; at: number }[] = [];
  const parts = header.split(',', MAX_RANGES);
  for (let at = 0; at < parts.length; at++) {
    const [range, ...params] = parts[at]!.split(';');
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
      else q = Number.NaN;
    }
    if (!(q > 0)) continue;
    const tag = supportedLanguage(range!.trim());
    if (tag !== undefined) ranges.push({ tag, q, at });
  }
  ranges.sort((a, b) => b.q - a.q || a.at - b.at);
  return ranges[0]?.tag;
}
