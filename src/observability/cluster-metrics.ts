import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { MetricsJson } from './gateway-metrics.js';
import { Metric } from './names.js';

/**
 * Gauges that describe one worker's own view of the nodes (its health probes,
 * its measurement of the lag): labelled `worker` rather than summed, since a
 * sum of `node_up` or of lags means nothing. Every other gauge of a worker is
 * a share of the server (pool connections, buffered writes, process memory)
 * and is summed, or says how it combines (`shardgate_shard_users`: max).
 */
export const PER_WORKER_GAUGES: ReadonlySet<string> = new Set([
  Metric.NODE_UP,
  Metric.NODE_SERVING,
  Metric.REPLICATION_LAG_SECONDS,
  Metric.REPLICATION_LAG_BYTES,
]);

export const WORKER_LABEL = 'worker';

/** One worker's metrics, its per-worker gauges labelled with `workerId`. */
export function labelWorker(metrics: MetricsJson, workerId: number): MetricsJson {
  const worker = String(workerId);
  return metrics.map((m) =>
    PER_WORKER_GAUGES.has(m.name) ? { ...m, values: m.values.map((v) => ({ ...v, labels: { ...v.labels, [WORKER_LABEL]: worker } })) } : m,
  );
}

/**
 * The whole server's text exposition: the workers' metrics (counters and
 * histograms summed, gauges as their `aggregator` says) and the primary's own.
 */
export async function aggregateWorkers(workers: readonly MetricsJson[], primary: Registry): Promise<string> {
  const merged = AggregatorRegistry.aggregate([...workers, await primary.getMetricsAsJSON()]);
  return merged.metrics();
}

/** The primary process's own metrics: its workers. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly restarts: Counter;
  readonly live: Gauge;

  constructor(liveWorkers: () => number) {
    const registers = [this.registry];
    this.restarts = new Counter({
      name: Metric.WORKER_RESTARTS_TOTAL,
      help: 'Worker processes that died and were replaced.',
      registers,
    });
    this.live = new Gauge({
      name: Metric.WORKERS,
      help: 'Worker processes running now.',
      registers,
      collect() {
        this.set(liveWorkers());
      },
    });
  }
}
