import type { GatewayOptions } from '../config/gateway-options.js';
import type { Topology } from '../config/topology.js';
import { Database } from '../repository/database.js';
import type { StatementObserver } from '../repository/statement-observer.js';
import { UserRepository } from '../repository/user-repository.js';
import { HealthChecker } from '../sharding/health-checker.js';
import { ShardManager } from '../sharding/shard-manager.js';
import type { TopologyChange } from '../sharding/topology-change.js';
import { WriteBuffer } from '../sharding/write-buffer.js';

export interface Shards {
  readonly manager: ShardManager;
  readonly db: Database;
  readonly users: UserRepository;
  readonly health: HealthChecker;
  /** Holds writes while a shard has no primary (CONTRACT failover buffering). */
  readonly writeBuffer: WriteBuffer;
  /**
   * Applies a reloaded topology with the same shard count: pools open for new
   * nodes, removed nodes drain, and the changed shards are probed at once.
   * Throws (changing nothing) when the shard count differs.
   */
  reconfigure(topology: Topology): Promise<TopologyChange>;
  /** Stops health checks and closes every pool. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wires the layers: topology → ShardManager (routing, health, observed roles)
 * → Database (the door, one pool per node, the write buffer) →
 * UserRepository, plus the health checker that probes through the door.
 * Health checking is not started here.
 */
export function openShards(
  topology: Topology,
  options: GatewayOptions,
  extras: { observers?: readonly StatementObserver[]; log?: (event: string, fields: Record<string, unknown>) => void; clock?: () => number } = {},
): Shards {
  const clock = extras.clock ?? Date.now;
  const manager = new ShardManager(topology, options.health);
  // The buffer probes through the health checker, which probes through the door: built in that order, joined here.
  let health: HealthChecker | null = null;
  const writeBuffer = new WriteBuffer(manager, (shardId) => health?.probeShardNow(shardId) ?? Promise.resolve(), {
    maxWaitMs: options.failover.bufferMs,
    maxWaiting: options.failover.bufferMax,
    pollMs: Math.min(100, options.health.intervalMs),
    clock,
  });
  const db = new Database(manager, {
    pool: options.pool,
    observers: extras.observers ?? [],
    writeBuffer,
    clock,
    ...(extras.log ? { log: extras.log } : {}),
  });
  const checker = (health = new HealthChecker(manager, (node, timeoutMs) => db.probe(node, timeoutMs), {
    intervalMs: options.health.intervalMs,
    timeoutMs: options.health.timeoutMs,
    clock,
  }));
  let closing: Promise<void> | null = null;
  return {
    manager,
    db,
    users: new UserRepository(db),
    health: checker,
    writeBuffer,
    async reconfigure(next) {
      const change = manager.reconfigure(next, clock());
      db.reconcilePools();
      await Promise.all(change.shards.map((s) => checker.probeShardNow(s.shardId)));
      return change;
    },
    close: () => (closing ??= checker.stop().then(() => db.close())),
  };
}
