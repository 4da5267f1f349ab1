import path from 'node:path';
import type { Config } from '../config.js';
import { resolveExisting, volumeOf, type Mount } from '../db/mounts.js';

/**
 * What to do about an SQLite database on Fly.io that is not on a volume (ADR 046): a machine's
 * root filesystem is a fresh copy of the image after every deploy, restart on another host or
 * `fly machine update`, so every link written there is lost. Refused unless
 * ALLOW_EPHEMERAL_DATABASE=true says that is understood (a demo, a review app); then a warning.
 */
export type VolumeVerdict =
  { kind: 'fine' } | { kind: 'refuse'; message: string } | { kind: 'warn'; message: string };

/**
 * The verdict for `config` with the process's mounts (`null` where they cannot be read: then
 * nothing can be told, and nothing is said). Only on Fly (FLY_APP_NAME set) with SQLite.
 */
export function checkDatabaseVolume(
  config: Pick<Config, 'onFly' | 'databaseFile' | 'allowEphemeralDatabase'>,
  mounts: readonly Mount[] | null,
): VolumeVerdict {
  const file = config.databaseFile;
  if (!config.onFly || file === null || file === ':memory:' || mounts === null) {
    return { kind: 'fine' };
  }
  const dir = resolveExisting(path.dirname(file));
  if (volumeOf(dir, mounts) !== null) return { kind: 'fine' };
  const where = `the SQLite database ${file} is on the machine's own disk, not on a volume (nothing is mounted at ${dir} or a folder above it)`;
  if (config.allowEphemeralDatabase) {
    return {
      kind: 'warn',
      message: `${where}: ALLOW_EPHEMERAL_DATABASE=true, so snip starts, and every link is lost at the next deploy or restart`,
    };
  }
  return {
    kind: 'refuse',
    message:
      `on Fly.io (FLY_APP_NAME is set) ${where}, so every link would be lost at the next deploy or restart. ` +
      `Create a volume (fly volumes create app_data --size 1) and mount it at the database's folder with a [mounts] section in fly.toml ` +
      `(source = "app_data", destination = "/data", with DATABASE_URL=sqlite:/data/db/database.sqlite3), ` +
      `or use PostgreSQL (DATABASE_URL=postgres://…), ` +
      `or set ALLOW_EPHEMERAL_DATABASE=true to start anyway with data that will be lost`,
  };
}
