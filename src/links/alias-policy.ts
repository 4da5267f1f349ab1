import { text, type Text } from '../i18n/catalog.js';
/**
 * Which custom aliases may be chosen (PRODUCT.md §5, BAD-INPUTS.md rows 39–42), and which codes an
 * import may bring. Pure: uniqueness is the database's job (a UNIQUE constraint answers 409), not
 * this module's.
 */
import { CODE_PATTERN } from './link.js';

/**
 * The first path segment of every route snip serves: src/app.ts and every router it mounts,
 * whatever the settings (`metrics` needs METRICS_TOKEN, `admin` ADMIN_PASSWORD). A link whose code
 * is one of these would take `/<code>` from snip's own page or the paths under it, or never be
 * reached, so no link may have one. test/links/route-segments.test.ts walks the app's router and
 * holds this list to it, both ways. Routing is case-sensitive (`/Admin` is no page of snip's).
 */
export const ROUTE_SEGMENTS: readonly string[] = Object.freeze([
  '_',
  'admin',
  'api',
  'healthz',
  'manage',
  'manifest.webmanifest',
  'metrics',
  'privacy',
  'qr',
  'report',
  'rest',
  'robots.txt',
  'shorten',
  'static',
  'yourls-api.php',
]);

const ROUTES = new Set(ROUTE_SEGMENTS);

/** Whether `/<code>` is, or leads to, a route of snip's own. */
export function shadowsRoute(code: string): boolean {
  return ROUTES.has(code);
}

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

export type AliasCheck = { ok: true; alias: string | null } | { ok: false; message: Text };

const RESERVED = new Set([...RESERVED_WORDS, ...ROUTE_SEGMENTS]);
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
      message: text('links.alias.characters'),
    };
  }
  if (input.length < MIN_LENGTH || input.length > MAX_LENGTH) {
    return {
      ok: false,
      message: text('links.alias.length', { min: MIN_LENGTH, max: MAX_LENGTH }),
    };
  }
  if (RESERVED.has(input.toLowerCase())) {
    return { ok: false, message: text('links.alias.reserved', { alias: input }) };
  }
  return { ok: true, alias: input };
}

export type ImportedCodeCheck = { ok: true } | { ok: false; message: string };

/** Longest code a link's path holds (CODE_PATTERN). */
const MAX_CODE_LENGTH = 64;

/**
 * A code an import brings from another shortener (or snip's own export). It keeps the code the
 * source had even where checkAlias would refuse it — YOURLS's one- and two-character keywords, a
 * word such as `docs` that no page of snip's uses — as long as snip can serve it: one path
 * segment the redirect answers (CODE_PATTERN, which the fast path and every door look codes up
 * with), and not the path of a route of snip's own (ROUTE_SEGMENTS).
 */
export function checkImportedCode(code: string): ImportedCodeCheck {
  if (CODE_PATTERN.test(code)) {
    return shadowsRoute(code)
      ? {
          ok: false,
          message: `The code “${code}” is the path of snip's own /${code}: a link there would hide that page (or never be reached), so it is not imported.`,
        }
      : { ok: true };
  }
  if (/\p{Cc}/u.test(code)) {
    return {
      ok: false,
      message:
        'The code holds a control character, which no address can carry; it is not imported.',
    };
  }
  if (code.includes('/')) {
    return {
      ok: false,
      message: `The code “${code}” holds a “/”: snip's codes are one path segment, so it cannot be served; it is not imported.`,
    };
  }
  if (code.length > MAX_CODE_LENGTH) {
    return {
      ok: false,
      message: `The code is ${code.length} characters long; snip serves codes of at most ${MAX_CODE_LENGTH}, so it is not imported.`,
    };
  }
  return {
    ok: false,
    message: `The code “${code}” holds characters snip cannot serve in a short link's path: only the letters A–Z and a–z, digits, hyphens (-) and underscores (_). It is not imported.`,
  };
}

/**
 * Which rule of checkAlias a code that checkImportedCode keeps would have failed: `length` (fewer
 * than MIN_LENGTH characters), `reserved` (one of RESERVED_WORDS), or null for none.
 */
export function aliasRuleKeptBack(code: string): 'length' | 'reserved' | null {
  if (code.length < MIN_LENGTH) return 'length';
  return RESERVED.has(code.toLowerCase()) ? 'reserved' : null;
}

/** The fewest characters of an alias chosen in snip. */
export const MIN_ALIAS_LENGTH = MIN_LENGTH;
