import { execFileSync } from 'node:child_process';

// Tests that run scripts/ or the server as a real process need the compiled output in dist/ and
// the server's bundle in dist/bundle/: `npm run build`'s script, which skips what is up to date.
export function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
