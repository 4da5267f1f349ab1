import { text, type Text } from '../i18n/catalog.js';

/**
 * Every cookie snip sets, in one list: the code that sets each one takes its name (and, where it
 * is fixed, its lifetime) from here, and the privacy page (src/privacy/) lists them from here, so
 * a new cookie or a changed lifetime cannot be missing from what the page says. A visitor who only
 * follows short links gets none of them.
 */
export type SnipCookie = Readonly<{
  name: string;
  /** The paths the browser sends it to. */
  path: string;
  /** Who gets it, and what it is for, as a catalog message: the privacy page words it. */
  purpose: Text;
  /** Max-Age in seconds; null: a session cookie, gone when the browser closes. */
  maxAgeSeconds: number | null;
}>;

export const SNIP_COOKIES = {
  /** The management tokens of the links this browser made: "Your links" on the home page. */
  rememberedLinks: {
    name: 'snip_links',
    path: '/',
    purpose: text('privacy.cookie.links.purpose'),
    maxAgeSeconds: 365 * 86_400,
  },
  /** One unlocked password-protected link, in one browser. */
  unlock: {
    name: 'snip_unlock',
    path: '/<code>',
    purpose: text('privacy.cookie.unlock.purpose'),
    maxAgeSeconds: 86_400,
  },
  /** The language a visitor chose from a page's footer. */
  language: {
    name: 'snip_lang',
    path: '/',
    purpose: text('privacy.cookie.language.purpose'),
    maxAgeSeconds: 365 * 86_400,
  },
  /** The admin's session. */
  admin: {
    name: 'snip_admin',
    path: '/admin',
    purpose: text('privacy.cookie.admin.purpose'),
    maxAgeSeconds: null,
  },
} as const satisfies Record<string, SnipCookie>;
