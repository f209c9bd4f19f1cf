import { createHash } from 'node:crypto';
import type { NodeConfig, Topology } from '../config/topology.js';

/** Where the topology file puts a node, and the role a statement is sent to it in. */
export type ServingRole = 'primary' | 'replica';

/**
 * A node's role as shown to operators: `fenced` is a node out of recovery
 * that serves nothing, because another node of its shard is the primary on a
 * newer timeline or because the shard is in split brain.
 */
export type NodeRole = ServingRole | 'fenced';

/**
 * One PostgreSQL server of a shard, as the topology file lists it. Its role
 * at any moment is observed (ShardManager.roleOf), not this record's
 * `configuredRole`: an orchestrator may have promoted a replica since the
 * file was written.
 */
export interface ShardNode {
  /** Readable, for logs: `shard0/127.0.0.1:54321`. Never a label value with unbounded cardinality. */
  readonly id: string;
  /**
   * The connection identity (shard, address, user, database, a digest of the
   * password): two records with the same key are the same node, so a reloaded
   * topology keeps its pool and its health. Not for logs.
   */
  readonly key: string;
  readonly shardId: number;
  /** Where the topology file puts it: used only until the node has been probed. */
  readonly configuredRole: ServingRole;
  /** `host:port`, as configured (what spans report as `server.address`). */
  readonly address: string;
  readonly config: NodeConfig;
}

/** A shard as the topology file configures it: the file's primary and replicas. Who is primary now is the ShardManager's to say. */
export interface Shard {
  readonly id: number;
  /** The node the file names as primary. */
  readonly primary: ShardNode;
  /** The nodes the file names as replicas, in file order. */
  readonly replicas: readonly ShardNode[];
  /** Configured primary first, then replicas in file order. */
  readonly nodes: readonly ShardNode[];
}

export function buildShards(topology: Topology): readonly Shard[] {
  return Object.freeze(
    topology.shards.map((config): Shard => {
      const primary = makeNode(config.shardId, 'primary', config.primary);
      const replicas = config.replicas.map((r) => makeNode(config.shardId, 'replica', r));
      return Object.freeze({
        id: config.shardId,
        primary,
        replicas: Object.freeze(replicas),
        nodes: Object.freeze([primary, ...replicas]),
      });
    }),
  );
}

function makeNode(shardId: number, configuredRole: ServingRole, config: NodeConfig): ShardNode {
  const address = `${config.host}:${config.port}`;
  const secret = createHash('sha256').update(config.password).digest('hex').slice(0, 16);
  return Object.freeze({
    id: `shard${shardId}/${address}`,
    key: [shardId, config.host, config.port, config.user, config.dbname, secret].join('|'),
    shardId,
    configuredRole,
    address,
    config,
  });
}
