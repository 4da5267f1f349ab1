import { escapeHtml, translator, type Text } from './i18n/catalog.js';
import { formatsOf } from './i18n/formats.js';
import type { LanguageTag } from './i18n/languages.js';
import { ICONS, type IconName } from './page-icons.js';
import { formatInstant, lastDayBefore } from './links/link-limits.js';
import { DEFAULT_OPTIONS, FORM_FIELDS, optionFormValues } from './links/link-options.js';
import { TAGS_FIELD } from './links/tags.js';
import { NO_UTM, UTM_FIELDS } from './links/utm.js';

/** Helpers every view may call, kept out of the templates so they stay declarative. */
export function pageHelpers(asset: (name: string) => string) {
  return {
    asset,
    /** An inline SVG icon (src/page-icons.ts). */
    icon: (name: IconName): string => ICONS[name],
    /** For markup a view builds inside a `t.html` tag function around a value that is not its own. */
    escapeHtml,
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
  };
}

const languageHelpers = new Map<LanguageTag, object>();

/**
 * Helpers every view may call that depend on the page's language, made once per language:
 * `t` (a message of the catalog) and the formatters below (Intl's dates and numbers).
 */
export function pageHelpersIn(language: LanguageTag): object {
  let helpers = languageHelpers.get(language);
  if (helpers) return helpers;
  const t = translator(language);
  const fmt = formatsOf(language);
  /** A service's message: a Text worded in the page's language (a string is shown as it is). */
  const say = (message: Text | string): string =>
    typeof message === 'string' ? message : t.say(message);
  const errorPrefix = escapeHtml(t('status.errorPrefix'));
  helpers = {
    t,
    say,
    /**
     * The message under a field the server refused (nothing when there is none), which the field
     * points at with aria-describedby; the icon and the hidden "Error:" make it more than a red
     * colour. A helper rather than a partial: a form has a dozen fields, and an include costs a
     * copy of every local.
     */
    fieldError(id: string, message: Text | string | null | undefined): string {
      if (!message) return '';
      return `<p class="field-error" id="${escapeHtml(id)}">${ICONS.alert}<span><span class="visually-hidden">${errorPrefix} </span>${escapeHtml(say(message))}</span></p>`;
    },
    formatCount: fmt.count,
    /** A moment to the minute, its time zone (UTC) stated; a time damaged in the database is shown as such. */
    formatTime(epochMs: number | null): string {
      if (epochMs === null) return '—';
      return formatInstant(epochMs) === null ? t('format.invalidTime') : fmt.time(epochMs);
    },
    /** The last UTC day on which a link that stops at `expiresAt` still works. */
    formatLastDay(expiresAt: number): string {
      const day = lastDayBefore(expiresAt);
      return day ? fmt.day(day) : t('format.invalidDate');
    },
  };
  languageHelpers.set(language, helpers);
  return helpers;
}
