import { mkdir, readdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { countStreamingReplicas, createDatabaseIfMissing, waitForDatabase } from './cluster-admin.js';
import { setSynchronousStandbyNames, streamingStandbyNames } from './cluster-role-admin.js';
import { assertPortsFree } from './assert-ports-free.js';
import { ClusterError } from './cluster-error.js';
import { readClusterSpec, writeClusterSpec, writeTopology } from './cluster-files.js';
import {
  type ClusterNode,
  type ClusterSpec,
  DEFAULT_DBNAME,
  clusterNodes,
  lastPgPort,
  layoutDifferences,
  nodeOf,
  shardMembers,
  shardDir,
  socketDir,
  validateSpec,
} from './cluster-layout.js';
import { type ClusterNodeStatus, clusterStatus } from './cluster-status.js';
import { type PgBinaries, findPgBinaries } from './find-pg-binaries.js';
import { socketDirFor, synchronousStandbyNames } from './node-config.js';
import { cloneReplica, hasStandbySignal, initPrimary, isNodeCreated, startPgNode, stopPgNode } from './node-control.js';
import { patroniUp } from './patroni-up.js';
import { assertReachableByPg, giveToPg } from './pg-owner.js';
import { runningPostmasterPid } from './postmaster-process.js';
import { settleAll } from '../util/settle-all.js';

export interface ProgressOptions {
  /** Receives one human-readable line per step. */
  onProgress?: (line: string) => void;
}

const STREAMING_TIMEOUT_MS = 60_000;

/**
 * Create (or resume) the cluster in `spec.dir` and start every node that is
 * not running; wait until every replica streams and the database exists
 * everywhere; write `D/topology.json`. On an existing D the stored layout is
 * used and a spec that contradicts it is refused (LAYOUT_MISMATCH).
 */
export async function clusterUp(
  spec: ClusterSpec,
  opts: ProgressOptions = {},
): Promise<{ topologyPath: string; nodes: ClusterNodeStatus[] }> {
  const progress = opts.onProgress ?? (() => {});
  const dir = resolve(spec.dir);
  const wanted: ClusterSpec = {
    ...spec,
    dir,
    fsync: spec.fsync !== false,
    dbname: spec.dbname ?? DEFAULT_DBNAME,
    synchronous: spec.synchronous === true,
    ha: spec.ha ?? 'none',
  };
  validateSpec(wanted);
  const bins = await findPgBinaries();
  // Before anything is created: a D that PostgreSQL could not reach must not be left half made.
  await assertReachableByPg(dir);
  const cluster = await adoptOrCreate(wanted, progress);
  await prepareDirectories(cluster);
  if (cluster.ha === 'patroni') {
    const topologyPath = await patroniUp(bins, cluster, progress);
    return { topologyPath, nodes: await clusterStatus(dir) };
  }

  const nodes = clusterNodes(cluster);
  await assertPortsFree(nodes.filter((n) => runningPostmasterPid(n.dataDir) === null));

  const socket = socketDirFor(socketDir(dir), lastPgPort(cluster));
  await settleAll(Array.from({ length: cluster.shards }, (_, shardId) => bringUpShard(bins, cluster, shardId, socket, progress)));

  const dbname = cluster.dbname ?? DEFAULT_DBNAME;
  const primaries = nodes.filter((n) => n.role === 'primary');
  if (cluster.replicas > 0) {
    progress('waiting for streaming replication...');
    await settleAll(primaries.map((p) => waitForStreaming(p, cluster.replicas)));
  }
  progress(`ensuring database "${dbname}" on every primary...`);
  await settleAll(primaries.map((p) => createDatabaseIfMissing(p.port, dbname)));
  await settleAll(nodes.filter((n) => n.role === 'replica').map((r) => waitForDatabase(r.port, dbname)));
  if (cluster.synchronous === true) {
    progress('requiring a replica for every commit (synchronous_standby_names)...');
    await settleAll(
      Array.from({ length: cluster.shards }, async (_, shardId) => {
        const names = shardMembers(cluster, shardId)
          .filter((n) => n.role === 'replica')
          .map((n) => n.name);
        const primary = nodeOf(cluster, shardId, 'primary');
        // Names no standby presents would stop every commit of the shard: refuse instead.
        const streaming = await streamingStandbyNames(primary.port);
        const unnamed = names.filter((n) => !streaming.includes(n));
        if (unnamed.length > 0) {
          throw new ClusterError(
            'COMMAND_FAILED',
            `shard ${shardId}: no standby streams from port ${primary.port} as ${unnamed.join(', ')}, so synchronous replication would ` +
              'stop its writes; restart the cluster (`cluster down`, then `cluster up --synchronous`) so every node presents its name',
          );
        }
        await setSynchronousStandbyNames(primary.port, synchronousStandbyNames(names));
      }),
    );
  }
  const topologyPath = await writeTopology(cluster);
  const mode = cluster.synchronous === true ? 'synchronous' : 'asynchronous';
  progress(
    `cluster up: ${cluster.shards} shard(s) x (1 primary + ${cluster.replicas} replica(s)), ${mode} replication; topology in ${topologyPath}`,
  );
  return { topologyPath, nodes: await clusterStatus(dir) };
}

/** The stored spec when D holds a cluster of the same layout; `wanted` (written to D) when D is new or empty. */
async function adoptOrCreate(wanted: ClusterSpec, progress: (line: string) => void): Promise<ClusterSpec> {
  const existing = await readClusterSpec(wanted.dir);
  if (existing !== null) {
    const diffs = layoutDifferences(existing, wanted);
    if (diffs.length > 0) {
      throw new ClusterError(
        'LAYOUT_MISMATCH',
        `${wanted.dir} already holds a cluster with another layout: ${diffs.join(', ')}. ` +
          'Omit these options to use it, or run `cluster down` and delete the directory to start over.',
      );
    }
    if (existing.fsync !== wanted.fsync) {
      progress(`note: keeping fsync ${existing.fsync === false ? 'off' : 'on'}, chosen when the cluster was created`);
    }
    if (wanted.synchronous === true && existing.synchronous !== true) {
      // Only a setting on each primary: an existing cluster can be made synchronous (not back).
      const updated = { ...existing, synchronous: true };
      validateSpec(updated);
      await writeClusterSpec(updated);
      progress('turning synchronous replication on');
      return updated;
    }
    return existing;
  }
  const entries = await readdir(wanted.dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) {
    throw new ClusterError(
      'NOT_A_CLUSTER',
      `${wanted.dir} is not empty and holds no cluster (no cluster.json); choose an empty or new directory`,
    );
  }
  await mkdir(wanted.dir, { recursive: true });
  // Written before any initdb, so that an interrupted `up` is resumed with the same layout.
  await writeClusterSpec(wanted);
  return wanted;
}

/** D, its socket directory and one directory per shard, all handed to the user that runs PostgreSQL. */
async function prepareDirectories(spec: ClusterSpec): Promise<void> {
  await assertReachableByPg(spec.dir); // again, now that the parents made by mkdir exist
  const dirs = [spec.dir, socketDir(spec.dir), ...Array.from({ length: spec.shards }, (_, i) => shardDir(spec.dir, i))];
  for (const d of dirs) {
    await mkdir(d, { recursive: true });
    await giveToPg(d);
  }
}

async function bringUpShard(
  bins: PgBinaries,
  spec: ClusterSpec,
  shardId: number,
  socket: string,
  progress: (line: string) => void,
): Promise<void> {
  const primary = nodeOf(spec, shardId, 'primary');
  const fsync = spec.fsync !== false;
  const freshPrimary = !(await isNodeCreated(primary));
  if (freshPrimary && primary.member !== 0) {
    // A switchover made it the primary: its data is the shard's, and no replica can stand in for it silently.
    throw new ClusterError(
      'NOT_A_CLUSTER',
      `${primary.label} (${primary.dataDir}) is missing or incomplete; the shard's data is gone: delete ${spec.dir} and start over`,
    );
  }
  if (freshPrimary) {
    progress(`initdb ${primary.label}...`);
    await initPrimary(bins, primary, { fsync, socketDir: socket, replicas: spec.replicas });
  }
  await startIfStopped(bins, primary, progress);
  await settleAll(
    Array.from({ length: spec.replicas }, async (_, j) => {
      const replica = nodeOf(spec, shardId, 'replica', j);
      // A replica of an earlier primary (its data directory was deleted) could never stream from the new one.
      if (freshPrimary || !(await isNodeCreated(replica))) {
        await stopPgNode(bins, replica);
        progress(`cloning ${replica.label} from port ${primary.port}...`);
        await cloneReplica(bins, replica, primary, fsync);
      } else if (runningPostmasterPid(replica.dataDir) === null && !(await hasStandbySignal(replica))) {
        // An old primary that a switchover could not turn into a standby: started as it is, it would be a second primary.
        throw new ClusterError(
          'ROLE_CONFLICT',
          `${replica.label} (${replica.dataDir}) is not a standby (no standby.signal), so starting it would make a second primary; ` +
            `delete that directory and run \`cluster up\` again to clone it afresh from the primary`,
        );
      }
      await startIfStopped(bins, replica, progress);
    }),
  );
}

async function startIfStopped(bins: PgBinaries, node: ClusterNode, progress: (line: string) => void): Promise<void> {
  if (runningPostmasterPid(node.dataDir) !== null) return;
  progress(`starting ${node.label} on port ${node.port}...`);
  await startPgNode(bins, node);
}

async function waitForStreaming(primary: ClusterNode, replicas: number): Promise<void> {
  const deadline = Date.now() + STREAMING_TIMEOUT_MS;
  let streaming = 0;
  for (;;) {
    streaming = await countStreamingReplicas(primary.port).catch(() => 0);
    if (streaming >= replicas) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ClusterError(
    'TIMEOUT',
    `shard ${primary.shardId}: ${streaming} of ${replicas} replica(s) streaming from port ${primary.port} after ` +
      `${STREAMING_TIMEOUT_MS / 1000} s; see the replica logs in ${dirname(primary.dataDir)}`,
  );
}
