import { describe, expect, it } from 'vitest';
import { COPIED_TABLES, MIGRATION_LEDGER } from '../../src/storage/copied-tables.js';
import { createTestDatabase } from '../support/test-app.js';

// copy-store's list of tables against the schema the migrations make on SQLite: a migration that
// adds a table fails here until copied-tables.ts says what a copy does with it. The same on
// PostgreSQL: test/postgres/copy-store.postgres.test.ts.

describe('the tables copy-store knows', () => {
  const db = createTestDatabase();
  const tables = (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[]
  ).filter((name) => name !== MIGRATION_LEDGER);

  it('when the migrations have run on SQLite, then every table is in the list, and every table of the list exists', () => {
    expect(COPIED_TABLES.map((t) => t.name).toSorted()).toEqual(tables.toSorted());
  });

  it('when a table has foreign keys, then the tables they point at are copied before it', () => {
    const order = COPIED_TABLES.map((t) => t.name);
    for (const table of COPIED_TABLES) {
      const keys = db.prepare(`PRAGMA foreign_key_list("${table.name}")`).all() as {
        table: string;
      }[];
      for (const key of keys) {
        expect(order.indexOf(key.table), `${table.name} → ${key.table}`).toBeGreaterThanOrEqual(0);
        expect(order.indexOf(key.table), `${table.name} → ${key.table}`).toBeLessThan(
          order.indexOf(table.name),
        );
        // A table that is copied never points at one that is not.
        if (table.copy) expect(COPIED_TABLES.find((t) => t.name === key.table)!.copy).toBe(true);
      }
    }
  });

  it('when a table is left out, then the list says why', () => {
    for (const table of COPIED_TABLES.filter((t) => !t.copy)) {
      expect(table.why.length, table.name).toBeGreaterThan(20);
    }
  });
});
