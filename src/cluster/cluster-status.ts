import type { NodeProbe } from '../sharding/node-probe.js';
import type { NodeRole as ObservedRole } from '../sharding/shard.js';
import { pingNode } from './cluster-admin.js';
import { observeNode } from './cluster-role-admin.js';
import { requireClusterSpec } from './cluster-files.js';
import { type ClusterNode, HOST, type NodeRole, clusterNodes } from './cluster-layout.js';
import { decideMembers, type ObservedMember } from './observe-shard.js';
import { type PatroniMember, patroniMembers } from './patroni-rest.js';
import { runningPostmasterPid } from './postmaster-process.js';

export interface ClusterNodeStatus {
  shardId: number;
  /** Member index within the shard: which data directory and port, whatever its role (see ClusterNode.member). */
  member: number;
  /** Its role in the layout on disk (what `up` starts it as). */
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
  /**
   * Its role as the gateway decides it from what the shard's servers say
   * (`fenced`: out of recovery but superseded, or in a split brain), null while it is down.
   */
  observedRole: ObservedRole | null;
  /** The timeline it writes or follows, null while it is down. */
  timeline: number | null;
  /** Replicas that are up: seconds behind (0 when nothing is left to replay), null when unknown or not a replica. */
  lagSeconds: number | null;
  /** Replicas that are up while their shard has a primary up: WAL bytes not yet replayed; else null. */
  lagBytes: number | null;
  /** With Patroni: its view of the member (role, state), null when Patroni does not answer or the cluster has no Patroni. */
  patroni: PatroniMember | null;
}

/**
 * One entry per node, shard by shard, in the layout's order (its primary
 * first). A node is up when its postmaster runs and answers a query. Its
 * role is decided from what the shard's nodes say about themselves, by the
 * gateway's own rule (decideShardRoles): it differs from the layout after a
 * promotion nobody recorded, an old primary back on its old timeline is
 * fenced, and no shard ever shows two primaries. Lag is measured against
 * the shard's primary so decided.
 */
export async function clusterStatus(dir: string): Promise<ClusterNodeStatus[]> {
  const spec = await requireClusterSpec(dir);
  const nodes = clusterNodes(spec);
  const patroni = spec.ha === 'patroni' ? await patroniMembers(spec) : null;
  const basics = await Promise.all(
    nodes.map(async (n) => {
      const pid = runningPostmasterPid(n.dataDir);
      const up = pid !== null && (await pingNode(n.port));
      const probe: NodeProbe | null = up ? await observeNode(n.port).catch(() => null) : null;
      return { node: n, pid, up, probe };
    }),
  );
  const observed = new Map<ClusterNode, ObservedMember>();
  for (let shardId = 0; shardId < spec.shards; shardId++) {
    const { members } = decideMembers(basics.filter((b) => b.node.shardId === shardId));
    for (const m of members) observed.set(m.node, m);
  }
  return basics.map(({ node, pid, up }): ClusterNodeStatus => {
    const m = observed.get(node);
    return {
      shardId: node.shardId,
      member: node.member,
      role: node.role,
      replicaIndex: node.replicaIndex,
      host: HOST,
      port: node.port,
      dataDir: node.dataDir,
      up,
      pid,
      observedRole: m?.role ?? null,
      timeline: m?.probe?.timeline ?? null,
      lagSeconds: m?.lag?.seconds ?? null,
      lagBytes: m?.lag?.bytes ?? null,
      patroni: patroni?.get(node.name) ?? null,
    };
  });
}
