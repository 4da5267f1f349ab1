import { execFileSync } from 'node:child_process';

// Tests that run scripts/ or the server as a real process need the compiled output in dist/.
export function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
