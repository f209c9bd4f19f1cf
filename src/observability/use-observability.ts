import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from './gateway-metrics.js';
import { OperationRecords } from './operation-records.js';
import { useMetrics } from './use-metrics.js';
import { useTracing } from './use-tracing.js';

export interface UseObservabilityOptions {
  readonly metrics: GatewayMetrics;
  /** Operation spans. Null or absent: no span code is installed at all. @default null */
  readonly tracer?: Tracer | null;
  /** @default the global propagator (see useTracing) */
  readonly propagator?: TextMapPropagator;
  /** @default "/metrics" */
  readonly metricsEndpoint?: string;
}

/**
 * Tracing and metrics of GraphQL operations as one plugin (composed with
 * addPlugin, as yoga's Prometheus plugin composes itself): a SERVER span per
 * operation when there is a tracer, its count and duration by type and
 * outcome, and `/metrics`. Both read the same record of each operation.
 */
export function useObservability({ metrics, tracer = null, propagator, metricsEndpoint }: UseObservabilityOptions): Plugin {
  const records = new OperationRecords();
  return {
    onPluginInit({ addPlugin }) {
      // Tracing first: the metrics' timing wraps the span, as it wraps everything else of the operation.
      if (tracer) addPlugin(useTracing({ tracer, records, ...(propagator ? { propagator } : {}) }));
      addPlugin(useMetrics({ metrics, records, ...(metricsEndpoint ? { endpoint: metricsEndpoint } : {}) }));
    },
  };
}
