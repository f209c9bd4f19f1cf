import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderRows } from './support/order-rows.js';
import { fnv1a32 } from '../src/sharding/fnv1a32.js';
import { eventually, openGatewayFixture, type GatewayFixture, type GqlResponse } from './support/gateway-fixture.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';

// Stops a whole shard for part of a walk over every page, so it gets a cluster of its own (primaries only: a stopped primary is the whole shard).
let cluster: ThrowawayCluster;
let fx: GatewayFixture;
const USERS = 60;
const ids: string[] = Array.from({ length: USERS }, (_, i) => `walker-${String(i).padStart(3, '0')}`);

const PAGE = `query($after: String, $partial: Boolean) {
  users(first: 7, after: $after, allowPartialResults: $partial) {
    edges { cursor node { userId } }
    pageInfo { hasNextPage endCursor missingShards }
  }
}`;

interface Walk {
  /** The field paged over (`users`, `orders`): where the page and its errors are. */
  readonly field: string;
  readonly query: string;
  /** The shard stopped from page `outage[0]` until page `outage[1]` (exclusive). */
  readonly shardId: number;
  readonly outage: readonly [number, number];
  /** The identity of an edge's node. */
  idOf(node: Record<string, unknown>): string;
}

/**
 * Walks every page with allowPartialResults while `walk.shardId` is stopped
 * for part of the walk; checks each page says what it misses (and only then),
 * and returns every node id seen, in order, and which pages were partial.
 */
async function walkWithOutage(walk: Walk): Promise<{ seen: string[]; partialPages: number[] }> {
  const seen: string[] = [];
  const partialPages: number[] = [];
  let after: string | null = null;
  let stopped = false;
  try {
    for (let page = 0; page < 60; page++) {
      if (page === walk.outage[0]) {
        await cluster.stopNode(walk.shardId, 'primary');
        stopped = true;
      }
      if (page === walk.outage[1]) {
        await cluster.startNode(walk.shardId, 'primary');
        stopped = false;
        const primary = fx.shards.manager.shard(walk.shardId).nodes[0]!;
        await eventually(() => fx.shards.manager.isReachable(primary), 20_000, `shard ${walk.shardId} back`);
      }
      const r: GqlResponse<any> = await fx.gql(walk.query, { after, partial: true });
      expect(r.data, JSON.stringify(r.errors)).not.toBeNull();
      const { edges, pageInfo } = r.data[walk.field];
      const nodes = edges.map((e: { node: Record<string, unknown> }) => e.node);
      if (page >= walk.outage[0] && page < walk.outage[1]) {
        // The page comes from the other shards, with one SHARD_UNAVAILABLE error naming the stopped one.
        expect(pageInfo.missingShards).toEqual([walk.shardId]);
        expect(r.errors?.map((e) => [e.extensions?.code, e.extensions?.shardId, e.path])).toEqual([
          ['SHARD_UNAVAILABLE', walk.shardId, [walk.field]],
        ]);
        expect(pageInfo.hasNextPage).toBe(true);
        if (nodes.some((n: Record<string, unknown>) => 'shardId' in n)) {
          expect(nodes.every((n: Record<string, unknown>) => n.shardId !== walk.shardId)).toBe(true);
        }
        partialPages.push(page);
      } else {
        expect(r.errors).toBeUndefined();
        expect(pageInfo.missingShards).toEqual([]);
      }
      seen.push(...nodes.map(walk.idOf));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
  } finally {
    if (stopped) await cluster.startNode(walk.shardId, 'primary');
  }
  return { seen, partialPages };
}

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 3, replicas: 0, name: 'partial' });
  fx = await openGatewayFixture(cluster.topologyPath);
  for (const shardId of [0, 1, 2]) {
    const mine = ids.filter((id) => fnv1a32(id) % 3 === shardId);
    expect(mine.length).toBeGreaterThan(5);
    await fx.shards.users.insertManyOnShard(
      shardId,
      mine.map((userId) => ({ userId, name: 'W', email: 'w@x.io' })),
    );
    // One or two orders per user: about 90, many sharing one created_at (one statement), so ties are broken by id.
    const orders = mine.flatMap((userId, i) =>
      Array.from({ length: 1 + (i % 2) }, () => ({ userId, totalCents: 100 + i, currency: 'EUR' })),
    );
    await orderRows(fx.shards).insertManyOnShard(shardId, orders);
  }
});
afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

