// First: on an older Node the SQLite driver crashes the process; this stops it with one line.
import '../scripts/check-node.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { runIfEntryPoint, type CliOutput } from './cli.js';
import { loadConfig, type Config } from './config.js';
import {
  DATABASE_URL_EXAMPLES,
  parseDatabaseTarget,
  redactDatabaseUrl,
  type DatabaseTarget,
} from './db/database-url.js';
import { openStorage } from './storage/open-storage.js';
import { copyStore, type TableCount } from './storage/store-copy.js';

/**
 * The copy command: `node dist/copy-store.js --from URL --to URL` (`npm run copy-store -- …`
 * locally). Copies everything one snip database holds — links with their management tokens'
 * hashes and every state, visits and every statistic, API keys, abuse reports, the blocklist,
 * domains, tags — into another one, empty, of either engine: SQLite to PostgreSQL and back
 * (docs/postgres.md). Exit 0 once the copy is committed with equal counts on both sides, 1 when
 * it is refused or fails (the target then holds none of it), 2 for arguments it cannot take.
 */

const USAGE = `usage: copy-store --from URL --to URL (each ${DATABASE_URL_EXAMPLES})`;

/** Arguments the command cannot take: exit 2, with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type CopyStoreCommand = { kind: 'help' } | { kind: 'copy'; from: string; to: string };

export function parseCopyStoreArgs(args: string[], cwd: string): CopyStoreCommand {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) return { kind: 'help' };
  const urls: { from?: string; to?: string } = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const match = /^--(from|to)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      throw new UsageError(
        arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument "${arg}"`,
      );
    }
    const name = match[1] as 'from' | 'to';
    let value = match[2];
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name} needs a URL`);
      value = next;
      i += 1;
    }
    if (urls[name] !== undefined) throw new UsageError(`--${name} is given twice`);
    if (value.trim() === '') throw new UsageError(`--${name} needs a URL`);
    urls[name] = value.trim();
  }
  if (urls.from === undefined) throw new UsageError('--from is missing');
  if (urls.to === undefined) throw new UsageError('--to is missing');
  const from = targetOf('from', urls.from, cwd);
  const to = targetOf('to', urls.to, cwd);
  if (sameDatabase(from, to)) {
    throw new UsageError(
      `--from and --to name the same database (${labelOf(from)}): copy into another, empty one`,
    );
  }
  return { kind: 'copy', from: urls.from, to: urls.to };
}

function targetOf(name: 'from' | 'to', url: string, cwd: string): DatabaseTarget {
  let target: DatabaseTarget;
  try {
    target = parseDatabaseTarget(url, cwd);
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/^DATABASE_URL /, `--${name} `).replace(/\s+$/, ''),
    );
  }
  if (target.engine === 'sqlite' && target.file === ':memory:') {
    throw new UsageError(`--${name} cannot be an in-memory database: name a file`);
  }
  return target;
}

/** The same SQLite file (through a link too) or the same database of the same PostgreSQL server. */
function sameDatabase(a: DatabaseTarget, b: DatabaseTarget): boolean {
  if (a.engine === 'sqlite' && b.engine === 'sqlite') {
    const real = (file: string) => {
      try {
        return fs.realpathSync(file);
      } catch {
        return path.resolve(file);
      }
    };
    return real(a.file) === real(b.file);
  }
  if (a.engine === 'postgres' && b.engine === 'postgres') {
    const key = (url: string) => {
      const u = new URL(url);
      const host = u.searchParams.get('host') ?? u.hostname.toLowerCase();
      return `${host}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1))}`;
    };
    return key(a.url) === key(b.url);
  }
  return false;
}

function labelOf(target: DatabaseTarget): string {
  return target.engine === 'sqlite' ? `sqlite:${target.file}` : redactDatabaseUrl(target.url);
}

/** The settings the command runs with, as the server's, on the database `url`. */
function configFor(env: NodeJS.ProcessEnv, url: string, cwd: string): Config {
  // The URL given is the one to use, for queries and migrations alike.
  return loadConfig({ ...env, DATABASE_URL: url, DATABASE_DIRECT_URL: undefined }, cwd);
}

function printCounts(counts: TableCount[], output: CliOutput): void {
  const rows = [
    ['table', 'source', 'target', ''],
    ...counts.map((c) => [
      c.table,
      String(c.source),
      c.target === null ? '-' : String(c.target),
      c.why === null ? '' : `not copied: ${c.why}`,
    ]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const [table, source, target, note] of rows) {
    output.out(
      `${table!.padEnd(widths[0]!)}  ${source!.padStart(widths[1]!)}  ${target!.padStart(widths[2]!)}  ${note}`.trimEnd(),
    );
  }
}

/** Runs the command and returns the exit code; every failure becomes one line on `err`. */
export async function runCopyStore(
  args: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
  cwd: string = process.cwd(),
): Promise<number> {
  let command: CopyStoreCommand;
  try {
    command = parseCopyStoreArgs(args, cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`copy-store: ${error.message}`);
    output.err(USAGE);
    return 2;
  }
  if (command.kind === 'help') {
    output.out(USAGE);
    return 0;
  }
  try {
    const started = Date.now();
    const sourceConfig = configFor(env, command.from, cwd);
    const targetConfig = configFor(env, command.to, cwd);
    const source = labelOf(parseDatabaseTarget(command.from, cwd));
    const target = labelOf(parseDatabaseTarget(command.to, cwd));
    output.out(`copying ${source} into ${target}`);
    const result = await copyStore({
      source: { storage: await openStorage(sourceConfig), label: source },
      target: { storage: await openStorage(targetConfig), label: target },
      migrationsDir: targetConfig.migrationsDir,
      lockTimeoutMs: targetConfig.migrationLockTimeoutMs,
      report: output.out,
    });
    printCounts(result.counts, output);
    const copied = result.counts.filter((c) => c.target !== null);
    const rows = copied.reduce((sum, c) => sum + c.source, 0);
    output.out(
      `copied ${rows} rows of ${copied.length} tables at schema version ${result.version} in ${((Date.now() - started) / 1000).toFixed(1)} s; the counts match`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.err(`copy-store: ${message}`);
    return 1;
  }
}

await runIfEntryPoint(import.meta.url, process.env, (output) =>
  runCopyStore(process.argv.slice(2), process.env, output),
);
