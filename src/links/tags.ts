import { text, type Text } from '../i18n/catalog.js';
/**
 * Tags: the words a link's owner files it under. One rule for every door (the forms, `/api/v1`,
 * the compatible APIs, the import): a tag is trimmed, 1 to MAX_TAG_LENGTH characters, has no
 * control, format or other invisible character and no comma (the separator of the forms and of
 * snip's export); a link has at most MAX_TAGS. Tags are compared by their key, the name in
 * Unicode NFC and lower case, so `Launch`, `launch` and `LAUNCH` are one tag, shown everywhere as
 * it was first stored.
 */

export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 32;

/** What separates tags in a form field and in a cell of snip's export. */
export const TAG_SEPARATOR = ',';

/**
 * Characters a tag may not hold: controls, format characters (zero-width spaces and joiners,
 * direction marks), unassigned and private-use code points, lone surrogates, every separator but
 * the plain space (line and paragraph separators, no-break and other odd spaces), U+FFFD (what
 * bytes that are not UTF-8 decode to), and the comma, which separates tags.
 */
const REFUSED =
  /[\p{C}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u3164\u115f\u1160\uffa0\ufffd,]/u;

/** The key a tag is compared by: NFC, lower case. */
export function tagKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export type TagsResult = { ok: true; tags: string[] } | { ok: false; message: Text };

/**
 * Checks a link's tags as a door received them: each trimmed and stored in NFC, empty ones
 * dropped, the same tag twice in exactly the same spelling kept once. Refused: a tag too long or
 * holding a refused character, more than MAX_TAGS, and one tag given in two spellings that differ
 * only in case or in Unicode normalisation (`é` as one code point or as `e` and an accent):
 * which one should the link show?
 */
export function checkTags(input: readonly string[]): TagsResult {
  const tags: string[] = [];
  const byKey = new Map<string, string>();
  for (const raw of input) {
    if (typeof raw !== 'string') return { ok: false, message: text('links.tags.notString') };
    const name = raw.trim().normalize('NFC');
    if (name === '') continue;
    const bad = REFUSED.exec(name);
    if (bad) {
      const message =
        bad[0] === ','
          ? text('links.tags.comma', { tag: name })
          : bad[0] === '\ufffd'
            ? text('links.tags.notUtf8')
            : text('links.tags.invisible', { codePoint: codePoint(bad[0]) });
      return { ok: false, message };
    }
    if ([...name].length > MAX_TAG_LENGTH) {
      return {
        ok: false,
        message: text('links.tags.tooLong', {
          start: [...name].slice(0, MAX_TAG_LENGTH).join(''),
          max: MAX_TAG_LENGTH,
        }),
      };
    }
    const key = tagKey(name);
    const spelling = raw.trim();
    const seen = byKey.get(key);
    if (seen === spelling) continue;
    if (seen !== undefined) {
      return {
        ok: false,
        message:
          seen.normalize('NFC') === name
            ? text('links.tags.sameAccents', { seen, spelling })
            : text('links.tags.sameCase', { seen, spelling }),
      };
    }
    byKey.set(key, spelling);
    tags.push(name);
  }
  if (tags.length > MAX_TAGS) {
    return {
      ok: false,
      message: text('links.tags.tooMany', { max: MAX_TAGS, count: tags.length }),
    };
  }
  return { ok: true, tags };
}

/** The tags of a form field or an export cell: comma-separated, checked as checkTags does. */
export function parseTagList(text: string): TagsResult {
  return checkTags(text.split(TAG_SEPARATOR));
}

/** A link's tags as a form field or an export cell shows them. */
export function formatTagList(tags: readonly string[]): string {
  return tags.join(`${TAG_SEPARATOR} `);
}

function codePoint(char: string): string {
  return (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

/** Which links a listing keeps by their tags, each list of keys (tagKey); empty: no filter. */
export type TagFilter = {
  /** Links carrying at least one of these. */
  any: readonly string[];
  /** Links carrying every one of these. */
  all: readonly string[];
  /** Links carrying none of these. */
  none: readonly string[];
  /** Links not carrying every one of these (Shlink's excludeTagsMode=all). */
  notAll?: readonly string[];
};

export const NO_TAG_FILTER: TagFilter = { any: [], all: [], none: [] };

/** A tag as the lists show it: how many links (not deleted) carry it and their visits. */
export type TagSummary = { name: string; links: number; visits: number };

/** The form field that carries a link's tags, comma-separated. */
export const TAGS_FIELD = 'tags';

/** The tags of a form body's `tags` field: absent is none; sent twice is refused. */
export function readTagsField(body: unknown): TagsResult {
  const value = (body as Record<string, unknown> | null | undefined)?.[TAGS_FIELD];
  if (value === undefined) return { ok: true, tags: [] };
  if (typeof value !== 'string') return { ok: false, message: text('links.form.once') };
  return parseTagList(value);
}
