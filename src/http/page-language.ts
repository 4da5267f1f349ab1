import type { Express, Request, Response } from 'express';
import {
  directionOf,
  LANGUAGES,
  preferredLanguage,
  SOURCE_LANGUAGE,
  supportedLanguage,
  type LanguageTag,
} from '../i18n/languages.js';
import { SNIP_COOKIES } from './cookies.js';

const LANGUAGE_COOKIE = SNIP_COOKIES.language;
/** Where the app keeps DEFAULT_LANGUAGE: a setting, not a local every view is handed. */
const DEFAULT_LANGUAGE_SETTING = 'default language';

/**
 * The language of the page being answered (see languagePages): the one place a page's language
 * is read from, so that a route that names countries or formats dates before it renders uses
 * the language the page is rendered in.
 */
export function pageLanguageOf(res: Response): LanguageTag {
  return choose(res).language;
}

/** `?lang=`, else the cookie, else Accept-Language, else the operator's default. */
function choose(res: Response): { language: LanguageTag; asked: LanguageTag | undefined } {
  const req = res.req;
  const asked = askedInQuery(req);
  // Set by languagePages from the configuration, which validated it.
  const fallback = res.app.get(DEFAULT_LANGUAGE_SETTING) as LanguageTag | undefined;
  const language =
    asked ??
    keptInCookie(req) ??
    preferredLanguage(req.headers['accept-language']) ??
    fallback ??
    SOURCE_LANGUAGE;
  return { language, asked };
}

/** The `?lang=` of a request, if it names a language snip has. */
function askedInQuery(req: Request): LanguageTag | undefined {
  const asked: unknown = req.query.lang;
  return typeof asked === 'string' ? supportedLanguage(asked) : undefined;
}

/** The language the cookie holds, if it is one snip has. */
function keptInCookie(req: Request): LanguageTag | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== LANGUAGE_COOKIE.name) continue;
    return supportedLanguage(part.slice(at + 1).trim());
  }
  return undefined;
}

/**
 * Where each language's link in the footer goes: this page again with `lang` set (its other
 * query parameters kept), or for a page answered to a form (a POST), the home of its part of the
 * site, which a GET can reach.
 */
function languageLinks(req: Request): { tag: LanguageTag; name: string; href: string }[] {
  const get = req.method === 'GET' || req.method === 'HEAD';
  const base = get ? req.path : req.path.startsWith('/admin') ? '/admin' : '/';
  const others = get ? Object.entries(req.query).filter(([name]) => name !== 'lang') : [];
  if (others.length === 0) {
    return LANGUAGES.map(({ tag, name }) => ({ tag, name, href: `${base}?lang=${tag}` }));
  }
  const query = new URLSearchParams();
  for (const [name, value] of others) if (typeof value === 'string') query.append(name, value);
  return LANGUAGES.map(({ tag, name }) => {
    query.set('lang', tag);
    return { tag, name, href: `${base}?${query.toString()}` };
  });
}

/**
 * Every page is rendered in the reader's language: `?lang=xx` (the footer's links, which also set
 * a cookie for the next pages), else the cookie, else the `Accept-Language` header, else
 * `defaultLanguage`. The choice is made when a page is rendered — `res.render` — so redirects,
 * images and API answers do no language work at all. A page says its language in
 * `Content-Language`, and `Vary: Accept-Language, Cookie` when the header or the cookie chose
 * it. Views get `localsFor(language)`, `pageLanguage`, `pageDirection` and `languageLinks`.
 */
export function languagePages(
  app: Express,
  options: {
    defaultLanguage: LanguageTag;
    secureCookies: (req: Request) => boolean;
    /** What views get in a language (`t`, `say`, the formatters): made once per language, not per page. */
    localsFor: (language: LanguageTag) => object;
  },
): void {
  app.set(DEFAULT_LANGUAGE_SETTING, options.defaultLanguage);
  const render = app.response.render;
  app.response.render = function renderInLanguage(this: Response, ...args: unknown[]) {
    const req = this.req;
    const { language: chosen, asked } = choose(this);
    if (asked === undefined) this.vary('Accept-Language').vary('Cookie');
    else if (keptInCookie(req) !== asked) {
      this.cookie(LANGUAGE_COOKIE.name, asked, {
        path: LANGUAGE_COOKIE.path,
        httpOnly: true,
        sameSite: 'lax',
        secure: options.secureCookies(req),
        maxAge: LANGUAGE_COOKIE.maxAgeSeconds * 1000,
      });
    }
    this.set('Content-Language', chosen);
    Object.assign(this.locals, options.localsFor(chosen), {
      pageLanguage: chosen,
      pageDirection: directionOf(chosen),
      languageLinks: languageLinks(req),
    });
    return (render as (...a: unknown[]) => void).apply(this, args);
  } as Response['render'];
}
