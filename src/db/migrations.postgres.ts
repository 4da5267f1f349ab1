import pg from 'pg';
import {
  findNewerSchema,
  MigrationFailedError,
  MigrationLockError,
  pendingOf,
  statusOf,
  type Migration,
  type MigrationStatus,
} from './migrations.js';

/**
 * The migration runner for PostgreSQL: the same dbmate files and ledger as on SQLite (parsed by
 * migrations.ts), applied over one connection by every machine that starts, so they take turns.
 *
 * The URL must reach PostgreSQL *directly* (or through a session-mode pooler), never through a
 * transaction-mode pooler such as PgBouncer in `pool_mode = transaction`: the lock below belongs
 * to the server session, and such a pooler hands each transaction to whichever server session is
 * free, so the lock could be taken on one and "released" on another while a second machine
 * migrates at the same time.
 */

/** How long a runner waits for another one to finish, unless told otherwise. */
export const MIGRATION_LOCK_TIMEOUT_MS = 60_000;

/**
 * The advisory lock every snip migration run takes, per database: the bytes of "snipmigr" read
 * as a 64-bit integer, a key no other program is likely to pick. pg_locks shows a bigint key as
 * its high half in `classid` and its low half in `objid`.
 */
export const MIGRATION_LOCK_KEY = '8317701493392762738';

/** Shown in pg_stat_activity, so whoever holds the lock can be told apart. */
export const MIGRATION_APPLICATION_NAME = 'snip migrate';

const CONNECT_TIMEOUT_MS = 10_000;

// The exact ledger dbmate 2.x creates on PostgreSQL, so both tools share one table.
const CREATE_LEDGER =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) primary key)';

export type PostgresMigrationOptions = {
  /** How long to wait for the lock before giving up (MIGRATION_LOCK_TIMEOUT_MS by default). */
  lockTimeoutMs?: number;
  /** Called once when another session holds the lock and this run starts waiting for it. */
  onWaiting?: (holder: string) => void;
  /** Called after each migration has committed. */
  onApplied?: (migration: Migration) => void;
};

export type PostgresMigrationResult = {
  /** The migrations this run applied, oldest first. */
  applied: Migration[];
  /** How many versions the ledger holds now. */
  total: number;
};

/**
 * Applies every pending migration, each in its own transaction together with its ledger row.
 * The list of applied versions is read only after the lock is taken: another machine may have
 * applied them while this one waited, and a list read before would apply them twice.
 */
