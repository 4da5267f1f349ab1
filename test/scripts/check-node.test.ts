import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { findNodeProblem, MINIMUM_NODE, NODE_REQUIREMENT } from '../../scripts/check-node.mjs';
import { childEnv } from '../support/server-process.js';

// On a Node older than 22.12 the SQLite driver does not throw: the process dies of a segmentation
// fault (Node 20). Every entry checks the version first, through scripts/check-node.mjs (Node
// entries, npm scripts, the vitest configs) or its shell twin scripts/check-node.sh (launch.sh,
// run-migrations.sh). Runs the built dist/ (test/support/global-setup.ts builds it).

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-node-'));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function readProjectFile(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

/** The range alternatives of package.json's engines.node, each as its lowest version. */
function engineFloors(): { major: number; minor: number }[] {
  const pkg = JSON.parse(readProjectFile('package.json')) as { engines: { node: string } };
  return pkg.engines.node.split('||').map((range) => {
    const match = /^\s*\^(\d+)\.(\d+)\.\d+\s*$/.exec(range);
    if (match === null)
      throw new Error(`engines.node alternative not of the form ^x.y.z: ${range}`);
    return { major: Number(match[1]), minor: Number(match[2]) };
  });
}

describe('findNodeProblem', () => {
  it.each([
    ['20.20.2', false],
    ['v20.20.2', false],
    ['18.19.0', false],
    ['22.0.0', false],
    ['22.11.9', false],
    ['22.12.0', true],
    ['22.23.0', true],
    ['23.0.0', true],
    ['24.0.0', true],
    ['24.22.3', true],
    ['26.1.0', true],
    ['100.0.0', true],
    ['not a version', false],
    ['', false],
  ])('Node %s is supported: %s', (version, supported) => {
    const problem = findNodeProblem(version);
    if (supported) {
      expect(problem).toBeNull();
    } else {
      const shown = version.startsWith('v') ? version : `v${version}`;
      expect(problem).toBe(
        `snip needs Node.js 22.12 or later (24 recommended); this is Node.js ${shown}.`,
      );
    }
  });

  it('admits the oldest release that package.json engines admit, and nothing older', () => {
    const floors = engineFloors();
    expect(floors[0]).toEqual(MINIMUM_NODE);
    for (const { major, minor } of floors)
      expect(findNodeProblem(`${major}.${minor}.0`)).toBeNull();
    expect(findNodeProblem(`${MINIMUM_NODE.major}.${MINIMUM_NODE.minor - 1}.99`)).not.toBeNull();
    expect(NODE_REQUIREMENT).toContain(`${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} or later`);
  });

  it('passes on the Node running the tests', () => {
    expect(findNodeProblem(process.versions.node)).toBeNull();
  });
});

describe('scripts/check-node.sh, the shell twin', () => {
  /** Runs require_node with a `node` on PATH that answers `--version` with `version`. */
  function requireNode(version: string | null) {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    if (version !== null) {
      fs.writeFileSync(path.join(bin, 'node'), `#!/bin/sh\necho '${version}'\n`, { mode: 0o755 });
    }
    return spawnSync(
      '/bin/bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        'set -euo pipefail; source scripts/check-node.sh; require_node; echo passed',
      ],
      { env: { PATH: bin, HOME: tmp }, encoding: 'utf8', timeout: 10_000 },
    );
  }

  it.each([
    'v18.19.0',
    'v20.20.2',
    'v22.0.0',
    'v22.11.9',
    'v22.12.0',
    'v23.1.0',
    'v24.0.0',
    'v24.22.3',
    'v26.1.0',
    'v108.0.0',
    'v22.08.1',
    'nonsense',
  ])('agrees with check-node.mjs on %s', (version) => {
    const result = requireNode(version);
    const problem = findNodeProblem(version);
    if (problem === null) {
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('passed\n');
      expect(result.status).toBe(0);
    } else {
      expect(result.stderr).toBe(`${problem}\n`);
      expect(result.stdout).toBe('');
      expect(result.status).toBe(1);
    }
  });

  it('says so in one line when no node runs at all', () => {
    const result = requireNode(null);
    expect(result.stderr).toBe(
      'snip needs Node.js 22.12 or later (24 recommended); no node runs on this PATH.\n',
    );
    expect(result.status).toBe(1);
  });
});

