import { GraphQLError } from 'graphql';
import {
  DomainError,
  EmailAlreadyExistsError,
  OperationTooComplexError,
  ShardOverloadedError,
  ShardTimeoutError,
  ShardUnavailableError,
} from '../repository/errors.js';

/** An argument that fails validation. Raised before any SQL is sent. */
export class BadUserInputError extends DomainError {
  override readonly name = 'BadUserInputError';
  readonly code = 'BAD_USER_INPUT';
  constructor(
    /** The argument, e.g. `userId`, `input.email`, `after`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * The client-facing form of a domain error: a stable `extensions.code`, and
 * the one extra field each code promises (`field`, `shardId`); clients
 * branch on these, so they never change.
 */
export function domainErrorToGraphQL(err: DomainError, template: GraphQLError): GraphQLError {
  const extensions: Record<string, unknown> = { code: err.code };
  if (err instanceof BadUserInputError || err instanceof EmailAlreadyExistsError) extensions.field = err.field;
  if (err instanceof ShardUnavailableError || err instanceof ShardOverloadedError || err instanceof ShardTimeoutError)
    extensions.shardId = err.shardId;
  if (err instanceof ShardUnavailableError && err.reason) extensions.reason = err.reason;
  if (err instanceof OperationTooComplexError) {
    extensions.limit = err.limit;
    extensions.max = err.max;
  }
  const message =
    err instanceof ShardUnavailableError
      ? `Shard ${err.shardId} is unavailable.`
      : err instanceof ShardOverloadedError
        ? `Shard ${err.shardId} is overloaded; retry later.`
        : err instanceof ShardTimeoutError
          ? `Shard ${err.shardId} did not answer within the request's deadline.`
          : err.message;
  return new GraphQLError(message, {
    nodes: template.nodes,
    source: template.source,
    positions: template.positions,
    path: template.path,
    extensions,
  });
}
