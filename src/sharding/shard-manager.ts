import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from '../config/health-options.js';
import type { Topology } from '../config/topology.js';
import { chooseReadTargets } from './choose-read-targets.js';
import {
  afterFailure,
  afterSuccess,
  INITIAL_HEALTH,
  isServable,
  type NodeHealth,
} from './node-health.js';
import type { NodeTarget } from './node-target.js';
import type { ReadPolicy } from './read-policy.js';
import type { ReplicaLag } from './replica-lag.js';
import { Scatter, type ScatterListener } from './scatter.js';
import { buildShards, type Shard, type ShardNode } from './shard.js';
import { shardIdFor } from './shard-id-for.js';
import { routeAll, routeKeys, type ShardRoute } from './shard-route.js';

export type HealthListener = (node: ShardNode, health: NodeHealth, previous: NodeHealth) => void;

/**
 * The ShardManager of docs/architecture.md: which shard holds a key, and which node of a shard
 * serves a statement. It holds no connections (those live behind the
 * repository's door) and does no I/O: health arrives from the health checker
 * and from failed statements, time from the caller.
 */
export class ShardManager {
  readonly shards: readonly Shard[];
  readonly shardCount: number;
  readonly healthPolicy: HealthPolicy;
  private readonly health = new Map<string, NodeHealth>();
  private readonly turns: number[];
  private readonly listeners: HealthListener[] = [];
  private readonly scatterListeners: ScatterListener[] = [];
  /** Runs per-shard work over a route, all shards at once, and tells the `onScatter` listeners. */
  readonly scatter = new Scatter((route) => {
    for (const listener of this.scatterListeners) listener(route);
  });

  constructor(topology: Topology, healthPolicy: HealthPolicy = DEFAULT_HEALTH_POLICY) {
    this.shards = buildShards(topology);
    this.shardCount = this.shards.length;
    this.healthPolicy = healthPolicy;
    this.turns = this.shards.map(() => 0);
    for (const node of this.allNodes()) this.health.set(node.id, INITIAL_HEALTH);
  }

  /** `fnv1a32(key) % N`. */
  shardIdOf(key: string): number {
    return shardIdFor(key, this.shardCount);
  }

  /** The shards that hold `keys`, each with its keys. */
  routeKeys(keys: Iterable<string>): ShardRoute {
    return routeKeys(keys, this.shardCount);
  }

  /** Every shard: for reads whose answer may be anywhere. */
  routeAll(): ShardRoute {
    return routeAll(this.shardCount);
  }

  shard(shardId: number): Shard {
    const shard = this.shards[shardId];
    if (!shard) throw new RangeError(`no shard ${shardId} (have ${this.shardCount})`);
    return shard;
  }

  allShards(): readonly Shard[] {
    return this.shards;
  }

  allNodes(): ShardNode[] {
    return this.shards.flatMap((s) => s.nodes);
  }

  /** Writes: the shard's primary, always. */
  writeTarget(shardId: number): NodeTarget {
    return { node: this.shard(shardId).primary, reason: 'write' };
  }

  /** Reads: candidates best first (see chooseReadTargets); advances the shard's round-robin. */
  readTargets(shardId: number, policy: ReadPolicy): NodeTarget[] {
    const turn = this.turns[shardId]!;
    this.turns[shardId] = (turn + 1) % 0x7fffffff;
    return chooseReadTargets(this.shard(shardId), policy, (n) => this.isServable(n), turn);
  }

  healthOf(node: ShardNode): NodeHealth {
    return this.health.get(node.id) ?? INITIAL_HEALTH;
  }

  isServable(node: ShardNode): boolean {
    return isServable(this.healthOf(node));
  }

  recordSuccess(node: ShardNode, now: number, observed?: { lag?: ReplicaLag | null; notAReplica?: boolean }): void {
    this.update(node, afterSuccess(this.healthOf(node), now, this.healthPolicy, observed));
  }

  recordFailure(node: ShardNode, now: number, error: string): void {
    this.update(node, afterFailure(this.healthOf(node), now, this.healthPolicy, error));
  }

  /** Called on every health change (metrics, logs). */
  onHealthChange(listener: HealthListener): void {
    this.listeners.push(listener);
  }

  /** Called with the route of every scatter (the cross-shard read counter). */
  onScatter(listener: ScatterListener): void {
    this.scatterListeners.push(listener);
  }

  private update(node: ShardNode, next: NodeHealth): void {
    const previous = this.healthOf(node);
    this.health.set(node.id, next);
    for (const listener of this.listeners) listener(node, next, previous);
  }
}
