import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from '../../src/cluster/cluster-error.js';
import { killClusterSync } from '../../src/cluster/kill-cluster-sync.js';
import { clusterDown, clusterUp, startNode, stopNode } from '../../src/cluster/local-cluster.js';
import { registerClusterDir, unregisterClusterDir } from './cluster-cleanup.js';
import { findFreePortRange } from '../../src/cluster/free-port-range.js';

type Role = 'primary' | 'replica';

export interface TestCluster {
  dir: string;
  topologyPath: string;
  /** The parsed topology.json (CONTRACT §2). */
  topology: unknown;
  stopNode(shardId: number, role: Role, replicaIndex?: number): Promise<void>;
  startNode(shardId: number, role: Role, replicaIndex?: number): Promise<void>;
  /** Stop every node and delete the directory. */
  destroy(): Promise<void>;
}

export interface TestClusterOptions {
  /** @default 3 */
  shards?: number;
  /** @default 1 */
  replicas?: number;
}

const PORT_ATTEMPTS = 5;

/**
 * A throw-away cluster (fsync off) in a fresh temp directory on free ports of
 * 127.0.0.1. It is killed and deleted when the process exits even if
 * `destroy()` is never reached.
 */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const shards = opts.shards ?? 3;
  const replicas = opts.replicas ?? 1;
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'shardgate-test-'));
    registerClusterDir(dir);
    try {
      const basePort = await findFreePortRange(shards * (replicas + 1));
      const { topologyPath } = await clusterUp({ dir, shards, replicas, basePort, fsync: false });
      const topology: unknown = JSON.parse(await readFile(topologyPath, 'utf8'));
      return {
        dir,
        topologyPath,
        topology,
        stopNode: (shardId, role, replicaIndex) => stopNode(dir, shardId, role, replicaIndex),
        startNode: (shardId, role, replicaIndex) => startNode(dir, shardId, role, replicaIndex),
        destroy: () => destroyCluster(dir),
      };
    } catch (err) {
      await destroyCluster(dir);
      // Another test file may have taken a port between our check and PostgreSQL's bind.
      const portRace = err instanceof ClusterError && err.code === 'PORT_IN_USE';
      if (!portRace || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

async function destroyCluster(dir: string): Promise<void> {
  try {
    await clusterDown(dir);
  } catch {
    killClusterSync(dir);
  }
  await rm(dir, { recursive: true, force: true });
  unregisterClusterDir(dir);
}
