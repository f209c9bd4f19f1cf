import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { migrateAll } from '../src/repository/migrations.js';
import { openShards } from '../src/repository/open-shards.js';
import type { ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { waitForReplicaRows, withClient } from '../testkit/wait-for-replica-rows.js';

/**
 * The same data on both sides: the schema by the gateway's own migrations
 * (so the same indexes), demo users 1..count by the same seeding code, then
 * VACUUM ANALYZE on every primary and a wait until every replica has them.
 * Returns the users per shard.
 */
export async function prepareData(cluster: ThrowawayCluster, users: number): Promise<number[]> {
  const shards = openShards(cluster.topology, loadGatewayOptions({}));
  try {
    await migrateAll(shards.db);
    await seedDemoUsers(shards.users, shards.manager.shardCount, users);
  } finally {
    await shards.close();
  }
  return Promise.all(
    cluster.topology.shards.map(async (shard) => {
      const n = await withClient(shard.primary, async (c) => {
        await c.query('VACUUM ANALYZE users');
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
        return rows[0]!.n;
      });
      await Promise.all(shard.replicas.map((replica) => waitForReplicaRows(replica, n)));
      return n;
    }),
  );
}

/** `server_version` of the first primary, e.g. "15.14 (Debian 15.14-0+deb12u1)". */
export function serverVersion(cluster: ThrowawayCluster): Promise<string> {
  return withClient(cluster.topology.shards[0]!.primary, async (c) => {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  });
}
