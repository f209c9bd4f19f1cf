import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from './gateway-metrics.js';
import { graphqlOutcome, type GraphqlOutcome } from './graphql-outcome.js';
import { OperationRecords } from './operation-records.js';

export interface UseMetricsOptions {
  readonly metrics: GatewayMetrics;
  /** @default "/metrics" */
  readonly endpoint?: string;
  /** Shared with the operation spans (useObservability). @default records of its own */
  readonly records?: OperationRecords;
}

/**
 * Serves the registry in Prometheus text format at `/metrics`, and counts
 * and times each GraphQL operation (each operation of a batched HTTP request
 * counts once) by type and outcome.
 */
export function useMetrics({ metrics, endpoint = '/metrics', records = new OperationRecords() }: UseMetricsOptions): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const body = await metrics.scrape();
      endResponse(
        new fetchAPI.Response(body, { status: 200, headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } }),
      );
    },
    onParams({ paramsHandler, setParamsHandler }) {
      setParamsHandler(async (payload) => {
        const started = performance.now();
        let outcome: GraphqlOutcome = 'error';
        try {
          const result = await paramsHandler(payload);
          outcome = graphqlOutcome(result);
          return result;
        } finally {
          metrics.recordGraphqlRequest(records.get(payload.context)?.type ?? 'unknown', outcome, (performance.now() - started) / 1000);
        }
      });
    },
    onParse() {
      return ({ result, context }) => {
        records.fromParse(context, result);
      };
    },
  };
}
