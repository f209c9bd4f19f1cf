import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../graphql/context.js';

/**
 * Appends the errors of fields that answered anyway (a page merged without
 * the shards that could not answer: one SHARD_UNAVAILABLE per missing
 * shard) to the result, beside its data.
 */
export function usePartialResults(): Plugin<GatewayContext> {
  return {
    onExecute({ args }) {
      const partial = (args.contextValue as Partial<GatewayContext>).partial;
      if (!partial) return;
      return {
        onExecuteDone({ result, setResult }) {
          const errors = partial.all();
          if (errors.length === 0 || !('data' in result || 'errors' in result)) return;
          setResult({ ...result, errors: [...(result.errors ?? []), ...errors] });
        },
      };
    },
  };
}
