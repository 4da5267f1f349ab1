import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import { loadStaticAssets, type StaticAssets } from '../http/static-assets.js';

/** Where the rendered reference of `/api/v1` is served (ADR 038). */
export const API_REFERENCE_PATH = '/api/docs';

/** The document the page renders: the one `/api/v1` serves itself. */
const DOCUMENT_URL = '/api/v1/openapi.json';

/**
 * Of swagger-ui-dist, the two files the page loads: the bundle and its style sheet. The source
 * maps, the other bundles and the sample page are never served.
 */
const RENDERER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css'] as const;

let renderer: StaticAssets | undefined;

/** The package's files, read and hashed once per process (2 MB: every app built shares them). */
function rendererAssets(): StaticAssets {
  const dir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  renderer ??= loadStaticAssets(dir, `${API_REFERENCE_PATH}/assets`, RENDERER_FILES);
  return renderer;
}

/**
 * `GET /api/docs`: the API reference, drawn in the browser by Swagger UI from
 * `/api/v1/openapi.json`. Public, like the document itself. Every file comes from snip under a
 * content-hashed name, so the page keeps the site's Content-Security-Policy (`'self'` scripts
 * and styles, nothing inline, no other origin).
 */
export function createApiReference(): Router {
  const assets = rendererAssets();
  const router = Router({ caseSensitive: true });
  router.get('/', (_req, res) => {
    res.render('api-reference', { renderer: assets.url, documentUrl: DOCUMENT_URL });
  });
  router.use('/assets', assets.serve);
  return router;
}
