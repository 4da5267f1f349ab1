import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../support/server-process.js';

// `npm run build` in a copy of the project (its node_modules linked): the compiled dist/ and the
// server's bundle in dist/bundle/, each rebuilt only when a file it is made from changed, so that
// `npm start` (prestart builds) starts at once when nothing did.
const BUILD_TIMEOUT_MS = 180_000;
let copy: string;

function build(): void {
  const result = spawnSync('npm', ['run', 'build', '--silent'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  expect(result.error).toBeUndefined();
  expect(result.status, result.stdout + result.stderr).toBe(0);
}

/** Every file under dist/ with its modification time. */
function distFiles(): Map<string, number> {
  const dist = path.join(copy, 'dist');
  const files = new Map<string, number>();
  for (const entry of fs.readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dist, full), fs.statSync(full).mtimeMs);
  }
  return files;
}

beforeAll(() => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-build-'));
  const copied = ['src', 'scripts', 'migrations', 'package.json', 'tsconfig.json'];
  for (const name of [...copied, 'tsconfig.build.json']) {
    fs.cpSync(name, path.join(copy, name), { recursive: true });
  }
  fs.symlinkSync(path.resolve('node_modules'), path.join(copy, 'node_modules'));
  build();
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  fs.rmSync(copy, { recursive: true, force: true });
});

describe('npm run build', () => {
  it(
    'when nothing changed since the last build, then it rewrites nothing in dist/',
    () => {
      const before = distFiles();
      expect(before.has('server.js')).toBe(true);
      expect(before.has(path.join('bundle', 'server.js'))).toBe(true);

      build();

      expect(distFiles()).toEqual(before);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'when nothing changed, then the commands (npm run migrate, keys, backup) run the built code at once: no nested npm, nothing rebuilt',
    () => {
      const { scripts } = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      };
      for (const name of ['prestart', 'migrate', 'keys', 'backup']) {
        // Another npm would cost its own start (a tenth of a second or more) on every call.
        expect(scripts[name], name).not.toMatch(/\bnpm\b/);
        expect(scripts[name], name).toContain('node scripts/build.mjs');
      }
      const env = childEnv({ DATABASE_URL: 'sqlite:data/db/database.sqlite3' });
      const run = (...args: string[]) =>
        spawnSync('npm', ['run', '--silent', ...args], {
          cwd: copy,
          env,
          encoding: 'utf8',
          timeout: BUILD_TIMEOUT_MS,
        });
      const migrated = run('migrate', '--', 'up');
      expect(migrated.status, migrated.stderr).toBe(0);
      const before = distFiles();

      const listed = run('keys', '--', 'list');
      const backedUp = run('backup');
      const status = run('migrate', '--', 'status');

      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/^name\s+scope/);
      expect(backedUp.status, backedUp.stderr).toBe(0);
      expect(status.stdout).toMatch(/\d+ applied, 0 pending/);
      expect(distFiles()).toEqual(before);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'when a source file changes, then its compiled file and the bundle are made again',
    () => {
      const before = distFiles();
      const source = path.join(copy, 'src', 'links', 'link.ts');
      fs.appendFileSync(source, '\nexport const BUILD_PROBE = 42;\n');
      // Later than the last build, whatever the file system's clock granularity.
      const later = new Date(Date.now() + 2000);
      fs.utimesSync(source, later, later);

      build();

      const after = distFiles();
      expect(after.get(path.join('links', 'link.js'))).toBeGreaterThan(
        before.get(path.join('links', 'link.js'))!,
      );
      expect(fs.readFileSync(path.join(copy, 'dist', 'links', 'link.js'), 'utf8')).toContain(
        'BUILD_PROBE = 42',
      );
      // The bundle is made afresh: its entry is rewritten.
      expect(after.get(path.join('bundle', 'server.js'))).toBeGreaterThan(
        before.get(path.join('bundle', 'server.js'))!,
      );
      // Files nothing changed are left alone.
      expect(after.get('config.js')).toBe(before.get('config.js'));
    },
    BUILD_TIMEOUT_MS,
  );
});
