import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, checked on every run. Each top-level entry of src/ is a node: a folder
 * (links/, db/, storage/ …) or a loose file (app.ts, config.ts, server.ts …). Every import is an
 * arrow — static, `import type`, `export … from` and dynamic `import()` alike, since a type is a
 * dependency a reader must follow as much as a value is. The arrows must point one way: entries
 * and storage/ on top, then app.ts, the doors, the features, and db/ at the bottom, which imports
 * no other part of src/. Only the storage room (src/storage/) and the files that name their engine
 * (`*.sqlite.ts`, `*.postgres.ts`) may import a database driver.
 */

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
const ENGINE_PACKAGES = ['better-sqlite3', 'pg'];

/** Every TypeScript file under `dir`, as paths relative to src/ with forward slashes. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full).split(path.sep).join('/')] : [];
  });
}

/** Every module a file names: TypeScript's own scanner, which sees all four kinds of import. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** The node of a file of src/: its top-level folder, or the file itself when it is loose. */
function nodeOf(relative: string): string {
  const [first] = relative.split('/');
  return relative.includes('/') ? `${first}/` : first!;
}

type Graph = Map<string, Set<string>>;

function buildGraph(files: readonly string[]): {
  graph: Graph;
  engineImports: string[];
  entryEngineImports: string[];
} {
  const graph: Graph = new Map();
  const engineImports: string[] = [];
  const entryEngineImports: string[] = [];
  for (const file of files) {
    const from = nodeOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    const engineFile =
      file.startsWith('storage/') || /\.(sqlite|postgres)\.ts$/.test(path.basename(file));
    for (const spec of importsOf(fs.readFileSync(path.join(SRC, file), 'utf8'))) {
      if (!spec.startsWith('.')) {
        const pkg = spec.split('/')[0]!;
        if (ENGINE_PACKAGES.includes(pkg) && !engineFile)
          engineImports.push(`${file} imports ${spec}`);
        continue;
      }
      const target = path.relative(SRC, path.resolve(SRC, path.dirname(file), spec));
      // Outside src/ (the Node version check in scripts/): not part of the layers.
      if (target.startsWith('..')) continue;
      // Entries (the loose files of src/) open storage through storage/, never an engine's file.
      if (!file.includes('/') && /\.(sqlite|postgres)\.js$/.test(path.basename(spec)))
        entryEngineImports.push(`${file} imports ${spec}`);
      const to = nodeOf(target.split(path.sep).join('/').replace(/\.js$/, '.ts'));
      if (to !== from) graph.get(from)!.add(to);
    }
  }
  return { graph, engineImports, entryEngineImports };
}

/** One cycle through each strongly connected group of nodes (Tarjan), as `a -> b -> a`. */
function cyclesOf(graph: Graph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return groups.map((group) => {
    // A shortest way back to the group's first node (breadth first, inside the group).
    const members = new Set(group);
    const start = [...group].sort()[0]!;
    const before = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const to of [...(graph.get(node) ?? [])].sort()) {
        if (!members.has(to)) continue;
        if (to === start) {
          const way = [node];
          while (way[0] !== start) way.unshift(before.get(way[0]!)!);
          return [...way, start].join(' -> ');
        }
        if (!before.has(to)) {
          before.set(to, node);
          queue.push(to);
        }
      }
    }
    return group.join(', ');
  });
}

describe('the architecture of src/', () => {
  const { graph, engineImports, entryEngineImports } = buildGraph(sourceFiles(SRC));

  it('when every import is followed, then the folders and loose files form no cycle', () => {
    expect(graph.size).toBeGreaterThan(10);
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('when a file imports a database driver, then it is in storage/ or names its engine', () => {
    expect(engineImports).toEqual([]);
  });

  it('when an entry opens a database, then it goes through storage/, not an engine file', () => {
    expect(entryEngineImports).toEqual([]);
  });

  it('when db/ imports, then it imports only db/ itself: it is the floor', () => {
    expect([...(graph.get('db/') ?? [])]).toEqual([]);
  });

  it('when the scanner reads a file, then it sees every kind of import', () => {
    const source = `import a from './a.js';
      import type { B } from '../b.js';
      export { c } from './c.js';
      export * from './d.js';
      const e = await import('./e.js');`;
    expect(importsOf(source)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
  });

  it('when the graph has a cycle, then the test names it', () => {
    const cyclic: Graph = new Map([
      ['a/', new Set(['b/'])],
      ['b/', new Set(['c.ts'])],
      ['c.ts', new Set(['a/'])],
      ['d/', new Set(['a/'])],
    ]);
    expect(cyclesOf(cyclic)).toEqual(['a/ -> b/ -> c.ts -> a/']);
  });
});
