import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from '../config/health-options.js';
import type { Topology } from '../config/topology.js';
import { chooseReadTargets } from './choose-read-targets.js';
import {
  decideShardRoles,
  initialRoleMemory,
  type ExclusionReason,
  type NoWriteReason,
  type ShardRoleMemory,
  type ShardRoles,
} from './decide-shard-roles.js';
import type { RoleObservation } from './node-probe.js';
import { afterFailure, afterSuccess, INITIAL_HEALTH, isServable, judgeMiss, type Miss, type NodeHealth } from './node-health.js';
import type { NodeTarget } from './node-target.js';
import type { ReadPolicy } from './read-policy.js';
import type { ReplicaLag } from './replica-lag.js';
import { Scatter, type ScatterListener } from './scatter.js';
import { buildShards, type NodeRole, type Shard, type ShardNode } from './shard.js';
import { shardIdFor } from './shard-id-for.js';
import { routeAll, routeKeys, type ShardRoute } from './shard-route.js';
import { diffTopology, type TopologyChange } from './topology-change.js';

export type HealthListener = (node: ShardNode, health: NodeHealth, previous: NodeHealth) => void;
export type RolesListener = (shardId: number, roles: ShardRoles<ShardNode>, previous: ShardRoles<ShardNode>) => void;

/** What one successful probe reports besides "it answered". */
export interface ProbeObservation {
  readonly role?: RoleObservation;
  readonly lag?: ReplicaLag | null;
}

/**
 * The ShardManager of docs/architecture.md: which shard holds a key, and which node of a shard
 * serves a statement. It holds no connections (those live behind the
 * repository's door) and does no I/O: health and observed roles arrive from
 * the health checker and from failed statements, time from the caller. The
 * roles of a shard are re-decided (decideShardRoles) whenever one of its
 * nodes reports.
 */
export class ShardManager {
  readonly healthPolicy: HealthPolicy;
  private current: readonly Shard[];
  // Keyed by ShardNode.key, so that a reloaded topology keeps what it knew of an unchanged node.
  private readonly health = new Map<string, NodeHealth>();
  /** Per node, when it last answered anything (a statement or a probe): what tells a slow node from a stopped one. */
  private readonly lastAnswers = new Map<string, number>();
  private readonly observations = new Map<string, RoleObservation>();
  private readonly memories: ShardRoleMemory<string>[];
  private readonly decisions: ShardRoles<ShardNode>[];
  private readonly turns: number[];
  private readonly listeners: HealthListener[] = [];
  private readonly rolesListeners: RolesListener[] = [];
  private readonly scatterListeners: ScatterListener[] = [];
  /** Runs per-shard work over a route, all shards at once, and tells the `onScatter` listeners. */
  readonly scatter = new Scatter((route) => {
    for (const listener of this.scatterListeners) listener(route);
  });

  constructor(topology: Topology, healthPolicy: HealthPolicy = DEFAULT_HEALTH_POLICY) {
    this.current = buildShards(topology);
    this.healthPolicy = healthPolicy;
    this.turns = this.current.map(() => 0);
    this.memories = this.current.map(() => initialRoleMemory<string>());
    this.decisions = [];
    for (const shard of this.current) this.decisions.push(this.decide(shard, 0).roles);
  }

  /** N in `fnv1a32(key) % N`: fixed, except when a gateway adopts a recorded layout of another shard count (resharding). */
  get shardCount(): number {
    return this.current.length;
  }

  /** The shards as configured (the topology file); see `rolesOf` for who is primary now. */
  get shards(): readonly Shard[] {
    return this.current;
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
    const shard = this.current[shardId];
    if (!shard) throw new RangeError(`no shard ${shardId} (have ${this.shardCount})`);
    return shard;
  }

  allShards(): readonly Shard[] {
    return this.current;
  }

  allNodes(): ShardNode[] {
    return this.current.flatMap((s) => s.nodes);
  }

  /** The shard's roles as last decided. */
  rolesOf(shardId: number): ShardRoles<ShardNode> {
    this.shard(shardId);
    return this.decisions[shardId]!;
  }

  /**
   * Writes: the shard's observed primary, or null while it has none (see
   * `noWriteReason`). It may be unreachable right now (`isReachable`): a
   * write to it then fails to connect and waits in the write buffer.
   */
  writeTarget(shardId: number): NodeTarget | null {
    const primary = this.rolesOf(shardId).primary;
    return primary ? { node: primary, role: 'primary', reason: 'write' } : null;
  }

  /** Why `writeTarget` is null: no primary (failover in progress), or a split brain. */
  noWriteReason(shardId: number): NoWriteReason | null {
    return this.rolesOf(shardId).noWriteReason;
  }

