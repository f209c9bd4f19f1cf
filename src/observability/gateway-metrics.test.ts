import { describe, expect, it, vi } from 'vitest';
import type { PoolStats } from '../repository/database.js';
import { ShardManager } from '../sharding/shard-manager.js';
import { GatewayMetrics, USER_COUNT_WAIT_MS } from './gateway-metrics.js';
import { ShardUserCounts } from './shard-user-counts.js';

const node = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', password: '', dbname: 'shardgate' });
const topology = {
  shards: [
    { shardId: 0, primary: node(5000), replicas: [node(5001), node(5002)] },
    { shardId: 1, primary: node(5003), replicas: [node(5004)] },
  ],
};

async function values(metrics: GatewayMetrics, name: string) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ ...v.labels, value: v.value }));
}

describe('GatewayMetrics', () => {
  const setup = () => {
    const manager = new ShardManager(topology, { failuresToEject: 2, maxLagSeconds: null });
    let pools: PoolStats[] = [];
    const metrics = new GatewayMetrics({ manager, poolStats: () => pools }, {});
    return { manager, metrics, setPools: (p: PoolStats[]) => (pools = p) };
  };

  it('node up reads the last contact; serving reads ejection; lag is per replica once measured', async () => {
    const { manager, metrics } = setup();
    const [s0, s1] = manager.allShards();
    // Nothing probed yet: not known to be up, but servable (a fresh gateway must not refuse reads).
    expect(await values(metrics, 'shardgate_node_up')).toContainEqual({ shard: '0', role: 'primary', address: '127.0.0.1:5000', value: 0 });
    for (const n of manager.allNodes())
      manager.recordSuccess(n, 1, n.configuredRole === 'replica' ? { lag: { seconds: 0.5, bytes: 64 } } : {});
    manager.recordFailure(s1!.replicas[0]!, 2, 'ECONNREFUSED');
    expect(await values(metrics, 'shardgate_node_up')).toEqual([
      { shard: '0', role: 'primary', address: '127.0.0.1:5000', value: 1 },
      { shard: '0', role: 'replica', address: '127.0.0.1:5001', value: 1 },
      { shard: '0', role: 'replica', address: '127.0.0.1:5002', value: 1 },
      { shard: '1', role: 'primary', address: '127.0.0.1:5003', value: 1 },
      { shard: '1', role: 'replica', address: '127.0.0.1:5004', value: 0 },
    ]);
    // One failure of two needed: down, still served.
    expect(await values(metrics, 'shardgate_node_serving')).toContainEqual({
      shard: '1',
      role: 'replica',
      address: '127.0.0.1:5004',
      value: 1,
    });
    manager.recordFailure(s1!.replicas[0]!, 3, 'ECONNREFUSED');
    expect(await values(metrics, 'shardgate_node_serving')).toContainEqual({
      shard: '1',
      role: 'replica',
      address: '127.0.0.1:5004',
      value: 0,
    });
    expect(await values(metrics, 'shardgate_replication_lag_seconds')).toEqual([
      { shard: '0', address: '127.0.0.1:5001', value: 0.5 },
      { shard: '0', address: '127.0.0.1:5002', value: 0.5 },
      { shard: '1', address: '127.0.0.1:5004', value: 0.5 },
    ]);
    expect(s0!.replicas).toHaveLength(2);
  });

  it('pool connections are summed over the nodes of a shard and role', async () => {
    const { manager, metrics, setPools } = setup();
    const [s0] = manager.allShards();
    setPools([
      { node: s0!.primary, active: 1, idle: 2, waiting: 0 },
      { node: s0!.replicas[0]!, active: 2, idle: 1, waiting: 1 },
      { node: s0!.replicas[1]!, active: 3, idle: 0, waiting: 2 },
    ]);
    const pool = await values(metrics, 'shardgate_pool_connections');
    expect(pool).toContainEqual({ shard: '0', role: 'replica', state: 'active', value: 5 });
    expect(pool).toContainEqual({ shard: '0', role: 'replica', state: 'waiting', value: 3 });
    expect(pool).toContainEqual({ shard: '0', role: 'primary', state: 'idle', value: 2 });
    // No pool size given: no capacity gauge, rather than a wrong one.
    expect(await values(metrics, 'shardgate_pool_connections_max')).toEqual([]);
  });

  it('pool capacity is the pool size times the nodes of a shard and role', async () => {
    const manager = new ShardManager(topology, { failuresToEject: 2, maxLagSeconds: null });
    const [s0, s1] = manager.allShards();
    const pools = [s0!.primary, s0!.replicas[0]!, s0!.replicas[1]!, s1!.primary].map((n) => ({ node: n, active: 0, idle: 0, waiting: 0 }));
    const metrics = new GatewayMetrics({ manager, poolStats: () => pools, poolMaxPerNode: 4 });
    expect(await values(metrics, 'shardgate_pool_connections_max')).toEqual([
      { shard: '0', role: 'primary', value: 4 },
      { shard: '0', role: 'replica', value: 8 },
      { shard: '1', role: 'primary', value: 4 },
    ]);
    // Read again: recomputed, not added up over scrapes.
    expect(await values(metrics, 'shardgate_pool_connections_max')).toContainEqual({ shard: '0', role: 'replica', value: 8 });
  });

  it('process metrics leave out the gauges that prom-client names like counters', async () => {
    const manager = new ShardManager(topology);
    const metrics = new GatewayMetrics({ manager, poolStats: () => [] }, { processMetrics: true });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
    expect(names.map((m) => m.name)).toContain('shardgate_nodejs_active_handles');
    expect(names.map((m) => m.name)).toContain('shardgate_process_cpu_seconds_total');
    expect(names.filter((m) => m.name.endsWith('_total') && m.type !== 'counter')).toEqual([]);
  });

  it('statements, operations and cross-shard reads are counted with bounded labels', async () => {
    const { manager, metrics } = setup();
    const replica = manager.shard(1).replicas[0]!;
    metrics.recordStatement({ node: replica, role: 'replica', reason: 'replica-read' }, 'SELECT', 'ok', 0.003);
    metrics.recordStatement({ node: replica, role: 'replica', reason: 'replica-read' }, 'SELECT', 'ok', 0.004);
    metrics.recordStatement({ node: manager.shard(0).primary, role: 'primary', reason: 'write' }, 'INSERT', 'error', 0.002);
    metrics.recordCrossShardQuery();
    metrics.recordGraphqlRequest('query', 'ok', 0.01);
    expect(await values(metrics, 'shardgate_shard_queries_total')).toEqual([
      { shard: '1', role: 'replica', operation: 'SELECT', outcome: 'ok', value: 2 },
      { shard: '0', role: 'primary', operation: 'INSERT', outcome: 'error', value: 1 },
    ]);
    expect(await values(metrics, 'shardgate_cross_shard_queries_total')).toEqual([{ value: 1 }]);
    expect(await values(metrics, 'shardgate_graphql_requests_total')).toEqual([{ operation_type: 'query', outcome: 'ok', value: 1 }]);
    const text = await metrics.scrape();
    expect(text).toContain('shardgate_shard_query_duration_seconds_bucket{le="0.005",shard="1",role="replica"} 2');
    expect(text).toContain('shardgate_graphql_request_duration_seconds_count 1');
  });

  it('shard users come from the counts, refreshed by a scrape', async () => {
    const manager = new ShardManager(topology);
    const userCounts = new ShardUserCounts([0, 1], async (id) => 100 + id);
    const metrics = new GatewayMetrics({ manager, poolStats: () => [], userCounts });
    expect(await values(metrics, 'shardgate_shard_users')).toEqual([]);
    expect(await metrics.scrape()).toContain('shardgate_shard_users{shard="1"} 101');
  });

  it('a scrape does not wait long for a shard that does not answer the count', async () => {
    vi.useFakeTimers();
    try {
      const manager = new ShardManager(topology);
      const userCounts = new ShardUserCounts([0, 1], (id) => (id === 0 ? Promise.resolve(7) : new Promise<number>(() => {})));
      const metrics = new GatewayMetrics({ manager, poolStats: () => [], userCounts });
      const scraped = metrics.scrape();
      await vi.advanceTimersByTimeAsync(USER_COUNT_WAIT_MS);
      const text = await scraped;
      expect(text).toContain('shardgate_shard_users{shard="0"} 7');
      expect(text).not.toContain('shardgate_shard_users{shard="1"}');
    } finally {
      vi.useRealTimers();
    }
  });
});
