import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from '../src/cluster/cluster-error.js';
import { clusterDown, clusterUp, startNode, stopNode } from '../src/cluster/local-cluster.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import type { Topology } from '../src/config/topology.js';
import { trackClusterDir, untrackClusterDir } from './cleanup-at-exit.js';
import { findFreePortRange } from './free-port-range.js';
import { killClusterSync } from '../src/cluster/kill-cluster-sync.js';

type Role = 'primary' | 'replica';

export interface ThrowawayCluster {
  readonly dir: string;
  readonly topologyPath: string;
  readonly topology: Topology;
  stopNode(shardId: number, role: Role, replicaIndex?: number): Promise<void>;
  startNode(shardId: number, role: Role, replicaIndex?: number): Promise<void>;
  /** Stop every node and delete the directory. */
  destroy(): Promise<void>;
}

export interface ThrowawayClusterOptions {
  /** @default 3 */
  readonly shards?: number;
  /** @default 1 */
  readonly replicas?: number;
  /** Part of the temp directory's name: `shardgate-<name>-XXXXXX`. @default "test" */
  readonly name?: string;
}

const PORT_ATTEMPTS = 5;

/**
 * A throw-away cluster (fsync off) in a fresh temp directory on free ports of
 * 127.0.0.1. It is killed and deleted when the process exits even if
 * `destroy()` is never reached. Another process may take a port between our
 * check and PostgreSQL's bind: then it tries again on other ports.
 */
export async function startThrowawayCluster(opts: ThrowawayClusterOptions = {}): Promise<ThrowawayCluster> {
  const shards = opts.shards ?? 3;
  const replicas = opts.replicas ?? 1;
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), `shardgate-${opts.name ?? 'test'}-`));
    trackClusterDir(dir);
    try {
      const basePort = await findFreePortRange(shards * (replicas + 1));
      const { topologyPath } = await clusterUp({ dir, shards, replicas, basePort, fsync: false });
      return {
        dir,
        topologyPath,
        topology: loadTopologyFile(topologyPath, {}),
        stopNode: (shardId, role, replicaIndex) => stopNode(dir, shardId, role, replicaIndex),
        startNode: (shardId, role, replicaIndex) => startNode(dir, shardId, role, replicaIndex),
        destroy: () => destroyThrowawayCluster(dir),
      };
    } catch (err) {
      await destroyThrowawayCluster(dir);
      const portRace = err instanceof ClusterError && err.code === 'PORT_IN_USE';
      if (!portRace || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** Stop every node (clusterDown, else kill by pid) and delete the directory. */
export async function destroyThrowawayCluster(dir: string): Promise<void> {
  try {
    await clusterDown(dir);
  } catch {
    killClusterSync(dir);
  }
  await rm(dir, { recursive: true, force: true });
  untrackClusterDir(dir);
}
