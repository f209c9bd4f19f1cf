import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from './gateway-metrics.js';
import { graphqlOutcome, type GraphqlOutcome } from './graphql-outcome.js';
import { operationOf, type OperationType } from './operation-of.js';

export interface UseMetricsOptions {
  readonly metrics: GatewayMetrics;
  /** @default "/metrics" */
  readonly endpoint?: string;
}

/**
 * Serves the registry in Prometheus text format at `/metrics`, and counts
 * and times each GraphQL operation (each operation of a batched HTTP request
 * counts once) by type and outcome.
 */
export function useMetrics({ metrics, endpoint = '/metrics' }: UseMetricsOptions): Plugin {
  // Keyed by the operation's context object, which yoga and envelop share from params to execution.
  const types = new WeakMap<object, OperationType>();
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const body = await metrics.scrape();
      endResponse(new fetchAPI.Response(body, { status: 200, headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } }));
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
          metrics.recordGraphqlRequest(types.get(payload.context) ?? 'unknown', outcome, (performance.now() - started) / 1000);
        }
      });
    },
    onParse() {
      return ({ result, context }) => {
        if (typeof result !== 'object' || result === null || (result as { kind?: unknown }).kind !== 'Document') return;
        const params = (context as { params?: { operationName?: string | null } }).params;
        types.set(context, operationOf(result as DocumentNode, params?.operationName).type);
      };
    },
  };
}
