import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';

export type StaticAssets = {
  /** `/static/app.css` → `/static/app.3f9c2b1a.css`, the URL pages link to. */
  url(name: string): string;
  serve: RequestHandler;
};

const ONE_YEAR_SECONDS = 31_536_000;

/**
 * Serves the files of `dir` under a content-hashed name, so they can be cached for a year
 * ("immutable") and a new deploy still reaches every browser at once. The files are read and
 * hashed once at start: a handful of small files, kept in memory. `names` picks some files of a
 * larger directory (a package's); without it, every file of `dir` is served.
 */
export function loadStaticAssets(
  dir: string,
  mountPath = '/static',
  names?: readonly string[],
): StaticAssets {
  const byHashedName = new Map<string, { body: Buffer; type: string }>();
  const urlByName = new Map<string, string>();
  for (const name of names ?? fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) continue;
    const body = fs.readFileSync(file);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const ext = path.extname(name);
    const hashedName = `${path.basename(name, ext)}.${hash}${ext}`;
    byHashedName.set(hashedName, { body, type: ext });
    urlByName.set(name, `${mountPath}/${hashedName}`);
  }

  return {
    url(name) {
      const url = urlByName.get(name);
      if (url === undefined) throw new Error(`unknown static asset ${name}`);
      return url;
    },
    serve(req, res, next) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      const asset = byHashedName.get(req.path.slice(1));
      if (!asset) return next();
      res.set('Cache-Control', `public, max-age=${ONE_YEAR_SECONDS}, immutable`);
      res.type(asset.type).send(asset.body);
    },
  };
}
