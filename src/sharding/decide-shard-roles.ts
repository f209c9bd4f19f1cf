/**
 * Which node of a shard takes its writes and which serve its reads, decided
 * from what PostgreSQL itself says (recovery state, timeline, system
 * identifier), never from the topology file alone: an orchestrator (Patroni,
 * pg_auto_failover, an operator running `pg_ctl promote`) may have moved the
 * primary since the file was written. Pure: plain data in, a decision out,
 * the time passed in.
 */

import type { RoleObservation } from './node-probe.js';
import type { NodeRole, ServingRole } from './shard.js';

/** One node as the decision sees it. `N` is whatever identifies a node to the caller. */
export interface NodeRoleInput<N> {
  readonly node: N;
  /** The role the topology file gives it: used only while no node of the shard has been observed yet. */
  readonly configuredRole: ServingRole;
  /**
   * The last successful probe, or null when it never answered one. Kept while
   * the node is unreachable: a primary that stops answering is still the
   * primary until another node is promoted (a higher timeline), and writes
   * to it wait in the buffer rather than go anywhere else.
   */
  readonly observation: RoleObservation | null;
}

/** What the decision remembers from one round to the next. */
export interface ShardRoleMemory<N> {
  /**
   * The highest timeline seen on any node of the shard. It never goes down: an
   * old primary that comes back after a failover still reports the timeline it
   * crashed on, and must stay out even while the new primary is unreachable.
   */
  readonly highestTimeline: number;
  /** The system identifier the shard's nodes share (null until one was observed). */
  readonly systemIdentifier: string | null;
  /** The last node that took writes, kept while there is none, to count real changes of primary. */
  readonly lastPrimary: N | null;
  /** When `lastPrimary` became the primary (ms, from the injected clock). */
  readonly primarySince: number | null;
}

export function initialRoleMemory<N>(): ShardRoleMemory<N> {
  return { highestTimeline: 0, systemIdentifier: null, lastPrimary: null, primarySince: null };
}

/** Why a node serves nothing (reads included). */
export type ExclusionReason =
  /** Its system identifier differs from the shard's: a misconfigured address, another cluster. */
  | 'foreign-system'
  /** Out of recovery on a timeline below the shard's highest: an old primary back after a failover. */
  | 'stale-primary'
  /** Out of recovery on the highest timeline together with another node: which one is real is unknown. */
  | 'split-brain'
  /** A standby on an older timeline than the current primary's: it does not follow the current primary. */
  | 'old-timeline'
  /** Never answered a probe, while other nodes of its shard did: its role is unknown. */
  | 'unobserved';

/** Why a shard takes no writes. */
export type NoWriteReason =
  /** No node is out of recovery on the shard's highest timeline (a failover in progress, only an old primary in sight). */
  | 'NO_PRIMARY'
  /** Two or more nodes are out of recovery on the highest timeline. */
  | 'SPLIT_BRAIN';

export interface ShardRoles<N> {
  /** The one node that takes writes (and STRONG reads), or null. It may be unreachable right now: health is the caller's. */
  readonly primary: N | null;
  /** Set exactly when `primary` is null. */
  readonly noWriteReason: NoWriteReason | null;
  /** The standbys that follow the current primary's timeline, in input order; the caller still applies health (reachable, lag). */
  readonly replicas: readonly N[];
  /** Nodes that must receive no statement at all, with why. */
  readonly excluded: ReadonlyMap<N, ExclusionReason>;
  /**
   * Every node's role as shown to operators (`shards`, metric labels,
   * `/readyz`, `cluster status`): at most one `primary` per shard.
   */
  readonly nodeRoles: ReadonlyMap<N, NodeRole>;
  /** The timeline writes happen on (the shard's highest). */
  readonly timeline: number;
  /** The system identifier every serving node has; null before any observation. */
  readonly systemIdentifier: string | null;
  /** True when `primary` is a node other than the previous primary (not on the first one, not when it comes back). */
  readonly primaryChanged: boolean;
  readonly memory: ShardRoleMemory<N>;
}

/**
 * The roles of one shard's nodes.
 *
 * - Before any node of the shard was observed (a fresh process), the
 *   configured roles stand, so a gateway is usable before its first probe.
 * - The shard's system identifier is the one most observed nodes share (ties:
 *   the one remembered, else the first node's in topology order). Nodes with
 *   another one serve nothing.
 * - The write target is the node out of recovery on the shard's highest
 *   timeline; if there are several, none (split brain). An out-of-recovery
 *   node below the highest timeline serves nothing.
 * - Reads may use the standbys on the current timeline.
 *
 * Reachability is not an input: each node counts with its last observation,
 * so a node that stops answering keeps its role (and a flapping network
 * changes nothing here), while a promotion elsewhere shows as a higher
 * timeline and wins.
 */
