import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { countStreamingReplicas, createDatabaseIfMissing, waitForDatabase } from './cluster-admin.js';
import { ClusterError } from './cluster-error.js';
import { writeTopology } from './cluster-files.js';
import {
  type ClusterNode,
  type ClusterSpec,
  DEFAULT_DBNAME,
  HOST,
  clusterNodes,
  haPorts,
  lastPgPort,
  nodeOf,
  socketDir,
} from './cluster-layout.js';
import { runningDaemonPid, startDaemon } from './daemon-process.js';
import { type HaPrograms, findHaPrograms } from './find-ha-programs.js';
import type { PgBinaries } from './find-pg-binaries.js';
import { isPortFree } from './is-port-free.js';
import { socketDirFor } from './node-config.js';
import { patroniConfig, patroniConfigPath } from './patroni-config.js';
import { etcdDaemon, etcdMarker, etcdPidFile, patroniDaemon, patroniMarker, patroniPidFile } from './patroni-daemons.js';
import { patroniGet } from './patroni-rest.js';
import { adoptPatroniLeaders } from './adopt-patroni-leaders.js';
import { giveToPg } from './pg-owner.js';
import { runningPostmasterPid } from './postmaster-process.js';
import { settleAll } from '../util/settle-all.js';

const START_TIMEOUT_MS = 120_000;

/**
 * Bring up (or resume) an `--ha patroni` cluster: etcd, then per shard the
 * Patroni of the layout's primary, which becomes the leader (bootstrapping
 * the shard with initdb the first time), then the Patronis of its replicas,
 * which clone it. Returns the path of the topology file.
 */
export async function patroniUp(bins: PgBinaries, layout: ClusterSpec, progress: (line: string) => void): Promise<string> {
  const programs = await findHaPrograms();
  await assertHaPortsFree(layout);
  await startEtcd(layout, programs, progress);
  // Patronis still running may have failed over since the layout was written: their leader is the primary.
  const spec = await adoptPatroniLeaders(layout);

  const socket = socketDirFor(socketDir(spec.dir), lastPgPort(spec));
  const nodes = clusterNodes(spec);
  for (const node of nodes) {
    const file = patroniConfigPath(node);
    await writeFile(file, patroniConfig(spec, node, { binDir: dirname(bins.postgres), socketDir: socket }));
    await giveToPg(file);
  }
  await settleAll(Array.from({ length: spec.shards }, (_, shardId) => bringUpPatroniShard(spec, shardId, programs, progress)));

  const dbname = spec.dbname ?? DEFAULT_DBNAME;
  const primaries = nodes.filter((n) => n.role === 'primary');
  progress(`ensuring database "${dbname}" on every primary...`);
  await settleAll(primaries.map((p) => createDatabaseIfMissing(p.port, dbname)));
  await settleAll(nodes.filter((n) => n.role === 'replica').map((r) => waitForDatabase(r.port, dbname)));
  const topologyPath = await writeTopology(spec);
  progress(
    `cluster up: ${spec.shards} shard(s) x (1 primary + ${spec.replicas} replica(s)) under Patroni, ` +
      `${spec.synchronous === true ? 'synchronous' : 'asynchronous'} replication; topology in ${topologyPath}`,
  );
  return topologyPath;
}

/** The ports of the daemons and nodes that are not running must be free (ours that run hold theirs). */
async function assertHaPortsFree(spec: ClusterSpec): Promise<void> {
  const ports = haPorts(spec);
  const wanted: { port: number; what: string }[] = [];
  if (runningDaemonPid(etcdPidFile(spec), etcdMarker(spec)) === null) {
    wanted.push({ port: ports.etcdClient, what: 'etcd client' }, { port: ports.etcdPeer, what: 'etcd peer' });
  }
  for (const node of clusterNodes(spec)) {
    if (runningDaemonPid(patroniPidFile(spec, node), patroniMarker(node)) === null) {
      wanted.push({ port: ports.restApi(node.shardId, node.member), what: `Patroni REST API of ${node.label}` });
      if (runningPostmasterPid(node.dataDir) === null) wanted.push({ port: node.port, what: node.label });
    }
  }
  const busy = [];
  for (const w of wanted) if (!(await isPortFree(w.port, HOST))) busy.push(w);
  if (busy.length === 0) return;
  throw new ClusterError(
    'PORT_IN_USE',
    `port${busy.length > 1 ? 's' : ''} ${busy.map((b) => `${b.port} (${b.what})`).join(', ')} already in use on ${HOST} by another process; ` +
      'stop it or choose another --base-port',
  );
}

