import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedDemoUsers } from '../cli/seed-demo-users.js';
import { ClusterError } from '../cluster/cluster-error.js';
import { killClusterSync } from '../cluster/kill-cluster-sync.js';
import { clusterDown, clusterUp } from '../cluster/local-cluster.js';
import { loadGatewayOptions } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import type { NodeConfig, Topology } from '../config/topology.js';
import { migrateAll } from '../repository/migrations.js';
import { openShards } from '../server/open-shards.js';
import { trackClusterDir, untrackClusterDir } from './cleanup.js';
import { findFreePortRange } from '../cluster/free-port-range.js';

export interface BenchCluster {
  readonly name: string;
  readonly dir: string;
  readonly topologyPath: string;
  readonly topology: Topology;
}

const PORT_ATTEMPTS = 5;
const UNDEFINED_TABLE = '42P01';

/**
 * A throw-away cluster (fsync off, like the tests' clusters) in a fresh
 * temp directory on free ports, registered for cleanup however the run ends.
 */
export async function bootCluster(name: string, shards: number, replicas: number): Promise<BenchCluster> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), `shardgate-bench-${name}-`));
    trackClusterDir(dir);
    try {
      const basePort = await findFreePortRange(shards * (replicas + 1));
      const { topologyPath } = await clusterUp({ dir, shards, replicas, basePort, fsync: false });
      return { name, dir, topologyPath, topology: loadTopologyFile(topologyPath) };
    } catch (err) {
      await destroyCluster(dir);
      // Another process may have taken a port between our check and PostgreSQL's bind.
      if (!(err instanceof ClusterError && err.code === 'PORT_IN_USE') || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** Stop every node (clusterDown, else kill by pid) and delete the directory. */
export async function destroyCluster(dir: string): Promise<void> {
  try {
    await clusterDown(dir);
  } catch {
    killClusterSync(dir);
  }
  await rm(dir, { recursive: true, force: true });
  untrackClusterDir(dir);
}

/**
 * The same data on both sides: the schema by the gateway's own migrations
 * (so the same indexes), demo users 1..count by the same seeding code, then
 * VACUUM ANALYZE on every primary and a wait until every replica has them.
 * Returns the users per shard.
 */
export async function prepareData(cluster: BenchCluster, users: number): Promise<number[]> {
  const shards = openShards(cluster.topology, loadGatewayOptions({}));
  try {
    await migrateAll(shards.db);
    await seedDemoUsers(shards.users, shards.manager.shardCount, users);
  } finally {
    await shards.close();
  }
  const counts = await Promise.all(
    cluster.topology.shards.map(async (shard) => {
      const n = await withClient(shard.primary, async (c) => {
        await c.query('VACUUM ANALYZE users');
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
        return rows[0]!.n;
      });
      await Promise.all(shard.replicas.map((replica) => waitForRows(replica, n)));
      return n;
    }),
  );
  return counts;
}

/** `server_version` of the first primary, e.g. "15.14 (Debian 15.14-0+deb12u1)". */
export function serverVersion(cluster: BenchCluster): Promise<string> {
  return withClient(cluster.topology.shards[0]!.primary, async (c) => {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  });
}

async function waitForRows(node: NodeConfig, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await withClient(node, async (c) => {
    for (;;) {
      const have = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM users').then(
        ({ rows }) => rows[0]!.n,
        // The replica has not replayed the CREATE TABLE yet.
        (err: { code?: string }) => (err.code === UNDEFINED_TABLE ? 0 : Promise.reject(err)),
      );
      if (have >= n) return;
      if (Date.now() > deadline) throw new Error(`replica ${node.host}:${node.port} has ${have} of ${n} users after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

async function withClient<T>(node: NodeConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: node.host, port: node.port, user: node.user, password: node.password || undefined, database: node.dbname });
  // A node stopped under a connection (cleanup after a failure) must not crash the bench.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
