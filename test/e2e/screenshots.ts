import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the browser tests write their screenshots. The README's pictures in docs/screenshots/
 * are rewritten only when asked, `UPDATE_SCREENSHOTS=1 npm run test:e2e`; otherwise the
 * screenshots go to reports/screenshots/ (ignored by git), to look at or compare with the
 * committed ones, so that a test run leaves a clean checkout clean (docs/testing.md).
 */
export function screenshotsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'reports/screenshots');
}

/** The path to write the screenshot `name` (`home-desktop-light.png`) to; its folder is made. */
export function screenshotFile(name: string): string {
  const dir = screenshotsDir();
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