describe('partial pages that resume', () => {
  it('a walk over every page while shard 1 is stopped for part of it sees every user exactly once', async () => {
    const { seen, partialPages } = await walkWithOutage({
      field: 'users',
      query: PAGE,
      shardId: 1,
      outage: [2, 5],
      idOf: (node) => node.userId as string,
    });
    expect(partialPages).toEqual([2, 3, 4]);
    expect(seen.length).toBe(USERS);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it('without allowPartialResults a missing shard fails the page, as before; totalCount sums the shards that answered', async () => {
    await cluster.stopNode(2, 'primary');
    try {
      const strict = await fx.gql('{ users(first: 5) { edges { node { userId } } pageInfo { missingShards } } }');
      expect(strict.data).toBeNull();
      expect(strict.errors?.map((e) => [e.extensions?.code, e.extensions?.shardId])).toEqual([['SHARD_UNAVAILABLE', 2]]);
      const partial = await fx.gql(
        '{ users(first: 100, allowPartialResults: true) { totalCount edges { node { userId shardId } } pageInfo { missingShards hasNextPage endCursor } } }',
      );
      const onOthers = ids.filter((id) => fnv1a32(id) % 3 !== 2).length;
      expect(partial.data.users.totalCount).toBe(onOthers);
      expect(partial.data.users.edges).toHaveLength(onOthers);
      expect(partial.data.users.pageInfo.missingShards).toEqual([2]);
      // One error for shard 2, although both the page and its count missed it.
      expect(partial.errors?.map((e) => [e.extensions?.code, e.extensions?.shardId])).toEqual([['SHARD_UNAVAILABLE', 2]]);
      // The walk is not over while shard 2 has not answered: its cursor still knows where shard 2 stands (its start).
      expect(partial.data.users.pageInfo.hasNextPage).toBe(true);
      await cluster.startNode(2, 'primary');
      await eventually(() => fx.shards.manager.isReachable(fx.shards.manager.shard(2).nodes[0]!), 20_000, 'shard 2 back');
      const rest = await fx.gql(PAGE.replace('first: 7', 'first: 100'), { after: partial.data.users.pageInfo.endCursor, partial: true });
      expect(rest.errors).toBeUndefined();
      expect(rest.data.users.edges.map((e: { node: { userId: string } }) => e.node.userId).sort()).toEqual(
        ids.filter((id) => fnv1a32(id) % 3 === 2).sort(),
      );
    } finally {
      await cluster.startNode(2, 'primary').catch(() => {});
    }
  });

  it('refuses a forged per-shard cursor before any SQL', async () => {
    const forged = Buffer.from('v2|a|3\n*|2026-01-01T00:00:00.000000Z|u\n9|-').toString('base64url');
    fx.recorder.reset();
    const r = await fx.gql(PAGE, { after: forged, partial: true });
    expect(r.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'after']]);
    expect(fx.recorder.of()).toEqual([]);
  });
});