  /**
   * Reads: candidates best first (see chooseReadTargets), possibly none;
   * advances the shard's round-robin. With `maxStalenessMs`, only replicas
   * whose lag, as the health checker last measured it, is within the bound
   * (an unknown lag is not). A replica whose last probe or statement failed
   * comes after the primary.
   */
  readTargets(shardId: number, policy: ReadPolicy, options: { readonly maxStalenessMs?: number } = {}): NodeTarget[] {
    const roles = this.rolesOf(shardId);
    const turn = this.turns[shardId]!;
    this.turns[shardId] = (turn + 1) % 0x7fffffff;
    const bound = options.maxStalenessMs;
    return chooseReadTargets(roles, policy, (n) => isServable(this.healthOf(n)), turn, {
      suspect: (n) => this.healthOf(n).consecutiveFailures > 0,
      ...(bound === undefined ? {} : { fresh: (n: ShardNode) => lagWithin(this.healthOf(n), bound) }),
    });
  }

  /** False once the node is ejected for not answering (probes or statements). */
  isReachable(node: ShardNode): boolean {
    const health = this.healthOf(node);
    return !(health.status === 'ejected' && health.reason === 'unreachable');
  }

  healthOf(node: ShardNode): NodeHealth {
    return this.health.get(node.key) ?? INITIAL_HEALTH;
  }

  /** What the last successful probe of the node said about its role; null before one answered. */
  observationOf(node: ShardNode): RoleObservation | null {
    return this.observations.get(node.key) ?? null;
  }

  /**
   * The node's role as operators see it, from the shard's last decision: its
   * one primary, a replica, or fenced (out of recovery but serving nothing).
   */
  roleOf(node: ShardNode): NodeRole {
    // By key: a request may still hold the record of a node from before a topology reload.
    for (const [n, role] of this.rolesOf(node.shardId).nodeRoles) if (n.key === node.key) return role;
    return node.configuredRole;
  }

  /** Why the node serves nothing right now (an old primary, another system, ...), or null. */
  exclusionOf(node: ShardNode): ExclusionReason | null {
    for (const [n, reason] of this.rolesOf(node.shardId).excluded) if (n.key === node.key) return reason;
    return null;
  }

  /** True when the node serves something now: the shard's primary, or a healthy replica that follows it. */
  isServable(node: ShardNode): boolean {
    if (!isServable(this.healthOf(node))) return false;
    // By key: a request may still hold the record of a node from before a topology reload.
    const roles = this.rolesOf(node.shardId);
    return roles.primary?.key === node.key || roles.replicas.some((r) => r.key === node.key);
  }

  recordSuccess(node: ShardNode, now: number, observed: ProbeObservation = {}): void {
    if (!this.isCurrent(node)) return;
    this.recordAnswer(node, now);
    if (observed.role) this.observations.set(node.key, observed.role);
    const lag = observed.role?.inRecovery === false ? null : observed.lag;
    this.update(node, afterSuccess(this.healthOf(node), now, this.healthPolicy, lag === undefined ? {} : { lag }), now);
  }

  /**
   * A probe or statement missed the node. With `miss` (when the attempt
   * began, whether it timed out), a timeout while the node kept answering
   * other work is slowness, not a failure (see judgeMiss): its health does
   * not change. Returns which it was.
   */
  recordFailure(node: ShardNode, now: number, error: string, miss?: Miss): 'slow' | 'failed' {
    if (!this.isCurrent(node)) return 'failed';
    const verdict = judgeMiss(miss, this.lastAnswers.get(node.key) ?? null);
    if (verdict === 'slow') return verdict;
    this.update(node, afterFailure(this.healthOf(node), now, this.healthPolicy, error), now);
    return verdict;
  }

  /** The node answered a statement or a probe at `now`: it is alive, however slow. */
  recordAnswer(node: ShardNode, now: number): void {
    if ((this.lastAnswers.get(node.key) ?? -Infinity) < now) this.lastAnswers.set(node.key, now);
  }

  /** Called on every health change (metrics, logs). */
  onHealthChange(listener: HealthListener): void {
    this.listeners.push(listener);
  }

  /** Called whenever a shard's roles are re-decided and something changed (write buffer, logs, metrics). */
  onRolesChange(listener: RolesListener): void {
    this.rolesListeners.push(listener);
  }

  /** Called with the route of every scatter (the cross-shard read counter). */
  onScatter(listener: ScatterListener): void {
    this.scatterListeners.push(listener);
  }

