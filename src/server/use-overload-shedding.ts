import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GatewayContext } from '../graphql/context.js';
import { ErrorCode } from '../repository/error-codes.js';

/** Seconds a shed client is asked to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

const OVERLOADED = ErrorCode.SHARD_OVERLOADED;

/** The error's code and shard, before or after the error policy turned the domain error into extensions. */
function overloadOf(e: GraphQLError): { shardId: number } | null {
  if (e.extensions?.code === OVERLOADED) return { shardId: e.extensions.shardId as number };
  const original = e.originalError as { code?: unknown; shardId?: unknown } | undefined;
  if (original?.code === OVERLOADED) return { shardId: original.shardId as number };
  return null;
}

/** True when nothing of the operation was answered: no data, or only nulls at the root. */
function nothingAnswered(result: ExecutionResult): boolean {
  if (result.data === null || result.data === undefined) return true;
  return Object.values(result.data).every((v) => v === null);
}

/**
 * What the client and the log see when nodes shed load (SHARD_OVERLOADED):
 * a request that got nothing answered, and failed only because of overload,
 * answers HTTP 503 with `retry-after`, so clients and proxies back off; and
 * the log gets one line per request naming the shards, not one per statement.
 */
export function useOverloadShedding(logger: Logger): Plugin<GatewayContext> {
  return {
    onExecute({ args }) {
      const requestId = (args.contextValue as Partial<GatewayContext>).requestId ?? null;
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          const overloaded = result.errors.map(overloadOf).filter((o) => o !== null);
          if (overloaded.length === 0) return;
          const shards = [...new Set(overloaded.map((o) => o.shardId))].sort((a, b) => a - b);
          const shed = overloaded.length === result.errors.length && nothingAnswered(result);
          logger.warn(
            { requestId, shards, errors: overloaded.length, shed },
            shed ? 'request shed: shards overloaded' : 'shards overloaded',
          );
          if (!shed) return;
          setResult({
            ...result,
            extensions: { ...result.extensions, http: { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } },
          });
        },
      };
    },
  };
}
