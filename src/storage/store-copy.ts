import { loadMigrations, type MigrationStatus } from '../db/migrations.js';
import { COPIED_TABLES, type CopiedTable } from './copied-tables.js';
import type { Storage } from './storage.js';

/**
 * copy-store: everything one snip database holds, copied into another, empty one, of either
 * engine (docs/decisions/048-copy-store.md). What each table gets is in copied-tables.ts; what
 * each engine does is in store-copy.sqlite.ts and store-copy.postgres.ts. The source is read in
 * one snapshot; the target is written in one transaction, which commits only once every table's
 * count matches: a copy that stops midway (a crash, a kill, a refused row) leaves the target as it
 * was before, migrated and empty, and the command can simply run again.
 */

/** A value as both engines' drivers hand it over: integers as bigint, so none is rounded. */
export type CopyValue = bigint | number | string | Buffer | null;
export type CopyRow = CopyValue[];

/** A table as a database has it: its columns in order, and those of its primary key. */
export type TableShape = { name: string; columns: string[]; primaryKey: string[] };

/** One snip database, as copy-store reads or writes it. Nothing is created until written. */
export interface CopyDatabase {
  /** Whether a server on this engine folds `visit_log` rows (SQLite does; PostgreSQL never writes them). */
  readonly foldsVisitLog: boolean;
  /** Why there is no database to read (an SQLite file that does not exist); null when there is. */
  absent(): Promise<string | null>;
  /** Every table but the migration ledger; none for an SQLite file that does not exist. */
  tables(): Promise<TableShape[]>;
  /** Rows in `table` now, outside any snapshot. */
  count(table: string): Promise<number>;
  /** Folds rows waiting in the visit log into the statistics, as snip itself does; how many. */
  foldVisitLog(): Promise<{ folded: number; unreadable: number }>;
  /** Runs `work` on one consistent snapshot of the whole database. */
  read<T>(work: (snapshot: CopySnapshot) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction that no other writer can enter: committed when it
   * resolves, rolled back when it throws.
   */
  write<T>(work: (writer: CopyWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface CopySnapshot {
  count(table: string, where: string | null): Promise<number>;
  /** The rows `where` keeps, in primary-key order, `batchRows` at a time, in the shape's columns. */
  rows(table: TableShape, where: string | null, batchRows: number): AsyncIterable<CopyRow[]>;
}

export interface CopyWriter {
  count(table: string): Promise<number>;
  insert(table: TableShape, rows: CopyRow[]): Promise<void>;
  /** Sets each generated id to continue after the largest one copied (PostgreSQL's identities). */
  continueIds(): Promise<void>;
}

/** What the person running the command must change before it can copy: exit 1, nothing written. */
export class CopyRefused extends Error {
  override name = 'CopyRefused';
}

/** Rows read from the source and written to the target at a time. */
export const COPY_BATCH_ROWS = 1000;

export type CopyEnd = { storage: Storage; label: string };

export type TableCount = {
  table: string;
  source: number;
  /** Rows in the target after the copy; null for a table that is not copied. */
  target: number | null;
  why: string | null;
};

export type CopyResult = { counts: TableCount[]; version: string; folded: number };

const describeVersion = (version: string | undefined) => version ?? 'none (no migration applied)';

/** The newest version applied, refusing what this snip's migrations do not reach exactly. */
function requireCurrentSchema(
  side: 'source' | 'target',
  label: string,
  statuses: MigrationStatus[],
  newest: string,
): void {
  const unknown = statuses.filter((s) => s.filename === null).map((s) => s.version);
  const applied = statuses.filter((s) => s.applied).map((s) => s.version);
  const at = describeVersion(applied.at(-1));
  if (unknown.length > 0) {
    throw new CopyRefused(
      `the ${side} (${label}) is at schema version ${unknown.at(-1)}, newer than this snip's ${newest} (it has no migration file for ${unknown.join(', ')}): copy with the snip version that wrote it; nothing was copied`,
    );
  }
  if (side === 'source' && applied.length === 0) {
    throw new CopyRefused(
      `the source (${label}) holds no snip database: no migration is applied there; check --from; nothing was copied`,
    );
  }
  if (side === 'source' && applied.length < statuses.length) {
    throw new CopyRefused(
      `the source (${label}) is at schema version ${at}, this snip's migrations reach ${newest}: both must be at the same version; bring the source up to date first (npm run migrate -- up with DATABASE_URL set to it, or start snip on it); nothing was copied`,
    );
  }
}

/** Tables of the database that hold rows, as "name (n rows)". */
async function tablesWithRows(db: CopyDatabase): Promise<string[]> {
  const filled: string[] = [];
  for (const table of await db.tables()) {
    const rows = await db.count(table.name);
    if (rows > 0) filled.push(`${table.name} (${rows} ${rows === 1 ? 'row' : 'rows'})`);
  }
  return filled;
}

function refuseNonEmpty(label: string, filled: string[]): never {
  throw new CopyRefused(
    `the target (${label}) is not empty: ${filled.join(', ')}; copy-store writes only into an empty database (create a new one, or delete this one's file or drop and create it again); nothing was written`,
  );
}

/** The shapes of the tables copy-store copies, refusing a table it was not taught about. */
function shapesOf(label: string, tables: TableShape[]): Map<string, TableShape> {
  const known = new Set(COPIED_TABLES.map((t) => t.name));
  const unknown = tables.map((t) => t.name).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new CopyRefused(
      `${label} has tables copy-store does not know: ${unknown.join(', ')} (made by hand, or by a migration that src/storage/copied-tables.ts does not list); nothing was copied`,
    );
  }
  const shapes = new Map(tables.map((t) => [t.name, t]));
  const missing = COPIED_TABLES.map((t) => t.name).filter((name) => !shapes.has(name));
  if (missing.length > 0) {
    throw new CopyRefused(
      `${label} lacks tables of snip's schema: ${missing.join(', ')}; nothing was copied`,
    );
  }
  return shapes;
}

/** The target's shape of each copied table, refusing columns that differ from the source's. */
function matchColumns(
  source: Map<string, TableShape>,
  target: Map<string, TableShape>,
): Map<string, TableShape> {
  const differences: string[] = [];
  for (const [name, from] of source) {
    const to = target.get(name)!;
    const extra = from.columns.filter((c) => !to.columns.includes(c));
    const lacking = to.columns.filter((c) => !from.columns.includes(c));
    if (extra.length > 0 || lacking.length > 0) {
      differences.push(
        `${name} (${[...extra.map((c) => `only the source has ${c}`), ...lacking.map((c) => `only the target has ${c}`)].join(', ')})`,
      );
    }
  }
  if (differences.length > 0) {
    throw new CopyRefused(
      `the two schemas differ although both are at the same version: ${differences.join('; ')}; nothing was copied`,
    );
  }
  return source;
}

/**
 * Copies everything `source` holds into `target`: checks the schema versions, refuses a target
 * that holds rows, applies the target's migrations, folds the source's visit log, then copies
 * every table in one transaction. `report` gets a line for each step.
 */
export async function copyStore(options: {
  source: CopyEnd;
  target: CopyEnd;
  migrationsDir: string;
  lockTimeoutMs: number;
  report: (line: string) => void;
  batchRows?: number;
}): Promise<CopyResult> {
  const { source, target, migrationsDir, report } = options;
  const batchRows = options.batchRows ?? COPY_BATCH_ROWS;
  const newest = loadMigrations(migrationsDir).at(-1)?.version ?? 'none';

  const from = await source.storage.openCopy();
  try {
    const absent = await from.absent();
    if (absent !== null) throw new CopyRefused(`${absent}; check --from; nothing was copied`);
    requireCurrentSchema(
      'source',
      source.label,
      await source.storage.migrations(migrationsDir).status(),
      newest,
    );
    const sourceShapes = shapesOf(`the source (${source.label})`, await from.tables());
    // The target as it is, before anything is written to it: a newer schema, or rows, refuse.
    const targetMigrations = target.storage.migrations(migrationsDir);
    requireCurrentSchema('target', target.label, await targetMigrations.status(), newest);
    const before = await target.storage.openCopy();
    try {
      const filled = await tablesWithRows(before);
      if (filled.length > 0) refuseNonEmpty(target.label, filled);
    } finally {
      await before.close();
    }

    await targetMigrations.up(report, { lockTimeoutMs: options.lockTimeoutMs });
    const after = await targetMigrations.status();
    if (after.some((s) => !s.applied || s.filename === null)) {
      throw new CopyRefused(`the target's migrations did not reach ${newest}; nothing was copied`);
    }

    const folded = await from.foldVisitLog();
    if (folded.folded > 0) {
      report(
        `folded ${folded.folded} ${folded.folded === 1 ? 'row' : 'rows'} of the source's visit log into its statistics, as snip does`,
      );
    }
    if (folded.unreadable > 0) {
      report(
        `${folded.unreadable} rows of the source's visit log could not be read and were dropped`,
      );
    }

    const to = await target.storage.openCopy();
    try {
      const shapes = matchColumns(
        sourceShapes,
        shapesOf(`the target (${target.label})`, await to.tables()),
      );
      const counts = await from.read((snapshot) =>
        copyTables({ snapshot, to, shapes, targetLabel: target.label, batchRows, report }),
      );
      return { counts, version: newest, folded: folded.folded };
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

async function copyTables(options: {
  snapshot: CopySnapshot;
  to: CopyDatabase;
  shapes: Map<string, TableShape>;
  targetLabel: string;
  batchRows: number;
  report: (line: string) => void;
}): Promise<TableCount[]> {
  const { snapshot, to, shapes, report } = options;
  // Every count of the source is taken in the snapshot the rows are read from.
  const sourceCounts = new Map<string, number>();
  for (const table of COPIED_TABLES) {
    sourceCounts.set(table.name, await snapshot.count(table.name, table.copy ? table.where : null));
    if (table.copy && table.refuse) {
      const refused = await snapshot.count(table.name, table.refuse.where);
      if (refused > 0) {
        throw new CopyRefused(
          `the source's ${table.name} has ${refused} ${refused === 1 ? 'row' : 'rows'} that cannot be copied: ${table.refuse.why}; nothing was copied`,
        );
      }
    }
  }
  if (!to.foldsVisitLog && sourceCounts.get('visit_log')! > 0) {
    throw new CopyRefused(
      `the source's visit log got new rows after it was folded: a snip is still running on the source; stop it, then copy again; nothing was copied`,
    );
  }

  try {
    return await writeTables();
  } catch (error) {
    if (error instanceof CopyRefused) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}; the copy was rolled back: the target holds none of it`, {
      cause: error,
    });
  }

  function writeTables(): Promise<TableCount[]> {
    return to.write(async (writer) => {
      // Again inside the transaction: a server started on the target meanwhile may have written.
      const filled: string[] = [];
      for (const table of COPIED_TABLES) {
        const rows = await writer.count(table.name);
        if (rows > 0) filled.push(`${table.name} (${rows} ${rows === 1 ? 'row' : 'rows'})`);
      }
      if (filled.length > 0) refuseNonEmpty(options.targetLabel, filled);

      const counts: TableCount[] = [];
      for (const table of COPIED_TABLES) {
        counts.push(await copyTable(table, options.batchRows));
      }
      await writer.continueIds();
      const differing = counts.filter((c) => c.target !== null && c.target !== c.source);
      if (differing.length > 0) {
        // Thrown inside the transaction: it is rolled back, and the target stays empty.
        throw new Error(
          `the counts differ after the copy: ${differing.map((c) => `${c.table} ${c.source} in the source, ${c.target} in the target`).join('; ')}`,
        );
      }
      return counts;

      async function copyTable(table: CopiedTable, batchRows: number): Promise<TableCount> {
        const source = sourceCounts.get(table.name)!;
        if (!table.copy) return { table: table.name, source, target: null, why: table.why };
        const shape = shapes.get(table.name)!;
        try {
          for await (const rows of snapshot.rows(shape, table.where, batchRows)) {
            await writer.insert(shape, rows);
          }
        } catch (error) {
          throw new Error(
            `copying ${table.name}: ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
            },
          );
        }
        const target = await writer.count(table.name);
        report(`copied ${table.name}: ${target} ${target === 1 ? 'row' : 'rows'}`);
        return { table: table.name, source, target, why: null };
      }
    });
  }
}
