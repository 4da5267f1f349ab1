import type { RequestHandler } from 'express';

/** The web app manifest's address; every page links it from its head. */
export const WEB_MANIFEST_PATH = '/manifest.webmanifest';

/**
 * The web app manifest (W3C Web Application Manifest, and its Web Share Target extension): a
 * phone that adds snip to its home screen offers it in the "Share" menu, which opens the home
 * form at `/?title=…&text=…&url=…` with the address filled in (src/links/shared-url.ts), the same
 * page without JavaScript. A GET makes no link. Where shortening is private there is no form, so
 * no share target. Relative addresses resolve against the manifest's own URL, so every host of
 * snip serves a manifest for itself.
 */
export function webManifest(options: {
  asset: (name: string) => string;
  shareTarget: boolean;
}): object {
  return {
    name: 'snip',
    short_name: 'snip',
    description: 'Short links on your own server.',
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
 * Serves the manifest as `application/manifest+json`. It names the icons by their content-hashed
 * addresses, which change with a deploy, so browsers ask again each time (the ETag makes that a
 * 304 while nothing changed).
 */
export function serveWebManifest(manifest: object): RequestHandler {
  const body = JSON.stringify(manifest);
  return (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/manifest+json').send(body);
  };
}