describe('partial pages of orders that resume', () => {
  const ORDERS_PAGE = `query($after: String, $partial: Boolean) {
    orders(first: 9, after: $after, allowPartialResults: $partial) {
      edges { cursor node { id userId shardId } }
      pageInfo { hasNextPage endCursor missingShards }
    }
  }`;
  type OrderEdge = { node: { id: string; userId: string; shardId: number } };

  async function allOrderIds(): Promise<string[]> {
    const r = await fx.gql(
      '{ orders(first: 100) { edges { node { id } } pageInfo { hasNextPage } } totalCount: orders(first: 0) { totalCount } }',
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.orders.pageInfo.hasNextPage).toBe(false);
    expect(r.data.totalCount.totalCount).toBe(r.data.orders.edges.length);
    return r.data.orders.edges.map((e: OrderEdge) => e.node.id);
  }

  it('a walk over every orders page while shard 0 is stopped for part of it sees every order exactly once', async () => {
    const all = await allOrderIds();
    expect(all.length).toBeGreaterThan(80);
    const { seen, partialPages } = await walkWithOutage({
      field: 'orders',
      query: ORDERS_PAGE,
      shardId: 0,
      outage: [1, 4],
      idOf: (node) => node.id as string,
    });
    expect(partialPages).toEqual([1, 2, 3]);
    expect(seen.length).toBe(all.length);
    expect([...seen].sort()).toEqual([...all].sort());
  });

  it('without allowPartialResults a missing shard fails the orders page, as before; with it totalCount sums the shards that answered', async () => {
    const all = await allOrderIds();
    const before = await fx.gql('{ orders(first: 100) { edges { node { shardId } } } }');
    const onOthers = before.data.orders.edges.filter((e: OrderEdge) => e.node.shardId !== 2).length;
    await cluster.stopNode(2, 'primary');
    try {
      const strict = await fx.gql('{ orders(first: 5) { edges { node { id } } pageInfo { missingShards } } }');
      expect(strict.data).toBeNull();
      expect(strict.errors?.map((e) => [e.extensions?.code, e.extensions?.shardId])).toEqual([['SHARD_UNAVAILABLE', 2]]);
      const partial = await fx.gql(
        '{ orders(first: 100, allowPartialResults: true) { totalCount edges { node { id } } pageInfo { missingShards hasNextPage endCursor } } }',
      );
      expect(partial.data.orders.totalCount).toBe(onOthers);
      expect(partial.data.orders.edges).toHaveLength(onOthers);
      expect(partial.data.orders.pageInfo.missingShards).toEqual([2]);
      // One error for shard 2, although both the page and its count missed it.
      expect(partial.errors?.map((e) => [e.extensions?.code, e.extensions?.shardId])).toEqual([['SHARD_UNAVAILABLE', 2]]);
      expect(partial.data.orders.pageInfo.hasNextPage).toBe(true);
      await cluster.startNode(2, 'primary');
      await eventually(() => fx.shards.manager.isReachable(fx.shards.manager.shard(2).nodes[0]!), 20_000, 'shard 2 back');
      const rest = await fx.gql(ORDERS_PAGE.replace('first: 9', 'first: 100'), {
        after: partial.data.orders.pageInfo.endCursor,
        partial: true,
      });
      expect(rest.errors).toBeUndefined();
      expect(rest.data.orders.edges.every((e: OrderEdge) => e.node.shardId === 2)).toBe(true);
      const walked = [...partial.data.orders.edges, ...rest.data.orders.edges].map((e: OrderEdge) => e.node.id);
      expect(walked.sort()).toEqual([...all].sort());
    } finally {
      await cluster.startNode(2, 'primary').catch(() => {});
    }
  });

  it('refuses a forged per-shard orders cursor, and a per-shard cursor in User.orders, before any SQL', async () => {
    const forged = Buffer.from('o2|-\nv2|d|3\n*|-\n9|-').toString('base64url');
    fx.recorder.reset();
    const r = await fx.gql(ORDERS_PAGE, { after: forged, partial: true });
    expect(r.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'after']]);
    expect(fx.recorder.of()).toEqual([]);
    // A user's own orders live on one shard: their pages take the single-position cursor only.
    const perShard = Buffer.from('o2|-\nv2|d|3\n*|-').toString('base64url');
    const nested = await fx.gql('query($after: String) { user(userId: "walker-000") { orders(after: $after) { totalCount } } }', {
      after: perShard,
    });
    expect(nested.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'after']]);
  });
});
