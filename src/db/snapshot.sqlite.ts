import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './open-database.sqlite.js';

export type SnapshotOptions = {
  /** How many snapshots of this database and kind to keep, newest first (default 5). */
  keep?: number;
  now?: Date;
  /** Appended to the file name, e.g. `before-20261125120000`. */
  label?: string;
};

const DEFAULT_KEEP = 5;
const LABEL = /^[A-Za-z0-9_-]+$/;

/**
 * Copies the open database to `backups/<name>-<UTC time>[-<label>].sqlite3` next to it and prunes
 * older snapshots of the same database and the same kind (see kindOf). The online backup API reads through the connection, so
 * the copy includes writes still sitting in the WAL and is consistent even while others write.
 */
export async function writeSnapshot(
  db: Db,
  databaseFile: string,
  options: SnapshotOptions = {},
): Promise<string> {
  const keep = options.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be 1 or more (got ${keep})`);
  if (options.label !== undefined && !LABEL.test(options.label)) {
    throw new Error(`snapshot label must match [A-Za-z0-9_-]+ (got "${options.label}")`);
  }
  const dir = path.join(path.dirname(databaseFile), 'backups');
  fs.mkdirSync(dir, { recursive: true });
  const base = snapshotBaseName(databaseFile);
  const stamp = formatSnapshotTime(options.now ?? new Date());
  const label = options.label === undefined ? '' : `-${options.label}`;
  const file = path.join(dir, `${base}-${stamp}${label}.sqlite3`);
  // A half-written copy must never look like a snapshot someone could restore.
  const partial = `${file}.partial`;
  try {
    await db.backup(partial);
    useRollbackJournal(partial);
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
  syncDirectory(dir);
  pruneSnapshots(dir, base, keep, path.basename(file));
  return file;
}

/** Snapshot files of one database in `dir`, oldest first. */
export function listSnapshots(dir: string, base: string): string[] {
  const pattern = new RegExp(
    `^${escapeRegExp(base)}-\\d{8}T\\d{6}Z(?:-[A-Za-z0-9_-]+)?\\.sqlite3$`,
  );
  if (!fs.existsSync(dir)) return [];
  // The time stamp has a fixed width right after the base name, so name order is time order.
  return fs
    .readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort();
}

/**
 * The copy inherits the source's WAL flag, so merely opening it would leave -wal and -shm files
 * beside it. In rollback-journal mode it stays one self-contained file; openDatabase switches a
 * restored copy back to WAL.
 */
function useRollbackJournal(file: string): void {
  const copy = new Database(file);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/**
 * Which snapshots make room for one another: those written before a migration or a rollback
 * (`before-…`), downloads, `npm run backup`'s, and unlabelled ones each keep their own newest
 * `keep`. A copy taken before a schema change is the way back from it; five quick downloads
 * must not push it out.
 */
function kindOf(name: string): string {
  const label = /-\d{8}T\d{6}Z(?:-([A-Za-z0-9_-]+))?\.sqlite3$/.exec(name)?.[1] ?? '';
  return label.startsWith('before-') ? 'before-' : label;
}

function pruneSnapshots(dir: string, base: string, keep: number, written: string): void {
  const kind = kindOf(written);
  const snapshots = listSnapshots(dir, base).filter((name) => kindOf(name) === kind);
  for (const name of snapshots.slice(0, Math.max(0, snapshots.length - keep))) {
    // Someone who opened an old snapshot may have left its WAL files behind.
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      fs.rmSync(path.join(dir, name + suffix), { force: true });
    }
  }
}

/** `/data/db/database.sqlite3` → `database` */
export function snapshotBaseName(databaseFile: string): string {
  return path.basename(databaseFile, path.extname(databaseFile));
}

/** 2026-11-25T12:00:00.123Z → 20261125T120000Z */
export function formatSnapshotTime(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

// Makes the rename itself survive a power cut, not only the file's contents.
function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
