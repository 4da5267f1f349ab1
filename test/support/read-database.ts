import Database from 'better-sqlite3';

/** Opens an existing database file read-only for `use`, and always closes it. */
export function withReadOnlyDatabase<T>(file: string, use: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** The first column of every row `sql` returns from the file. */
export function readColumn<T = unknown>(file: string, sql: string): T[] {
  return withReadOnlyDatabase(file, (db) => db.prepare(sql).pluck().all() as T[]);
}
