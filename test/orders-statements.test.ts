import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderRows } from './support/order-rows.js';
import { demoUser, seedDemoUsers } from '../src/cli/seed-demo-users.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { eventually, openGatewayFixture, type GatewayFixture } from './support/gateway-fixture.js';
import { enablePgStatStatements, executionsOn, onNode, resetPgStatStatements, type CountedNode } from './support/pg-stat-statements.js';

/*
 * The nested batch, counted by PostgreSQL itself: pg_stat_statements on
 * every node (primaries and replicas) of a cluster of its own, since the
 * library must be preloaded (a restart) and the shared cluster serves other
 * tests meanwhile.
 */

const USERS = 2000;
const ORDERS_PER_USER = 10;

let cluster: ThrowawayCluster;
let fx: GatewayFixture;
let ports: CountedNode[] = [];

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 3, replicas: 1, name: 'orders-pgss' });
  ports = await enablePgStatStatements(cluster);
  fx = await openGatewayFixture(cluster.topologyPath);
  await seedDemoUsers(fx.shards.users, 3, USERS);
  const statuses = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
  const byShard = new Map<number, { userId: string; totalCents: number; currency: string; status: (typeof statuses)[number] }[]>();
  for (let i = 1; i <= USERS; i++) {
    const userId = demoUser(i).userId;
    const list = byShard.get(fnv1a32(userId) % 3) ?? [];
    for (let k = 0; k < ORDERS_PER_USER; k++)
      list.push({ userId, totalCents: i * 10 + k, currency: 'EUR', status: statuses[(i + k) % 4]! });
    byShard.set(fnv1a32(userId) % 3, list);
  }
  for (const [shardId, list] of byShard) {
    for (let start = 0; start < list.length; start += 5000)
      await orderRows(fx.shards).insertManyOnShard(shardId, list.slice(start, start + 5000));
  }
  for (const node of ports.filter((n) => n.role === 'primary')) await onNode(node.port, (c) => c.query('ANALYZE'));
  await eventually(
    async () => (await fx.gql('{ orders(first: 0) { totalCount } }')).data?.orders.totalCount === USERS * ORDERS_PER_USER,
    60_000,
    'orders on replicas',
  );
}, 300_000);

afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

const NESTED = `query($ids: [ID!]!) {
  usersByIds(userIds: $ids) {
    userId orderCount
    orders(first: 5, status: PAID) { totalCount edges { node { id user { name } } } }
  }
}`;

/** Executions of the gateway's statements on users and orders, per node, since the last reset. */
async function executions(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const node of ports) {
    const n = await executionsOn(node, '\\m(from|join)\\s+(orders|users)\\M');
    counts.set(`${node.shardId}/${node.role}`, n);
  }
  return counts;
}

function resetStatistics(): Promise<void> {
  return resetPgStatStatements(ports);
}

describe('pg_stat_statements on every node', () => {
  it('6 users and 200 users cost the same statements: per shard one for users, one for orders, one per count', async () => {
    const ids = (n: number) => {
      const out: string[] = [];
      for (const shard of [0, 1, 2]) {
        for (let i = 1; out.length < ((shard + 1) * n) / 3; i++)
          if (fnv1a32(demoUser(i).userId) % 3 === shard && !out.includes(demoUser(i).userId)) out.push(demoUser(i).userId);
      }
      return out;
    };
    const measure = async (userIds: string[]) => {
      await resetStatistics();
      const r = await fx.gql(NESTED, { ids: userIds });
      expect(r.errors).toBeUndefined();
      expect(r.data.usersByIds).toHaveLength(userIds.length);
      for (const u of r.data.usersByIds) {
        expect(u.orderCount).toBe(ORDERS_PER_USER);
        expect(u.orders.edges.length).toBeLessThanOrEqual(5);
      }
      return executions();
    };
    const six = await measure(ids(6));
    const twoHundred = await measure(ids(200));
    console.log('statements per node, 6 users:', Object.fromEntries(six), '200 users:', Object.fromEntries(twoHundred));
    expect(twoHundred).toEqual(six);
    // users + orders page + PAID count + all count, on each shard (on one node of it).
    for (const shard of [0, 1, 2]) expect((six.get(`${shard}/primary`) ?? 0) + (six.get(`${shard}/replica`) ?? 0)).toBe(4);
  });

  it("the nested statement's cached generic plan probes the per-user index once per user, the limit inside the loop", async () => {
    const stmt = orderRows(fx.shards).statements.ofUsers({ direction: 'desc', byStatus: true, afterCursor: false, limit: 6 });
    const userIds: string[] = [];
    for (let i = 1; userIds.length < 200; i++) if (fnv1a32(demoUser(i).userId) % 3 === 0) userIds.push(demoUser(i).userId);
    const plan = await onNode(cluster.topology.shards[0]!.primary.port, async (c) => {
      await c.query('SET plan_cache_mode = force_generic_plan');
      await c.query(`PREPARE nested(varchar[], varchar) AS ${stmt.text}`);
      // EXECUTE takes values, not bind parameters: the (test's own) ids are written as literals.
      const literal = `ARRAY[${userIds.map((id) => c.escapeLiteral(id)).join(', ')}]::varchar[]`;
      const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE nested(${literal}, 'PAID')`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    console.log(`${stmt.text}\n${plan}`);
    // An ordered index scan, or (few orders per user, as here) a bitmap probe and a tiny sort: per user, on the per-user index.
    expect(plan).toMatch(/(Index Scan (Backward )?using|Bitmap Index Scan on) ix_orders_user_status_created/);
    expect(plan).not.toMatch(/Seq Scan on orders/);
    expect(plan).toMatch(/Limit \(actual time=[\d.]+\.\.[\d.]+ rows=\d+ loops=200\)/);
    expect(plan).toMatch(/Function Scan on unnest u/);
  });
});
