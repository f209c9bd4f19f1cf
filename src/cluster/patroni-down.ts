import { assertPortsFree } from './assert-ports-free.js';
import { type ClusterNode, type ClusterSpec, clusterNodes, haPorts } from './cluster-layout.js';
import { runningDaemonPid, startDaemon, stopDaemon } from './daemon-process.js';
import { findHaPrograms } from './find-ha-programs.js';
import { findPgBinaries } from './find-pg-binaries.js';
import { stopPgNode } from './node-control.js';
import { etcdMarker, etcdPidFile, patroniDaemon, patroniMarker, patroniPidFile } from './patroni-daemons.js';
import { adoptPatroniLeaders } from './adopt-patroni-leaders.js';
import { isPortFree } from './is-port-free.js';
import { ClusterError } from './cluster-error.js';
import { runningPostmasterPid } from './postmaster-process.js';
import { settleAll } from '../util/settle-all.js';

/**
 * Stop an `--ha patroni` cluster: first record each shard's leader (so that
 * `up` starts it first and it stays the primary), then stop the Patronis of
 * the replicas, then those of the leaders (a leader stopped first would be
 * replaced by a replica), each stopping its PostgreSQL cleanly, then etcd.
 * Any postmaster left behind (its Patroni was killed) is stopped too.
 */
export async function patroniDown(spec: ClusterSpec, progress: (line: string) => void): Promise<void> {
  const current = await adoptPatroniLeaders(spec).catch(() => spec);
  const nodes = clusterNodes(current);
  const stopPatroni = async (node: ClusterNode) => {
    if (runningDaemonPid(patroniPidFile(current, node), patroniMarker(node)) === null) return;
    progress(`stopping Patroni of ${node.label}...`);
    await stopDaemon(patroniPidFile(current, node), patroniMarker(node));
  };
  await settleAll(nodes.filter((n) => n.role === 'replica').map(stopPatroni));
  await settleAll(nodes.filter((n) => n.role === 'primary').map(stopPatroni));
  const bins = await findPgBinaries();
  await settleAll(nodes.map((n) => stopPgNode(bins, n)));
  if (runningDaemonPid(etcdPidFile(current), etcdMarker(current)) !== null) {
    progress('stopping etcd...');
    await stopDaemon(etcdPidFile(current), etcdMarker(current));
  }
}

/** Start the Patroni of one node (no-op when it runs); etcd must be up. */
export async function startPatroniNode(spec: ClusterSpec, node: ClusterNode): Promise<void> {
  if (runningDaemonPid(patroniPidFile(spec, node), patroniMarker(node)) !== null) return;
  if (runningDaemonPid(etcdPidFile(spec), etcdMarker(spec)) === null) {
    throw new ClusterError('NOT_READY', `etcd of the cluster in ${spec.dir} is not running; run \`cluster up\``);
  }
  const rest = haPorts(spec).restApi(node.shardId, node.member);
  if (!(await isPortFree(rest))) {
    throw new ClusterError(
      'PORT_IN_USE',
      `port ${rest} (Patroni REST API of ${node.label}) is already in use on 127.0.0.1 by another process`,
    );
  }
  // A postmaster whose Patroni was killed still runs: the new Patroni adopts it.
  if (runningPostmasterPid(node.dataDir) === null) await assertPortsFree([node]);
  startDaemon(patroniDaemon(spec, node, await findHaPrograms()));
}

/** Stop the Patroni of one node, which stops its PostgreSQL cleanly (a leader hands over to a replica). */
export async function stopPatroniNode(spec: ClusterSpec, node: ClusterNode): Promise<void> {
  await stopDaemon(patroniPidFile(spec, node), patroniMarker(node));
  await stopPgNode(await findPgBinaries(), node);
}
