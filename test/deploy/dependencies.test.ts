import { describe, expect, it } from 'vitest';
import { readProjectFile } from './deploy-files.js';

/**
 * What can be checked about the dependencies without the npm advisory service: every package is
 * pinned by a SHA-512 hash (npm ci refuses a tarball that does not match), comes from the npm
 * registry, and runs no install script. `npm audit` and `npm audit signatures` need services that
 * not every build machine reaches; docs/security.md says where to run them.
 */
type LockEntry = {
  version?: string;
  libc?: string[];
  optional?: boolean;
  os?: string[];
  integrity?: string;
  resolved?: string;
  hasInstallScript?: boolean;
  link?: boolean;
};

const lock = JSON.parse(readProjectFile('package-lock.json')) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readProjectFile('package.json')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
  scarfSettings?: { enabled?: boolean };
};
const installed = Object.entries(lock.packages).filter(([path]) => path !== '');

describe('the dependency lock file', () => {
  it('when npm installs from it, then every package is checked against a SHA-512 hash', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(3);
    expect(installed.length).toBeGreaterThan(100);
    const unpinned = installed
      .filter(([, entry]) => !entry.link && !entry.integrity?.startsWith('sha512-'))
      .map(([path]) => path);
    expect(unpinned).toEqual([]);
  });

  it('when a package is downloaded, then it comes from the npm registry', () => {
    const elsewhere = installed
      .filter(([, e]) => e.resolved && !e.resolved.startsWith('https://registry.npmjs.org/'))
      .map(([path, e]) => `${path} from ${e.resolved}`);
    expect(elsewhere).toEqual([]);
    for (const spec of Object.values({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(spec).toMatch(/^[~^]?\d+\.\d+(\.\d+)?$|^~\d+\.\d+$/);
    }
  });

  it('when installed, then no package runs an install script', () => {
    // npm records an install script for any package that ships a binding.gyp; better-sqlite3
    // needs none (its prebuilt binary loads), and allowScripts denies it (ADR 008). The other is
    // @scarf/scarf, swagger-ui-dist's install-time analytics: denied too (ADR 038). esbuild's
    // only checks its platform binary, which it finds without it (ADR 043).
    const withScripts = installed
      .filter(([, e]) => e.hasInstallScript)
      .map(([path]) => path.replace(/^node_modules\//, ''));
    expect(withScripts.every((name) => pkg.allowScripts?.[name] === false)).toBe(true);
    expect(pkg.allowScripts).toEqual({
      'better-sqlite3': false,
      '@scarf/scarf': false,
      esbuild: false,
    });
  });

  it('when npm 10 or 11 runs `npm install` on a clean checkout, then it has nothing to rewrite: no libc fields', () => {
    // npm 11.14 and later write `libc` into the entries of packages built for glibc or musl and
    // keep a lock file without it; npm 10 (Node 22's) and 11 up to 11.10 at least drop the field,
    // so with it an `npm install` of a clean checkout rewrites the file. A dependency added with
    // a newer npm brings the field back: docs/testing.md says how to take it out.
    const withLibc = installed.filter(([, entry]) => entry.libc).map(([path]) => path);
    expect(
      withLibc,
      'package-lock.json entries with "libc" (docs/testing.md#dependencies)',
    ).toEqual([]);
    // Other platforms' optional packages stay listed: npm on macOS, Windows or arm64 needs them.
    const otherPlatforms = installed.filter(
      ([, entry]) => entry.optional && entry.os && !entry.os.includes('linux'),
    );
    expect(otherPlatforms.length).toBeGreaterThan(0);
    expect(lock.lockfileVersion).toBe(3);
  });

  it('when Scarf is installed, then it is told to report nothing, even where scripts run', () => {
    // An install that runs scripts anyway (an older npm, `npm rebuild`) reaches report.js, which
    // stops when the root package opts out (ADR 038).
    expect(installed.some(([path]) => path === 'node_modules/@scarf/scarf')).toBe(true);
    expect(pkg.scarfSettings).toEqual({ enabled: false });
  });
});
