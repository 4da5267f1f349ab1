/**
 * How far Litestream's replica is behind the database, read from Litestream's own metrics
 * (ADR 050). Litestream 0.3 copies new WAL pages into a shadow WAL next to the database, then
 * ships the shadow WAL to the replica; its Prometheus endpoint gives the position of both:
 * `litestream_shadow_wal_index` and `litestream_shadow_wal_size` (what it has read from the
 * WAL) and `litestream_replica_wal_index` and `litestream_replica_wal_offset` (what the replica
 * holds). A position says where, not when, so the server reads them once a second and notes when
 * each shadow position was first seen: the lag is the age of the oldest position the replica
 * has not reached, and 0 when it has reached them all.
 */

/** A place in Litestream's shadow WAL: the file's index, then the byte offset inside it. */
type Position = { index: number; offset: number };

export type ReplicationStatus = {
  /** Seconds the replica is behind, to the second; null when Litestream cannot be read. */
  lagSeconds: number | null;
  /** Why the lag is unknown (Litestream does not answer, or does not know the database). */
  problem?: string;
};

export interface ReplicationMonitor {
  /** Reads Litestream's metrics once; never rejects (a failure is the status's problem). */
  poll(): Promise<void>;
  status(): ReplicationStatus;
}

/** After this long without a reading, the last one says nothing about now. */
const STALE_AFTER_MS = 5000;

const METRIC_LINE = /^(litestream_[a-z_]+)\{(.*)\}\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Litestream's gauges for one database, by metric name and, for replicas, by replica name. */
export function readPositions(
  text: string,
  databaseFile: string,
): { shadow: Position; replicas: Map<string, Position> } | null {
  const shadow: Partial<Position> = {};
  const replicas = new Map<string, Partial<Position>>();
  for (const line of text.split('\n')) {
    const match = METRIC_LINE.exec(line.trim());
    if (!match) continue;
    const [, name, labelText, valueText] = match;
    const labels = new Map<string, string>();
    for (const [, key, value] of labelText!.matchAll(LABEL)) {
      labels.set(key!, unescapeLabel(value!));
    }
    if (labels.get('db') !== databaseFile) continue;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    const replica = (): Partial<Position> => {
      const key = labels.get('name') ?? '';
      if (!replicas.has(key)) replicas.set(key, {});
      return replicas.get(key)!;
    };
    if (name === 'litestream_shadow_wal_index') shadow.index = value;
    else if (name === 'litestream_shadow_wal_size') shadow.offset = value;
    else if (name === 'litestream_replica_wal_index') replica().index = value;
    else if (name === 'litestream_replica_wal_offset') replica().offset = value;
  }
  if (shadow.index === undefined || shadow.offset === undefined) return null;
  const complete = new Map<string, Position>();
  for (const [name, p] of replicas) {
    if (p.index !== undefined && p.offset !== undefined) {
      complete.set(name, { index: p.index, offset: p.offset });
    }
  }
  return { shadow: { index: shadow.index, offset: shadow.offset }, replicas: complete };
}

/** Whether the replica holds everything up to `position`. */
function holds(replica: Position | null, position: Position): boolean {
  if (replica === null) return false;
  return (
    replica.index > position.index ||
    (replica.index === position.index && replica.offset >= position.offset)
  );
}

export type MonitorOptions = {
  /** Litestream's metrics page, e.g. http://127.0.0.1:9090/metrics. */
  metricsUrl: string;
  /** The database as Litestream names it: the absolute path in its configuration. */
  databaseFile: string;
  now?: () => number;
  /** Fetches the metrics page's text; `fetch` with a one-second timeout unless a test says. */
  read?: (url: string) => Promise<string>;
};

async function readPage(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

export function createReplicationMonitor(options: MonitorOptions): ReplicationMonitor {
  const now = options.now ?? Date.now;
  const read = options.read ?? readPage;
  /** Shadow positions the replica has not reached yet, oldest first, with when each was seen. */
  let waiting: { seen: number; position: Position }[] = [];
  let lastReading: number | null = null;
  let problem: string | null = 'Litestream has not been read yet';

  return {
    async poll() {
      let positions;
      try {
        positions = readPositions(await read(options.metricsUrl), options.databaseFile);
      } catch (error) {
        problem = `Litestream's metrics at ${options.metricsUrl} do not answer (${(error as Error).message})`;
        return;
      }
      if (positions === null) {
        problem = `Litestream's metrics at ${options.metricsUrl} say nothing of ${options.databaseFile} yet`;
        return;
      }
      const at = now();
      lastReading = at;
      problem = null;
      // The slowest replica is the one that counts (snip configures one).
      let replica: Position | null = null;
      for (const p of positions.replicas.values()) {
        if (replica === null || holds(replica, p)) replica = p;
      }
      const { shadow } = positions;
      const newest = waiting.at(-1)?.position;
      if (newest?.index !== shadow.index || newest.offset !== shadow.offset) {
        waiting.push({ seen: at, position: shadow });
      }
      // Caught up with what Litestream read from the WAL: nothing waits. Otherwise only the
      // positions the replica has not reached. (The shadow size counts every shadow WAL file
      // Litestream still keeps, so right after it starts a new one a position can look further
      // than the replica will ever report; the next reading, once the old file is gone, clears it.)
      waiting = holds(replica, shadow)
        ? []
        : waiting.filter((entry) => !holds(replica, entry.position));
    },

    status() {
      if (problem !== null) return { lagSeconds: null, problem };
      if (lastReading !== null && now() - lastReading > STALE_AFTER_MS) {
        return {
          lagSeconds: null,
          problem: `Litestream's metrics have not been read for ${Math.round((now() - lastReading) / 1000)} s`,
        };
      }
      const oldest = waiting[0];
      const lagMs = oldest === undefined ? 0 : Math.max(0, now() - oldest.seen);
      return { lagSeconds: Math.round(lagMs / 100) / 10 };
    },
  };
}
