import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  }
});
afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

describe('partial pages that resume', () => {
  it('a walk over every page while shard 1 is stopped for part of it sees every user exactly once', async () => {
    const seen: string[] = [];
    const partialPages: number[] = [];
    let after: string | null = null;
    let stopped = false;
    try {
      for (let page = 0; page < 60; page++) {
        if (page === 2) {
          await cluster.stopNode(1, 'primary');
          stopped = true;
        }
        if (page === 5) {
          await cluster.startNode(1, 'primary');
          stopped = false;
          await eventually(() => fx.shards.manager.isReachable(fx.shards.manager.shard(1).nodes[0]!), 20_000, 'shard 1 back');
        }
        const r: GqlResponse<any> = await fx.gql(PAGE, { after, partial: true });
        const { edges, pageInfo } = r.data.users;
        if (page >= 2 && page < 5) {
          // The page comes from shards 0 and 2, with one SHARD_UNAVAILABLE error naming shard 1.
          expect(pageInfo.missingShards).toEqual([1]);
          expect(r.errors?.map((e) => [e.extensions?.code, e.extensions?.shardId, e.path])).toEqual([['SHARD_UNAVAILABLE', 1, ['users']]]);
          expect(pageInfo.hasNextPage).toBe(true);
          partialPages.push(page);
        } else {
          expect(r.errors).toBeUndefined();
          expect(pageInfo.missingShards).toEqual([]);
        }
        seen.push(...edges.map((e: { node: { userId: string } }) => e.node.userId));
        if (!pageInfo.hasNextPage) break;
        after = pageInfo.endCursor;
      }
    } finally {
      if (stopped) await cluster.startNode(1, 'primary');
    }
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
