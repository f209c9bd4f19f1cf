import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGatewayFixture, eventually, type GatewayFixture } from './support/gateway-fixture.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { waitForReplicaRows, withClient } from '../testkit/wait-for-replica-rows.js';
import { SELECT_USER_BY_ID } from '../src/repository/user-statements.js';

// One shard whose replica applies WAL 3 s late (recovery_min_apply_delay): a replica that lags for real.
let cluster: ThrowawayCluster;
let fx: GatewayFixture;
let writing = true;
let writer: Promise<void> = Promise.resolve();
const APPLY_DELAY_MS = 3000;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 1, replicas: 1, name: 'staleness' });
  const replica = cluster.topology.shards[0]!.replicas[0]!;
  await withClient(replica, async (c) => {
    await c.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${APPLY_DELAY_MS}ms'`);
    await c.query('SELECT pg_reload_conf()');
  });
  fx = await openGatewayFixture(cluster.topologyPath);
  // A write every 100 ms keeps the replica's replay a steady 3 s behind.
  let n = 0;
  writer = (async () => {
    while (writing) {
      await fx.gql(`mutation { createUser(input: {userId: "tick-${n++}", name: "T", email: "t@x.io"}) { userId } }`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const node = fx.shards.manager.shard(0).replicas[0]!;
  await eventually(() => (fx.shards.manager.healthOf(node).lag?.seconds ?? 0) > 2, 30_000, 'the replica to lag');
  // The replica applies the schema and the first tick late too.
  await waitForReplicaRows(replica, 1, 30_000);
});
afterAll(async () => {
  writing = false;
  await writer.catch(() => {});
  await fx?.close();
  await cluster?.destroy();
});

const READ = '{ user(userId: "tick-0") { userId } }';

async function servedBy(headers: Record<string, string>): Promise<string[]> {
  fx.recorder.reset();
  const r = await fx.gql(READ, undefined, headers);
  expect(r.errors).toBeUndefined();
  // The writer's statements run meanwhile: only the read's.
  return fx.recorder.of(SELECT_USER_BY_ID.name).map((s) => `${s.role}:${s.reason}`);
}

describe('bounded staleness', () => {
  it('a bound below the measured lag reads the primary; a bound above it, or none, reads the replica', async () => {
    expect(await servedBy({ 'shardgate-max-staleness-ms': '1000' })).toEqual(['primary:stale-replicas']);
    expect(await servedBy({ 'shardgate-max-staleness-ms': '0' })).toEqual(['primary:stale-replicas']);
    expect(await servedBy({ 'shardgate-max-staleness-ms': '60000' })).toEqual(['replica:replica-read']);
    expect(await servedBy({})).toEqual(['replica:replica-read']);
  });

  it('a write is visible at once under a bound the replica cannot meet', async () => {
    await fx.gql('mutation { createUser(input: {userId: "fresh-1", name: "F", email: "f@x.io"}) { userId } }');
    const r = await fx.gql('{ user(userId: "fresh-1") { userId } }', undefined, { 'shardgate-max-staleness-ms': '500' });
    expect(r.data.user).toEqual({ userId: 'fresh-1' });
    // Without the bound the lagging replica does not have it yet.
    expect((await fx.gql('{ user(userId: "fresh-1") { userId } }')).data.user).toBeNull();
  });

  it('a bad value is BAD_USER_INPUT naming the header, and runs nothing', async () => {
    for (const bad of ['soon', '-5', '1.5', '']) {
      fx.recorder.reset();
      const r = await fx.gql(READ, undefined, { 'shardgate-max-staleness-ms': bad });
      expect(
        r.errors?.map((e) => [e.extensions?.code, e.extensions?.field]),
        bad,
      ).toEqual([['BAD_USER_INPUT', 'shardgate-max-staleness-ms']]);
      expect(fx.recorder.of(SELECT_USER_BY_ID.name)).toEqual([]);
    }
  });
});
