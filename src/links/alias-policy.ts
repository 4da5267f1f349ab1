/**
 * Which custom aliases may be chosen (PRODUCT.md §5, BAD-INPUTS.md rows 39–42). Pure: uniqueness
 * is the database's job (a UNIQUE constraint answers 409), not this module's.
 */

/**
 * Every top-level path snip serves or plans to serve, lowercase. An alias equal to one of these
 * would be shadowed by the route (or shadow it), so none may be taken. Names with a dot can never
 * pass the charset check; they stay listed so this is the one place to read what is taken.
 */
export const RESERVED_WORDS: readonly string[] = Object.freeze([
  // Pages and features
  'about',
  'account',
  'admin',
  'api',
  'app',
  'auth',
  'callback',
  'contact',
  'create',
  'dashboard',
  'delete',
  'docs',
  'edit',
  'help',
  'home',
  'index',
  'link',
  'links',
  'list',
  'login',
  'logout',
  'manage',
  'new',
  'oauth',
  'preview',
  'privacy',
  'qr',
  'register',
  'report',
  'reports',
  'result',
  's',
  'search',
  'settings',
  'shorten',
  'signin',
  'signout',
  'signup',
  'stats',
  'terms',
  'user',
  'users',
  // Operations
  'debug',
  'health',
  'healthz',
  'livez',
  'metrics',
  'ping',
  'readyz',
  'status',
  'version',
  // Static files and the folders they live in
  'assets',
  'css',
  'dist',
  'fonts',
  'images',
  'img',
  'js',
  'public',
  'static',
  'vendor',
  // Well-known file names that browsers, crawlers and scanners ask for at the root
  '.well-known',
  'ads.txt',
  'apple-touch-icon-precomposed.png',
  'apple-touch-icon.png',
  'browserconfig.xml',
  'favicon.ico',
  'favicon.svg',
  'humans.txt',
  'manifest.json',
  'manifest.webmanifest',
  'robots.txt',
  'security.txt',
  'service-worker.js',
  'sitemap.xml',
  'sw.js',
]);

export type AliasCheck = { ok: true; alias: string | null } | { ok: false; message: string };

const RESERVED = new Set(RESERVED_WORDS);
const MIN_LENGTH = 3;
const MAX_LENGTH = 64;
// ASCII only: look-alike letters (Cyrillic "а", full-width "ａ") would make two aliases that read
// the same, and "/", ".", "%", "?" and "#" change what a path means.
const ALIAS_CHARS = /^[A-Za-z0-9_-]*$/;

/** The caller trims; an empty alias means "generate a code". */
export function checkAlias(input: string): AliasCheck {
  if (input === '') return { ok: true, alias: null };
  if (!ALIAS_CHARS.test(input)) {
    return {
      ok: false,
      message:
        'An alias can only contain the letters A–Z and a–z, digits, hyphens (-) and underscores (_).',
    };
  }
  if (input.length < MIN_LENGTH || input.length > MAX_LENGTH) {
    return {
      ok: false,
      message: `An alias must be ${MIN_LENGTH} to ${MAX_LENGTH} characters long.`,
    };
  }
  if (RESERVED.has(input.toLowerCase())) {
    return { ok: false, message: `“${input}” is reserved by snip. Choose another alias.` };
  }
  return { ok: true, alias: input };
}
