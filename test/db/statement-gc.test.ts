import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * better-sqlite3 12 aborted Node 24 (`Assertion failed: (env) != nullptr`) when a prepared
 * statement was finalised (ADR 001). This runs the shipped driver, through snip's own
 * openDatabase, in a child Node that prepares and drops statements under forced collections,
 * in worker threads that end, and at exit: a native-module regression on the runtime CI uses
 * fails here, not in production.
 */

const OPEN_DATABASE = pathToFileURL(path.resolve('dist/db/open-database.sqlite.js')).href;
const CHILD = path.resolve('test/fixtures/statement-churn.mjs');

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the SQLite driver under garbage collection', () => {
  it('when statements are prepared and dropped with forced collections, then the process survives', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-gc-'));
    const result = spawnSync(
      process.execPath,
      ['--expose-gc', CHILD, OPEN_DATABASE, path.join(dir, 'gc.sqlite3')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const report = `signal ${result.signal}, status ${result.status}\n${result.stdout}\n${result.stderr}`;
    expect(result.signal, report).toBeNull();
    expect(result.status, report).toBe(0);
    expect(result.stdout).toMatch(/prepared and dropped \d+ statements/);
    console.log(result.stdout.trim());
  });
});