describe('every entry checks the Node version before anything else', () => {
  // ES modules evaluate their imports in order: the check must be the first import, or a module
  // listed before it loads the driver before the check can stop the process.
  it.each([
    'src/server.ts',
    'src/migrate.ts',
    'src/keys.ts',
    'src/backup.ts',
    ...fs.readdirSync('.').filter((name) => /^vitest(\.\w+)?\.config\.ts$/.test(name)),
  ])('%s imports scripts/check-node.mjs first', (file) => {
    const firstImport = /^import\b[^;]*;/m.exec(readProjectFile(file));
    expect(firstImport?.[0]).toMatch(/^import '(\.\.?\/)+scripts\/check-node\.mjs';$/);
  });

  it('every npm script that runs snip, its tests or its benchmark checks first', () => {
    const { scripts } = JSON.parse(readProjectFile('package.json')) as {
      scripts: Record<string, string>;
    };
    const running = Object.entries(scripts).filter(([name]) =>
      /^(prestart|migrate|backup|keys|test|test:.*|bench|bench:.*)$/.test(name),
    );
    expect(running.map(([name]) => name)).toEqual(
      expect.arrayContaining(['prestart', 'migrate', 'backup', 'keys', 'test', 'test:postgres']),
    );
    for (const [name, command] of running) {
      expect(`${name}: ${command}`).toMatch(/^[\w:]+: node scripts\/check-node\.mjs && /);
    }
  });

  it('the image builds the entries with the check they import, and ships it', () => {
    const dockerfile = readProjectFile('Dockerfile');
    const build = dockerfile.slice(0, dockerfile.indexOf('AS runtime'));
    const copy = build.indexOf('COPY scripts/check-node.mjs scripts/check-node.d.mts ./scripts/');
    expect(copy).toBeGreaterThan(-1);
    expect(copy).toBeLessThan(build.indexOf('RUN npm run build'));
    expect(dockerfile.slice(dockerfile.indexOf('AS runtime'))).toContain('COPY scripts ./scripts');
  });

  it('launch.sh and run-migrations.sh call require_node before anything else', () => {
    for (const file of ['scripts/launch.sh', 'scripts/run-migrations.sh']) {
      const commands = readProjectFile(file)
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
      // set -euo pipefail, where the app is, the check's definition, then the check.
      expect(commands.slice(0, 4), file).toEqual([
        'set -euo pipefail',
        'APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"',
        'source "$APP_DIR/scripts/check-node.sh"',
        'require_node',
      ]);
    }
  });
});

/**
 * A Node older than snip supports, found the way a user's shell would: every `node` on PATH, then
 * the usual system places. Only 20 and newer: npm 11 and vitest need at least that to start.
 */
function findOldNode(): { bin: string; version: string } | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/bin', '/usr/bin'];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const candidate = path.join(dir, 'node');
    let real: string;
    try {
      real = fs.realpathSync(candidate);
      fs.accessSync(real, fs.constants.X_OK);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const result = spawnSync(real, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const version = result.stdout.trim();
    const major = Number(/^(\d+)\./.exec(version)?.[1]);
    if (result.status === 0 && major >= 20 && findNodeProblem(version) !== null) {
      return { bin: path.dirname(candidate), version };
    }
  }
  return null;
}

const oldNode = findOldNode();
const NO_OLD_NODE =
  'no Node.js from 20 up to 22.11 on PATH, in /usr/local/bin or in /usr/bin to run the entries with';
if (oldNode === null) console.log(`check-node.test.ts: old-Node runs skipped: ${NO_OLD_NODE}`);

/** The environment of a shell whose `node` (and the npm it runs) is the old one. */
function oldNodeEnv(bin: string, databaseUrl: string): NodeJS.ProcessEnv {
  const env = childEnv({ DATABASE_URL: databaseUrl });
  // Nothing from the npm or vitest running this test: a user's shell has none of it.
  for (const key of Object.keys(env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$)/i.test(key)) delete env[key];
  }
  env.PATH = [bin, env.PATH].join(path.delimiter);
  return env;
}

describe('on a Node older than 22.12', () => {
  function requireOldNode(context: TestContext): { bin: string; version: string } {
    if (oldNode === null) context.skip(NO_OLD_NODE);
    return oldNode as { bin: string; version: string };
  }

  it.for([
    ['node dist/server.js', ['node', 'dist/server.js']],
    ['node dist/migrate.js up', ['node', 'dist/migrate.js', 'up']],
    ['node dist/keys.js list', ['node', 'dist/keys.js', 'list']],
    ['node dist/backup.js', ['node', 'dist/backup.js']],
    ['node dist/copy-store.js', ['node', 'dist/copy-store.js']],
    ['scripts/launch.sh', ['bash', 'scripts/launch.sh']],
    ['scripts/run-migrations.sh', ['bash', 'scripts/run-migrations.sh']],
    ['npm start', ['npm', 'start']],
    ['npm run migrate', ['npm', 'run', 'migrate']],
    ['npm run backup', ['npm', 'run', 'backup']],
    ['npm run keys -- list', ['npm', 'run', 'keys', '--', 'list']],
    ['npm run copy-store', ['npm', 'run', 'copy-store']],
    ['npm test', ['npm', 'test']],
    ['npm run test:postgres', ['npm', 'run', 'test:postgres']],
    // A file filter that matches nothing: without the check in the config, this would not run
    // the suite on the old Node, only fail differently.
    ['npx vitest run', ['npx', 'vitest', 'run', 'no-such-test-file']],
  ] as const)(
    '%s prints one line naming the Node it needs and exits non-zero',
    ([, command], ctx) => {
      const { bin, version } = requireOldNode(ctx);
      const file = path.join(tmp, 'db', 'database.sqlite3');
      const [program, ...args] = command;
      const result = spawnSync(program, args, {
        env: oldNodeEnv(bin, `sqlite:${file}`),
        encoding: 'utf8',
        timeout: 30_000,
      });
      const output = `${result.stdout}${result.stderr}`;
      expect(result.error).toBeUndefined();
      expect(result.signal).toBeNull();
      expect(output).not.toMatch(/segmentation fault|core dumped/i);
      expect(result.status).toBe(1);
      expect(result.stderr.split('\n').filter((line) => line.trim() !== '')).toEqual([
        `snip needs Node.js 22.12 or later (24 recommended); this is Node.js v${version}.`,
      ]);
      // The driver never opened the database: not even the file exists.
      expect(fs.existsSync(file)).toBe(false);
    },
  );
});