  /**
   * Takes a reloaded topology with the same shard count. Unchanged nodes (same
   * key) keep their health and observations; the roles are re-decided at once
   * (new nodes serve nothing until probed, unless no node of their shard ever
   * answered). Returns what changed; the caller opens and drains pools.
   *
   * `allowShardCountChange` is for a layout recorded by `shardgate reshard`
   * (the users were moved before it was recorded): shards are added or
   * removed, and a shard none of whose nodes was there before starts with no
   * role history.
   */
  reconfigure(topology: Topology, now: number, options: { allowShardCountChange?: boolean } = {}): TopologyChange {
    const next = buildShards(topology);
    if (next.length !== this.shardCount && !options.allowShardCountChange) {
      throw new RangeError(`the shard count cannot change while serving (have ${this.shardCount}, got ${next.length})`);
    }
    const change = diffTopology(this.current, next);
    const previous = this.current;
    this.current = next;
    const keep = new Set(next.flatMap((s) => s.nodes.map((n) => n.key)));
    for (const key of [...this.health.keys()]) if (!keep.has(key)) this.health.delete(key);
    for (const key of [...this.lastAnswers.keys()]) if (!keep.has(key)) this.lastAnswers.delete(key);
    for (const key of [...this.observations.keys()]) if (!keep.has(key)) this.observations.delete(key);
    if (next.length !== previous.length) {
      this.turns.length = Math.min(this.turns.length, next.length);
      this.memories.length = Math.min(this.memories.length, next.length);
      this.decisions.length = Math.min(this.decisions.length, next.length);
      for (const shard of next) {
        const before = new Set(previous[shard.id]?.nodes.map((n) => n.key) ?? []);
        if (shard.nodes.some((n) => before.has(n.key))) continue;
        this.turns[shard.id] = 0;
        this.memories[shard.id] = initialRoleMemory<string>();
        this.decisions[shard.id] = this.decide(shard, now).roles;
      }
    }
    for (const shard of next) this.redecide(shard, now);
    return change;
  }

  private isCurrent(node: ShardNode): boolean {
    return this.current[node.shardId]?.nodes.some((n) => n.key === node.key) ?? false;
  }

  private update(node: ShardNode, next: NodeHealth, now: number): void {
    const previous = this.healthOf(node);
    this.health.set(node.key, next);
    for (const listener of this.listeners) listener(node, next, previous);
    this.redecide(this.shard(node.shardId), now);
  }

  private redecide(shard: Shard, now: number): void {
    const previous = this.decisions[shard.id]!;
    const { roles, memory } = this.decide(shard, now);
    this.memories[shard.id] = memory;
    this.decisions[shard.id] = roles;
    if (!sameRoles(previous, roles)) for (const listener of this.rolesListeners) listener(shard.id, roles, previous);
  }

  /** Runs the pure decision over the shard's current nodes; its memory is kept by node key, so it survives reloads. */
  private decide(shard: Shard, now: number): { roles: ShardRoles<ShardNode>; memory: ShardRoleMemory<string> } {
    const byKey = new Map(shard.nodes.map((n) => [n.key, n]));
    const memory = this.memories[shard.id]!;
    const inputs = shard.nodes.map((node) => ({
      node: node.key,
      configuredRole: node.configuredRole,
      observation: this.observationOf(node),
    }));
    const decided = decideShardRoles(inputs, memory, now);
    const toNode = (key: string) => byKey.get(key)!;
    const excluded = new Map<ShardNode, ExclusionReason>();
    for (const [key, reason] of decided.excluded) excluded.set(toNode(key), reason);
    const nodeRoles = new Map<ShardNode, NodeRole>();
    for (const [key, role] of decided.nodeRoles) nodeRoles.set(toNode(key), role);
    const roles: ShardRoles<ShardNode> = {
      ...decided,
      primary: decided.primary === null ? null : toNode(decided.primary),
      replicas: decided.replicas.map(toNode),
      excluded,
      nodeRoles,
      // The remembered last primary may have been removed by a reload; the node-keyed memory still counts changes right.
      memory: {
        ...decided.memory,
        lastPrimary: decided.memory.lastPrimary === null ? null : (byKey.get(decided.memory.lastPrimary) ?? null),
      },
    };
    return { roles, memory: decided.memory };
  }
}

/** True when the node's last measured replay lag is known and at most `ms`. */
function lagWithin(health: NodeHealth, ms: number): boolean {
  const seconds: number | null | undefined = health.lag?.seconds;
  return typeof seconds === 'number' && seconds * 1000 <= ms;
}

function sameRoles(a: ShardRoles<ShardNode>, b: ShardRoles<ShardNode>): boolean {
  if (a.primary !== b.primary || a.noWriteReason !== b.noWriteReason || a.timeline !== b.timeline) return false;
  if (a.replicas.length !== b.replicas.length || a.replicas.some((n, i) => n !== b.replicas[i])) return false;
  if (a.excluded.size !== b.excluded.size) return false;
  for (const [node, reason] of a.excluded) if (b.excluded.get(node) !== reason) return false;
  for (const [node, role] of a.nodeRoles) if (b.nodeRoles.get(node) !== role) return false;
  return true;
}