async function startEtcd(spec: ClusterSpec, programs: HaPrograms, progress: (line: string) => void): Promise<void> {
  const daemon = etcdDaemon(spec, programs);
  if (runningDaemonPid(daemon.pidFile, daemon.marker) === null) {
    progress(`starting etcd on port ${haPorts(spec).etcdClient}...`);
    startDaemon(daemon);
  }
  const url = `http://${HOST}:${haPorts(spec).etcdClient}/health`;
  await waitFor(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return ((await res.json()) as { health?: string }).health === 'true';
    },
    () => runningDaemonPid(daemon.pidFile, daemon.marker) !== null,
    `etcd did not become healthy on ${url}; see ${daemon.logFile}`,
  );
}

async function bringUpPatroniShard(
  spec: ClusterSpec,
  shardId: number,
  programs: HaPrograms,
  progress: (line: string) => void,
): Promise<void> {
  // The layout's primary first, alone, so that it (and no replica) takes the leader key.
  const leader = nodeOf(spec, shardId, 'primary');
  await startPatroni(spec, leader, programs, progress);
  await waitForPatroniRole(spec, leader, ['master', 'primary']);
  const replicas = Array.from({ length: spec.replicas }, (_, j) => nodeOf(spec, shardId, 'replica', j));
  await settleAll(replicas.map((r) => startPatroni(spec, r, programs, progress)));
  await settleAll(replicas.map((r) => waitForPatroniRole(spec, r, ['replica'])));
  if (spec.replicas > 0) {
    await waitFor(
      async () => (await countStreamingReplicas(leader.port)) >= spec.replicas,
      () => true,
      `shard ${shardId}: not every replica streams from port ${leader.port}; see the Patroni logs in ${dirname(leader.dataDir)}`,
    );
  }
}

async function startPatroni(spec: ClusterSpec, node: ClusterNode, programs: HaPrograms, progress: (line: string) => void): Promise<void> {
  const daemon = patroniDaemon(spec, node, programs);
  if (runningDaemonPid(daemon.pidFile, daemon.marker) !== null) return;
  progress(
    `starting Patroni of ${node.label} (PostgreSQL port ${node.port}, REST API port ${haPorts(spec).restApi(node.shardId, node.member)})...`,
  );
  startDaemon(daemon);
}

/** Wait until the node's Patroni says it runs PostgreSQL in one of `roles`. */
export async function waitForPatroniRole(
  spec: ClusterSpec,
  node: ClusterNode,
  roles: readonly string[],
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const port = haPorts(spec).restApi(node.shardId, node.member);
  const daemonAlive = () => runningDaemonPid(patroniPidFile(spec, node), patroniMarker(node)) !== null;
  await waitFor(
    async () => {
      const body = (await patroniGet(port, '/patroni')) as { role?: string; state?: string } | null;
      return body !== null && roles.includes(body.role ?? '') && body.state === 'running';
    },
    daemonAlive,
    `Patroni of ${node.label} did not report ${roles.join(' or ')} and running on port ${port} in time; see ${dirname(node.dataDir)}/*.patroni.log`,
    timeoutMs,
  );
}

/** Poll `ok` every 200 ms until true; fail early once `alive` says the process is gone. */
async function waitFor(ok: () => Promise<boolean>, alive: () => boolean, message: string, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (!alive()) throw new ClusterError('COMMAND_FAILED', `${message} (the process exited)`);
    if (Date.now() >= deadline) throw new ClusterError('TIMEOUT', message);
    await new Promise((r) => setTimeout(r, 200));
  }
}
