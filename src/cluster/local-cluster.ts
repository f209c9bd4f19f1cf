import { forgetStandbySettings } from './cluster-role-admin.js';
import { assertPortsFree } from './assert-ports-free.js';
import { ClusterError } from './cluster-error.js';
import { requireClusterSpec } from './cluster-files.js';
import { type ClusterNode, type ClusterSpec, type NodeRole, clusterNodes, nodeOf } from './cluster-layout.js';
import type { ProgressOptions } from './cluster-up.js';
import { killDaemonSync } from './daemon-process.js';
import { findPgBinaries } from './find-pg-binaries.js';
import { isNodeCreated, promotePgNode, startPgNode, stopPgNode } from './node-control.js';
import { patroniMarker, patroniPidFile } from './patroni-daemons.js';
import { patroniDown, startPatroniNode, stopPatroniNode } from './patroni-down.js';
import { adoptPatroniLeaders } from './adopt-patroni-leaders.js';
import { processWithChildren, runningPostmasterPid, signalAll, waitForExit } from './postmaster-process.js';
import { settleAll } from '../util/settle-all.js';

/*
 * The local development cluster: real PostgreSQL processes on 127.0.0.1,
 * each shard a primary with physical streaming replicas, run by this program
 * (pg_ctl) or by Patroni. This module is its public face for the CLI,
 * `npm start` and the tests.
 */

export type { ClusterSpec } from './cluster-layout.js';
export type { ClusterNodeStatus } from './cluster-status.js';
export type { ProgressOptions } from './cluster-up.js';
export type { FailoverResult } from './cluster-failover.js';
export { clusterStatus } from './cluster-status.js';
export { clusterUp } from './cluster-up.js';
export { clusterFailover } from './cluster-failover.js';

/**
 * Stop every node of the cluster in D, replicas before their primary
 * (`pg_ctl stop -m fast`, then signals). With Patroni: record each shard's
 * leader, stop the Patronis (replicas first), which stop their PostgreSQL,
 * then etcd.
 */
export async function clusterDown(dir: string, opts: ProgressOptions = {}): Promise<void> {
  const progress = opts.onProgress ?? (() => {});
  const spec = await requireClusterSpec(dir);
  if (spec.ha === 'patroni') {
    await patroniDown(spec, progress);
    progress('cluster stopped');
    return;
  }
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

/**
 * The node with this role. With Patroni, roles are Patroni's (which may
 * have failed over since the layout was written); otherwise the layout's.
 */
async function resolveNode(
  dir: string,
  shardId: number,
  role: NodeRole,
  replicaIndex?: number,
): Promise<{ spec: ClusterSpec; node: ClusterNode }> {
  let spec = await requireClusterSpec(dir);
  if (spec.ha === 'patroni') spec = await adoptPatroniLeaders(spec);
  return { spec, node: nodeOf(spec, shardId, role, replicaIndex) };
}

/** Start one node of an existing cluster (no-op when it runs); for failure tests. With Patroni, its Patroni. */
export async function startNode(dir: string, shardId: number, role: NodeRole, replicaIndex?: number): Promise<void> {
  const { spec, node } = await resolveNode(dir, shardId, role, replicaIndex);
  if (spec.ha === 'patroni') {
    await startPatroniNode(spec, node);
    return;
  }
  if (runningPostmasterPid(node.dataDir) !== null) return;
  if (!(await isNodeCreated(node))) {
    throw new ClusterError('NOT_A_CLUSTER', `${node.label} was never created; run \`shardgate cluster up --dir ${dir}\``);
  }
  await assertPortsFree([node]);
  await startPgNode(await findPgBinaries(), node);
}

/** Stop one node with a real `pg_ctl stop -m fast` (no-op when it is down); for failure tests. With Patroni, its Patroni. */
export async function stopNode(dir: string, shardId: number, role: NodeRole, replicaIndex?: number): Promise<void> {
  const { spec, node } = await resolveNode(dir, shardId, role, replicaIndex);
  if (spec.ha === 'patroni') {
    await stopPatroniNode(spec, node);
    return;
  }
  await stopPgNode(await findPgBinaries(), node);
}

/**
 * Kill one node's postmaster and its children with `signal` (SIGKILL: a
 * crash; SIGQUIT: an immediate shutdown), and with Patroni its Patroni
 * first (SIGKILL), so that nothing restarts or hands over the node cleanly.
 * Returns the pids signalled. For crash tests.
 */
export async function killNode(
  dir: string,
  shardId: number,
  role: NodeRole,
  signal: NodeJS.Signals = 'SIGKILL',
  replicaIndex?: number,
): Promise<number[]> {
  const { spec, node } = await resolveNode(dir, shardId, role, replicaIndex);
  const killed: number[] = [];
  if (spec.ha === 'patroni') killed.push(...killDaemonSync(patroniPidFile(spec, node), patroniMarker(node)));
  const pid = runningPostmasterPid(node.dataDir);
  if (pid !== null) {
    const pids = processWithChildren(pid);
    // The postmaster first: children signalled before it could be restarted by it.
    signalAll([pid], signal);
    signalAll(pids.slice(1), signal === 'SIGKILL' ? 'SIGKILL' : signal);
    killed.push(...pids);
  }
  await waitForExit(killed, 10_000);
  return killed;
}

/**
 * `pg_ctl promote` one replica, as an orchestrator would after its primary
 * died: the node leaves recovery on a new timeline and forgets the old
 * primary's synchronous standbys (commits would wait for them forever) and
 * its connection to it. Nothing else changes: the old primary is not
 * rejoined and the layout on disk still names it primary. For crash tests.
 */
export async function promoteNode(dir: string, shardId: number, replicaIndex = 0): Promise<void> {
  const spec = await requireClusterSpec(dir);
  if (spec.ha === 'patroni') throw new ClusterError('BAD_SPEC', 'under Patroni, promote through Patroni (`cluster failover`), not by hand');
  const node = nodeOf(spec, shardId, 'replica', replicaIndex);
  await promotePgNode(await findPgBinaries(), node);
  await forgetStandbySettings(node.port);
}
