import pg from 'pg';
import { COPIED_TABLES, MIGRATION_LEDGER } from './copied-tables.js';
import type { CopyDatabase, CopyRow, CopySnapshot, CopyWriter, TableShape } from './store-copy.js';

const INT8_OID = 20;

/**
 * BIGINT as bigint: the pool reads snip's numbers as JavaScript numbers (db/pool.postgres.ts),
 * but a copy must not round one, whatever it holds.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 65_535;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'snip copy-store',
    connectionTimeoutMillis: 10_000,
    types,
  });
  // A connection lost while idle is reported by the next query, not as an uncaught event.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot connect to PostgreSQL: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return client;
}

async function countOf(client: pg.Client, table: string, where: string | null = null) {
  const { rows } = await client.query<{ count: bigint }>(
    `SELECT count(*) AS count FROM ${quote(table)}${where === null ? '' : ` WHERE ${where}`}`,
  );
  return Number(rows[0]!.count);
}

/**
 * One PostgreSQL database as copy-store's source or target (store-copy.ts), on `url`, which must
 * reach the server directly: a snapshot and a transaction each keep one server session.
 */
export function openPostgresCopy(url: string): CopyDatabase {
  let client: pg.Client | null = null;
  const shared = async () => (client ??= await connect(url));

  const database: CopyDatabase = {
    // The table exists on PostgreSQL so both schemas match; nothing writes or folds it there.
    foldsVisitLog: false,

    // A database that is not there is an error of the connection, which says so.
    async absent() {
      return null;
    },

    async tables() {
      const db = await shared();
      const { rows } = await db.query<{ name: string; columns: string[]; primary_key: string[] }>(
        `SELECT c.relname AS name,
                (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
                (SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
                   FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                  WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> $1
          ORDER BY c.relname COLLATE "C"`,
        [MIGRATION_LEDGER],
      );
      return rows.map((row) => ({
        name: row.name,
        columns: row.columns,
        primaryKey: row.primary_key ?? [],
      }));
    },

    async count(table) {
      return countOf(await shared(), table);
    },

    async foldVisitLog() {
      return { folded: 0, unreadable: 0 };
    },

    async read(work) {
      const reader = await connect(url);
      try {
        // One snapshot for every statement, whatever the machines on it write meanwhile.
        await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await work(snapshotOf(reader));
        await reader.query('COMMIT');
        return result;
      } finally {
        await reader.end().catch(() => {});
      }
    },

    async write(work) {
      const writer = await connect(url);
      try {
        await writer.query('BEGIN');
        // No machine on the target writes while this transaction is open; readers still read.
        const names = (await database.tables()).map((t) => t.name);
        const known = COPIED_TABLES.map((t) => t.name).filter((name) => names.includes(name));
        if (known.length > 0) {
          await writer.query(`LOCK TABLE ${known.map(quote).join(', ')} IN EXCLUSIVE MODE`);
        }
        const result = await work(writerOf(writer));
        await writer.query('COMMIT');
        return result;
      } catch (error) {
        await writer.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        await writer.end().catch(() => {});
      }
    },

    async close() {
      await client?.end().catch(() => {});
      client = null;
    },
  };
  return database;
}

function snapshotOf(reader: pg.Client): CopySnapshot {
  let cursors = 0;
  return {
    count: (table, where) => countOf(reader, table, where),
    async *rows(table: TableShape, where: string | null, batchRows: number) {
      // A cursor: the table is read a batch at a time, never whole in memory.
      const cursor = `copy_${(cursors += 1)}`;
      await reader.query(
        `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${table.columns.map(quote).join(', ')} FROM ${quote(table.name)}` +
          `${where === null ? '' : ` WHERE ${where}`} ORDER BY ${table.primaryKey.map(quote).join(', ')}`,
      );
      try {
        for (;;) {
          const { rows } = await reader.query<CopyRow>({
            text: `FETCH ${batchRows} FROM ${cursor}`,
            rowMode: 'array',
          });
          if (rows.length > 0) yield rows;
          if (rows.length < batchRows) return;
        }
      } finally {
        await reader.query(`CLOSE ${cursor}`).catch(() => {});
      }
    },
  };
}

function writerOf(writer: pg.Client): CopyWriter {
  return {
    count: (table) => countOf(writer, table),

    async insert(table, rows) {
      const width = table.columns.length;
      const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / width));
      // OVERRIDING SYSTEM VALUE: the ids are the source's, not new ones from the identity.
      const head = `INSERT INTO ${quote(table.name)} (${table.columns.map(quote).join(', ')}) OVERRIDING SYSTEM VALUE VALUES `;
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement);
        const tuples = chunk.map(
          (_, r) => `(${table.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
        );
        await writer.query(head + tuples.join(', '), chunk.flat());
      }
    },

    async continueIds() {
      // Every identity column of the schema: the next id generated is the largest copied + 1,
      // so the first link made after the copy does not collide with a copied one.
      const { rows } = await writer.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND is_identity = 'YES'`,
      );
      for (const { table_name: table, column_name: column } of rows) {
        await writer.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(${quote(column)}) FROM ${quote(table)}), 0) + 1, false)`,
          [quote(table), column],
        );
      }
    },
  };
}
