import fs from 'node:fs';
import { openDatabase, type Db } from '../db/open-database.sqlite.js';
import { createVisitRepository } from '../stats/visit-store.sqlite.js';
import { MIGRATION_LEDGER } from './copied-tables.js';
import type { CopyDatabase, CopyRow, CopySnapshot, CopyWriter, TableShape } from './store-copy.js';

/** A name from the schema, quoted for SQL (they are snake_case; a quote is doubled anyway). */
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * One SQLite file as copy-store's source or target (store-copy.ts). The file is opened on first
 * use and never created here: the target's migrations create it.
 */
export function openSqliteCopy(file: string): CopyDatabase {
  let db: Db | null = null;
  const exists = () => fs.existsSync(file);
  const open = (): Db => {
    if (db !== null) return db;
    if (!exists()) throw new Error(`no database at ${file}`);
    db = openDatabase(file);
    return db;
  };
  const countOf = (table: string, where: string | null = null) =>
    Number(
      open()
        .prepare(`SELECT count(*) FROM ${quote(table)}${where === null ? '' : ` WHERE ${where}`}`)
        .pluck()
        .get(),
    );

  return {
    foldsVisitLog: true,

    async absent() {
      return db === null && !exists() ? `no database at ${file}` : null;
    },

    async tables() {
      if (db === null && !exists()) return [];
      const names = open()
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .pluck()
        .all() as string[];
      return (
        names
          // Litestream's bookkeeping in a database it replicates (ADR 049), not snip's data.
          .filter((name) => name !== MIGRATION_LEDGER && !name.startsWith('_litestream_'))
          .map((name) => {
            const columns = open()
              .prepare(`PRAGMA table_info(${quote(name)})`)
              .all() as { name: string; pk: number }[];
            return {
              name,
              columns: columns.map((c) => c.name),
              primaryKey: columns
                .filter((c) => c.pk > 0)
                .sort((a, b) => a.pk - b.pk)
                .map((c) => c.name),
            };
          })
      );
    },

    async count(table) {
      return countOf(table);
    },

    async foldVisitLog() {
      const waiting = countOf('visit_log');
      if (waiting === 0) return { folded: 0, unreadable: 0 };
      // The server's own fold (ADR 045), all of it now: each step adds its links' visits and
      // deletes their rows in one transaction, so a server folding at the same time cannot
      // count a row twice.
      const unreadable = createVisitRepository(open()).log.foldAll();
      return { folded: waiting, unreadable };
    },

    async read(work) {
      const source = open();
      // A read transaction: every statement below sees the file as it was at the first one,
      // whatever a running server writes meanwhile (WAL).
      source.exec('BEGIN');
      try {
        return await work(snapshotOf(source));
      } finally {
        source.exec('COMMIT');
      }
    },

    async write(work) {
      const target = open();
      // IMMEDIATE: the write lock now, so no other writer gets in between the check that the
      // target is empty and the commit.
      target.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(writerOf(target));
        target.exec('COMMIT');
        return result;
      } catch (error) {
        if (target.inTransaction) target.exec('ROLLBACK');
        throw error;
      }
    },

    async close() {
      db?.close();
      db = null;
    },
  };

  function snapshotOf(source: Db): CopySnapshot {
    return {
      async count(table, where) {
        return countOf(table, where);
      },
      async *rows(table: TableShape, where: string | null, batchRows: number) {
        const statement = source
          .prepare(
            `SELECT ${table.columns.map(quote).join(', ')} FROM ${quote(table.name)}` +
              `${where === null ? '' : ` WHERE ${where}`} ORDER BY ${table.primaryKey.map(quote).join(', ')}`,
          )
          .raw(true)
          // Integers as bigint: none is rounded on its way, whatever its size.
          .safeIntegers(true);
        // Returning from this generator early (the consumer failed) closes the statement, so
        // the connection is free for the ROLLBACK or COMMIT that follows.
        let batch: CopyRow[] = [];
        for (const row of statement.iterate() as IterableIterator<CopyRow>) {
          batch.push(row);
          if (batch.length === batchRows) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      },
    };
  }

  function writerOf(target: Db): CopyWriter {
    const inserts = new Map<string, ReturnType<Db['prepare']>>();
    return {
      async count(table) {
        return countOf(table);
      },
      async insert(table, rows) {
        let insert = inserts.get(table.name);
        if (insert === undefined) {
          insert = target.prepare(
            `INSERT INTO ${quote(table.name)} (${table.columns.map(quote).join(', ')}) VALUES (${table.columns.map(() => '?').join(', ')})`,
          );
          inserts.set(table.name, insert);
        }
        for (const row of rows) insert.run(row);
      },
      // An INTEGER PRIMARY KEY continues after the largest id in the table by itself.
      async continueIds() {},
    };
  }
}