export async function applyPostgresMigrations(
  url: string,
  migrations: Migration[],
  options: PostgresMigrationOptions = {},
): Promise<PostgresMigrationResult> {
  return withConnection(url, async (client) => {
    await takeMigrationLock(client, options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS, options);
    try {
      try {
        // The first statement that creates anything: a role that may not create tables in the
        // schema fails here, even when the ledger exists already (PostgreSQL checks the right
        // before it looks for the table).
        await client.query(CREATE_LEDGER);
      } catch (error) {
        throw new Error(
          `cannot create the migration ledger schema_migrations: ${messageOf(error)}${await permissionHint(client, error)}`,
          { cause: error },
        );
      }
      const appliedBefore = await readAppliedVersions(client);
      // An older build must not migrate, nor start on, a schema a newer one has moved on.
      const newer = findNewerSchema(appliedBefore, migrations);
      if (newer !== null) throw newer;
      const applied: Migration[] = [];
      for (const migration of pendingOf(appliedBefore, migrations)) {
        await applyOne(client, migration);
        applied.push(migration);
        options.onApplied?.(migration);
      }
      return { applied, total: appliedBefore.length + applied.length };
    } finally {
      // Closing the connection releases it too; unlock explicitly while the connection still works.
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  });
}

/** Each migration file and each recorded version without a file; reads only, takes no lock. */
export async function readPostgresMigrationStatus(
  url: string,
  migrations: Migration[],
): Promise<MigrationStatus[]> {
  return withConnection(url, async (client) =>
    statusOf(await readAppliedVersions(client), migrations),
  );
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  const record = () =>
    client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
  try {
    if (!migration.upTransaction) {
      // dbmate's `transaction:false`, for statements such as CREATE INDEX CONCURRENTLY.
      await client.query(migration.up);
      await record();
      return;
    }
    await client.query('BEGIN');
    try {
      await client.query(migration.up);
      await record();
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } catch (error) {
    throw new MigrationFailedError(
      migration.filename,
      `${migration.filename} failed: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

/**
 * What to do when PostgreSQL refuses to let snip's role create its tables: since PostgreSQL 15,
 * schema `public` is no longer writable by every role, only by the database's owner (and whoever
 * is granted CREATE on it). Empty for any other error. docs/postgres.md has the whole recipe.
 */
async function permissionHint(client: pg.Client, error: unknown): Promise<string> {
  if ((error as { code?: string }).code !== '42501') return '';
  const schema = /permission denied for schema (\S+)/.exec(messageOf(error))?.[1];
  if (schema === undefined) return '';
  const names = await client
    .query<{ role: string; database: string; schema: string }>(
      'SELECT quote_ident(current_user) AS role, quote_ident(current_database()) AS database, quote_ident($1) AS schema',
      [schema],
    )
    .then((result) => result.rows[0])
    .catch(() => undefined);
  const role = names?.role ?? '<role>';
  const database = names?.database ?? '<database>';
  const quoted = names?.schema ?? schema;
  return (
    `. Hint: the role ${role} may not create tables in schema ${quoted} (since PostgreSQL 15 only ` +
    `the database's owner may, unless granted). Connected to ${database} as its owner or a ` +
    `superuser, run \`GRANT CREATE ON SCHEMA ${quoted} TO ${role};\` or ` +
    `\`ALTER SCHEMA ${quoted} OWNER TO ${role};\`, or give snip a database it owns ` +
    `(\`CREATE DATABASE … OWNER ${role};\`); see docs/postgres.md`
  );
}

/** Applied versions, oldest first; empty when the ledger does not exist yet. */
async function readAppliedVersions(client: pg.Client): Promise<string[]> {
  const table = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS exists",
  );
  if (!table.rows[0]?.exists) return [];
  // Versions are compared as text, as dbmate does; "C" keeps that free of the database's locale.
  const rows = await client.query<{ version: string }>(
    'SELECT version FROM schema_migrations ORDER BY version COLLATE "C"',
  );
  return rows.rows.map((row) => row.version);
}

/**
 * Waits for the session advisory lock in PostgreSQL's own queue (first come, first served),
 * bounded by `lock_timeout`; past it, fails with a message naming the session that holds it.
 */
async function takeMigrationLock(
  client: pg.Client,
  timeoutMs: number,
  options: PostgresMigrationOptions,
): Promise<void> {
  const free = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1) AS locked',
    [MIGRATION_LOCK_KEY],
  );
  if (free.rows[0]?.locked) return;
  options.onWaiting?.(await describeLockHolder(client));
  // lock_timeout 0 would mean "wait forever".
  await client.query(`SET lock_timeout = ${Math.max(1, Math.ceil(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: string }).code !== '55P03') throw error;
    throw new MigrationLockError(
      `could not take the migration lock within ${formatSeconds(timeoutMs)}: ${await describeLockHolder(client)}; nothing was migrated`,
      { cause: error },
    );
  } finally {
    // The migrations themselves run with the server's own lock_timeout.
    await client.query('RESET lock_timeout').catch(() => {});
  }
}

type LockHolder = {
  pid: number;
  application_name: string | null;
  usename: string | null;
  client_addr: string | null;
  backend_start: Date | null;
  state: string | null;
};

/** Who holds the migration lock, in words, with what to do if that session is stuck. */
async function describeLockHolder(client: pg.Client): Promise<string> {
  const { rows } = await client.query<LockHolder>(
    `SELECT l.pid, a.application_name, a.usename, host(a.client_addr) AS client_addr,
            a.backend_start, a.state
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid::bigint = ($1::bigint >> 32) AND l.objid::bigint = ($1::bigint & 4294967295)`,
    [MIGRATION_LOCK_KEY],
  );
  const holder = rows[0];
  if (!holder) return 'the session that held it has let go in the meantime; try again';
  const details = [
    holder.application_name ? `application "${holder.application_name}"` : null,
    holder.usename ? `user ${holder.usename}` : null,
    holder.client_addr ? `from ${holder.client_addr}` : null,
    holder.backend_start ? `connected since ${holder.backend_start.toISOString()}` : null,
    holder.state ? `now ${holder.state}` : null,
  ].filter(Boolean);
  return (
    `it is held by PostgreSQL session ${holder.pid}${details.length ? ` (${details.join(', ')})` : ''}, ` +
    `most likely another snip applying migrations; if that process is gone and the session stays, ` +
    `end it with SELECT pg_terminate_backend(${holder.pid})`
  );
}

async function withConnection<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    application_name: MIGRATION_APPLICATION_NAME,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A connection lost while idle is reported here rather than crashing the process; the query
  // in progress, if any, fails with its own error.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to PostgreSQL: ${messageOf(error)}`, { cause: error });
  }
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(messageOf).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
