import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { aggregateWorkers, labelWorker, WorkerMetrics } from './cluster-metrics.js';
import { Metric } from './names.js';

/** One worker's registry, with a counter, a histogram, a per-worker gauge, a summed gauge and a max gauge. */
function workerRegistry(requests: number, up: number, connections: number, users: number): Registry {
  const registry = new Registry();
  const registers = [registry];
  new Counter({ name: Metric.GRAPHQL_REQUESTS_TOTAL, help: 'h', labelNames: ['outcome'], registers }).inc({ outcome: 'ok' }, requests);
  const h = new Histogram({ name: Metric.GRAPHQL_REQUEST_DURATION_SECONDS, help: 'h', buckets: [0.1, 1], registers });
  for (let i = 0; i < requests; i++) h.observe(0.05);
  new Gauge({ name: Metric.NODE_UP, help: 'h', labelNames: ['shard'], registers }).set({ shard: '0' }, up);
  new Gauge({ name: Metric.POOL_CONNECTIONS, help: 'h', labelNames: ['state'], registers }).set({ state: 'idle' }, connections);
  new Gauge({ name: Metric.SHARD_USERS, help: 'h', labelNames: ['shard'], registers, aggregator: 'max' }).set({ shard: '0' }, users);
  return registry;
}

describe('aggregateWorkers', () => {
  it('sums counters, histograms and share gauges, labels node views per worker, and takes the max user count', async () => {
    const a = labelWorker(await workerRegistry(3, 1, 4, 100).getMetricsAsJSON(), 1);
    const b = labelWorker(await workerRegistry(5, 0, 6, 101).getMetricsAsJSON(), 2);
    const primary = new WorkerMetrics(() => 2);
    primary.restarts.inc();
    const text = await aggregateWorkers([a, b], primary.registry);
    expect(text).toContain('shardgate_graphql_requests_total{outcome="ok"} 8');
    expect(text).toContain('shardgate_graphql_request_duration_seconds_count 8');
    expect(text).toContain('shardgate_graphql_request_duration_seconds_bucket{le="0.1"} 8');
    expect(text).toContain('shardgate_node_up{shard="0",worker="1"} 1');
    expect(text).toContain('shardgate_node_up{shard="0",worker="2"} 0');
    expect(text).toContain('shardgate_pool_connections{state="idle"} 10');
    expect(text).toContain('shardgate_shard_users{shard="0"} 101');
    expect(text).toContain('shardgate_workers 2');
    expect(text).toContain('shardgate_worker_restarts_total 1');
  });
});
