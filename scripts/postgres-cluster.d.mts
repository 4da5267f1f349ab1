// Types of scripts/postgres-cluster.mjs, written by hand: the module is plain ESM so that the
// benchmark can run it with Node as it is, and tsconfig.json does not check JavaScript (no
// allowJs). Keep the two in step.

/** The superuser of the cluster (`initdb --username`); localhost connections are trusted. */
export declare const CLUSTER_SUPERUSER: 'snip_test';

export type PostgresCluster = {
  /** A superuser URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  /** The temporary directory: the data directory, the log, the unix socket. */
  dir: string;
  /** The data directory (with postmaster.pid, whose first line is the server's pid). */
  dataDir: string;
  /** Stops the server and deletes the directory; a second call does nothing. */
  stop: () => void;
};

/**
 * The directory with initdb, pg_ctl and postgres, or null: Debian's /usr/lib/postgresql/<n>/bin
 * (the newest version), then what `pg_config --bindir` says, then initdb's directory on PATH.
 */
export declare function findPostgresBinDir(): string | null;

/** Why a cluster cannot be started on this machine, or null when it can. */
export declare function postgresUnavailable(): string | null;

/**
 * Starts a new cluster (as the `postgres` user when this process is root) on 127.0.0.1 at a free
 * port; `stop()` shuts it down and deletes its directory.
 */
export declare function startPostgresCluster(): Promise<PostgresCluster>;
