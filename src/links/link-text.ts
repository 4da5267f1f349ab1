import { englishOf, text, type Text } from '../i18n/catalog.js';

/**
 * Short texts a link's owner writes (its title and note, UTM values): what they may hold. Control
 * characters are refused (a note may have line breaks, nothing else), and so are characters a
 * reader cannot see: the bidirectional controls, which reorder what is shown around them, and the
 * default-ignorable code points (zero-width space, soft hyphen, U+FEFF), except the zero-width
 * joiner and the emoji variation selectors that emoji are written with. Lone surrogates, which
 * no UTF-8 text can hold, are refused too.
 */
const REFUSED =
  /[\p{Cc}\p{Cs}\p{Bidi_Control}\u2028\u2029]|(?!\u200d|\ufe0e|\ufe0f)\p{Default_Ignorable_Code_Point}/u;
const REFUSED_BUT_LF =
  /(?!\n)[\p{Cc}\p{Cs}\p{Bidi_Control}\u2028\u2029]|(?!\u200d|\ufe0e|\ufe0f)\p{Default_Ignorable_Code_Point}/u;

export type TextRule = {
  /** Most characters (code points) it may have. */
  max: number;
  /** Whether line breaks are allowed (stored as `\n`). */
  lines?: boolean;
};

/** How long a text is, in characters as a reader counts them (code points). */
export function textLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/** A text as stored: line breaks as `\n` where they are allowed, trimmed. */
export function cleanText(value: string, rule: TextRule): string {
  return (rule.lines ? value.replace(/\r\n?/g, '\n') : value).trim();
}

/** Which text a message names: a link's title or note, a UTM value, or `it` (an API field). */
export type TextKind = 'title' | 'note' | 'utm' | 'it';

/** What is wrong with a (cleaned) text, in words for the person who wrote it; null: nothing. */
export function textRefusal(value: string, rule: TextRule, what: TextKind): Text | null {
  if (textLength(value) > rule.max) return text('links.text.tooLong', { what, max: rule.max });
  if ((rule.lines ? REFUSED_BUT_LF : REFUSED).test(value)) {
    return rule.lines
      ? text('links.text.invisibleLines', { what })
      : text('links.text.invisible', { what });
  }
  return null;
}

/** The same in English, for the APIs, the imports and the logs. */
export function textProblem(value: string, rule: TextRule, what: TextKind): string | null {
  const refusal = textRefusal(value, rule, what);
  return refusal === null ? null : englishOf(refusal);
}

/**
 * A message for a person: a Text (worded in the page's language), or a string still written in
 * English only (the link options' reading problems).
 */
export type Said = Text | string;

/** A message in English, for the APIs and the logs. */
export function englishOfSaid(said: Said): string {
  return typeof said === 'string' ? said : englishOf(said);
}

/** A form's field errors in English, for the APIs. */
export function errorsInEnglish(
  errors: Readonly<Record<string, Said | undefined>>,
): Record<string, string> {
  const english: Record<string, string> = {};
  for (const [field, said] of Object.entries(errors)) {
    if (said !== undefined) english[field] = englishOfSaid(said);
  }
  return english;
}
