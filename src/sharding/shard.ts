import type { NodeConfig, Topology } from '../config/topology.js';

export type NodeRole = 'primary' | 'replica';

/** One PostgreSQL server of a shard, as the gateway knows it. */
export interface ShardNode {
  /** Stable, readable id: `shard0/primary`, `shard0/replica1`. Never a label value with unbounded cardinality. */
  readonly id: string;
  readonly shardId: number;
  readonly role: NodeRole;
  /** Position among the shard's replicas; null for the primary. */
  readonly replicaIndex: number | null;
  /** `host:port`, as configured (what spans report as `server.address`). */
  readonly address: string;
  readonly config: NodeConfig;
}

/** A shard: one primary that takes every write, replicas that serve reads. */
export interface Shard {
  readonly id: number;
  readonly primary: ShardNode;
  readonly replicas: readonly ShardNode[];
  /** Primary first, then replicas in configured order. */
  readonly nodes: readonly ShardNode[];
}

export function buildShards(topology: Topology): readonly Shard[] {
  return Object.freeze(
    topology.shards.map((config): Shard => {
      const primary = makeNode(config.shardId, 'primary', null, config.primary);
      const replicas = config.replicas.map((r, j) => makeNode(config.shardId, 'replica', j, r));
      return Object.freeze({
        id: config.shardId,
        primary,
        replicas: Object.freeze(replicas),
        nodes: Object.freeze([primary, ...replicas]),
      });
    }),
  );
}

function makeNode(shardId: number, role: NodeRole, replicaIndex: number | null, config: NodeConfig): ShardNode {
  const suffix = role === 'primary' ? 'primary' : `replica${replicaIndex}`;
  return Object.freeze({
    id: `shard${shardId}/${suffix}`,
    shardId,
    role,
    replicaIndex,
    address: `${config.host}:${config.port}`,
    config,
  });
}
