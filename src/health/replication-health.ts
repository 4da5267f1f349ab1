import type { ReplicationStatus } from '../replication/replication-lag.js';
import type { HealthPart } from './health-routes.js';

/**
 * The `replication` field of /healthz under Litestream: how many seconds the replica is behind,
 * or null with why it is unknown (ADR 050). A lagging replica does not make snip unhealthy —
 * redirects and creations go on — so it is always `ok` here; an alert watches the figure.
 */
export function replicationHealth(status: () => ReplicationStatus): HealthPart {
  return {
    name: 'replication',
    healthy: 'the replica is readable',
    check: () => ({ status: 'ok', problem: null, field: status() }),
  };
}
