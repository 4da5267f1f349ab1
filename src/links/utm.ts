import { text as textOf, type Text } from '../i18n/catalog.js';
import { cleanText, textRefusal } from './link-text.js';

/**
 * The UTM builder of the forms: five optional fields written into the target URL as query
 * parameters when a link is saved, and read back out of it to edit them. A filled field replaces
 * every parameter of its name the URL has; an empty one leaves the URL's own. The parameters
 * come after the URL's others, before its fragment; the rest of the query is kept as written.
 */

export const UTM_FIELDS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
] as const;
export type UtmField = (typeof UTM_FIELDS)[number];
export type Utm = Record<UtmField, string>;

export const UTM_MAX = 200;

export const NO_UTM: Utm = Object.fromEntries(UTM_FIELDS.map((field) => [field, ''])) as Utm;

export type UtmResult =
  { ok: true; utm: Utm } | { ok: false; errors: Partial<Record<keyof Utm, Text>> };

/** The five fields of a form body: trimmed, each at most UTM_MAX characters of visible text. */
export function parseUtmFields(body: unknown): UtmResult {
  const sent = (body ?? {}) as Record<string, unknown>;
  const utm = { ...NO_UTM };
  const errors: Partial<Record<keyof Utm, Text>> = {};
  for (const field of UTM_FIELDS) {
    const value = sent[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      errors[field] = textOf('links.form.once');
      continue;
    }
    const text = cleanText(value, { max: UTM_MAX });
    const problem = textRefusal(text, { max: UTM_MAX }, 'utm');
    if (problem !== null) errors[field] = problem;
    else utm[field] = text;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, utm };
}

function parts(url: string): { base: string; query: string[]; fragment: string } {
  const hash = url.indexOf('#');
  const fragment = hash === -1 ? '' : url.slice(hash);
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const mark = beforeHash.indexOf('?');
  if (mark === -1) return { base: beforeHash, query: [], fragment };
  const query = beforeHash.slice(mark + 1);
  return {
    base: beforeHash.slice(0, mark),
    query: query === '' ? [] : query.split('&'),
    fragment,
  };
}

function join(base: string, query: string[], fragment: string): string {
  return `${base}${query.length > 0 ? `?${query.join('&')}` : ''}${fragment}`;
}

/** A query parameter's name or value as a form would read it; null when it is not UTF-8. */
function decode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function nameOf(pair: string): string | null {
  const equals = pair.indexOf('=');
  return decode(equals === -1 ? pair : pair.slice(0, equals));
}

/** The URL with the filled UTM fields written into its query. */
export function mergeUtm(url: string, utm: Utm): string {
  const filled = UTM_FIELDS.filter((field) => utm[field] !== '');
  if (filled.length === 0) return url;
  const { base, query, fragment } = parts(url);
  const kept = query.filter((pair) => !filled.includes(nameOf(pair) as UtmField));
  const added = filled.map((field) => `${field}=${encodeURIComponent(utm[field])}`);
  return join(base, [...kept, ...added], fragment);
}

/**
 * A target as the form edits it: the URL without its UTM parameters and the five fields filled
 * from them. A parameter the fields cannot hold as it is (given twice, not UTF-8, invisible
 * characters, too long) stays in the URL, so that saving the form unchanged keeps it.
 */
export function splitUtm(target: string): { url: string; utm: Utm } {
  const { base, query, fragment } = parts(target);
  const utm = { ...NO_UTM };
  const taken = new Set<number>();
  for (const field of UTM_FIELDS) {
    const found = query.flatMap((pair, index) => (nameOf(pair) === field ? [index] : []));
    if (found.length !== 1) continue;
    const pair = query[found[0]!]!;
    const equals = pair.indexOf('=');
    const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
    if (value === null || value === '' || value !== value.trim()) continue;
    if (textRefusal(value, { max: UTM_MAX }, 'utm') !== null) continue;
    utm[field] = value;
    taken.add(found[0]!);
  }
  if (taken.size === 0) return { url: target, utm };
  const kept = query.filter((_, index) => !taken.has(index));
  return { url: join(base, kept, fragment), utm };
}
