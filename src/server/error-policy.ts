import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { DomainError } from '../repository/errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { domainErrorToGraphQL } from '../graphql/errors.js';
import { requestIdOf } from './request-id.js';
import { ErrorCode } from '../repository/error-codes.js';

export const INTERNAL_MESSAGE = 'Unexpected error.';

const logged = new WeakSet<object>();

/** The request each error that escaped parsing or validation came from (see useErrorPolicy). */
const requestOfError = new WeakMap<object, string>();

/** Whether toClientError has already logged this error (so yoga's own error log can skip it). */
export function alreadyLogged(error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error);
}

/**
 * What a client may see of an error. Domain errors become their stable code;
 * GraphQL's own errors (syntax, validation, variable coercion) pass as they
 * are; everything else is masked — no stack, SQL or credentials — and
 * logged with the request id, which the client also gets to quote.
 */
export function toClientError(error: unknown, knownRequestId: string | null, logger: Logger): GraphQLError {
  const requestId = knownRequestId ?? (typeof error === 'object' && error !== null ? (requestOfError.get(error) ?? null) : null);
  const graphqlError = isGraphQLError(error) ? error : null;
  const original = graphqlError?.originalError ?? error;
  if (original instanceof DomainError) {
    if (graphqlError && graphqlError.extensions.code === original.code) return graphqlError;
    return domainErrorToGraphQL(original, graphqlError ?? new GraphQLError(original.message));
  }
  if (graphqlError && (!graphqlError.originalError || isGraphQLError(graphqlError.originalError))) {
    return graphqlError;
  }
  if (graphqlError?.extensions.code === ErrorCode.INTERNAL_SERVER_ERROR) return graphqlError;
  logger.error({ err: original, requestId, path: graphqlError?.path }, 'unexpected error while executing GraphQL');
  if (typeof original === 'object' && original !== null) logged.add(original);
  if (graphqlError) logged.add(graphqlError);
  return new GraphQLError(INTERNAL_MESSAGE, {
    nodes: graphqlError?.nodes,
    path: graphqlError?.path,
    // `unexpected` (yoga strips it from the body) makes a response with no data a 500.
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(requestId ? { requestId } : {}), unexpected: true },
  });
}

/**
 * By name, not `instanceof`: graphql ships CommonJS and ESM builds, and the
 * executor may raise errors from the other copy of the class.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError' && 'extensions' in error;
}

/**
 * Applies toClientError with the request's id, before yoga's own masking
 * (which then has nothing left to do), to the errors of an execution. An
 * error that escapes parsing or validation (a parser overflow, a failing
 * validation rule) reaches yoga's masking, which calls toClientError without
 * a request: the request's id is noted on the error on its way out, for
 * toClientError to find. Not an AsyncLocalStorage: on Node 20 one
 * AsyncLocalStorage in use puts a promise hook on every promise of the
 * process, about a fifth of the CPU of a point lookup.
 */
export function useErrorPolicy(logger: Logger): Plugin<GatewayContext> {
  const noteRequest = ({ context }: { context: unknown }, wrapped: () => void) => {
    try {
      wrapped();
    } catch (err) {
      const requestId = requestIdIn(context);
      if (requestId !== null && typeof err === 'object' && err !== null) requestOfError.set(err, requestId);
      throw err;
    }
  };
  return {
    instrumentation: { parse: noteRequest, validate: noteRequest },
    onExecute({ args }) {
      const requestId = (args.contextValue as Partial<GatewayContext>).requestId ?? null;
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map((e) => toClientError(e, requestId, logger)) });
        },
      };
    },
  };
}

/** The id of the request an operation's context belongs to (yoga puts the request there). */
function requestIdIn(context: unknown): string | null {
  // Yoga's Request may be a ponyfill, not an instance of the global class.
  const request = (context as { request?: { headers?: unknown } } | null)?.request;
  return request && typeof request === 'object' && request.headers ? requestIdOf(request as Request) : null;
}
