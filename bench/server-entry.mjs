import fs from 'node:fs';
import path from 'node:path';

/**
 * The server a built checkout runs in production: its bundle (`dist/bundle/server.js`, what
 * scripts/launch.sh and the image start) where the build made one, else `dist/server.js` (builds
 * from before the bundle).
 */
export function serverEntry(root) {
  const bundle = path.join(root, 'dist', 'bundle', 'server.js');
  return fs.existsSync(bundle) ? bundle : path.join(root, 'dist', 'server.js');
}

/**
 * The command that serves a built checkout as production does: its scripts/launch.sh, the
 * image's entrypoint and `npm start`'s, with the Node options it sets and its migration check
 * (nothing to apply on a file its own launch migrated). launch.sh ends in `exec`, so the process
 * measured is the server itself.
 */
export function productionServer(root) {
  return ['bash', path.join(root, 'scripts', 'launch.sh')];
}
