import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from '../src/cluster/cluster-error.js';
import { type HaMode, portCount } from '../src/cluster/cluster-layout.js';
import { killClusterSync } from '../src/cluster/kill-cluster-sync.js';
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
} from '../src/cluster/local-cluster.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import type { Topology } from '../src/config/topology.js';
import { trackClusterDir, untrackClusterDir } from './cleanup-at-exit.js';
import { findFreePortRange } from './free-port-range.js';

type Role = 'primary' | 'replica';

export interface ThrowawayCluster {
  readonly dir: string;
  /** The topology file; it follows switchovers (`failover`). */
  readonly topologyPath: string;
  /** The topology as it was at boot. */
  readonly topology: Topology;
  /** The first of the consecutive ports the cluster uses (see `cluster up --help` for the layout). */
  readonly basePort: number;
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

export interface ThrowawayClusterOptions {
  /** @default 3 */
  readonly shards?: number;
  /** @default 1 */
  readonly replicas?: number;
  /** Synchronous streaming replication (`cluster up --synchronous`). @default false */
  readonly synchronous?: boolean;
  /** `patroni`: every node run by Patroni with one local etcd (`cluster up --ha patroni`). @default 'none' */
  readonly ha?: HaMode;
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
  const synchronous = opts.synchronous ?? false;
  const ha = opts.ha ?? 'none';
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), `shardgate-${opts.name ?? 'test'}-`));
    trackClusterDir(dir);
    try {
      const basePort = await findFreePortRange(portCount({ shards, replicas, basePort: 0, ha }));
      const { topologyPath } = await clusterUp({ dir, shards, replicas, basePort, fsync: false, synchronous, ha });
      return {
        dir,
        topologyPath,
        topology: loadTopologyFile(topologyPath, {}),
        basePort,
        stopNode: (shardId, role, replicaIndex) => stopNode(dir, shardId, role, replicaIndex),
        startNode: (shardId, role, replicaIndex) => startNode(dir, shardId, role, replicaIndex),
        failover: (shardId) => clusterFailover(dir, shardId),
        promote: (shardId, replicaIndex) => promoteNode(dir, shardId, replicaIndex),
        killNode: (shardId, role, signal, replicaIndex) => killNode(dir, shardId, role, signal, replicaIndex),
        status: () => clusterStatus(dir),
        destroy: () => destroyThrowawayCluster(dir),
      };
    } catch (err) {
      await destroyThrowawayCluster(dir);
      const portRace = err instanceof ClusterError && err.code === 'PORT_IN_USE';
      if (!portRace || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** Stop every node (clusterDown), then kill by pid whatever refused to stop, and delete the directory. */
export async function destroyThrowawayCluster(dir: string): Promise<void> {
  try {
    await clusterDown(dir);
  } catch {
    // whatever is left is killed below
  }
  // Also after a clean down: a daemon or postmaster that refused to stop must not outlive the test.
  killClusterSync(dir);
  await rm(dir, { recursive: true, force: true });
  untrackClusterDir(dir);
}
