import type { Response } from 'express';

/** The language every page is written in today (BCP 47): `<html lang>` and the names of countries and languages on the statistics pages. */
export const PAGE_LANGUAGE = 'en';

/**
 * The language of the page being answered: `res.locals.pageLanguage` where a request chose one,
 * the app's otherwise (set from PAGE_LANGUAGE in page-helpers.ts). The one place a page's
 * language is read from, so that switching it switches every name on the page.
 */
export function pageLanguageOf(res: Response): string {
  const chosen: unknown = res.locals.pageLanguage ?? res.app.locals.pageLanguage;
  return typeof chosen === 'string' && chosen !== '' ? chosen : PAGE_LANGUAGE;
}
