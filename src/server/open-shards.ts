import type { GatewayOptions } from '../config/gateway-options.js';
import type { Topology } from '../config/topology.js';
import { Database } from '../repository/database.js';
import type { StatementObserver } from '../repository/statement-observer.js';
import { UserRepository } from '../repository/user-repository.js';
import { HealthChecker } from '../sharding/health-checker.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import { ShardManager } from '../sharding/shard-manager.js';

export interface Shards {
  readonly manager: ShardManager;
  readonly db: Database;
  readonly users: UserRepository;
  readonly health: HealthChecker;
  /** Users stored on a shard, counted on a replica when one is healthy (the users-per-shard gauge). */
  countUsers(shardId: number): Promise<number>;
  /** Stops health checks and closes every pool. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wires the layers: topology → ShardManager (routing, health) → Database
 * (the door, one pool per node) → UserRepository, plus the health checker
 * that probes through the door. Health checking is not started here.
 */
export function openShards(
  topology: Topology,
  options: GatewayOptions,
  extras: { observers?: readonly StatementObserver[]; log?: (event: string, fields: Record<string, unknown>) => void; clock?: () => number } = {},
): Shards {
  const manager = new ShardManager(topology, options.health);
  const db = new Database(manager, {
    pool: options.pool,
    observers: extras.observers ?? [],
    ...(extras.log ? { log: extras.log } : {}),
    ...(extras.clock ? { clock: extras.clock } : {}),
  });
  const health = new HealthChecker(manager, (node, timeoutMs) => db.probe(node, timeoutMs), {
    intervalMs: options.health.intervalMs,
    timeoutMs: options.health.timeoutMs,
    ...(extras.clock ? { clock: extras.clock } : {}),
  });
  let closing: Promise<void> | null = null;
  const users = new UserRepository(db);
  return {
    manager,
    db,
    users,
    health,
    countUsers: (shardId) => users.countOnShard(shardId, ReadPolicy.ReplicaPreferred),
    close: () => (closing ??= health.stop().then(() => db.close())),
  };
}
