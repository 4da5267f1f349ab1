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
