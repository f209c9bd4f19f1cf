import type { Logger } from 'pino';
import type { GatewayOptions } from '../config/gateway-options.js';
import type { Topology } from '../config/topology.js';
import { Database } from './database.js';
import type { StatementObserver } from './statement-observer.js';
import { EmailLookup } from './email-lookup.js';
import { LayoutRetry } from './layout-retry.js';
import { UserRepository } from './user-repository.js';
import { ShardDoor } from './shard-door.js';
import { HealthChecker } from '../sharding/health-checker.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import { Scatter } from '../sharding/scatter.js';
import { routeAll, type ShardRoute } from '../sharding/shard-route.js';
import { ShardManager } from '../sharding/shard-manager.js';
import type { TopologyChange } from '../sharding/topology-change.js';
import { WriteBuffer } from '../sharding/write-buffer.js';
import { settleAll } from '../util/settle-all.js';
import { LayoutWatcher } from './layout-watcher.js';

export interface Shards {
  readonly manager: ShardManager;
  readonly db: Database;
  readonly users: UserRepository;
  /** The door for what a user owns (orders, modules' tables): routing by userId, layout retry. */
  readonly door: ShardDoor;
  readonly health: HealthChecker;
  /** Holds writes while a shard has no primary (a failover in progress, a split brain). */
  readonly writeBuffer: WriteBuffer;
  /**
   * Applies a reloaded topology with the same shard count: pools open for new
   * nodes, removed nodes drain, and the changed shards are probed at once.
   * Throws (changing nothing) when the shard count differs.
   */
  reconfigure(topology: Topology): Promise<TopologyChange>;
  /** Follows the layout recorded by `shardgate reshard` (started by the gateway, after the health checker). */
  readonly layout: LayoutWatcher;
  /**
   * Swaps in a layout recorded by `shardgate reshard`, which may change the
   * shard count (its users were moved before it was recorded): pools open
   * for new nodes, removed ones drain, every shard is probed at once.
   */
  adoptLayout(topology: Topology): Promise<void>;
  /** Users stored on a shard, counted on a replica when one is healthy (the users-per-shard gauge). */
  countUsers(shardId: number): Promise<number>;
  /** Stops health checks and closes every pool. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wires the layers: topology → ShardManager (routing, health, observed roles)
 * → Database (the door, one pool per node, the write buffer) →
 * UserRepository and the door for what users own (modules), plus the health checker that probes through the door.
 * Health checking is not started here.
 */
export function openShards(
  topology: Topology,
  options: GatewayOptions,
  extras: {
    observers?: readonly StatementObserver[];
    log?: (event: string, fields: Record<string, unknown>) => void;
    clock?: () => number;
    /** Where layout adoptions are logged. */
    logger?: Logger;
  } = {},
): Shards {
  const clock = extras.clock ?? Date.now;
  // Wiring fan-outs (probing every shard at once) are not reads: nobody counts them.
  const scatter = new Scatter();
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
    ...(options.hedge ? { hedge: options.hedge } : {}),
    ...(extras.log ? { log: extras.log } : {}),
  });
  const checker = (health = new HealthChecker(manager, (node, timeoutMs) => db.probe(node, timeoutMs), {
    intervalMs: options.health.intervalMs,
    timeoutMs: options.health.timeoutMs,
    clock,
  }));
  const adoptLayout = async (next: Topology) => {
    manager.reconfigure(next, clock(), { allowShardCountChange: true });
    db.reconcilePools();
    await scatter.all(routeAll(manager.shardCount), (shardId) => checker.probeShardNow(shardId));
  };
  const layout = new LayoutWatcher({ manager, db, adoptLayout }, topology, {
    intervalMs: options.health.intervalMs,
    timeoutMs: options.health.timeoutMs,
    pollMs: Math.min(100, options.health.intervalMs),
    clock,
    ...(extras.logger ? { logger: extras.logger } : {}),
  });
  let closing: Promise<void> | null = null;
  const layoutRetry = new LayoutRetry(() => layout, { maxWaitMs: options.failover.bufferMs, clock });
  const emails = new EmailLookup(db, { unique: options.emails.unique, clock, ...(extras.log ? { log: extras.log } : {}) }, layoutRetry);
  const users = new UserRepository(db, layoutRetry, undefined, emails);
  const door = new ShardDoor(db, layoutRetry);
  return {
    manager,
    db,
    users,
    door,
    health: checker,
    writeBuffer,
    layout,
    adoptLayout,
    countUsers: (shardId) => users.countOnShard(shardId, ReadPolicy.ReplicaPreferred),
    async reconfigure(next) {
      const change = manager.reconfigure(next, clock());
      db.reconcilePools();
      layout.reloaded(next);
      const changed: ShardRoute = { kind: 'all', shardIds: change.shards.map((s) => s.shardId) };
      await scatter.all(changed, (shardId) => checker.probeShardNow(shardId));
      return change;
    },
    close: () => (closing ??= settleAll([checker.stop(), layout.stop()]).then(() => db.close())),
  };
}