export function decideShardRoles<N>(nodes: readonly NodeRoleInput<N>[], memory: ShardRoleMemory<N>, now: number): ShardRoles<N> {
  const observed = nodes.filter((n): n is NodeRoleInput<N> & { observation: RoleObservation } => n.observation !== null);
  if (observed.length === 0) return configuredRoles(nodes, memory, now);

  const systemIdentifier = majoritySystemIdentifier(observed, memory.systemIdentifier);
  const excluded = new Map<N, ExclusionReason>();
  const ours: (NodeRoleInput<N> & { observation: RoleObservation })[] = [];
  for (const n of nodes) {
    if (n.observation === null) excluded.set(n.node, 'unobserved');
    else if (n.observation.systemIdentifier !== systemIdentifier) excluded.set(n.node, 'foreign-system');
    else ours.push(n as NodeRoleInput<N> & { observation: RoleObservation });
  }
  // The memory only carries over while the shard is the same system (a rebuilt shard starts afresh).
  const remembered = memory.systemIdentifier === systemIdentifier ? memory.highestTimeline : 0;
  const timeline = Math.max(remembered, ...ours.map((n) => n.observation.timeline));

  const primaries: N[] = [];
  for (const n of ours) {
    if (n.observation.inRecovery) continue;
    if (n.observation.timeline < timeline) excluded.set(n.node, 'stale-primary');
    else primaries.push(n.node);
  }
  let primary: N | null = null;
  let noWriteReason: NoWriteReason | null = null;
  if (primaries.length === 1) primary = primaries[0]!;
  else if (primaries.length === 0) noWriteReason = 'NO_PRIMARY';
  else {
    noWriteReason = 'SPLIT_BRAIN';
    for (const p of primaries) excluded.set(p, 'split-brain');
  }

  const replicas: N[] = [];
  for (const n of ours) {
    if (!n.observation.inRecovery) continue;
    if (n.observation.timeline < timeline) excluded.set(n.node, 'old-timeline');
    else replicas.push(n.node);
  }
  return finish(nodes, primary, noWriteReason, replicas, excluded, timeline, systemIdentifier, memory, now);
}

function configuredRoles<N>(nodes: readonly NodeRoleInput<N>[], memory: ShardRoleMemory<N>, now: number): ShardRoles<N> {
  const primary = nodes.find((n) => n.configuredRole === 'primary')?.node ?? null;
  const replicas = nodes.filter((n) => n.configuredRole === 'replica').map((n) => n.node);
  return finish(
    nodes,
    primary,
    primary === null ? 'NO_PRIMARY' : null,
    replicas,
    new Map(),
    memory.highestTimeline,
    memory.systemIdentifier,
    memory,
    now,
  );
}

function finish<N>(
  nodes: readonly NodeRoleInput<N>[],
  primary: N | null,
  noWriteReason: NoWriteReason | null,
  replicas: N[],
  excluded: Map<N, ExclusionReason>,
  timeline: number,
  systemIdentifier: string | null,
  memory: ShardRoleMemory<N>,
  now: number,
): ShardRoles<N> {
  const claimed = primary !== null || nodes.some((n) => n.observation !== null && !n.observation.inRecovery);
  const primaryChanged = primary !== null && memory.lastPrimary !== null && primary !== memory.lastPrimary;
  const isNew = primary !== null && primary !== memory.lastPrimary;
  return {
    primary,
    noWriteReason,
    replicas,
    excluded,
    nodeRoles: new Map(nodes.map((n) => [n.node, displayedRole(n, primary, claimed)])),
    timeline,
    systemIdentifier,
    primaryChanged,
    memory: {
      highestTimeline: timeline,
      systemIdentifier,
      lastPrimary: primary ?? memory.lastPrimary,
      primarySince: isNew ? now : memory.primarySince,
    },
  };
}

/**
 * The role an operator sees. Only the decided primary shows `primary`; a
 * node out of recovery that is not it (an old primary on a superseded
 * timeline, one of a split brain's claimants, a primary of another system)
 * is `fenced`; a standby is a `replica` even when it serves nothing. A node
 * never probed shows its configured role, except a configured primary while
 * another node is out of recovery: most likely the old primary, gone down,
 * which must not be shown as a second one.
 */
function displayedRole<N>(n: NodeRoleInput<N>, primary: N | null, claimed: boolean): NodeRole {
  if (n.node === primary) return 'primary';
  if (n.observation === null) return n.configuredRole === 'primary' && claimed ? 'fenced' : n.configuredRole;
  if (!n.observation.inRecovery) return 'fenced';
  return 'replica';
}

/** The identifier most observed nodes share; ties go to the remembered one, else to the first in topology order. */
function majoritySystemIdentifier<N>(observed: readonly { observation: RoleObservation }[], remembered: string | null): string {
  const counts = new Map<string, number>();
  for (const n of observed) counts.set(n.observation.systemIdentifier, (counts.get(n.observation.systemIdentifier) ?? 0) + 1);
  const best = Math.max(...counts.values());
  const leaders = [...counts.entries()].filter(([, c]) => c === best).map(([id]) => id);
  if (leaders.length === 1) return leaders[0]!;
  if (remembered !== null && leaders.includes(remembered)) return remembered;
  return observed.find((n) => leaders.includes(n.observation.systemIdentifier))!.observation.systemIdentifier;
}
