import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withReadOnlyDatabase } from '../support/read-database.js';
import { schemaOf } from '../support/migration-files.js';
import { findFreePort } from '../support/server-process.js';
import { createTempDir } from '../support/test-app.js';
import { faultReport } from './fault-report.js';
import { STACK_TRACE } from './http-outcome.js';
import { createTally, describeTally, expectStatus, record } from './load.js';
import {
  BOT,
  createRequest,
  killLeftovers,
  launchSnip,
  serving,
  visitRequest,
} from './snip-process.js';

/**
 * PRODUCT §4: a migration that fails halfway stops the launch with a readable error, leaves the
 * database as it was (each migration runs in a transaction with its version row), and the
 * snapshot written before it restores the database by copying one file back.
 */

const BROKEN_VERSION = '20991231000000';
const BROKEN = `${BROKEN_VERSION}_add_link_labels.sql`;
// Creates a table, fills it, rewrites every link's target, then fails on a table that is not there.
const BROKEN_SQL = `-- migrate:up
CREATE TABLE link_labels (url_id INTEGER NOT NULL REFERENCES urls (id), tag TEXT NOT NULL);
INSERT INTO link_labels (url_id, tag) SELECT id, 'imported' FROM urls;
UPDATE urls SET target = 'https://broken.example/';
INSERT INTO link_labels (url_id, tag) SELECT url_id, tag FROM legacy_labels;

-- migrate:down
DROP TABLE link_labels;
`;
const LINKS = 5;

let dir: string | undefined;
afterEach(async () => {
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Every table's schema and rows, to compare a database before and after. */
function contentsOf(file: string): { schema: string[]; rows: Record<string, string[]> } {
  return withReadOnlyDatabase(file, (db) => {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    const rows = Object.fromEntries(
      tables.map((table) => [
        table,
        db
          .prepare(`SELECT * FROM "${table}"`)
          .all()
          .map((row) => JSON.stringify(row))
          .sort(),
      ]),
    );
    return { schema: schemaOf(db), rows };
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('a broken migration', () => {
  it('when a pending migration fails halfway, then the launch stops with a readable error, the database is unchanged, and its snapshot restores it', async () => {
    const fault = faultReport('broken migration');
    dir = createTempDir();
    const file = path.join(dir, 'data', 'db', 'database.sqlite3');
    const port = await findFreePort();
    const tally = createTally();

    // A database in use: created by a real launch, with links and visits.
    const first = await serving(launchSnip(file, port), port, file);
    const links = Array.from({ length: LINKS }, (_, i) => ({
      code: `kept-${i}`,
      target: `https://example.com/kept/${i}`,
    }));
    for (const link of links) {
      record(
        tally,
        'create',
        await first.send(createRequest(link.target, link.code)),
        expectStatus(303),
      );
      record(tally, 'visit', await first.send(visitRequest(link.code)), expectStatus(302));
    }
    first.proc.child.kill('SIGTERM');
    expect((await first.proc.exited).code).toBe(0);
    const before = contentsOf(file);
    expect(before.rows.urls).toHaveLength(LINKS);

    const migrations = path.join(dir, 'migrations');
    fs.cpSync('migrations', migrations, { recursive: true });
    /** Launches with the broken migration added; answers the exit code, its error lines and snapshot. */
    const launchBroken = async (sql: string) => {
      fs.writeFileSync(path.join(migrations, BROKEN), sql);
      const broken = launchSnip(file, port, { MIGRATIONS_DIR: migrations });
      const { code } = await broken.exited;
      const output = broken.output();
      expect(output).not.toMatch(STACK_TRACE);
      expect(await canConnect(port), 'a server started on a half-migrated schema').toBe(false);
      return {
        code,
        error: output.split('\n').filter((line) => /^(migrate|launch): /.test(line)),
        snapshot: /^snapshot (.+)$/m.exec(output)?.[1],
      };
    };
    /** Copies the snapshot over the database as docs/operations.md says, with snip stopped. */
    const restore = (snapshot: string | undefined) => {
      expect(snapshot).toMatch(
        new RegExp(`/backups/database-\\d{8}T\\d{6}Z-before-${BROKEN_VERSION}\\.sqlite3$`),
      );
      for (const suffix of ['-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
      fs.copyFileSync(snapshot!, file);
      return contentsOf(file);
    };

    // In a transaction (dbmate's default): the failure leaves no trace.
    const failed = await launchBroken(BROKEN_SQL);
    expect(failed.code).not.toBe(0);
    expect(failed.error).toEqual([
      `migrate: ${BROKEN} failed: no such table: legacy_labels`,
      `launch: migration ${BROKEN} failed: the database refused its SQL; not starting the server`,
    ]);
    expect(contentsOf(file)).toEqual(before);
    expect(restore(failed.snapshot)).toEqual(before);

    // With transaction:false the same failure leaves a half-migrated database: the snapshot is
    // what brings it back.
    const untransacted = await launchBroken(
      BROKEN_SQL.replace('-- migrate:up', '-- migrate:up transaction:false'),
    );
    expect(untransacted.code).not.toBe(0);
    expect(untransacted.error).toEqual(failed.error);
    const halfMigrated = contentsOf(file);
    expect(halfMigrated.rows.link_labels).toHaveLength(LINKS);
    expect(halfMigrated.rows.urls!.every((row) => row.includes('https://broken.example/'))).toBe(
      true,
    );
    expect(restore(untransacted.snapshot)).toEqual(before);
    fs.rmSync(path.join(migrations, BROKEN));

    // The restored database starts with the migrations that work, and every link is there.
    const restored = await serving(launchSnip(file, port), port, file);
    const missing: string[] = [];
    for (const link of links) {
      const answer = record(
        tally,
        'after restore',
        await restored.send(visitRequest(link.code, BOT)),
        expectStatus(302),
      );
      if (answer?.headers.location !== link.target) missing.push(link.code);
    }
    restored.proc.child.kill('SIGTERM');
    expect((await restored.proc.exited).code).toBe(0);
    fault.add({
      requests: tally.answered,
      errors: tally.errors,
      acknowledged: links.length,
      lost: missing.length,
    });
    expect(missing).toEqual([]);
    expect(tally.errors, tally.examples.join('\n')).toBe(0);

    const tables = Object.keys(before.rows).length;
    const rows = Object.values(before.rows).reduce((sum, r) => sum + r.length, 0);
    fault.survived(
      `broken migration: launch exited ${failed.code} with "${failed.error[0]}", no server started, ${tables} tables and ${rows} rows unchanged; with transaction:false the half-migrated database (link_labels created, ${LINKS} targets rewritten) came back from ${path.basename(untransacted.snapshot!)}; the restored database launches and serves all ${links.length} links; load ${describeTally(tally)}`,
    );
  });
});
