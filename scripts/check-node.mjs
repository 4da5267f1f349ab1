// The Node.js check every entry runs first: `node scripts/check-node.mjs` in npm scripts, the
// first import of src/server.ts, migrate.ts, keys.ts and backup.ts and of the vitest configs.
// On an older Node the SQLite driver does not fail with an error: it crashes the process
// (a segmentation fault on Node 20), so this must run before anything imports it. ES modules
// evaluate their imports in order, so an entry that imports this module first stops here.
//
// Plain ESM without imports or newer syntax, so that any Node old enough to need the sentence can
// run it. Types: the hand-written check-node.d.mts. scripts/node-version.sh is the shell twin
// (launch.sh, run-migrations.sh), kept in step by test/scripts/check-node.test.ts.

/** The oldest Node.js snip runs on: the oldest 22.x that package.json's engines admit. */
export const MINIMUM_NODE = { major: 22, minor: 12 };

/** What every refusal starts with; the running version follows. */
export const NODE_REQUIREMENT = 'snip needs Node.js 22.12 or later (24 recommended)';

/**
 * The one line to print when `version` (as in process.versions.node, with or without a leading
 * "v") is too old to run snip, or null when it is new enough.
 */
export function findNodeProblem(version) {
  const match = /^v?(\d+)\.(\d+)\./.exec(version);
  if (match !== null) {
    const major = Number(match[1]);
    const minor = Number(match[2]);
    if (
      major > MINIMUM_NODE.major ||
      (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor)
    ) {
      return null;
    }
  }
  const shown = version.startsWith('v') ? version : `v${version}`;
  return `${NODE_REQUIREMENT}; this is Node.js ${shown}.`;
}

const problem = findNodeProblem(process.versions.node);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
