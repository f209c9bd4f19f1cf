import { assertPortsFree } from './assert-ports-free.js';
import { ClusterError } from './cluster-error.js';
import { requireClusterSpec } from './cluster-files.js';
import { type ClusterNode, type NodeRole, clusterNodes, nodeOf } from './cluster-layout.js';
import type { ProgressOptions } from './cluster-up.js';
import { findPgBinaries } from './find-pg-binaries.js';
import { isNodeCreated, startPgNode, stopPgNode } from './node-control.js';
import { runningPostmasterPid } from './postmaster-process.js';
import { settleAll } from '../util/settle-all.js';

/*
 * The local development cluster: real PostgreSQL processes on
 * 127.0.0.1, each shard a primary with physical streaming replicas. This
 * module is its public face for the CLI, `npm start` and the tests.
 */

export type { ClusterSpec } from './cluster-layout.js';
export type { ClusterNodeStatus } from './cluster-status.js';
export type { ProgressOptions } from './cluster-up.js';
export { clusterStatus } from './cluster-status.js';
export { clusterUp } from './cluster-up.js';

/** Stop every node of the cluster in D (`pg_ctl stop -m fast`, then signals), replicas before their primary. */
export async function clusterDown(dir: string, opts: ProgressOptions = {}): Promise<void> {
  const progress = opts.onProgress ?? (() => {});
  const spec = await requireClusterSpec(dir);
  const bins = await findPgBinaries();
  const byShard = Array.from({ length: spec.shards }, (_, shardId) => clusterNodes(spec).filter((n) => n.shardId === shardId));
  await settleAll(
    byShard.map(async (shardNodes) => {
      const stop = async (n: ClusterNode) => {
        if (runningPostmasterPid(n.dataDir) === null) return;
        progress(`stopping ${n.label}...`);
        await stopPgNode(bins, n);
      };
      // A primary stopped first would leave its replicas retrying to reconnect while they shut down.
      await settleAll(shardNodes.filter((n) => n.role === 'replica').map(stop));
      await settleAll(shardNodes.filter((n) => n.role === 'primary').map(stop));
    }),
  );
  progress('cluster stopped');
}

/** Start one node of an existing cluster (no-op when it runs); for failure tests. */
export async function startNode(dir: string, shardId: number, role: NodeRole, replicaIndex?: number): Promise<void> {
  const spec = await requireClusterSpec(dir);
  const node = nodeOf(spec, shardId, role, replicaIndex);
  if (runningPostmasterPid(node.dataDir) !== null) return;
  if (!(await isNodeCreated(node))) {
    throw new ClusterError('NOT_A_CLUSTER', `${node.label} was never created; run \`shardgate cluster up --dir ${dir}\``);
  }
  await assertPortsFree([node]);
  await startPgNode(await findPgBinaries(), node);
}

/** Stop one node with a real `pg_ctl stop -m fast` (no-op when it is down); for failure tests. */
export async function stopNode(dir: string, shardId: number, role: NodeRole, replicaIndex?: number): Promise<void> {
  const spec = await requireClusterSpec(dir);
  await stopPgNode(await findPgBinaries(), nodeOf(spec, shardId, role, replicaIndex));
}

