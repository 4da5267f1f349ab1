import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { runCopyStore } from '../../src/copy-store.js';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrations-dir.js';
import { applyMigrations, loadMigrations } from '../../src/db/migrations.js';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { COPIED_TABLES } from '../../src/storage/copied-tables.js';
import {
  dumpSqlite,
  EVERY_ROW_ENV,
  fillEveryTable,
  splitDump,
  type FillableApp,
} from '../support/every-row.js';
import { childEnv } from '../support/server-process.js';
import { buildTestServices, createTempDir, createTestDatabase } from '../support/test-app.js';

// copy-store between two SQLite files, in the fast suite: everything it checks before it
// copies, and a full copy compared table by table. Between SQLite and PostgreSQL, both ways:
// test/postgres/copy-store.postgres.test.ts.

let tmp: string;
const open: Db[] = [];

beforeEach(() => {
  tmp = createTempDir();
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function copyStore(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCopyStore(
    args,
    {},
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    tmp,
  );
  return { code, out, err };
}

/** `copy-store --from sqlite:source.sqlite3 --to sqlite:target.sqlite3`, in the test's folder. */
const copySourceToTarget = () =>
  copyStore('--from', 'sqlite:source.sqlite3', '--to', 'sqlite:target.sqlite3');

/** snip on the SQLite file `name` in the test's folder, its migrations applied. */
function sqliteApp(name: string): FillableApp & { db: Db; file: string } {
  const file = path.join(tmp, name);
  const db = createTestDatabase(file);
  open.push(db);
  const config = loadConfig({ DATABASE_URL: `sqlite:${file}`, ...EVERY_ROW_ENV });
  const services = buildTestServices(config, db);
  return {
    app: createApp(services),
    keys: services.store.keys,
    visitCounter: services.visitCounter,
    notFoundCounter: services.notFoundCounter,
    db,
    file,
  };
}

function countRows(file: string, table: string): number {
  const db = openDatabase(file);
  try {
    return Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  } finally {
    db.close();
  }
}

describe('copy-store arguments', () => {
  it.for([
    [[], '--from is missing'],
    [['--to', 'sqlite:b.sqlite3'], '--from is missing'],
    [['--from', 'sqlite:a.sqlite3'], '--to is missing'],
    [['--from'], '--from needs a URL'],
    [['--from', '--to', 'sqlite:b.sqlite3'], '--from needs a URL'],
    [['--from=', '--to', 'sqlite:b.sqlite3'], '--from needs a URL'],
    [
      ['--from', 'sqlite:a.sqlite3', '--from', 'sqlite:c.sqlite3', '--to', 'sqlite:b.sqlite3'],
      '--from is given twice',
    ],
    [['--from', 'sqlite:a.sqlite3', '--to', 'sqlite:b.sqlite3', '--yes'], 'unknown option --yes'],
    [['sqlite:a.sqlite3', 'sqlite:b.sqlite3'], 'unexpected argument "sqlite:a.sqlite3"'],
    [['--from', 'mysql://u:secret@h/db', '--to', 'sqlite:b.sqlite3'], '--from must look like'],
    [
      ['--from', 'sqlite:a.sqlite3', '--to', 'postgres://u:secret@h'],
      '--to must name one database',
    ],
    [['--from', 'sqlite::memory:', '--to', 'sqlite:b.sqlite3'], '--from cannot be an in-memory'],
    [['--from', 'sqlite:a.sqlite3', '--to', 'sqlite:./a.sqlite3'], '--from and --to name the same'],
    [
      ['--from', 'postgres://u@db.example/snip', '--to=postgres://v:x@DB.example:5432/snip'],
      '--from and --to name the same database (postgres://u@db.example/snip)',
    ],
  ] as const)('%j: exit 2 with "%s" and the usage, nothing opened', async ([args, message]) => {
    const result = await copyStore(...args);
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err[0]).toContain(`copy-store: ${message}`);
    expect(result.err[0]).not.toContain('secret');
    expect(result.err[1]).toMatch(/^usage: copy-store --from URL --to URL/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('--help prints the usage and exits 0', async () => {
    expect(await copyStore('--help')).toMatchObject({ code: 0, err: [] });
  });

  it('a link to the source file is the same database', async () => {
    sqliteApp('a.sqlite3');
    fs.symlinkSync(path.join(tmp, 'a.sqlite3'), path.join(tmp, 'link.sqlite3'));
    const result = await copyStore('--from', 'sqlite:a.sqlite3', '--to', 'sqlite:link.sqlite3');
    expect(result.code).toBe(2);
    expect(result.err[0]).toContain('name the same database');
  });
});

describe('copy-store from one SQLite file to another', () => {
  it('copies every row of every table, folds the visit log first, and prints equal counts', async () => {
    const source = sqliteApp('source.sqlite3');
    const filled = await fillEveryTable(source);
    const waiting = Number(source.db.prepare('SELECT count(*) FROM visit_log').pluck().get());
    expect(waiting).toBeGreaterThan(0);
    source.db.close();

    const result = await copyStore(
      '--from',
      'sqlite:source.sqlite3',
      '--to',
      `sqlite:${path.join(tmp, 'new', 'target.sqlite3')}`,
    );
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    console.log(result.out.join('\n'));

    const from = splitDump(dumpSqlite(source.file));
    const to = splitDump(dumpSqlite(path.join(tmp, 'new', 'target.sqlite3')));
    expect(to.copied).toEqual(from.copied);
    // Every table copy-store copies held rows (the visit log's folded into the statistics).
    for (const table of COPIED_TABLES.filter((t) => t.copy && t.name !== 'visit_log')) {
      expect(from.copied[table.name]!.length, table.name).toBeGreaterThan(0);
    }
    expect(from.copied.visit_log).toEqual([]);
    const spread = to.copied.urls!.map((row) => JSON.parse(row)).find((r) => r.code === 's:spread');
    expect(spread.visits).toBe(`i:${filled.loggedVisits}`);
    expect(result.out).toContain(
      `folded ${waiting} ${waiting === 1 ? 'row' : 'rows'} of the source's visit log into its statistics, as snip does`,
    );
    // The tables left out: the source's admin session stays there.
    expect(from.left.admin_sessions!.length).toBeGreaterThan(0);
    expect(to.left).toEqual({ admin_sessions: [], rate_limits: [], visit_flushes: [] });

    const urls = result.out.find((line) => line.startsWith('urls '))!;
    const count = from.copied.urls!.length;
    expect(urls).toMatch(new RegExp(`^urls\\s+${count}\\s+${count}$`));
    expect(result.out.find((line) => line.startsWith('admin_sessions '))).toMatch(
      /^admin_sessions\s+1\s+-\s+not copied: a session is a credential/,
    );
    expect(result.out.at(-1)).toMatch(/^copied \d+ rows of 15 tables at schema version \d+ in /);
  });

  it('when the target holds a row, then it refuses, names the table, and writes nothing', async () => {
    const source = sqliteApp('source.sqlite3');
    await fillEveryTable(source);
    source.db.close();
    const target = sqliteApp('target.sqlite3');
    // Only what a first start with INITIAL_API_KEY leaves behind.
    await target.keys.insertKey(
      {
        name: 'initial',
        hash: Buffer.alloc(32, 1),
        scope: 'full',
        expiresAt: null,
        source: 'initial',
      },
      Date.now(),
    );
    target.db.close();
    const before = dumpSqlite(target.file);
    const bytes = fs.readFileSync(target.file);

    const result = await copySourceToTarget();
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      expect.stringMatching(
        /^copy-store: the target \(sqlite:.*target\.sqlite3\) is not empty: api_keys \(1 row\); copy-store writes only into an empty database .*nothing was written$/,
      ),
    ]);
    expect(dumpSqlite(target.file)).toEqual(before);
    expect(fs.readFileSync(target.file).equals(bytes)).toBe(true);
  });

  it('when the source misses a migration, then it refuses naming both versions, and creates no target', async () => {
    const migrations = loadMigrations(DEFAULT_MIGRATIONS_DIR);
    const db = openDatabase(path.join(tmp, 'old.sqlite3'));
    applyMigrations(db, migrations.slice(0, -1));
    db.close();
    const result = await copyStore('--from', 'sqlite:old.sqlite3', '--to', 'sqlite:target.sqlite3');
    expect(result.code).toBe(1);
    expect(result.err[0]).toContain(
      `is at schema version ${migrations.at(-2)!.version}, this snip's migrations reach ${migrations.at(-1)!.version}`,
    );
    expect(fs.existsSync(path.join(tmp, 'target.sqlite3'))).toBe(false);
  });

  it('when the source file does not exist, then it says so and creates neither file', async () => {
    const result = await copyStore('--from', 'sqlite:nothing.sqlite3', '--to', 'sqlite:t.sqlite3');
    expect(result).toMatchObject({
      code: 1,
      err: [
        expect.stringMatching(
          /^copy-store: no database at .*nothing\.sqlite3; check --from; nothing was copied$/,
        ),
      ],
    });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('when the target is at a newer schema, then it refuses naming the version', async () => {
    sqliteApp('source.sqlite3').db.close();
    const target = sqliteApp('target.sqlite3');
    target.db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run('29990101000000');
    target.db.close();
    const result = await copySourceToTarget();
    expect(result.code).toBe(1);
    expect(result.err[0]).toMatch(
      /^copy-store: the target \(.*\) is at schema version 29990101000000, newer than this snip's \d+/,
    );
  });

  it('when an import was cut short while it wrote its links, then it refuses and says how to finish it', async () => {
    const source = sqliteApp('source.sqlite3');
    await fillEveryTable(source);
    source.db.exec("UPDATE imports SET state = 'applying'");
    source.db.close();
    const result = await copySourceToTarget();
    expect(result.code).toBe(1);
    expect(result.err[0]).toContain(
      "the source's imports has 1 row that cannot be copied: an import was writing its links",
    );
    for (const table of COPIED_TABLES)
      expect(countRows(path.join(tmp, 'target.sqlite3'), table.name)).toBe(0);
  });

  it('when a column was added to one side by hand, then it refuses rather than drop it or leave it empty', async () => {
    const source = sqliteApp('source.sqlite3');
    source.db.exec('ALTER TABLE urls ADD COLUMN extra TEXT');
    source.db.close();
    const result = await copySourceToTarget();
    expect(result.code).toBe(1);
    expect(result.err[0]).toContain(
      'the two schemas differ although both are at the same version: urls (only the source has extra)',
    );
  });

  it('when a migration adds a table copy-store does not know, then it refuses to copy rather than leave it behind', async () => {
    const dir = path.join(tmp, 'migrations');
    fs.cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, '29990101000000_add_surprise.sql'),
      '-- migrate:up\nCREATE TABLE surprise (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE surprise;\n',
    );
    const db = openDatabase(path.join(tmp, 'source.sqlite3'));
    applyMigrations(db, loadMigrations(dir));
    db.close();
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCopyStore(
      ['--from', 'sqlite:source.sqlite3', '--to', 'sqlite:target.sqlite3'],
      { MIGRATIONS_DIR: dir },
      { out: (line) => out.push(line), err: (line) => err.push(line) },
      tmp,
    );
    expect(code).toBe(1);
    expect(err[0]).toContain('has tables copy-store does not know: surprise');
  });

  it('when Litestream replicated the source, then its own tables are left behind and the rest is copied', async () => {
    const db = openDatabase(path.join(tmp, 'source.sqlite3'));
    applyMigrations(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
    // What Litestream creates in a database it replicates.
    db.exec('CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)');
    db.exec('CREATE TABLE _litestream_lock (id INTEGER)');
    db.exec('INSERT INTO _litestream_seq VALUES (1, 42)');
    db.close();
    const err: string[] = [];
    const code = await runCopyStore(
      ['--from', 'sqlite:source.sqlite3', '--to', 'sqlite:target.sqlite3'],
      {},
      { out: () => {}, err: (line) => err.push(line) },
      tmp,
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const target = openDatabase(path.join(tmp, 'target.sqlite3'));
    const names = target
      .prepare("SELECT name FROM sqlite_master WHERE name LIKE '\\_litestream%' ESCAPE '\\'")
      .all();
    target.close();
    expect(names).toEqual([]);
  });
});

describe('copy-store killed while it copies', () => {
  it('when the process is killed midway, then the target holds no copied row, and a second run copies everything', async () => {
    const source = sqliteApp('source.sqlite3');
    await fillEveryTable(source);
    // Enough statistics rows that the copy is still writing when the first table is done.
    source.db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
      INSERT INTO visits_daily (url_id, day, count)
        SELECT (SELECT id FROM urls WHERE code = 'managed'), printf('%07d', i), i FROM n`);
    source.db.close();
    const target = path.join(tmp, 'target.sqlite3');
    const args = [
      'dist/copy-store.js',
      '--from',
      `sqlite:${source.file}`,
      '--to',
      `sqlite:${target}`,
    ];

    const child = spawn(process.execPath, args, {
      env: childEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stdout.on('data', (chunk) => {
        output += chunk.toString();
        // The links are in, uncommitted; the statistics are on their way.
        if (/^copied urls: /m.test(output)) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await killed).toBe('SIGKILL');
    expect(output).not.toMatch(/^copied visits_daily/m);
    console.log(`killed after:\n${output.trim()}`);

    // The target was migrated before the copy began, and holds none of its rows.
    for (const table of COPIED_TABLES) expect(countRows(target, table.name), table.name).toBe(0);

    const again = spawnSync(process.execPath, args, { env: childEnv({}), encoding: 'utf8' });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(splitDump(dumpSqlite(target)).copied).toEqual(splitDump(dumpSqlite(source.file)).copied);
    expect(countRows(target, 'visits_daily')).toBeGreaterThan(300_000);
  });
});
