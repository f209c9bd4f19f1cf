/**
 * The shard topology: which PostgreSQL nodes make up each shard, in the shape
 * of the topology file (docs/configuration.md).
 *
 * A value, loaded at start-up. Nodes may change while serving (SIGHUP reloads
 * the file); the shard count changes only when a gateway adopts a layout
 * recorded by `shardgate reshard`, since a new count re-maps almost every user.
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
