import type { Shard, ShardNode } from './shard.js';

/** What a topology reload changes in one shard. */
export interface ShardChange {
  readonly shardId: number;
  /** Nodes that were not there (a new address, or new credentials or database for an address). */
  readonly added: readonly ShardNode[];
  /** Nodes that are gone; their pools drain once their statements finish. */
  readonly removed: readonly ShardNode[];
  /** Same node, listed under another role (the file updated after a failover). */
  readonly roleChanged: readonly ShardNode[];
}

export interface TopologyChange {
  /** Only the shards where something changed. */
  readonly shards: readonly ShardChange[];
  /** Every node of the old topology that is gone, and every new one. */
  readonly removed: readonly ShardNode[];
  readonly added: readonly ShardNode[];
}

/** Compares two topologies node by node (by connection identity); a shard only on one side is all added or all removed. Pure. */
export function diffTopology(before: readonly Shard[], after: readonly Shard[]): TopologyChange {
  const shards: ShardChange[] = [];
  const none: Pick<Shard, 'nodes'> = { nodes: [] };
  for (const gone of before.slice(after.length)) shards.push({ shardId: gone.id, added: [], removed: gone.nodes, roleChanged: [] });
  after.forEach((next, i) => {
    const prev = before[i] ?? none;
    const prevByKey = new Map(prev.nodes.map((n) => [n.key, n]));
    const nextKeys = new Set(next.nodes.map((n) => n.key));
    const added = next.nodes.filter((n) => !prevByKey.has(n.key));
    const removed = prev.nodes.filter((n) => !nextKeys.has(n.key));
    const roleChanged = next.nodes.filter((n) => {
      const old = prevByKey.get(n.key);
      return old !== undefined && old.configuredRole !== n.configuredRole;
    });
    if (added.length + removed.length + roleChanged.length > 0) shards.push({ shardId: next.id, added, removed, roleChanged });
  });
  return { shards, removed: shards.flatMap((s) => s.removed), added: shards.flatMap((s) => s.added) };
}

/** One line per change, for the log: `shard 0: added 127.0.0.1:5433 (replica); removed 127.0.0.1:5434`. */
export function describeTopologyChange(change: TopologyChange): string[] {
  return change.shards.map((s) => {
    const parts: string[] = [];
    if (s.added.length) parts.push(`added ${s.added.map((n) => `${n.address} (${n.configuredRole})`).join(', ')}`);
    if (s.removed.length) parts.push(`removed ${s.removed.map((n) => n.address).join(', ')}`);
    if (s.roleChanged.length) parts.push(`now listed as ${s.roleChanged.map((n) => `${n.configuredRole}: ${n.address}`).join(', ')}`);
    return `shard ${s.shardId}: ${parts.join('; ')}`;
  });
}
