import { pingNode, replicaLag } from './cluster-admin.js';
import { requireClusterSpec } from './cluster-files.js';
import { HOST, type NodeRole, clusterNodes, nodeOf } from './cluster-layout.js';
import { runningPostmasterPid } from './postmaster-process.js';

export interface ClusterNodeStatus {
  shardId: number;
  role: NodeRole;
  /** null for a primary. */
  replicaIndex: number | null;
  host: string;
  port: number;
  dataDir: string;
  /** The postmaster runs and answers a query. */
  up: boolean;
  /** The postmaster's pid while it runs. */
  pid: number | null;
  /** Replicas that are up: seconds behind (0 when caught up); else null. */
  lagSeconds: number | null;
  /** Replicas that are up while their primary is: WAL bytes not yet replayed; else null. */
  lagBytes: number | null;
}

/**
 * One entry per node, shard by shard, the primary first. A node is up when
 * its postmaster runs and answers a query; lag is read only from replicas
 * that are up, bytes only while their primary is up too.
 */
export async function clusterStatus(dir: string): Promise<ClusterNodeStatus[]> {
  const spec = await requireClusterSpec(dir);
  const nodes = clusterNodes(spec);
  const basics = await Promise.all(
    nodes.map(async (n) => {
      const pid = runningPostmasterPid(n.dataDir);
      return { node: n, pid, up: pid !== null && (await pingNode(n.port)) };
    }),
  );
  const primaryUp = new Map(basics.filter((b) => b.node.role === 'primary').map((b) => [b.node.shardId, b.up]));
  return Promise.all(
    basics.map(async ({ node, pid, up }): Promise<ClusterNodeStatus> => {
      let lag = { seconds: null as number | null, bytes: null as number | null };
      if (up && node.role === 'replica') {
        const primaryPort = primaryUp.get(node.shardId) === true ? nodeOf(spec, node.shardId, 'primary').port : null;
        lag = await replicaLag(node.port, primaryPort).catch(() => lag);
      }
      return {
        shardId: node.shardId,
        role: node.role,
        replicaIndex: node.replicaIndex,
        host: HOST,
        port: node.port,
        dataDir: node.dataDir,
        up,
        pid,
        lagSeconds: lag.seconds,
        lagBytes: lag.bytes,
      };
    }),
  );
}

