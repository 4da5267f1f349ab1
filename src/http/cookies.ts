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
  /** Who gets it, and what it is for: the privacy page prints this. */
  purpose: string;
  /** Max-Age in seconds; null: a session cookie, gone when the browser closes. */
  maxAgeSeconds: number | null;
}>;

export const SNIP_COOKIES = {
  /** The management tokens of the links this browser made: "Your links" on the home page. */
  rememberedLinks: {
    name: 'snip_links',
    path: '/',
    purpose:
      'Set in the browser that created links through the form. It holds the management tokens of the newest links made there, so that the home page can list them as “Your links”.',
    maxAgeSeconds: 365 * 86_400,
  },
  /** One unlocked password-protected link, in one browser. */
  unlock: {
    name: 'snip_unlock',
    path: '/<code>',
    purpose:
      'Set after the right password was entered for a password-protected link, and sent only to that link’s address. It holds the link’s code, its expiry and a signature — not the password — so the password is not asked again at once.',
    maxAgeSeconds: 86_400,
  },
  /** The language a visitor chose from a page's footer. */
  language: {
    name: 'snip_lang',
    path: '/',
    purpose:
      'Set when a language is chosen at the foot of a page. It holds that language’s tag (such as “de”), so the next pages are in it too.',
    maxAgeSeconds: 365 * 86_400,
  },
  /** The admin's session. */
  admin: {
    name: 'snip_admin',
    path: '/admin',
    purpose:
      'Set when the admin signs in, and sent only to the admin pages. It holds a random session id; the database keeps only a keyed hash of it.',
    maxAgeSeconds: null,
  },
} as const satisfies Record<string, SnipCookie>;
