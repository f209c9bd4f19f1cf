import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from '../../src/cluster/cluster-error.js';
import { type HaMode, portCount } from '../../src/cluster/cluster-layout.js';
import { killClusterSync } from '../../src/cluster/kill-cluster-sync.js';
import {
  type ClusterNodeStatus,
  type FailoverResult,
  clusterDown,
  clusterFailover,
  clusterStatus,
  clusterUp,
  killNode,
  promoteNode,
  startNode,
  stopNode,
} from '../../src/cluster/local-cluster.js';
import { registerClusterDir, unregisterClusterDir } from './cluster-cleanup.js';
import { findFreePortRange } from '../../src/cluster/free-port-range.js';

type Role = 'primary' | 'replica';

export interface TestCluster {
  dir: string;
  topologyPath: string;
  /** The parsed topology.json (the gateway's topology file) as it was at boot; the file itself follows switchovers. */
  topology: unknown;
  /** The first of the consecutive ports the cluster uses (see `cluster up --help` for the layout). */
  basePort: number;
  stopNode(shardId: number, role: Role, replicaIndex?: number): Promise<void>;
  startNode(shardId: number, role: Role, replicaIndex?: number): Promise<void>;
  /**
   * An operator's switchover of the shard (`cluster failover`): its first
   * replica becomes the primary, the old primary rejoins as its replica, and
   * the layout on disk records it. Under Patroni: `patronictl switchover`.
   */
  failover(shardId: number): Promise<FailoverResult>;
  /**
   * `pg_ctl promote` of one replica without anything else (no rejoin, the
   * layout still names the old primary): what an orchestrator does after a
   * crash. Not under Patroni.
   */
  promote(shardId: number, replicaIndex?: number): Promise<void>;
  /**
   * Kill a node's postmaster and its children with `signal` (default
   * SIGKILL, a crash); under Patroni, its Patroni first, so nothing restarts
   * it. Roles are the layout's, or under Patroni Patroni's current ones.
   * Returns the pids signalled.
   */
  killNode(shardId: number, role: Role, signal?: NodeJS.Signals, replicaIndex?: number): Promise<number[]>;
  /** `cluster status`: observed roles and timelines of every node. */
  status(): Promise<ClusterNodeStatus[]>;
  /** Stop every node and delete the directory. */
  destroy(): Promise<void>;
}

export interface TestClusterOptions {
  /** @default 3 */
  shards?: number;
  /** @default 1 */
  replicas?: number;
  /** Synchronous streaming replication (`cluster up --synchronous`). @default false */
  synchronous?: boolean;
  /** `patroni`: every node run by Patroni with one local etcd (`cluster up --ha patroni`). @default 'none' */
  ha?: HaMode;
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
  const synchronous = opts.synchronous ?? false;
  const ha = opts.ha ?? 'none';
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'shardgate-test-'));
    registerClusterDir(dir);
    try {
      const basePort = await findFreePortRange(portCount({ shards, replicas, basePort: 0, ha }));
      const { topologyPath } = await clusterUp({ dir, shards, replicas, basePort, fsync: false, synchronous, ha });
      const topology: unknown = JSON.parse(await readFile(topologyPath, 'utf8'));
      return {
        dir,
        topologyPath,
        topology,
        basePort,
        stopNode: (shardId, role, replicaIndex) => stopNode(dir, shardId, role, replicaIndex),
        startNode: (shardId, role, replicaIndex) => startNode(dir, shardId, role, replicaIndex),
        failover: (shardId) => clusterFailover(dir, shardId),
        promote: (shardId, replicaIndex) => promoteNode(dir, shardId, replicaIndex),
        killNode: (shardId, role, signal, replicaIndex) => killNode(dir, shardId, role, signal, replicaIndex),
        status: () => clusterStatus(dir),
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
    // fall through: whatever is left is killed below
  }
  // Also after a clean down: a daemon or postmaster that refused to stop must not outlive the test.
  killClusterSync(dir);
  await rm(dir, { recursive: true, force: true });
  unregisterClusterDir(dir);
}
