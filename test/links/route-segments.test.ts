import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { ROUTE_SEGMENTS, checkImportedCode, shadowsRoute } from '../../src/links/alias-policy.js';
import { buildTestApp } from '../support/test-app.js';

/**
 * ROUTE_SEGMENTS is the exact set of first path segments of snip's routes, with every optional
 * door on (the admin, /metrics): the app's router is walked, through every router mounted at the
 * root, and each route's or mount's first literal segment collected. A route added under a new
 * top-level path, or one taken away, fails here until the list follows.
 */

type Layer = {
  rawPath?: string | RegExp | (string | RegExp)[];
  slash?: boolean;
  route?: { path: string | string[] };
  handle: { stack?: Layer[] };
};

/** The first segment of a path as Express reads it, or null for a parameter or wildcard. */
function firstSegment(path: string): string | null {
  const segment = path.split('/')[1] ?? '';
  if (segment === '' || /^[:*({]/.test(segment)) return null;
  return segment;
}

function segmentsOf(stack: readonly Layer[], found: Set<string>): void {
  for (const layer of stack) {
    const paths = layer.route?.path ?? layer.rawPath;
    const list = (Array.isArray(paths) ? paths : [paths]).filter(
      (path): path is string => typeof path === 'string',
    );
    const mountedAtRoot = layer.route === undefined && (layer.slash === true || list.length === 0);
    if (mountedAtRoot) {
      // A router (or middleware) for every path: its own routes name their segments.
      if (layer.handle.stack !== undefined) segmentsOf(layer.handle.stack, found);
      continue;
    }
    for (const path of list) {
      const segment = firstSegment(path);
      if (segment !== null) found.add(segment);
    }
  }
}

function routeSegments(app: Express): Set<string> {
  const found = new Set<string>();
  segmentsOf((app as unknown as { router: { stack: Layer[] } }).router.stack, found);
  return found;
}

describe('the paths of snip’s own routes', () => {
  it('are exactly ROUTE_SEGMENTS, with the admin and /metrics on', () => {
    const { app } = buildTestApp({
      ADMIN_PASSWORD: 'correct horse battery',
      METRICS_TOKEN: 'a-metrics-token-of-enough-length',
    });
    expect([...routeSegments(app)].toSorted()).toEqual([...ROUTE_SEGMENTS].toSorted());
  });

  it('the walk sees a route added at a new top-level path', () => {
    const { app } = buildTestApp({});
    app.get('/brand-new', (_req, res) => void res.end());
    expect(routeSegments(app).has('brand-new')).toBe(true);
  });

  it('a code equal to one is refused for an import, and the words of the alias policy are not', () => {
    for (const segment of ROUTE_SEGMENTS) expect(shadowsRoute(segment)).toBe(true);
    expect(checkImportedCode('admin')).toEqual({
      ok: false,
      message:
        "The code “admin” is the path of snip's own /admin: a link there would hide that page (or never be reached), so it is not imported.",
    });
    for (const code of ['a', 'ab', 'docs', 'help', 'Admin', 'API', 'healthz2', 'static-files']) {
      expect(checkImportedCode(code)).toEqual({ ok: true });
    }
  });
});
