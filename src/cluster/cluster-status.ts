import { pingNode, replicaLag } from './cluster-admin.js';
import { type ObservedNode, observeNode } from './cluster-role-admin.js';
import { requireClusterSpec } from './cluster-files.js';
import { HOST, type NodeRole, clusterNodes } from './cluster-layout.js';
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
  /** What the server says it is (pg_is_in_recovery()), null while it is down. */
  observedRole: NodeRole | null;
  /** The timeline it writes or follows, null while it is down. */
  timeline: number | null;
  /** Replicas that are up: seconds behind (0 when caught up); else null. */
  lagSeconds: number | null;
  /** Replicas that are up while their shard has a primary up: WAL bytes not yet replayed; else null. */
  lagBytes: number | null;
  /** With Patroni: its view of the member (role, state), null when Patroni does not answer or the cluster has no Patroni. */
  patroni: PatroniMember | null;
}

/**
 * One entry per node, shard by shard, in the layout's order (its primary
 * first). A node is up when its postmaster runs and answers a query; its
 * role and timeline are what it says about itself, which differs from the
 * layout after a promotion nobody recorded. Lag is measured against the
 * node that is out of recovery on the highest timeline of the shard.
 */
export async function clusterStatus(dir: string): Promise<ClusterNodeStatus[]> {
  const spec = await requireClusterSpec(dir);
  const nodes = clusterNodes(spec);
  const patroni = spec.ha === 'patroni' ? await patroniMembers(spec) : null;
  const basics = await Promise.all(
    nodes.map(async (n) => {
      const pid = runningPostmasterPid(n.dataDir);
      const up = pid !== null && (await pingNode(n.port));
      const observed: ObservedNode | null = up ? await observeNode(n.port).catch(() => null) : null;
      return { node: n, pid, up, observed };
    }),
  );
  const writerPort = new Map<number, number>();
  for (let shardId = 0; shardId < spec.shards; shardId++) {
    const writers = basics
      .filter((b) => b.node.shardId === shardId && b.observed !== null && !b.observed.inRecovery)
      .sort((a, b) => (b.observed?.timeline ?? 0) - (a.observed?.timeline ?? 0));
    if (writers[0] !== undefined) writerPort.set(shardId, writers[0].node.port);
  }
  return Promise.all(
    basics.map(async ({ node, pid, up, observed }): Promise<ClusterNodeStatus> => {
      let lag = { seconds: null as number | null, bytes: null as number | null };
      if (observed?.inRecovery === true) {
        lag = await replicaLag(node.port, writerPort.get(node.shardId) ?? null).catch(() => lag);
      }
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
        observedRole: observed === null ? null : observed.inRecovery ? 'replica' : 'primary',
        timeline: observed?.timeline ?? null,
        lagSeconds: lag.seconds,
        lagBytes: lag.bytes,
        patroni: patroni?.get(node.name) ?? null,
      };
    }),
  );
}
