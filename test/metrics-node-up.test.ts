import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openGatewayFixture, testGatewayOptions, type GatewayFixture } from './support/gateway-fixture.js';
import { parsePrometheusText, select } from './support/prometheus-text.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';

// Stops a replica for real, so it gets a (small) cluster of its own.
let cluster: ThrowawayCluster;
let fx: GatewayFixture;

beforeAll(async () => {
  cluster = await startThrowawayCluster({ shards: 2, replicas: 1 });
  fx = await openGatewayFixture(cluster.topologyPath, testGatewayOptions(), {});
});
afterAll(async () => {
  await fx?.close();
  await cluster?.destroy();
});

async function scrape() {
  const response = await fx.app.fetch('http://gateway.test/metrics');
  return parsePrometheusText(await response.text());
}

const nodeValue = async (metric: string, shard: string, role: string) => select(await scrape(), metric, { shard, role })[0]?.value;

describe('node health in /metrics', () => {
  it('shardgate_node_up drops to 0 when a replica stops; lag is reported for each replica', async () => {
    const before = await scrape();
    expect(select(before, 'shardgate_node_up').map((s) => [s.labels.shard, s.labels.role, s.value])).toEqual([
      ['0', 'primary', 1],
      ['0', 'replica', 1],
      ['1', 'primary', 1],
      ['1', 'replica', 1],
    ]);
    const replicas = fx.shards.manager.allNodes().filter((n) => n.configuredRole === 'replica');
    expect(select(before, 'shardgate_replication_lag_seconds').map((s) => s.labels)).toEqual(
      replicas.map((n) => ({ shard: String(n.shardId), address: n.address })),
    );

    await cluster.stopNode(1, 'replica');
    await eventually(async () => (await nodeValue('shardgate_node_up', '1', 'replica')) === 0, 10_000, 'node_up 0');
    await eventually(async () => (await nodeValue('shardgate_node_serving', '1', 'replica')) === 0, 10_000, 'node_serving 0');
    const after = await scrape();
    expect(select(after, 'shardgate_node_up').map((s) => [s.labels.shard, s.labels.role, s.labels.address, s.value])).toEqual([
      ['0', 'primary', fx.shards.manager.shard(0).primary.address, 1],
      ['0', 'replica', fx.shards.manager.shard(0).replicas[0]!.address, 1],
      ['1', 'primary', fx.shards.manager.shard(1).primary.address, 1],
      ['1', 'replica', fx.shards.manager.shard(1).replicas[0]!.address, 0],
    ]);
    // The last measured lag stays visible for the stopped replica too.
    expect(select(after, 'shardgate_replication_lag_seconds')).toHaveLength(2);

    await cluster.startNode(1, 'replica');
    await eventually(async () => (await nodeValue('shardgate_node_up', '1', 'replica')) === 1, 15_000, 'node_up back to 1');
  });
});
