import type { RequestHandler } from 'express';
import { translator } from '../i18n/catalog.js';
import { directionOf, LANGUAGES, type LanguageTag } from '../i18n/languages.js';
import { pageLanguageOf } from './page-language.js';

/** The web app manifest's address; every page links it from its head. */
export const WEB_MANIFEST_PATH = '/manifest.webmanifest';

/**
 * The web app manifest (W3C Web Application Manifest, and its Web Share Target extension): a
 * phone that adds snip to its home screen offers it in the "Share" menu, which opens the home
 * form at `/?title=…&text=…&url=…` with the address filled in (src/links/shared-url.ts), the same
 * page without JavaScript. A GET makes no link. Where shortening is private there is no form, so
 * no share target. Relative addresses resolve against the manifest's own URL, so every host of
 * snip serves a manifest for itself. Its description, `lang` and `dir` are in `language`.
 */
export function webManifest(
  options: { asset: (name: string) => string; shareTarget: boolean },
  language: LanguageTag,
): object {
  return {
    name: 'snip',
    short_name: 'snip',
    description: translator(language)('layout.description'),
    lang: language,
    dir: directionOf(language),
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: '#4338ca',
    icons: [
      { src: options.asset('favicon.svg'), sizes: 'any', type: 'image/svg+xml' },
      { src: options.asset('icon-192.png'), sizes: '192x192', type: 'image/png' },
      { src: options.asset('icon-512.png'), sizes: '512x512', type: 'image/png' },
    ],
    ...(options.shareTarget
      ? {
          share_target: {
            action: '/',
            method: 'GET',
            // The default for GET; Chromium warns when it is left out.
            enctype: 'application/x-www-form-urlencoded',
            params: { title: 'title', text: 'text', url: 'url' },
          },
        }
      : {}),
  };
}

/**
 * Serves the manifest as `application/manifest+json`, in the language a page would be in for the
 * same request (src/http/page-language.ts), each language's made once. It names the icons by their
 * content-hashed addresses, which change with a deploy, so browsers ask again each time (the ETag
 * makes that a 304 while nothing changed).
 */
export function serveWebManifest(manifestIn: (language: LanguageTag) => object): RequestHandler {
  const bodies = new Map(LANGUAGES.map(({ tag }) => [tag, JSON.stringify(manifestIn(tag))]));
  return (_req, res) => {
    const language = pageLanguageOf(res);
    res
      .set({ 'Cache-Control': 'no-cache', 'Content-Language': language })
      .vary('Accept-Language')
      .vary('Cookie')
      .type('application/manifest+json')
      .send(bodies.get(language));
  };
}
