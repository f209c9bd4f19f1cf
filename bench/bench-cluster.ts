import { insertOrdersOnShard } from '../src/cli/seed-demo-orders.js';
import { seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { migrateAll } from '../src/repository/migrations.js';
import { openShards } from '../src/repository/open-shards.js';
import type { ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { withClient } from '../testkit/wait-for-replica-rows.js';
import { benchOrders, type BenchOrder } from './bench-orders.js';

export interface PrepareOptions {
  /** Also give every user its bench orders (bench/bench-orders.ts). @default false */
  readonly orders?: boolean;
  /** Also index users by lower(email): what a hand-written server over one database needs for a lookup by email. @default false */
  readonly emailIndex?: boolean;
}

const ORDER_CHUNK = 5000;
/**
 * Seeding is not measured: patient connection and statement timeouts, so
 * that bulk statements on a busy machine (other work, the other side's
 * seeding) do not fail a run before it starts, nor eject a node.
 */
const SEEDING_ENV = {
  SHARDGATE_CONNECT_TIMEOUT_MS: '30000',
  SHARDGATE_STATEMENT_TIMEOUT_MS: '300000',
  SHARDGATE_HEALTH_TIMEOUT_MS: '30000',
};
const REPLAY_TIMEOUT_MS = 120_000;

/**
 * The same data on both sides: the schema by the gateway's own migrations
 * (so the same indexes), demo users 1..count by the same seeding code (and
 * the same orders when asked), then VACUUM ANALYZE on every primary and a
 * wait until every replica has replayed it all. Returns the users per shard.
 */
export async function prepareData(cluster: ThrowawayCluster, users: number, opts: PrepareOptions = {}): Promise<number[]> {
  const shards = openShards(cluster.topology, loadGatewayOptions(SEEDING_ENV));
  try {
    await migrateAll(shards.db);
    await seedDemoUsers(shards.users, shards.manager.shardCount, users);
    if (opts.orders) {
      const byShard: BenchOrder[][] = Array.from({ length: shards.manager.shardCount }, () => []);
      for (let i = 1; i <= users; i++) for (const o of benchOrders(i)) byShard[shards.door.shardIdOf(o.userId)]!.push(o);
      await Promise.all(
        byShard.map(async (list, shardId) => {
          for (let start = 0; start < list.length; start += ORDER_CHUNK)
            await insertOrdersOnShard(shards.door, shardId, list.slice(start, start + ORDER_CHUNK));
        }),
      );
    }
  } finally {
    await shards.close();
  }
  return Promise.all(
    cluster.topology.shards.map(async (shard) => {
      const { n, lsn } = await withClient(shard.primary, async (c) => {
        if (opts.emailIndex) await c.query('CREATE INDEX IF NOT EXISTS ix_users_lower_email ON users (lower(email))');
        await c.query('VACUUM ANALYZE');
        const { rows } = await c.query<{ n: number; lsn: string }>(
          'SELECT count(*)::int AS n, pg_current_wal_lsn()::text AS lsn FROM users',
        );
        return rows[0]!;
      });
      await Promise.all(shard.replicas.map((replica) => waitForReplay(replica, lsn)));
      return n;
    }),
  );
}

/** Waits (bounded) until a replica has replayed the primary's WAL up to `lsn`. */
async function waitForReplay(node: ThrowawayCluster['topology']['shards'][number]['primary'], lsn: string): Promise<void> {
  const deadline = Date.now() + REPLAY_TIMEOUT_MS;
  await withClient(node, async (c) => {
    for (;;) {
      const { rows } = await c.query<{ done: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done', [lsn]);
      if (rows[0]!.done) return;
      if (Date.now() > deadline)
        throw new Error(`replica ${node.host}:${node.port} has not replayed up to ${lsn} after ${REPLAY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** `server_version` of the first primary, e.g. "15.14 (Debian 15.14-0+deb12u1)". */
export function serverVersion(cluster: ThrowawayCluster): Promise<string> {
  return withClient(cluster.topology.shards[0]!.primary, async (c) => {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  });
}
