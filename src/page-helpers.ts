import { PAGE_LANGUAGE } from './http/page-language.js';
import { formatInstant, lastDayBefore } from './links/link-limits.js';
import { DEFAULT_OPTIONS, FORM_FIELDS, optionFormValues } from './links/link-options.js';
import { TAGS_FIELD } from './links/tags.js';
import { NO_UTM, UTM_FIELDS } from './links/utm.js';

/** Helpers every view may call, kept out of the templates so they stay declarative. */
export function pageHelpers(asset: (name: string) => string) {
  return {
    asset,
    /** The language pages are written in (`<html lang>`); a request may choose another in res.locals. */
    pageLanguage: PAGE_LANGUAGE,
    /** The form fields of the link options, the tags, the UTM builder's and the password, in the forms' order. */
    optionFields: [
      ...Object.values(FORM_FIELDS),
      TAGS_FIELD,
      ...UTM_FIELDS,
      'password',
    ] as readonly string[],
    /** What each of those fields holds when nobody changed it (the redirect: 302). */
    optionDefaults: {
      ...optionFormValues(DEFAULT_OPTIONS),
      [TAGS_FIELD]: '',
      ...NO_UTM,
    } as Readonly<Record<string, string>>,
    /** `2026-11-25 14:03 UTC`: one unambiguous format, whatever the reader's locale. */
    formatTime(epochMs: number | null): string {
      if (epochMs === null) return '—';
      // A time damaged in the database is shown as such; the rest of the page still renders.
      const iso = formatInstant(epochMs);
      return iso === null ? 'invalid time' : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
    },
    formatDate(epochMs: number): string {
      return formatInstant(epochMs)?.slice(0, 10) ?? 'invalid date';
    },
    /** The last UTC day on which a link that stops at `expiresAt` still works. */
    formatLastDay(expiresAt: number): string {
      return lastDayBefore(expiresAt) || 'invalid date';
    },
    formatCount(n: number): string {
      return n.toLocaleString('en');
    },
  };
}
