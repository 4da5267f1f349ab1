// `npm run build`: the TypeScript compiled to dist/ (the commands, the tests and the bench import
// its modules), then the server bundled into dist/bundle/ (what scripts/launch.sh, the image and
// `npm start` run; docs/decisions/043-fast-start.md). Each step does nothing when its output is
// newer than every input it was made from, so `npm start` with nothing changed starts at once.
//
//   node scripts/build.mjs          # both, each only when out of date
//   node scripts/build.mjs --force  # both, from scratch
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
export const BUNDLE_DIR = path.join(DIST, 'bundle');
/** esbuild's list of every file the bundle was made from, written beside it. */
const META_FILE = path.join(BUNDLE_DIR, 'meta.json');
const force = process.argv.includes('--force');
/** The bundle's entry, written here (it has no file): the name esbuild gives it. */
const STDIN_NAME = 'src/server-entry.mjs';

const BUILD_INFO = path.join(DIST, 'tsconfig.build.tsbuildinfo');

/** The newest modification time of `dir`, its folders and its files (a rename changes a folder's). */
function newestIn(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * tsc with --incremental: its build info (in dist/, so deleting dist/ rebuilds everything) says
 * which files changed since the last build; with none, it writes nothing. When nothing in src/
 * or the configuration is newer than the build info, tsc (2 s just to find that out) is not run.
 */
function compileTypeScript() {
  if (force) fs.rmSync(BUILD_INFO, { force: true });
  if (fs.existsSync(BUILD_INFO)) {
    const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
    const newest = Math.max(
      newestIn(path.join(ROOT, 'src')),
      ...configs.map((name) => fs.statSync(path.join(ROOT, name)).mtimeMs),
    );
    if (newest <= fs.statSync(BUILD_INFO).mtimeMs) return;
  }
  const startedAt = new Date();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    // Errors stay errors on the next build: tsc runs again instead of being skipped.
    fs.rmSync(BUILD_INFO, { force: true });
    process.exit(result.status ?? 1);
  }
  // tsc leaves its build info alone when nothing needed compiling (a file saved unchanged, a
  // package.json edit): dated to when this check began, it lets the next build skip tsc again.
  if (fs.existsSync(BUILD_INFO)) fs.utimesSync(BUILD_INFO, startedAt, startedAt);
}

/** Whether a file the last bundle was made from, or this script, changed since. */
function bundleIsStale() {
  if (force || !fs.existsSync(META_FILE)) return true;
  const builtAt = fs.statSync(META_FILE).mtimeMs;
  let inputs;
  try {
    inputs = Object.keys(JSON.parse(fs.readFileSync(META_FILE, 'utf8')).inputs);
  } catch {
    return true;
  }
  const sources = [
    fileURLToPath(import.meta.url),
    path.join(ROOT, 'package.json'),
    ...inputs.filter((input) => input !== STDIN_NAME).map((input) => path.resolve(ROOT, input)),
  ];
  return sources.some((file) => !fs.existsSync(file) || fs.statSync(file).mtimeMs > builtAt);
}

/**
 * Where `file` (in src/) is compiled to by tsc, as a URL relative to the bundle's directory.
 * A module that finds files beside itself (`import.meta.url`: the migrations, the catalogs, the
 * views, packages through createRequire) finds them from there, as in dist/, wherever its code
 * lands in the bundle's chunks.
 */
function compiledUrlOf(file) {
  const compiled = path
    .join(DIST, path.relative(path.join(ROOT, 'src'), file))
    .replace(/\.ts$/, '.js');
  return path.relative(BUNDLE_DIR, compiled).split(path.sep).join('/');
}

const asInDist = {
  name: 'import-meta-url-as-in-dist',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const url = `new URL(${JSON.stringify(compiledUrlOf(args.path))}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

async function bundleServer() {
  const esbuild = await import('esbuild');
  fs.rmSync(BUNDLE_DIR, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    // The Node.js check first, alone: the bundle's imports of external packages (the SQLite
    // driver among them) are evaluated before any of its code, so the server comes after it, as
    // a chunk of its own.
    stdin: {
      contents: "import '../scripts/check-node.mjs';\nawait import('../src/server.ts');\n",
      resolveDir: path.join(ROOT, 'src'),
      sourcefile: path.basename(STDIN_NAME),
      loader: 'js',
    },
    entryNames: 'server',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.12',
    outdir: BUNDLE_DIR,
    chunkNames: '[name]-[hash]',
    // Native or optional at run time: loaded from node_modules as the compiled code loads them.
    external: ['better-sqlite3', 'pg', 'pg-native'],
    // CommonJS packages inside an ES module still call require(): give them Node's own.
    banner: {
      js: "import { createRequire as __snipCreateRequire } from 'node:module';\nconst require = __snipCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [asInDist],
  });
  fs.writeFileSync(META_FILE, JSON.stringify(result.metafile));
}

async function main() {
  compileTypeScript();
  if (bundleIsStale()) await bundleServer();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
