/**
 * The shard topology: which PostgreSQL nodes make up each shard, in the shape
 * of the topology file (README, "Topology file").
 *
 * It is static: loaded once at start-up, the shard count fixed for the whole
 * life of the process (changing it re-maps every user, see src/sharding).
 */
export interface NodeConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Resolved password: from the file, or from the environment (see load-topology.ts). */
  readonly password: string;
  readonly dbname: string;
}

export interface ShardConfig {
  /** 0..N-1; position in `Topology.shards` equals the id after loading. */
  readonly shardId: number;
  readonly primary: NodeConfig;
  readonly replicas: readonly NodeConfig[];
}

export interface Topology {
  /** Sorted by shardId, ids exactly 0..N-1, at least one. */
  readonly shards: readonly ShardConfig[];
}
